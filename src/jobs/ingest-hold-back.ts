/**
 * True while a burst of webhooks is arriving: one arrived within the last `quietMs` (the server's
 * DeliveryInbox.receiving; unset, its own short quiet).
 */
export type IngestActive = (quietMs?: number) => boolean;

/**
 * The quiet a worker waits for when each of its steps costs more than a request does (a backfill's page, an impact
 * count, an issue's label writes): no webhook for half a second. On a loaded machine the pauses within a burst (a
 * client between its requests) last tens of milliseconds, longer than the delivery worker's quiet, and a step started
 * in one runs on beside the rest of the burst. The delivery worker keeps the short quiet: it takes the burst right after.
 */
export const COSTLY_STEP_QUIET_MS = 500;

export interface IngestHoldBackOptions {
  /** true while a burst of webhooks is arriving (the server's DeliveryInbox.receiving); none: never holds back */
  ingestActive?: IngestActive;
  /** how long no webhook must have arrived for the burst to be over; unset, `ingestActive`'s own */
  quietMs?: number;
  /** how long to wait before looking again while held back */
  yieldMs?: number;
  /**
   * the backstop: held back this long without one quiet look, the worker runs anyway (and keeps running until it sees a
   * quiet moment), so a stream that never pauses long enough cannot starve it
   */
  maxHoldMs?: number;
  /** the clock the backstop reads; tests pass their own */
  now?: () => number;
}

/**
 * Holds a background worker back while webhooks arrive in a burst, so the requests get the CPU and the database first
 * and the work they stored is done right after (#25, P1). One per worker: each keeps its own backstop.
 */
export class IngestHoldBack {
  readonly #ingestActive: IngestActive | undefined;
  readonly #quietMs: number | undefined;
  readonly #yieldMs: number;
  readonly #maxHoldMs: number;
  readonly #now: () => number;
  /** when the current run of looks that all saw a burst began */
  #heldSince: number | undefined;

  constructor(options: IngestHoldBackOptions = {}) {
    this.#ingestActive = options.ingestActive;
    this.#quietMs = options.quietMs;
    this.#yieldMs = options.yieldMs ?? 50;
    this.#maxHoldMs = options.maxHoldMs ?? 10_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Resolves once no burst is arriving, the backstop ran out, or `stopped()` is true. */
  async wait(stopped: () => boolean = () => false): Promise<void> {
    const ingestActive = this.#ingestActive;
    if (ingestActive === undefined) return;
    for (;;) {
      // Look after this turn's socket reads: called from a timer (the event loop's timers phase), the requests that
      // arrived during a short pause are not read yet, and on a loaded machine any pause would end the burst.
      await new Promise((resolve) => setImmediate(resolve));
      if (stopped() || !ingestActive(this.#quietMs)) {
        this.#heldSince = undefined;
        return;
      }
      const now = this.#now();
      this.#heldSince ??= now;
      if (now - this.#heldSince >= this.#maxHoldMs) return;
      await new Promise((resolve) => setTimeout(resolve, this.#yieldMs));
    }
  }
}
