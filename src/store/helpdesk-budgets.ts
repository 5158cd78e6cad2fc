import { longestWindowOf, startPace, type Pace, type PaceBudget } from "../domain/rate-pacing.js";
import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/**
 * How replicas take turns on a budget's row (PostgreSQL): `row` locks it in a transaction (`SELECT … FOR UPDATE`),
 * `advisory` takes a transaction-scoped advisory lock on the key first, `optimistic` reads it and writes it back only if
 * nobody wrote it meanwhile (two statements, no transaction, the lock held for one UPDATE), trying again if somebody did.
 * All three were measured (docs/jobs.md, "Pacing").
 */
export type BudgetLock = "row" | "advisory" | "optimistic";

/** Turns an optimistic change tries before it gives up (the call fails, and its job is retried). */
const OPTIMISTIC_TRIES = 50;

/**
 * The columns a budget's row is read with, named: a statement prepared on a connection (statement-names.ts) is
 * planned again after a newer replica's migration adds a column, and fails if its result columns change, as `*` would.
 */
const BUDGET_COLUMNS = Sql.raw(
  `"limit", "windowMs", "taken", "nextAt", "pausedUntil", "heardRemaining", "heardResetAt", "heardTicket", "heardAt", "updatedAt"`,
);

interface BudgetRow {
  limit: number;
  windowMs: number;
  taken: bigint | number;
  nextAt: Date;
  pausedUntil: Date | null;
  heardRemaining: number | null;
  heardResetAt: Date | null;
  heardTicket: bigint | number | null;
  heardAt: Date | null;
}

/**
 * Applies `change` to the budget's shared pace so replicas take turns one after another: by default optimistically
 * (read, write back only if unchanged), or in a short transaction holding the row or the key's advisory lock; a budget
 * without a row starts from its default. Returns the new pace.
 */
export function changeSharedPace(
  prisma: Prisma,
  key: string,
  budget: PaceBudget,
  change: (pace: Pace, now: number) => Pace,
  options: { lock?: BudgetLock; rowExists?: boolean } = {},
): Promise<Pace> {
  const lock = options.lock ?? "optimistic";
  if (lock === "optimistic") return changeOptimistically(prisma, key, budget, change);
  return prisma.$transaction(async (tx) => {
    if (lock === "advisory") await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
    // A row to lock, the first time this process uses the budget (the row is never deleted).
    else if (options.rowExists !== true)
      await tx.$executeRaw`INSERT INTO "HelpdeskBudget" ("key", "limit", "windowMs", "nextAt", "updatedAt") VALUES (${key}, ${budget.requests}, ${budget.intervalMs}, ${new Date()}, ${new Date()}) ON CONFLICT ("key") DO NOTHING`;
    const [row] =
      lock === "row"
        ? await tx.$queryRaw<
            BudgetRow[]
          >`SELECT ${BUDGET_COLUMNS} FROM "HelpdeskBudget" WHERE "key" = ${key} FOR UPDATE`
        : await tx.$queryRaw<BudgetRow[]>`SELECT ${BUDGET_COLUMNS} FROM "HelpdeskBudget" WHERE "key" = ${key}`;
    const now = Date.now();
    const pace = change(row === undefined ? startPace(budget, now) : paceOf(row, budget, now), now);
    await tx.$executeRaw`INSERT INTO "HelpdeskBudget" ${columns(key, pace, new Date(now))}
      ON CONFLICT ("key") DO UPDATE SET "limit" = EXCLUDED."limit", "windowMs" = EXCLUDED."windowMs", "taken" = EXCLUDED."taken", "nextAt" = EXCLUDED."nextAt",
        "pausedUntil" = EXCLUDED."pausedUntil", "heardRemaining" = EXCLUDED."heardRemaining", "heardResetAt" = EXCLUDED."heardResetAt",
        "heardTicket" = EXCLUDED."heardTicket", "heardAt" = EXCLUDED."heardAt", "updatedAt" = EXCLUDED."updatedAt"`;
    return pace;
  });
}

