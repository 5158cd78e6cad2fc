import type { Engine } from "../config/database-url.js";
import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { claimLeases, unlocked, updateLeased, type Holder, type LeasedTable } from "./lease.js";

/** The one LabelSweep row: the decay sweep's schedule, lease and last figures. */
export const SWEEP_ROW = 1;
const ROW = SWEEP_ROW;

/** The last sweep, for `closeloop status`. */
export interface SweepRecord {
  /** the replica sweeping now, if one is */
  runningSince: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  issues: number;
  links: number;
  changed: number;
  error: string | null;
  nextRunAt: Date;
}

export interface SweepFinish {
  issues: number;
  links: number;
  changed: number;
  durationMs: number;
  error: string | null;
  nextRunAt: Date;
}

async function ensureRow(prisma: Prisma, now: Date): Promise<void> {
  await prisma.$executeRaw`INSERT INTO "LabelSweep" ("id", "nextRunAt") VALUES (${ROW}, ${now}) ON CONFLICT ("id") DO NOTHING`;
}

/** The decay sweep's one row as a leased table: one replica sweeps at a time. */
export const SWEEPS: LeasedTable = {
  kind: "label sweep",
  table: "LabelSweep",
  key: "id",
  ready: (now) => Sql.sql`"lockedBy" IS NULL AND "nextRunAt" <= ${now}`,
  held: Sql.sql`"lockedBy" IS NOT NULL`,
  order: Sql.sql`"id"`,
  onClaim: (now) => Sql.sql`"startedAt" = ${now}`,
  waiting: (now) => Sql.sql`"lockedBy" IS NULL AND "nextRunAt" <= ${now}`,
  // A failed sweep brings the next one forward instead (docs/labels.md).
  dead: null,
  revive: null,
};

/**
 * Takes the sweep's lease for `holder` when a sweep is due and no other replica holds it (or its lease ran out: that
 * replica died). True when this holder may sweep now.
 */
export async function claimSweep(prisma: Prisma, engine: Engine, holder: Holder, now = new Date()): Promise<boolean> {
  await ensureSweep(prisma, now);
  return (await claimLeases(prisma, engine, SWEEPS, { ...holder, limit: 1 }, now)).length === 1;
}

/** Creates the sweep's row (due `now`) if there is none, so it can be claimed. */
export async function ensureSweep(prisma: Prisma, now = new Date()): Promise<void> {
  // A read first: replicas poll, and on SQLite even an INSERT that does nothing takes the write lock.
  if ((await prisma.labelSweep.findUnique({ where: { id: ROW }, select: { id: true } })) === null)
    await ensureRow(prisma, now);
}

/**
 * Records the sweep's figures and when the next is due, and gives the lease up. A sweep asked for while this one ran
 * (its marks may be behind this one's cursor) is due at once.
 */
export async function finishSweep(prisma: Prisma, owner: string, finish: SweepFinish, now = new Date()): Promise<void> {
  if (await updateLeased(prisma, SWEEPS, owner, ROW, sweepFinished(finish, now))) await dueIfRequested(prisma, now);
}

/** A sweep's outcome: its figures and when the next is due; it gives the lease up. */
export function sweepFinished(finish: SweepFinish, now = new Date()): Sql.Sql {
  return Sql.sql`${unlocked()}, "finishedAt" = ${now}, "issues" = ${finish.issues}, "links" = ${finish.links}, "changed" = ${finish.changed},
    "durationMs" = ${finish.durationMs}, "lastError" = ${finish.error}, "nextRunAt" = ${finish.nextRunAt}`;
}

/** After a sweep finished: one asked for while it ran (its marks may be behind its cursor) is due at once. */
export async function dueIfRequested(prisma: Prisma, now = new Date()): Promise<void> {
  await prisma.$executeRaw`UPDATE "LabelSweep" SET "nextRunAt" = ${now} WHERE "id" = ${ROW} AND "requestedAt" > "startedAt" AND "nextRunAt" > ${now}`;
}

/**
 * Brings the next sweep forward to `at` (the config changed): whichever replica polls first runs it. Asked for while a
 * sweep runs, it runs again right after.
 */
export async function requestSweep(prisma: Prisma, at = new Date()): Promise<void> {
  await ensureRow(prisma, at);
  await prisma.labelSweep.update({ where: { id: ROW }, data: { requestedAt: at } });
  await prisma.labelSweep.updateMany({ where: { id: ROW, nextRunAt: { gt: at } }, data: { nextRunAt: at } });
}

export async function readSweep(prisma: Prisma): Promise<SweepRecord | null> {
  const row = await prisma.labelSweep.findUnique({ where: { id: ROW } });
  if (row === null) return null;
  const running = row.lockedUntil !== null && row.lockedUntil >= new Date();
  return {
    runningSince: running ? row.startedAt : null,
    finishedAt: row.finishedAt,
    durationMs: row.durationMs,
    issues: row.issues,
    links: row.links,
    changed: row.changed,
    error: row.lastError,
    nextRunAt: row.nextRunAt,
  };
}
