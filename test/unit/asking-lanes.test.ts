// AskingLanes: lanes asking follow the measured run time; parked lanes wake when wanted, and end when the worker stops.
import { expect, test } from "bun:test";
import { AskingLanes } from "../../src/workers/asking-lanes.ts";
import { HOLD_MS, measuredHold } from "../../src/workers/remote-worker.ts";

/** Lanes against the measured hold a WorkerBase has (threads × (1 + held per thread)); `ran` is a task ending. */
function measured(threads: number, queue: number) {
  const hold = measuredHold(queue);
  const wanted = () => threads * (1 + (hold?.jobs() ?? 0));
  const lanes = new AskingLanes(wanted);
  const ran = (ms: number) => {
    hold?.observe(ms);
    lanes.wake();
  };
  return { lanes, wanted, ran };
}

test("2 lanes per thread ask before any task ended; short tasks wake parked ones up to 1 + queue; long ones park them at their next finish", async () => {
  const { lanes, wanted, ran } = measured(1, 3);
  expect([lanes.engage(), lanes.engage(), lanes.engage(), lanes.engage()]).toEqual([true, true, false, false]);
  const woken = [lanes.parked(), lanes.parked()];
  ran(0.5); // 20 ms of 0.5 ms tasks: more than 3 held, so all 4 lanes
  expect(await Promise.all(woken)).toEqual([true, true]);
  expect(wanted()).toBe(4);
  expect(lanes.disengage()).toBe(false);
  for (let i = 0; i < 40; i++) ran(HOLD_MS * 5); // long tasks: one held per thread
  expect(wanted()).toBe(2);
  expect([lanes.disengage(), lanes.disengage(), lanes.disengage()]).toEqual([true, true, false]);
});

test("queue 0: one lane per thread, none parks; stop ends parked lanes and any that would park later", async () => {
  const { lanes: none, ran } = measured(2, 0);
  expect([none.engage(), none.engage(), none.engage()]).toEqual([true, true, false]);
  ran(1000);
  expect(none.disengage()).toBe(false);
  const parked = none.parked();
  none.stop();
  expect(await parked).toBe(false);
  expect(await none.parked()).toBe(false);
});
