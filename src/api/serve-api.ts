/** Serving the API app over HTTP with Bun.serve: the Host check, Bun's own limits, JSON errors even outside the app. */
import type { Hono } from "hono";
import { FaasError } from "../faas-error.ts";
import type { Log } from "../log.ts";
import { DEFAULT_DISCARD_BYTES, discardBody } from "./discard-body.ts";
import { plainErrorResponse } from "./error-handler.ts";
import { createHostCheck } from "./host-check.ts";
import { MAX_WAIT_SECONDS } from "./schemas.ts";

/** Options of {@link serveApi}. */
export interface ServeApiOptions {
  /** The app from `createApp`. */
  app: Hono<any, any, any>;
  /** Interface to listen on. Default: "127.0.0.1". */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from the result). Default: 8000. */
  port?: number;
  /** Seconds a connection may stay silent; must exceed the longest long-poll. Default: 90. */
  idleTimeoutSeconds?: number;
  /**
   * Further `Host` header values answered (`--allowed-hosts`; see `createHostCheck`); others are refused with
   * 403 HOST_NOT_ALLOWED. Default: none — the server's own address (and loopback names when bound to loopback),
   * any Host when bound to 0.0.0.0 or ::.
   */
  allowedHosts?: readonly string[];
  /** Most of a refused request's body read and dropped before answering, in bytes. Default: 16 MiB. */
  discardBytes?: number;
  /** Where failures that escape the app are logged. Default: nowhere. */
  log?: Log;
}

/** A running API server. */
export interface ApiServer {
  /** Base URL, e.g. "http://127.0.0.1:8000". */
  url: string;
  /** The port actually bound. */
  port: number;
  /** Stop listening and close open connections. */
  stop(): Promise<void>;
}

/**
 * Start serving `app`; the port is bound when this returns. Bun's own body limit is lifted so that the app's
 * `--max-body` check answers every oversized body in JSON (Bun would answer a bare 413); a request head over
 * Bun's header limit (16 KiB) is still answered by Bun itself: a bare 431.
 */
export function serveApi(opts: ServeApiOptions): ApiServer {
  const host = opts.host ?? "127.0.0.1";
  const idleTimeout = opts.idleTimeoutSeconds ?? 90;
  const discardBytes = opts.discardBytes ?? DEFAULT_DISCARD_BYTES;
  if (idleTimeout <= MAX_WAIT_SECONDS) {
    throw new RangeError(`idleTimeoutSeconds must exceed the longest long-poll (${MAX_WAIT_SECONDS} s)`);
  }
  let hostAllowed: (host: string | null) => boolean = () => false;
  /** The last Host header allowed (the check is a pure function of it). */
  let lastAllowed: string | null = null;
  const server = Bun.serve({
    hostname: host,
    port: opts.port ?? 8000,
    idleTimeout,
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: (req) => {
      const given = req.headers.get("host");
      if (given !== null && given === lastAllowed) return opts.app.fetch(req); // clients send the same Host each time
      if (!hostAllowed(given)) return refuseHost(req, given, discardBytes);
      lastAllowed = given;
      return opts.app.fetch(req);
    },
    error: (err) => {
      opts.log?.error("request failed outside the app", { err: err.message, stack: err.stack });
      return plainErrorResponse(new FaasError("INTERNAL", "internal server error; see the server log"));
    },
  });
  const port = server.port ?? 0;
  hostAllowed = createHostCheck({ bindHost: host, port, allowedHosts: opts.allowedHosts });
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    async stop() {
      await server.stop(true);
    },
  };
}

/** 403 HOST_NOT_ALLOWED, after reading the body the client may still be sending. */
async function refuseHost(req: Request, given: string | null, discardBytes: number): Promise<Response> {
  const ended = await discardBody(req, discardBytes);
  const shown = JSON.stringify(given && given.length > 100 ? `${given.slice(0, 100)}…` : given);
  const err = new FaasError(
    "HOST_NOT_ALLOWED",
    `Host ${shown} is not this API's address; to serve it under another name, start the API with --allowed-hosts`,
  );
  return plainErrorResponse(err, ended ? undefined : { Connection: "close" });
}
