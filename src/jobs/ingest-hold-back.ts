/**
 * True while a burst of webhooks is arriving: one arrived within the last `quietMs` (the server's
 * DeliveryInbox.receiving; unset, its own short quiet). With `requestsBegun`, a GitHub delivery counts from the start
 * of its request, before its body is read and its signature checked.
 */
export type IngestActive = (quietMs?: number, requestsBegun?: boolean) => boolean;

/**
 * How a worker holds back when each of its steps costs more than a request does (a backfill's page, an impact count,
 * an issue's label writes). Its quiet is no webhook for half a second: on a loaded machine the pauses within a burst
 * (a client between its requests) last tens of milliseconds, longer than the delivery worker's quiet, and a step
 * started in one runs on beside the rest of the burst. It counts a GitHub delivery from the start of its request: a
 * burst's first requests take 50-130 ms to be read and verified, time a step started then would take from them. The
 * price: requests with GitHub's headers and a bad signature hold these workers back too, up to their backstop at a
 * time; they delay nothing else and lose nothing (DeliveryInbox.receiving). The delivery worker keeps the short quiet
 * and counts stored deliveries only: it takes the burst right after, and no unsigned request can delay it.
 */
export const COSTLY_STEP = { quietMs: 500, requestsBegun: true } as const;

export interface IngestHoldBackOptions {
  /** true while a burst of webhooks is arriving (the server's DeliveryInbox.receiving); none: never holds back */
  ingestActive?: IngestActive;
  /** how long no webhook must have arrived for the burst to be over; unset, `ingestActive`'s own */
  quietMs?: number;
  /** whether a GitHub delivery counts from the start of its request, before it is verified (COSTLY_STEP) */
  requestsBegun?: boolean;
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
  readonly #requestsBegun: boolean;
  readonly #yieldMs: number;
  readonly #maxHoldMs: number;
  readonly #now: () => number;
  /** when the current run of looks that all saw a burst began */
  #heldSince: number | undefined;

  constructor(options: IngestHoldBackOptions = {}) {
    this.#ingestActive = options.ingestActive;
    this.#quietMs = options.quietMs;
    this.#requestsBegun = options.requestsBegun ?? false;
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
      if (stopped() || !ingestActive(this.#quietMs, this.#requestsBegun)) {
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
