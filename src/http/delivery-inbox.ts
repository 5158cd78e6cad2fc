import type { IncomingDelivery } from "../store/deliveries.js";
import type { DeliveryWriter } from "../store/delivery-writer.js";
import { inboxCommits } from "../metrics.js";

/**
 * Group commit for the request path: deliveries arriving while a write is in flight are written together by the
 * next one, so a burst costs one commit per batch instead of one per request, and an idle server writes at once.
 * Each caller's promise settles when its delivery is committed (or the write failed: GitHub then sees a 500 and
 * redelivers).
 */
export class DeliveryInbox {
  #waiting: { delivery: IncomingDelivery; settle: (error?: unknown) => void }[] = [];
  #writing = false;
  /** deliveries stored (`store`): what the delivery worker waits on */
  #stored = new Arrivals();
  /** those, and GitHub deliveries whose body is still being read (`begun`): what the costly steps wait on */
  #begun = new Arrivals();
  /** when the delivery before the last one was stored (`store`), to tell a burst's pace */
  #previousStore = -Infinity;
  #lastStore = -Infinity;

  constructor(
    private readonly writer: DeliveryWriter,
    private readonly onStored: () => void,
    private readonly maxBatch = 200,
    private readonly commitDelayMs = COMMIT_DELAY_MS,
  ) {}

  /**
   * Deliveries are arriving in a burst: one arrived within the last `quietMs`, and the run of arrivals (none more than
   * `quietMs` after the one before) began less than `maxBurstMs` ago. The delivery worker holds back during a burst so
   * requests are answered first, and takes the burst right after, so its quiet is short; a worker whose every step
   * costs more than a request (a backfill's page) asks for a longer one, so the pauses within a burst (a loaded client
   * between its requests) are not taken for its end. A run that goes on longer than `maxBurstMs` is not a burst but a
   * stream, and is processed at full speed so the inbox cannot grow without end.
   *
   * With `requestsBegun`, a GitHub delivery counts from the moment its request began (`begun`), before its body is
   * read and its signature checked, so a costly step does not start in a burst's first 50-130 ms. The headers that
   * mark a delivery are not signed: a flood of unsigned requests carrying them holds those workers back (up to their
   * backstop, `maxHoldMs`, at a time) and delays nothing else, loses nothing, and costs the server what it costs
   * already (each request is read and its signature checked). The delivery worker does not ask: only deliveries
   * stored hold it back, so no unsigned request can delay a signed one's processing.
   */
  receiving(quietMs = 20, requestsBegun = false, maxBurstMs = 10_000, now = performance.now()): boolean {
    return (requestsBegun ? this.#begun : this.#stored).within(quietMs, maxBurstMs, now);
  }

  /** Notes a delivery's arrival at `now` (`store` does), for `receiving`. */
  arrived(now = performance.now()): void {
    this.#stored.note(now);
    this.#begun.note(now);
  }

  /**
   * Notes that a request carrying GitHub's delivery headers began at `now`, its body not read yet: for `receiving`
   * with `requestsBegun` only.
   */
  begun(now = performance.now()): void {
    this.#begun.note(now);
  }

  store(delivery: IncomingDelivery): Promise<void> {
    const now = performance.now();
    this.arrived(now);
    this.#previousStore = this.#lastStore;
    this.#lastStore = now;
    return new Promise((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the write's error, passed on as it was thrown
      this.#waiting.push({ delivery, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (this.#writing) return;
      // The write starts on the next turn of the event loop, so requests read in this turn join it. SQLite's write is
      // synchronous: started at once, every request would commit alone (P1 on SQLite: 0.79x of the bare app's
      // events/s that way, 0.88-0.95x batched; PostgreSQL, whose write is asynchronous anyway, is unchanged).
      this.#writing = true;
      void this.#nextTurn().then(() => this.#write());
    });
  }

  /**
   * Waits for the next write: the next turn of the event loop, or while deliveries arrive closer together than
   * `commitDelayMs`, that long, so more of them share the commit.
   */
  #nextTurn(): Promise<unknown> {
    const dense = this.#lastStore - this.#previousStore < this.commitDelayMs;
    return new Promise((resolve) => (dense ? setTimeout(resolve, this.commitDelayMs) : setImmediate(resolve)));
  }

  async #write(): Promise<void> {
    for (let first = true; this.#waiting.length > 0; first = false) {
      // After a write, one more turn before the next: its answer came in the poll phase, and requests that arrived in
      // that same phase are read after it. Taking the batch at once left them for a write of their own (PostgreSQL,
      // where a commit costs ~400 µs of server CPU: 657 INSERTs per 2,000 deliveries that way, 454 with the turn).
      if (!first) await this.#nextTurn();
      const batch = this.#waiting.splice(0, this.maxBatch);
      // The same delivery twice in one batch would be one conflicting row in one statement: keep the first.
      const unique = [...new Map(batch.map((entry) => [entry.delivery.id, entry.delivery])).values()];
      try {
        const stored = await this.writer.write(unique, new Date());
        inboxCommits.inc();
        for (const entry of batch) entry.settle();
        if (stored > 0) this.onStored();
      } catch (error) {
        for (const entry of batch) entry.settle(error);
      }
    }
    this.#writing = false;
  }
}

/**
 * How long a commit waits for more deliveries while they arrive closer together than this. At P1's pace (about 2,000
 * deliveries a second, 16 in flight) a commit on SQLite then takes 3.3 deliveries instead of 2.1 (its pages and locks
 * are written once per commit: closeloop's CPU per delivery 390 µs instead of 440), on PostgreSQL 4.3 instead of 3.2
 * (the server's CPU per delivery 87 µs instead of 101); the price is a millisecond more per request during a burst.
 */
export const COMMIT_DELAY_MS = 1;

/** When arrivals came: the last, and for each quiet window asked about, when its current run of arrivals began. */
class Arrivals {
  #last = -Infinity;
  /** for each quiet window asked about, when the current run of arrivals with no gap that long began */
  #runStarts = new Map<number, number>();

  within(quietMs: number, maxBurstMs: number, now: number): boolean {
    let startedAt = this.#runStarts.get(quietMs);
    // A window asked about for the first time: its run is taken to begin at the last arrival.
    if (startedAt === undefined) this.#runStarts.set(quietMs, (startedAt = this.#last));
    return now - this.#last < quietMs && now - startedAt < maxBurstMs;
  }

  note(now: number): void {
    for (const quietMs of this.#runStarts.keys()) if (now - this.#last >= quietMs) this.#runStarts.set(quietMs, now);
    this.#last = now;
  }
}
