import { expect, test } from "bun:test";
import dc from "node:diagnostics_channel";
import { installTracingChannelShim } from "../../src/store/tracing-channel-shim.ts";

test("a tracing channel reports hasSubscribers === false until someone subscribes (ioredis then skips tracing)", () => {
  installTracingChannelShim();
  installTracingChannelShim(); // idempotent
  const ch = dc.tracingChannel("bunfaas:test-shim");
  expect((ch as unknown as { hasSubscribers: unknown }).hasSubscribers).toBe(false);
  const handlers = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };
  ch.subscribe(handlers);
  expect((ch as unknown as { hasSubscribers: unknown }).hasSubscribers).toBe(true);
  ch.unsubscribe(handlers);
  expect((ch as unknown as { hasSubscribers: unknown }).hasSubscribers).toBe(false);
});
