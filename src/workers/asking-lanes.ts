/** AskingLanes: how many of a pull worker's lanes ask for work, as many as its measured work wants; the rest wait parked. */

/**
 * Counts the lanes that ask or hold a task ("engaged") against those wanted (`wanted()`: the worker's
 * `WorkerBase.wantedSlots`, from its tasks' measured run time). A lane that may not ask waits in {@link parked}
 * until {@link wake} finds it wanted, or the worker stops.
 */
export class AskingLanes {
  readonly #wanted: () => number;
  #engaged = 0;
  #stopped = false;
  /** Wakes of parked lanes (true: ask again, counted as engaged; false: stopping). */
  readonly #wakes: ((ask: boolean) => void)[] = [];

  /** @param wanted - how many lanes should be asking now. */
  constructor(wanted: () => number) {
    this.#wanted = wanted;
  }

  /** A lane wants to ask: true (counted) when fewer than wanted are engaged. */
  engage(): boolean {
    if (this.#engaged >= this.#wanted()) return false;
    this.#engaged++;
    return true;
  }

  /** A lane finished a task: true (no longer counted: it parks) when more than wanted are engaged. */
  disengage(): boolean {
    if (this.#engaged <= this.#wanted()) return false;
    this.#engaged--;
    return true;
  }

  /** Wait parked until wanted (true, counted as engaged) or stopping (false). */
  parked(): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    return new Promise((resolve) => this.#wakes.push(resolve));
  }

  /** A task ended (the wanted count may have grown): wake parked lanes while more are wanted. */
  wake(): void {
    while (this.#wakes.length > 0 && this.#engaged < this.#wanted()) {
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
