/** Keeping `faas up`'s children running: a child that exits while the supervisor is not shutting down is started again. */
import type { Log } from "../log.ts";

/** Something the supervisor can watch and stop: a role process or the managed Redis. */
export interface Supervised {
  /** Resolves with the exit code (or signal name) when it ends. */
  readonly exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** Options of {@link Supervisor}. */
export interface SupervisorOptions {
  log: Log;
  /** Wait before the first restart attempt, in ms; it doubles after each failed attempt. Default: 500. */
  firstDelayMs?: number;
  /** Longest wait between restart attempts, in ms. Default: 10000. */
  maxDelayMs?: number;
}

/** Starts named children and restarts each one that dies, until {@link Supervisor.shutdown}. */
export class Supervisor {
  private readonly current = new Map<string, Supervised>();
  private down = false;

  constructor(private readonly opts: SupervisorOptions) {}

  /** True once shutting down: no more restarts. */
  get stopping(): boolean {
    return this.down;
  }

  /**
   * Start `name` with `start` and start it again (with `start`, after a backoff) whenever it exits.
   * Resolves with the first instance; rejects when that one does not start.
   */
  async keep<T extends Supervised>(name: string, start: () => Promise<T>): Promise<T> {
    const child = await start();
    this.current.set(name, child);
    void child.exited.then(async (code) => {
      if (this.down || this.current.get(name) !== child) return;
      this.opts.log.error(`${name} exited (${code}); starting it again`);
      const max = this.opts.maxDelayMs ?? 10_000;
      for (let delay = this.opts.firstDelayMs ?? 500; !this.down; delay = Math.min(delay * 2, max)) {
        await Bun.sleep(delay);
        if (this.down) return;
        try {
          const next = await this.keep(name, start);
          if (this.down) {
            await next.stop();
            return;
          }
          this.opts.log.info(`${name} started again`);
          return;
        } catch (err) {
          this.opts.log.error(`restarting ${name} failed`, { err: (err as Error).message });
        }
      }
    });
    return child;
  }

  /** The current instance of `name`, if started. */
  get(name: string): Supervised | undefined {
    return this.current.get(name);
  }

  /** Stop restarting anything. */
  shutdown(): void {
    this.down = true;
  }

  /** Stop the current instance of `name` (call {@link shutdown} first, or it is restarted). */
  async stop(name: string): Promise<void> {
    await this.current.get(name)?.stop();
  }
}
