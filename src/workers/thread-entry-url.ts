/** Locates the worker-thread entry, both when running from source and inside a bundle or compiled binary. */

/**
 * URL of `thread-entry` for `new Worker(...)`.
 *
 * - From source (`bun src/cli.ts`, `bun test`): the sibling file `./thread-entry.ts`.
 * - Bundled (`bun build --compile`, see scripts/build.ts): `import.meta.url` is then the main bundle
 *   (in a binary `file:///$bunfs/root/<name>`), and Bun places each extra entrypoint at its path
 *   relative to the build `root`. The build uses `root: "src"` and lists `src/workers/thread-entry.ts`,
 *   so the entry is `./workers/thread-entry.js` next to the main bundle.
 */
export function threadEntryUrl(): URL {
  if (import.meta.path.endsWith("thread-entry-url.ts")) return new URL("./thread-entry.ts", import.meta.url);
  return new URL("./workers/thread-entry.js", import.meta.url);
}
