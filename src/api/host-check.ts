/** Which `Host` headers the API answers: its own address (and loopback names), or `--allowed-hosts` — against DNS rebinding. */

/** What {@link createHostCheck} decides from. */
export interface HostCheckOptions {
  /** The interface the server is bound to (`--host`), e.g. "127.0.0.1", "::1", "0.0.0.0", "api.internal". */
  bindHost: string;
  /** The port actually bound. */
  port: number;
  /**
   * Further accepted `Host` values (`--allowed-hosts`): `name` (any port), `name:port`, `[v6]`, `[v6]:port`,
   * or `*` for any Host. Default: none (only the server's own address; any Host when bound to 0.0.0.0 or ::).
   */
  allowedHosts?: readonly string[];
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/**
 * A predicate on the request's `Host` header (null when absent). Accepted:
 * - the bound address with the bound port (port omitted only when it is 80);
 * - bound to loopback (127.x, ::1, localhost): also `localhost`, `127.0.0.1` and `[::1]` with the bound port;
 * - bound to 0.0.0.0 or :: without `allowedHosts`: any Host (the API is meant to be reached by any name);
 *   with `allowedHosts`, only those and the loopback names with the bound port;
 * - every `allowedHosts` entry; a request without Host (HTTP/1.0; browsers always send one).
 * Names compare case-insensitively.
 */
export function createHostCheck(opts: HostCheckOptions): (host: string | null) => boolean {
  const extra = (opts.allowedHosts ?? []).map((h) => h.trim().toLowerCase()).filter((h) => h !== "");
  const bind = opts.bindHost.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  const wildcard = bind === "0.0.0.0" || bind === "::" || bind === "";
  if (extra.includes("*") || (wildcard && extra.length === 0)) return () => true;
  const own = new Set<string>([bind.includes(":") ? `[${bind}]` : bind]);
  if (wildcard || isLoopback(bind)) for (const name of LOOPBACK_NAMES) own.add(name);
  const anyPort = new Set<string>();
  const exact = new Set<string>();
  for (const name of own) exact.add(`${name}:${opts.port}`);
  for (const entry of extra) (splitHost(entry).port === undefined ? anyPort : exact).add(entry);
  return (header) => {
    if (header === null) return true;
    const value = header.trim().toLowerCase();
    if (exact.has(value)) return true;
    const { name, port } = splitHost(value);
    if (anyPort.has(name)) return true;
    return port === undefined && opts.port === 80 && own.has(name);
  };
}

/** `example.com:8000` → name and port; `[::1]:8000` keeps the brackets on the name. */
export function splitHost(value: string): { name: string; port: string | undefined } {
  const colon = value.lastIndexOf(":");
  if (colon === -1 || (value.startsWith("[") && colon < value.lastIndexOf("]"))) return { name: value, port: undefined };
  return { name: value.slice(0, colon), port: value.slice(colon + 1) };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
