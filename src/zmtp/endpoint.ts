/** Parsing and formatting of endpoints: `tcp://host:port` (zmq_tcp(7)) and `ipc://path` (zmq_ipc(7)). */
import { ZmtpError } from "./zmtp-error.ts";

/** A parsed TCP endpoint. */
export interface TcpEndpoint {
  transport: "tcp";
  /** Host name or IP address without brackets; "0.0.0.0" for `*`. */
  host: string;
  /** Port number; 0 means "any free port" (bind only). */
  port: number;
}

/** A parsed ipc endpoint: a unix domain socket path. */
export interface IpcEndpoint {
  transport: "ipc";
  /** File system path of the socket, absolute or relative to the working directory. */
  path: string;
}

/** Any endpoint this library can bind or connect. */
export type Endpoint = TcpEndpoint | IpcEndpoint;

/** Longest unix socket path, in bytes: sun_path holds 108 octets on Linux (104 on macOS) with the terminating NUL. */
export const MAX_IPC_PATH = 103;

/** True when `path` fits a unix socket address ({@link MAX_IPC_PATH} bytes of UTF-8 at most). */
export function fitsIpcPath(path: string): boolean {
  return Buffer.byteLength(path) <= MAX_IPC_PATH;
}

/**
 * Parses `ipc://path` (any non-empty path that fits a unix socket address; the `*` wildcard and Linux abstract
 * names `@name` are not supported) or `tcp://host:port`. Host may be an IPv4 address, a bracketed IPv6 address
 * (`tcp://[::1]:5555`), a host name, or `*` (all IPv4 interfaces, bind only). Port may be a
 * number or `*`/`0` (bind only: pick a free port). Throws EINVAL for anything else.
 */
export function parseEndpoint(endpoint: string, forBind: boolean): Endpoint {
  const match = /^([a-z]+):\/\/(.+)$/.exec(endpoint);
  if (!match) throw new ZmtpError("EINVAL", `invalid endpoint ${JSON.stringify(endpoint)}: expected tcp://host:port or ipc://path`);
  const [, transport, rest = ""] = match;
  if (transport === "ipc") return parseIpc(endpoint, rest);
  if (transport !== "tcp") {
    throw new ZmtpError("EINVAL", `unsupported transport ${JSON.stringify(transport)} in ${endpoint} (tcp:// and ipc:// are implemented)`);
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

function parseIpc(endpoint: string, path: string): IpcEndpoint {
  if (path === "*" || path.startsWith("@")) {
    throw new ZmtpError("EINVAL", `unsupported ipc endpoint ${endpoint}: give a file path (no wildcard, no abstract name)`);
  }
  if (path.includes("\0")) throw new ZmtpError("EINVAL", `invalid ipc path in ${JSON.stringify(endpoint)}`);
  if (!fitsIpcPath(path)) {
    throw new ZmtpError("EINVAL", `ipc path too long in ${endpoint} (at most ${MAX_IPC_PATH} bytes)`);
  }
  return { transport: "ipc", path };
}

/** Formats an ipc endpoint: `ipc://` followed by the path as given. */
export function formatIpcEndpoint(path: string): string {
  return `ipc://${path}`;
}

/** Formats an endpoint back to `tcp://host:port`, bracketing IPv6 addresses. */
export function formatEndpoint(host: string, port: number): string {
  return `tcp://${host.includes(":") ? `[${host}]` : host}:${port}`;
}
