/** Gives Bun's `diagnostics_channel` TracingChannel the `hasSubscribers` getter Node has, so ioredis skips tracing. */
import dc from "node:diagnostics_channel";

/**
 * ioredis 6 wraps every command in `tracingChannel.tracePromise` unless `channel.hasSubscribers === false`. Node
 * has that getter (Node 22+); Bun 1.4 does not, so without this shim every command pays for argument sanitizing
 * and an extra promise even though nobody listens. The getter answers as Node's does: true when any of the five
 * sub-channels has a subscriber. Installing it is idempotent and does nothing on runtimes that already have it.
 */
export function installTracingChannelShim(): void {
  const probe = dc.tracingChannel("bunfaas:probe");
  if ("hasSubscribers" in probe) return;
  Object.defineProperty(Object.getPrototypeOf(probe), "hasSubscribers", {
    configurable: true,
    get(this: { start: dc.Channel; end: dc.Channel; asyncStart: dc.Channel; asyncEnd: dc.Channel; error: dc.Channel }) {
      return this.start.hasSubscribers || this.end.hasSubscribers || this.asyncStart.hasSubscribers ||
        this.asyncEnd.hasSubscribers || this.error.hasSubscribers;
    },
  });
}
