import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { retryFrom, unlocked, type LeasedTable } from "./lease.js";

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
  // A copy without the links, then a plain stringify: JSON.stringify calling a replacer for every key and value cost
  // more CPU per delivery on the request path (an issue_comment's parse and strip: ~43-49 µs against ~38-40 µs).
  return JSON.stringify(withoutApiLinks(payload));
}

function withoutApiLinks(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(withoutApiLinks);
  // What JSON.stringify turns into something else (a Date in a test's payload); a parsed body has none.
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  const object = value as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  // for...in rather than Object.entries (no array of pairs per object): a parsed object inherits no enumerable key.
  for (const key in object) {
    if (key.endsWith("_url") && key !== "html_url") continue;
    // JSON.parse makes "__proto__" an own key; assigned, it would set the copy's prototype and leave the stored JSON.
    if (key === "__proto__")
      Object.defineProperty(kept, key, { value: withoutApiLinks(object[key]), enumerable: true });
    else kept[key] = withoutApiLinks(object[key]);
  }
  return kept;
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
  ready: (now) =>
    Sql.sql`"deadAt" IS NULL AND "lockedBy" IS NULL AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${now})`,
  held: Sql.sql`"lockedBy" IS NOT NULL AND "deadAt" IS NULL`,
  order: Sql.sql`"receivedAt"`,
  onClaim: () => Sql.sql`"attempts" = "attempts" + 1`,
  onRelease: Sql.sql`"attempts" = "attempts" - 1`,
  waiting: () => Sql.sql`"deadAt" IS NULL AND "lockedBy" IS NULL`,
  dead: Sql.sql`"deadAt" IS NOT NULL`,
  // The handlers run it again (after the fix that was missing): a delivery of a purged installation is still dropped.
  revive: () => Sql.sql`"deadAt" = NULL, "attempts" = 0, ${unlocked()}`,
};

/** What a claim returns of a delivery besides its id. */
export const CLAIMED_DELIVERY = Sql.sql`"name", "payload", "attempts"`;

export function storedDelivery(row: {
  key: string;
  name: string;
  payload: string;
  attempts: number | bigint;
}): StoredDelivery {
  return { id: row.key, name: row.name, payload: row.payload, attempts: Number(row.attempts) };
}

/** A failed attempt's outcome: tried again at `retryAt`, or kept as dead for `closeloop status`. */
export function deliveryFailed(error: string, outcome: { retryAt: Date } | { dead: Date }): Sql.Sql {
  return "dead" in outcome
    ? Sql.sql`${unlocked()}, "deadAt" = ${outcome.dead}, "lastError" = ${error}`
    : Sql.sql`${retryFrom(outcome.retryAt)}, "lastError" = ${error}`;
}

export interface DeliveryBacklog {
  waiting: number;
  dead: { id: string; name: string; attempts: number; lastError: string | null; deadAt: Date | null }[];
}

export async function deliveryBacklog(prisma: Prisma): Promise<DeliveryBacklog> {
  const [waiting, dead] = await Promise.all([
    prisma.delivery.count({ where: { deadAt: null } }),
    prisma.delivery.findMany({
      where: { deadAt: { not: null } },
      orderBy: { deadAt: "desc" },
      take: 20,
      select: { id: true, name: true, attempts: true, lastError: true, deadAt: true },
    }),
  ]);
  return { waiting, dead };
}

/**
 * How long a dead delivery is kept for `closeloop status` and `closeloop retry` (README, Retention). It holds the
 * comment or message text it carried, so it is not kept for ever.
 */
export const DEAD_DELIVERY_RETENTION_MS = 30 * 24 * 60 * 60_000;

/** Deletes the deliveries that died more than DEAD_DELIVERY_RETENTION_MS before `now`; any replica may, any time. */
export async function purgeExpiredDeliveries(prisma: Prisma, now: Date): Promise<number> {
  const before = new Date(now.getTime() - DEAD_DELIVERY_RETENTION_MS);
  return (await prisma.delivery.deleteMany({ where: { deadAt: { lt: before } } })).count;
}

/**
 * Deletes the dead GitHub deliveries of an uninstalled installation. The installation is named only inside the
 * payload; dead deliveries are few (kept 30 days), so they are read and matched here rather than indexed on every
 * insert. Live ones are dropped when the worker reaches them (src/handlers/installations.ts).
 */
export async function purgeInstallationDeliveries(prisma: Prisma, installationId: bigint): Promise<number> {
  const dead = await prisma.delivery.findMany({
    where: { deadAt: { not: null }, NOT: { name: { startsWith: "helpdesk." } } },
    select: { id: true, payload: true },
  });
  const ids = dead.filter((row) => payloadInstallation(row.payload) === installationId).map((row) => row.id);
  if (ids.length === 0) return 0;
  return (await prisma.delivery.deleteMany({ where: { id: { in: ids } } })).count;
}

function payloadInstallation(payload: string): bigint | undefined {
  try {
    const id = (JSON.parse(payload) as { installation?: { id?: unknown } }).installation?.id;
    return typeof id === "number" ? BigInt(id) : undefined;
  } catch {
    return undefined;
  }
}
