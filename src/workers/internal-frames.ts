/** Tells bunfaas's own stack frames (executor, thread entry, codec, compiled binary) apart from user code's. */
import { dirname } from "node:path";

/**
 * Markers of our frames. From source: any file under our `src/` directory (the executor, the thread
 * entry, the codec). Bundled: the bundle file itself (`import.meta.path` is then the bundle). Always:
 * paths inside a compiled binary's embedded file system (`/$bunfs/root/...`; `B:/~BUN/root/...` on
 * Windows). User code never matches: it is named `function-<id>.js` by its `sourceURL`.
 */
const MARKERS: readonly string[] = [
  import.meta.path.endsWith("internal-frames.ts") ? `${dirname(import.meta.dir)}/` : import.meta.path,
  "/$bunfs/",
  "B:/~BUN/",
];

/** Runtime frames that only show our plumbing: microtask ticks, the indirect `eval`, the parser. */
const RUNTIME_FRAMES = /^at (processTicksAndRejections|eval \(unknown\)|<parse>)/;

/** True when a stack line is a frame (`at ...`). */
export function isFrame(line: string): boolean {
  return line.trimStart().startsWith("at ");
}

/** True when a stack line is a frame of ours (or runtime plumbing around our calls) rather than the user's. */
export function isInternalFrame(line: string): boolean {
  const trimmed = line.trimStart();
  if (!trimmed.startsWith("at ")) return false;
  for (const marker of MARKERS) if (trimmed.includes(marker)) return true;
  return RUNTIME_FRAMES.test(trimmed);
}

/** `stackFilter` for `encodeError`: keeps every line that is not an internal frame. */
export function keepUserFrame(line: string): boolean {
  return !isInternalFrame(line);
}
