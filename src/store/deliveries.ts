import type { Engine } from "./database-url.js";
import type { Prisma } from "./database.js";
import type { DeliveryWriter } from "./delivery-writer.js";

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
 * Leases up to `limit` deliveries that no live worker holds, oldest first. A lease that ran out (its worker crashed)
 * is taken over. On PostgreSQL, SKIP LOCKED lets replicas claim disjoint batches; SQLite has one writer at a time.
 */
export async function claimDeliveries(prisma: Prisma, engine: Engine, limit: number, leaseMs: number, now = new Date()): Promise<StoredDelivery[]> {
  const until = new Date(now.getTime() + leaseMs);
  const rows =
    engine === "postgresql"
      ? await prisma.$queryRaw<StoredDelivery[]>`UPDATE "Delivery" SET "lockedUntil" = ${until}, "attempts" = "attempts" + 1
          WHERE "id" IN (SELECT "id" FROM "Delivery" WHERE "deadAt" IS NULL AND ("lockedUntil" IS NULL OR "lockedUntil" < ${now})
                         ORDER BY "receivedAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING "id", "name", "payload", "attempts"`
      : await prisma.$queryRaw<StoredDelivery[]>`UPDATE "Delivery" SET "lockedUntil" = ${until}, "attempts" = "attempts" + 1
          WHERE "id" IN (SELECT "id" FROM "Delivery" WHERE "deadAt" IS NULL AND ("lockedUntil" IS NULL OR "lockedUntil" < ${now})
                         ORDER BY "receivedAt" LIMIT ${limit})
          RETURNING "id", "name", "payload", "attempts"`;
  return rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
}

export async function completeDelivery(prisma: Prisma, id: string): Promise<void> {
  await prisma.delivery.deleteMany({ where: { id } });
}

/** A failed attempt: retried at `retryAt`, or kept as dead (with its error) once it has failed too often. */
export async function failDelivery(prisma: Prisma, id: string, error: string, outcome: { retryAt: Date } | { dead: Date }): Promise<void> {
  await prisma.delivery.updateMany({
    where: { id },
    data: "dead" in outcome ? { lastError: error, deadAt: outcome.dead, lockedUntil: null } : { lastError: error, lockedUntil: outcome.retryAt },
  });
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
