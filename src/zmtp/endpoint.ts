/** Parsing and formatting of `tcp://host:port` endpoints (the only transport so far; ipc:// and inproc:// would add cases here). */
import { ZmtpError } from "./zmtp-error.ts";

/** A parsed TCP endpoint. */
export interface TcpEndpoint {
  transport: "tcp";
  /** Host name or IP address without brackets; "0.0.0.0" for `*`. */
  host: string;
  /** Port number; 0 means "any free port" (bind only). */
  port: number;
}

/**
 * Parses `tcp://host:port`. Host may be an IPv4 address, a bracketed IPv6 address
 * (`tcp://[::1]:5555`), a host name, or `*` (all IPv4 interfaces, bind only). Port may be a
 * number or `*`/`0` (bind only: pick a free port). Throws EINVAL for anything else.
 */
export function parseEndpoint(endpoint: string, forBind: boolean): TcpEndpoint {
  const match = /^([a-z]+):\/\/(.+)$/.exec(endpoint);
  if (!match) throw new ZmtpError("EINVAL", `invalid endpoint ${JSON.stringify(endpoint)}: expected tcp://host:port`);
  const [, transport, rest = ""] = match;
  if (transport !== "tcp") {
    throw new ZmtpError("EINVAL", `unsupported transport ${JSON.stringify(transport)} in ${endpoint} (only tcp:// is implemented)`);
  }
  const colon = rest.lastIndexOf(":");
  if (colon <= 0) throw new ZmtpError("EINVAL", `invalid endpoint ${endpoint}: missing port`);
  let host = rest.slice(0, colon);
  const portText = rest.slice(colon + 1);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  else if (host.includes(":")) throw new ZmtpError("EINVAL", `invalid endpoint ${endpoint}: IPv6 addresses need brackets`);
  if (host === "*") {
    if (!forBind) throw new ZmtpError("EINVAL", `cannot connect to wildcard host in ${endpoint}`);
    host = "0.0.0.0";
  }
  if (host.length === 0 || !/^[A-Za-z0-9.\-_:%]+$/.test(host)) throw new ZmtpError("EINVAL", `invalid host in ${endpoint}`);
  let port: number;
  if (portText === "*") port = 0;
  else if (/^\d{1,5}$/.test(portText)) port = Number(portText);
  else throw new ZmtpError("EINVAL", `invalid port in ${endpoint}`);
  if (port > 65535) throw new ZmtpError("EINVAL", `port out of range in ${endpoint}`);
  if (port === 0 && !forBind) throw new ZmtpError("EINVAL", `cannot connect to port 0 in ${endpoint}`);
  return { transport: "tcp", host, port };
}

/** Formats an endpoint back to `tcp://host:port`, bracketing IPv6 addresses. */
export function formatEndpoint(host: string, port: number): string {
  return `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