/**
 * Read, change, and write back only if the row is as read: `updatedAt` is the version, moved on by at least a
 * millisecond by every write, so two writes never leave the same one.
 */
async function changeOptimistically(
  prisma: Prisma,
  key: string,
  budget: PaceBudget,
  change: (pace: Pace, now: number) => Pace,
): Promise<Pace> {
  for (let attempt = 0; attempt < OPTIMISTIC_TRIES; attempt += 1) {
    const [row] = await prisma.$queryRaw<
      (BudgetRow & { updatedAt: Date })[]
    >`SELECT ${BUDGET_COLUMNS} FROM "HelpdeskBudget" WHERE "key" = ${key}`;
    const now = Date.now();
    if (row === undefined) {
      const pace = change(startPace(budget, now), now);
      if (
        (await prisma.$executeRaw`INSERT INTO "HelpdeskBudget" ${columns(key, pace, new Date(now))} ON CONFLICT ("key") DO NOTHING`) ===
        1
      )
        return pace;
      continue;
    }
    const pace = change(paceOf(row, budget, now), now);
    const version = new Date(Math.max(now, new Date(row.updatedAt).getTime() + 1));
    const heard = pace.heard;
    const written =
      await prisma.$executeRaw`UPDATE "HelpdeskBudget" SET "limit" = ${pace.limit}, "windowMs" = ${pace.windowMs}, "taken" = ${BigInt(pace.taken)},
      "nextAt" = ${new Date(pace.nextAt)}, "pausedUntil" = ${time(pace.pausedUntil || null)}, "heardRemaining" = ${heard?.remaining ?? null},
      "heardResetAt" = ${time(heard?.resetAt)}, "heardTicket" = ${heard === null ? null : BigInt(heard.ticket)}, "heardAt" = ${time(heard?.at)}, "updatedAt" = ${version}
      WHERE "key" = ${key} AND "updatedAt" = ${row.updatedAt}`;
    if (written === 1) return pace;
  }
  throw new Error(`helpdesk budget ${key}: the shared pace changed under every one of ${OPTIMISTIC_TRIES} tries`);
}

function time(ms: number | null | undefined): Date | null {
  return ms === null || ms === undefined ? null : new Date(ms);
}

/** The row's columns and values for an INSERT. */
function columns(key: string, pace: Pace, updatedAt: Date): Sql.Sql {
  const heard = pace.heard;
  return Sql.sql`("key", "limit", "windowMs", "taken", "nextAt", "pausedUntil", "heardRemaining", "heardResetAt", "heardTicket", "heardAt", "updatedAt")
      VALUES (${key}, ${pace.limit}, ${pace.windowMs}, ${BigInt(pace.taken)}, ${new Date(pace.nextAt)}, ${time(pace.pausedUntil || null)}, ${heard?.remaining ?? null}, ${time(heard?.resetAt)}, ${heard === null ? null : BigInt(heard.ticket)}, ${time(heard?.at)}, ${updatedAt})`;
}

function paceOf(row: BudgetRow, budget: PaceBudget, now: number): Pace {
  const heardLately =
    row.heardAt !== null &&
    now - new Date(row.heardAt).getTime() < Math.max(10 * budget.intervalMs, longestWindowOf(budget));
  const heard =
    row.heardRemaining === null || row.heardTicket === null || row.heardAt === null
      ? null
      : {
          remaining: row.heardRemaining,
          resetAt: row.heardResetAt?.getTime() ?? null,
          ticket: Number(row.heardTicket),
          at: new Date(row.heardAt).getTime(),
        };
  return {
    limit: heardLately ? row.limit : budget.requests,
    windowMs: budget.intervalMs,
    longestWindowMs: longestWindowOf(budget),
    taken: Number(row.taken),
    nextAt: new Date(row.nextAt).getTime(),
    pausedUntil: row.pausedUntil === null ? 0 : new Date(row.pausedUntil).getTime(),
    heard,
  };
}
