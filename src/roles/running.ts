/** The handle every role returns: something that can be stopped cleanly. */

/** A started role. */
export interface Running {
  /** Stop serving, finish or hand back in-flight work, close connections. */
  stop(): Promise<void>;
}
