/** Builds the single executable `dist/faas`: src/cli.ts plus the worker-thread entry, config autoload off. */
import { mkdirSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

/**
 * Usage: `bun run scripts/build.ts [--entry <file>] [--outfile <file>] [--target <bun-os-arch>]`
 *
 * - `--entry`: main entrypoint. Default: `src/cli.ts`.
 * - `--outfile`: the executable. Default: `dist/faas`.
 * - `--target`: cross-compile target such as `bun-linux-arm64`. Default: the running platform.
 *
 * Relative paths are taken from the project root, whatever the cwd. The thread entry
 * `src/workers/thread-entry.ts` is always a second entrypoint, and the build `root` is `src/`:
 * Bun then embeds it at `workers/thread-entry.js` beside the main bundle, which is where
 * `threadEntryUrl()` looks for it inside the binary.
 *
 * The binary does NOT autoload `.env` or `bunfig.toml` from the directory it runs in (nor
 * tsconfig.json / package.json): files in a user's cwd cannot change its behaviour.
 */
const projectRoot = resolve(import.meta.dir, "..");
const options = parseArgs(process.argv.slice(2));
const entry = resolve(projectRoot, options.entry ?? "src/cli.ts");
const outfile = resolve(projectRoot, options.outfile ?? "dist/faas");
const threadEntry = resolve(projectRoot, "src/workers/thread-entry.ts");

mkdirSync(dirname(outfile), { recursive: true });
const started = performance.now();
const result = await Bun.build({
  entrypoints: [entry, threadEntry],
  root: resolve(projectRoot, "src"),
  target: "bun",
  // Whitespace and syntax only: identifiers keep their names so error and class names survive.
  minify: { whitespace: true, syntax: true, identifiers: false },
  sourcemap: "none",
  compile: {
    outfile,
    ...(options.target ? { target: options.target as Bun.Build.CompileTarget } : {}),
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadTsconfig: false,
    autoloadPackageJson: false,
  },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  console.error("build failed");
  process.exit(1);
}
const ms = Math.round(performance.now() - started);
const shown = relative(process.cwd(), outfile);
console.log(`built ${shown.startsWith("..") ? outfile : shown} in ${ms} ms`);

function parseArgs(argv: string[]): { entry?: string; outfile?: string; target?: string } {
  const out: { entry?: string; outfile?: string; target?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === "") usage(`missing value for ${name}`);
    if (name === "--entry") out.entry = value;
    else if (name === "--outfile") out.outfile = value;
    else if (name === "--target") out.target = value;
    else usage(`unknown option ${arg}`);
  }
  return out;
}

function usage(problem: string): never {
  console.error(`${problem}\nusage: bun run scripts/build.ts [--entry <file>] [--outfile <file>] [--target <bun-os-arch>]`);
  process.exit(2);
}
