import type { Engine } from "./database-url.js";
import type { Prisma } from "./database.js";

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
