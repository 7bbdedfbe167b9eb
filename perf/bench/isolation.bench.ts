/** mitata benches of executor hygiene: the realm snapshot check and the timer check a thread runs per task. */
import { bench, group } from "mitata";
import { takeRealmSnapshot } from "../../src/workers/realm-snapshot.ts";
import { trackTimers } from "../../src/workers/timer-tracker.ts";

// Measured in this (main) thread: a worker thread's realm has the same built-ins and a few fewer globals.
const timers = trackTimers();
const snapshot = takeRealmSnapshot();

group("isolation", () => {
  // Compare every watched object and property with the snapshot (what a thread does before each job).
  bench(`realm check (${snapshot.size.objects} objects, ${snapshot.size.properties} properties)`, () => {
    if (snapshot.changed() !== null) throw new Error("realm changed");
  });
  // A task that made no timer: the end-of-task timer check.
  bench("timer check, no timers", () => {
    timers.begin();
    if (timers.active() !== 0) throw new Error("timer left");
  });
  // A task that set one timeout and cleared it: wrapper cost plus the check.
  bench("timer check, one timeout set and cleared", () => {
    timers.begin();
    clearTimeout(setTimeout(() => {}, 1000));
    if (timers.active() !== 0) throw new Error("timer left");
  });
});
