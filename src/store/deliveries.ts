import type { Prisma } from "./database.js";
import type { DeliveryWriter } from "./delivery-writer.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import type { LeasedTable } from "./lease.js";

export interface StoredDelivery {
  id: string;
  name: string;
  payload: string;
  attempts: number;
}

export interface IncomingDelivery {
  id: string;
  name: string;
  payload: string;
}

/**
 * A GitHub payload as the inbox keeps it: without the REST API's hypermedia links, the `*_url` keys at every depth
 * (`html_url`, the page a person opens, stays). They are about 70% of an `issue_comment` delivery's bytes and no
 * handler reads them; leaving them out makes each stored delivery a third of the size, and the insert on the request
 * path cheaper, most of all for PostgreSQL, which writes every byte to its WAL and TOAST. Handlers' tests receive
 * payloads through this too (test/support/github.ts), so a handler that came to need such a link would fail there.
 */
export function inboxPayload(payload: unknown): string {
  return JSON.stringify(payload, (key, value: unknown) => (key.endsWith("_url") && key !== "html_url" ? undefined : value));
}

/**
 * Group commit for the request path: deliveries arriving while a write is in flight are written together by the
 * next one, so a burst costs one commit per batch instead of one per request, and an idle server writes at once.
 * Each caller's promise settles when its delivery is committed (or the write failed: GitHub then sees a 500 and
 * redelivers).
 */
export class DeliveryInbox {
  #waiting: { delivery: IncomingDelivery; settle: (error?: unknown) => void }[] = [];
  #writing = false;
  #lastArrival = -Infinity;
  /** when the current run of arrivals (no gap longer than the window) began */
  #burstStartedAt = -Infinity;

  constructor(
    private readonly writer: DeliveryWriter,
    private readonly onStored: () => void,
    private readonly maxBatch = 200,
  ) {}

  /**
   * Deliveries are arriving in a burst: one arrived within the last `windowMs`, and the run of arrivals began less than
   * `maxBurstMs` ago. The worker holds back during a burst so requests are answered first; a stream that goes on
   * longer than that is not a burst, and is processed at full speed so the inbox cannot grow without end.
   */
  receiving(windowMs = 20, maxBurstMs = 10_000, now = performance.now()): boolean {
    return now - this.#lastArrival < windowMs && now - this.#burstStartedAt < maxBurstMs;
  }

  /** Notes an arrival at `now` (`store` does), for `receiving`. */
  arrived(now = performance.now(), windowMs = 20): void {
    if (now - this.#lastArrival >= windowMs) this.#burstStartedAt = now;
    this.#lastArrival = now;
  }

  store(delivery: IncomingDelivery): Promise<void> {
    this.arrived();
    return new Promise((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the write's error, passed on as it was thrown
      this.#waiting.push({ delivery, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      if (this.#writing) return;
      // The write starts on the next turn of the event loop, so requests read in this turn join it. SQLite's write is
      // synchronous: started at once, every request would commit alone (P1 on SQLite: 0.79x of the bare app's
      // events/s that way, 0.88-0.95x batched; PostgreSQL, whose write is asynchronous anyway, is unchanged).
      this.#writing = true;
      setImmediate(() => void this.#write());
    });
  }

  async #write(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.maxBatch);
      // The same delivery twice in one batch would be one conflicting row in one statement: keep the first.
      const unique = [...new Map(batch.map((entry) => [entry.delivery.id, entry.delivery])).values()];
      try {
        const stored = await this.writer.write(unique, new Date());
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
 * The inbox as a leased table (src/store/lease.ts). A delivery nobody holds waits until `lockedUntil` when a failed
 * attempt set it; a held one is taken over when its lease ran out (its worker crashed). Handled deliveries are
 * deleted; dead ones stay for `closeloop status`.
 */
export const DELIVERIES: LeasedTable = {
  kind: "delivery inbox",
  table: "Delivery",
  key: "id",
  lockedBy: "lockedBy",
  lockedUntil: "lockedUntil",
  ready: (now) => Sql.sql`"deadAt" IS NULL AND "lockedBy" IS NULL AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${now})`,
  held: Sql.sql`"lockedBy" IS NOT NULL AND "deadAt" IS NULL`,
  order: Sql.sql`"receivedAt"`,
  onClaim: () => Sql.sql`"attempts" = "attempts" + 1`,
  onRelease: Sql.sql`"attempts" = "attempts" - 1`,
};

/** What a claim returns of a delivery besides its id. */
export const CLAIMED_DELIVERY = Sql.sql`"name", "payload", "attempts"`;

export function storedDelivery(row: { key: string; name: string; payload: string; attempts: number | bigint }): StoredDelivery {
  return { id: row.key, name: row.name, payload: row.payload, attempts: Number(row.attempts) };
}

/** A failed attempt's outcome: tried again at `retryAt`, or kept as dead for `closeloop status`. */
export function deliveryFailed(error: string, outcome: { retryAt: Date } | { dead: Date }): Sql.Sql {
  return "dead" in outcome
    ? Sql.sql`"lockedBy" = NULL, "lockedUntil" = NULL, "deadAt" = ${outcome.dead}, "lastError" = ${error}`
    : Sql.sql`"lockedBy" = NULL, "lockedUntil" = ${outcome.retryAt}, "lastError" = ${error}`;
}

export interface DeliveryBacklog {
  waiting: number;
  dead: { id: string; name: string; attempts: number; lastError: string | null; deadAt: Date | null }[];
}

export async function deliveryBacklog(prisma: Prisma): Promise<DeliveryBacklog> {
  const [waiting, dead] = await Promise.all([
    prisma.delivery.count({ where: { deadAt: null } }),
    prisma.delivery.findMany({ where: { deadAt: { not: null } }, orderBy: { deadAt: "desc" }, take: 20, select: { id: true, name: true, attempts: true, lastError: true, deadAt: true } }),
  ]);
  return { waiting, dead };
}
