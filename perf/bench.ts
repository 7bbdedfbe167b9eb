/** `bun run bench`: every mitata micro-benchmark of the hot paths, run once; each file says what it measures. */
import { run } from "mitata";

type BenchModule = { cleanup?: () => Promise<void> | void };
const files = [...new Bun.Glob("bench/*.bench.ts").scanSync({ cwd: import.meta.dir })].sort();
const filter = process.argv[2];
const modules: BenchModule[] = [];
for (const f of files) {
  if (filter && !f.includes(filter)) continue;
  modules.push((await import(`./${f}`)) as BenchModule);
}
try {
  await run();
} finally {
  for (const m of modules) await m.cleanup?.();
}
