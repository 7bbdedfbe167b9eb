/** AskingLanes: how many of a pull worker's lanes ask for work, from its tasks' measured run time; the rest wait parked. */
import { WorkBudget } from "./work-budget.ts";

/**
 * Measured work a pull worker asks for per thread beyond the running task, in ms of its tasks' mean run time: tiny
 * tasks keep up to `queuePerThread` lanes per thread asking, long ones one.
 */
export const PULL_HOLD_MS = 20;

/**
 * Counts the lanes that ask or hold a task ("engaged") against those wanted: threads × (1 + tasks held per thread),
 * as many held as fit {@link PULL_HOLD_MS} of the mean run time, 1 to `queue` (1 before any task ended; none with
 * `queue` 0). A lane that may not ask waits in {@link parked} until a run time makes it wanted, or the worker stops.
 */
export class AskingLanes {
  readonly #threads: number;
  readonly #hold: WorkBudget | null;
  #engaged = 0;
  #stopped = false;
  /** Wakes of parked lanes (true: ask again, counted as engaged; false: stopping). */
  readonly #wakes: ((ask: boolean) => void)[] = [];

  /** @param queue - most tasks held per thread beyond the running one (the worker's lanes: threads × (1 + queue)). */
  constructor(threads: number, queue: number) {
    this.#threads = threads;
    this.#hold = queue > 0 ? new WorkBudget({ budgetMs: PULL_HOLD_MS, min: 1, max: queue, first: 1 }) : null;
  }

  /** Lanes that should be asking now. */
  wanted(): number {
    return this.#threads * (1 + (this.#hold?.jobs() ?? 0));
  }

  /** A lane wants to ask: true (counted) when fewer than wanted are engaged. */
  engage(): boolean {
    if (this.#engaged >= this.wanted()) return false;
    this.#engaged++;
    return true;
  }

  /** A lane finished a task: true (no longer counted: it parks) when more than wanted are engaged. */
  disengage(): boolean {
    if (this.#engaged <= this.wanted()) return false;
    this.#engaged--;
    return true;
  }

  /** Wait parked until wanted (true, counted as engaged) or stopping (false). */
  parked(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.#wakes.push(resolve));
  }

  /** A task ran for `ms`: when more lanes are wanted now, wake parked ones. */
  ran(ms: number): void {
    if (this.#hold === null) return;
    this.#hold.observe(ms);
    while (this.#wakes.length > 0 && this.#engaged < this.wanted()) {
      this.#engaged++;
      this.#wakes.shift()!(true);
    }
  }

  /** The worker stops: every parked lane ends, and none parks from now on. */
  stop(): void {
    this.#stopped = true;
    for (const wake of this.#wakes.splice(0)) wake(false);
  }
}
