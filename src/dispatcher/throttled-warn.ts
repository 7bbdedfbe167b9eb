/** A warning logger for untrusted-input events that writes at most a few lines per second and counts the rest. */
import type { Log } from "../log.ts";

/** Logs warnings, at most `perSecond` lines per second; the number suppressed is reported with the next line. */
export function throttledWarn(log: Log, perSecond = 10): (msg: string, fields?: Record<string, unknown>) => void {
  let windowStart = 0;
  let written = 0;
  let suppressed = 0;
  return (msg, fields) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      written = 0;
    }
    if (written >= perSecond) {
      suppressed++;
      return;
    }
    written++;
    log.warn(msg, suppressed > 0 ? { ...fields, suppressed } : fields);
    suppressed = 0;
  };
}
