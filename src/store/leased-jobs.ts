import type { Engine } from "./database-url.js";
import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/**
 * The tables of helpdesk jobs run by the reopen worker's provider queues. They share the lease columns: `state`
 * (pending | running | done | dead), `attempts`, `lockedBy`, `lockedUntil`, `nextAttemptAt`, `lastError`,
 * `lastStatus`, `updatedAt`, `finishedAt`, and `provider`. Claims, renewals and settling are the same for each.
 */
export type JobTable = "ReopenJob" | "EnrichJob";

export interface JobFailure {
  error: string;
  status?: number | undefined;
}

const table = (name: JobTable) => Sql.raw(`"${name}"`);
const ids = (list: readonly number[]) => Sql.join(list.map((id) => Sql.sql`${id}`));

/**
 * Leases up to `limit` of the provider's jobs that are due, or whose lease ran out (their worker died), oldest due
 * first, for `owner`; returns their ids. On PostgreSQL, SKIP LOCKED lets replicas claim disjoint batches; SQLite has
 * one writer at a time.
 */
export async function claimLeased(
  prisma: Prisma,
  engine: Engine,
  name: JobTable,
  claim: { provider: string; limit: number; leaseMs: number; owner: string },
  now = new Date(),
): Promise<number[]> {
  if (claim.limit <= 0) return [];
  const due = Sql.sql`"provider" = ${claim.provider} AND (("state" = 'pending' AND "nextAttemptAt" <= ${now}) OR ("state" = 'running' AND "lockedUntil" < ${now}))`;
  // A read first: an idle worker polls, and on SQLite an UPDATE takes the write lock even when it matches nothing.
  const claimable = await prisma.$queryRaw<unknown[]>`SELECT 1 FROM ${table(name)} WHERE ${due} LIMIT 1`;
  if (claimable.length === 0) return [];
  const until = new Date(now.getTime() + claim.leaseMs);
  const lock = engine === "postgresql" ? Sql.sql`FOR UPDATE SKIP LOCKED` : Sql.empty;
  const rows = await prisma.$queryRaw<{ id: number }[]>`UPDATE ${table(name)}
      SET "state" = 'running', "lockedBy" = ${claim.owner}, "lockedUntil" = ${until}, "attempts" = "attempts" + 1, "updatedAt" = ${now}
      WHERE "id" IN (SELECT "id" FROM ${table(name)} WHERE ${due} ORDER BY "nextAttemptAt", "id" LIMIT ${claim.limit} ${lock})
      RETURNING "id"`;
  return rows.map((row) => Number(row.id));
}

/** Extends the leases this owner still holds; returns the ids it no longer holds (taken over after an expiry). */
export async function renewLeased(prisma: Prisma, name: JobTable, owner: string, held: readonly number[], leaseMs: number, now = new Date()): Promise<number[]> {
  if (held.length === 0) return [];
  const rows = await prisma.$queryRaw<{ id: number }[]>`UPDATE ${table(name)} SET "lockedUntil" = ${new Date(now.getTime() + leaseMs)}
      WHERE "id" IN (${ids(held)}) AND "lockedBy" = ${owner} AND "state" = 'running' RETURNING "id"`;
  const still = new Set(rows.map((row) => Number(row.id)));
  return held.filter((id) => !still.has(id));
}

/** A retryable failure: back to pending until `retryAt`. False when the lease was lost meanwhile. */
export async function retryLeasedLater(prisma: Prisma, name: JobTable, id: number, owner: string, failure: JobFailure, retryAt: Date, now = new Date()): Promise<boolean> {
  const count = await prisma.$executeRaw`UPDATE ${table(name)}
      SET "state" = 'pending', "nextAttemptAt" = ${retryAt}, "lockedBy" = NULL, "lockedUntil" = NULL, "lastError" = ${failure.error}, "lastStatus" = ${failure.status ?? null}, "updatedAt" = ${now}
      WHERE "id" = ${id} AND "lockedBy" = ${owner} AND "state" = 'running'`;
  return count === 1;
}

/** A permanent failure, or too many: dead, keeping the reason. False when the lease was lost meanwhile. */
export async function killLeased(prisma: Prisma, name: JobTable, id: number, owner: string, failure: JobFailure, at = new Date()): Promise<boolean> {
  const count = await prisma.$executeRaw`UPDATE ${table(name)}
      SET "state" = 'dead', "finishedAt" = ${at}, "lockedBy" = NULL, "lockedUntil" = NULL, "lastError" = ${failure.error}, "lastStatus" = ${failure.status ?? null}, "updatedAt" = ${at}
      WHERE "id" = ${id} AND "lockedBy" = ${owner} AND "state" = 'running'`;
  return count === 1;
}

/** Jobs this owner claimed but never started (it is stopping): back to pending at once, the claim not counted. */
export async function releaseLeased(prisma: Prisma, name: JobTable, owner: string, held: readonly number[], now = new Date()): Promise<void> {
  if (held.length === 0) return;
  await prisma.$executeRaw`UPDATE ${table(name)} SET "state" = 'pending', "lockedBy" = NULL, "lockedUntil" = NULL, "attempts" = "attempts" - 1, "updatedAt" = ${now}
      WHERE "id" IN (${ids(held)}) AND "lockedBy" = ${owner} AND "state" = 'running'`;
}

export const JOB_STATES = ["pending", "running", "done", "dead"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A table's jobs of one provider, by state. */
export interface ProviderQueue {
  provider: string;
  pending: number;
  running: number;
  done: number;
  dead: number;
}

/** Prisma's `groupBy(["provider", "state"])` counts as one row per provider, by provider name. */
export function queuesByProvider(groups: readonly { provider: string; state: string; _count: { _all: number } }[]): ProviderQueue[] {
  const byProvider = new Map<string, ProviderQueue>();
  for (const group of groups) {
    const row = byProvider.get(group.provider) ?? { provider: group.provider, pending: 0, running: 0, done: 0, dead: 0 };
    if ((JOB_STATES as readonly string[]).includes(group.state)) row[group.state as JobState] += group._count._all;
    byProvider.set(group.provider, row);
  }
  return [...byProvider.values()].sort((a, b) => a.provider.localeCompare(b.provider));
}
