/** The options of the remote dispatch modes (pull and push), each with its default, and the ROUTER they configure. */
import type { Log } from "../../log.ts";
import { MAX_FRAMES_PER_MESSAGE } from "../../protocol/index.ts";
import { formatIpcEndpoint } from "../../zmtp/endpoint.ts";
import { type Authorize, Router } from "../../zmtp/index.ts";

/** Options of `PullMode` and `PushMode`. */
export interface RemoteModeOptions {
  /** Interface the ROUTER binds. Default: "127.0.0.1" (loopback: binding elsewhere is an explicit choice). */
  host?: string;
  /** Port the ROUTER binds; 0 picks a free one (read it back from `start()`). */
  port: number;
  /** A unix socket path the ROUTER binds as well (`ipc://`), for workers on the same machine. Default: none. */
  ipcPath?: string;
  /** Shared secret workers must present in their handshake (and messages). Default: none (anyone who can connect gets tasks). */
  secret?: string;
  /**
   * CURVE on the worker link: the ROUTER is a CURVE server with this key pair and accepts only workers whose public
   * key is in `authorizedKeys`; it replaces `secret` (which is then not checked). Default: none (the NULL mechanism).
   */
  curve?: RemoteCurve;
  log: Log;
  /** Per-task timeout sent to workers for tasks without their own. Default: 300_000. */
  taskTimeoutMs?: number;
  /**
   * ZMTP heartbeat interval in ms; a worker silent for {@link HEARTBEAT_TIMEOUT_INTERVALS} intervals after a PING is
   * dropped (and its tasks re-queued), 1.5–2.5 s after it hung with the default. PINGs are answered by a worker's
   * main thread, which never runs user code. Default: 500.
   */
  heartbeatMs?: number;
  /** Extra time past a task's timeout before the dispatcher gives up on its worker, in ms. Default: 5000. */
  deadlineGraceMs?: number;
  /** Jobs the mode holds beyond what workers run, per connected worker thread, so a freed thread gets its next task without a Redis round trip and Redis work comes in batches. Default: 8. */
  prefetch?: number;
  /** Largest message accepted from a worker, in bytes; a bigger one drops that connection. Default: 256 MiB. */
  maxMessageBytes?: number;
}

/** The CURVE settings of a remote mode: its long-term key pair (Z85) and the public keys (Z85) of the workers it accepts. */
export interface RemoteCurve {
  publicKey: string;
  secretKey: string;
  authorizedKeys: ReadonlySet<string>;
}

/** Where a started remote mode listens. */
export interface RemoteEndpoints {
  /** The bound TCP endpoint, e.g. `tcp://127.0.0.1:41234`. */
  endpoint: string;
  /** Its port. */
  port: number;
  /** `ipc://path` when `ipcPath` was given, else undefined. */
  ipc: string | undefined;
}

/** Heartbeat timeout and TTL, in heartbeat intervals: both sides drop a peer that sent nothing for this long after a PING. */
export const HEARTBEAT_TIMEOUT_INTERVALS = 4;
/** How long a connection may stay unauthenticated (no credentials in its handshake: an older worker, to be DENIED). */
export const AUTHENTICATION_TIMEOUT_MS = 3000;
/** What a connection may send while unauthenticated: frames with headers and 64 octets of overhead each. */
export const MAX_UNAUTHENTICATED_BYTES = 16 * 1024;

/** Most worker connections at a time; further ones are closed at accept. */
export const MAX_CONNECTIONS = 4096;
/** Time a connection has for its greeting and READY (libzmq's default is 30 s, long enough to hold all places idly). */
export const HANDSHAKE_TIMEOUT_MS = 5000;

/** Options with defaults filled in. */
export type ResolvedRemoteOptions = Required<Omit<RemoteModeOptions, "secret" | "ipcPath" | "curve">> & {
  secret: string | undefined;
  ipcPath: string | undefined;
  curve: RemoteCurve | undefined;
};

/** Fill in defaults. */
export function resolveRemoteOptions(o: RemoteModeOptions): ResolvedRemoteOptions {
  return {
    host: o.host ?? "127.0.0.1",
    port: o.port,
    ipcPath: o.ipcPath,
    // CURVE replaces the shared secret: with it on, the key list decides who may connect.
    secret: o.curve !== undefined ? undefined : o.secret || undefined,
    curve: o.curve,
    log: o.log,
    taskTimeoutMs: o.taskTimeoutMs ?? 300_000,
    heartbeatMs: o.heartbeatMs ?? 500,
    deadlineGraceMs: o.deadlineGraceMs ?? 5000,
    prefetch: o.prefetch ?? 8,
    maxMessageBytes: o.maxMessageBytes ?? 256 * 1024 * 1024,
  };
}

/**
 * The dispatcher's ROUTER: `authorize` judges each connection's handshake credentials; limits for connections that
 * are not authorized (16 KiB, 3 s), 5 s for the handshake, at most MAX_FRAMES_PER_MESSAGE frames per message and
 * 4096 connections;
 * heartbeats both ways (we PING every `heartbeatMs`; our TTL asks workers to drop us after
 * HEARTBEAT_TIMEOUT_INTERVALS silent intervals; workers ask the same of us), `mandatory` so a send to a vanished
 * worker fails instead of vanishing silently.
 */
export function createRouter(o: ResolvedRemoteOptions, authorize: Authorize): Router {
  const hb = o.heartbeatMs;
  return new Router({
    // A worker is authorized at handshake, so it is authenticated from its first byte, in both modes (a reconnected
    // pull lane's first message, a re-sent RESULT of any size, included); only peers without credentials get the budget.
    authorize,
    ...(o.curve !== undefined ? { curveServer: true, curveSecretKey: o.curve.secretKey } : {}),
    maxUnauthenticatedBytes: MAX_UNAUTHENTICATED_BYTES,
    authenticationTimeout: AUTHENTICATION_TIMEOUT_MS,
    maxFramesPerMessage: MAX_FRAMES_PER_MESSAGE,
    maxConnections: MAX_CONNECTIONS,
    handshakeInterval: HANDSHAKE_TIMEOUT_MS,
    mandatory: true,
    heartbeatInterval: hb,
    heartbeatTimeout: hb * HEARTBEAT_TIMEOUT_INTERVALS,
    heartbeatTimeToLive: hb * HEARTBEAT_TIMEOUT_INTERVALS,
    maxMessageSize: o.maxMessageBytes,
    sendHighWaterMark: 0,
    linger: 200,
    log: (line) => o.log.debug(line),
  });
}

/** Bind the ROUTER to TCP `host:port`, and to the unix socket when `ipcPath` is set; resolves with where it listens. */
export async function bindRouter(r: Router, o: ResolvedRemoteOptions): Promise<RemoteEndpoints> {
  await r.bind(bindEndpoint(o.host, o.port));
  const endpoint = r.lastEndpoint!;
  let ipc: string | undefined;
  if (o.ipcPath !== undefined) {
    await r.bind(formatIpcEndpoint(o.ipcPath));
    ipc = r.lastEndpoint!;
  }
  return { endpoint, port: portOf(endpoint), ipc };
}

/** `tcp://host:port` for binding (IPv6 literals in brackets). */
export function bindEndpoint(host: string, port: number): string {
  return `tcp://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}:${port}`;
}

/** The port of a bound endpoint such as `tcp://127.0.0.1:41234`. */
export function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));
}
