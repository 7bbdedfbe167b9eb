/** Serving the API app over HTTP with Bun.serve. */
import type { Hono } from "hono";
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

/** Start serving `app`; the port is bound when this returns. */
export function serveApi(opts: ServeApiOptions): ApiServer {
  const host = opts.host ?? "127.0.0.1";
  const idleTimeout = opts.idleTimeoutSeconds ?? 90;
  if (idleTimeout <= MAX_WAIT_SECONDS) {
    throw new RangeError(`idleTimeoutSeconds must exceed the longest long-poll (${MAX_WAIT_SECONDS} s)`);
  }
  const server = Bun.serve({
    hostname: host,
    port: opts.port ?? 8000,
    idleTimeout,
    fetch: (req) => opts.app.fetch(req),
  });
  const port = server.port ?? 0;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    async stop() {
      await server.stop(true);
    },
  };
}
