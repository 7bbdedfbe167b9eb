/**
 * The functions that took the most self time in a `.cpuprofile` (from `bun --cpu-prof`), with their share.
 * Counted in samples, not in `timeDeltas`: a delta also holds the idle time before its sample, which would
 * charge a process's wake-up call with the time it slept.
 * `bun perf/profile-top.ts FILE.cpuprofile [N]` (default N = 40).
 */
export {};

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
const [file, n = "40"] = process.argv.slice(2);
if (!file) throw new Error("usage: bun perf/profile-top.ts FILE.cpuprofile [N]");
const profile = JSON.parse(await Bun.file(file).text()) as { nodes: Node[]; samples: number[] };
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)!.callFrame;
  const key = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").slice(-2).join("/")}:${frame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + 1);
  total++;
});
console.log(`${total} samples`);
for (const [key, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${String(count).padStart(7)} ${((100 * count) / total).toFixed(1).padStart(5)}%  ${key}`);
}
