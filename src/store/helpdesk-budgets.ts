import { startPace, type Pace, type PaceBudget } from "../domain/rate-pacing.js";
import type { Prisma } from "./database.js";

/**
 * How replicas take turns on a budget's row (PostgreSQL): `row` locks it (`SELECT … FOR UPDATE`), `advisory` takes a
 * transaction-scoped advisory lock on the key first. Both were measured (docs/jobs.md, "Pacing"); `row` is the default.
 */
export type BudgetLock = "row" | "advisory";

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
 * Applies `change` to the budget's shared pace in one short transaction, holding the row (or the key's advisory lock)
 * so replicas take turns one after another; a budget without a row starts from its default. Returns the new pace.
 */
export function changeSharedPace(
  prisma: Prisma,
  key: string,
  budget: PaceBudget,
  change: (pace: Pace, now: number) => Pace,
  options: { lock?: BudgetLock; rowExists?: boolean } = {},
): Promise<Pace> {
  const lock = options.lock ?? "row";
  return prisma.$transaction(async (tx) => {
    if (lock === "advisory") await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
    // A row to lock, the first time this process uses the budget (the row is never deleted).
    else if (options.rowExists !== true) await tx.$executeRaw`INSERT INTO "HelpdeskBudget" ("key", "limit", "windowMs", "nextAt", "updatedAt") VALUES (${key}, ${budget.requests}, ${budget.intervalMs}, ${new Date()}, ${new Date()}) ON CONFLICT ("key") DO NOTHING`;
    const [row] =
      lock === "row"
        ? await tx.$queryRaw<BudgetRow[]>`SELECT * FROM "HelpdeskBudget" WHERE "key" = ${key} FOR UPDATE`
        : await tx.$queryRaw<BudgetRow[]>`SELECT * FROM "HelpdeskBudget" WHERE "key" = ${key}`;
    const now = Date.now();
    const pace = change(row === undefined ? startPace(budget, now) : paceOf(row, budget, now), now);
    const heard = pace.heard;
    const at = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms));
    await tx.$executeRaw`INSERT INTO "HelpdeskBudget" ("key", "limit", "windowMs", "taken", "nextAt", "pausedUntil", "heardRemaining", "heardResetAt", "heardTicket", "heardAt", "updatedAt")
      VALUES (${key}, ${pace.limit}, ${pace.windowMs}, ${BigInt(pace.taken)}, ${new Date(pace.nextAt)}, ${at(pace.pausedUntil || null)}, ${heard?.remaining ?? null}, ${at(heard?.resetAt)}, ${heard === null ? null : BigInt(heard.ticket)}, ${at(heard?.at)}, ${new Date(now)})
      ON CONFLICT ("key") DO UPDATE SET "limit" = EXCLUDED."limit", "windowMs" = EXCLUDED."windowMs", "taken" = EXCLUDED."taken", "nextAt" = EXCLUDED."nextAt",
        "pausedUntil" = EXCLUDED."pausedUntil", "heardRemaining" = EXCLUDED."heardRemaining", "heardResetAt" = EXCLUDED."heardResetAt",
        "heardTicket" = EXCLUDED."heardTicket", "heardAt" = EXCLUDED."heardAt", "updatedAt" = EXCLUDED."updatedAt"`;
    return pace;
  });
}

/**
 * The row as a pace. The window is always the code's; a limit no answer confirmed within ten windows is the default
 * budget's again, so a changed default (or a plan that changed) is not shadowed by an old row.
 */
function paceOf(row: BudgetRow, budget: PaceBudget, now: number): Pace {
  const heardLately = row.heardAt !== null && now - new Date(row.heardAt).getTime() < 10 * budget.intervalMs;
  const heard =
    row.heardRemaining === null || row.heardTicket === null || row.heardAt === null
      ? null
      : { remaining: row.heardRemaining, resetAt: row.heardResetAt?.getTime() ?? null, ticket: Number(row.heardTicket), at: new Date(row.heardAt).getTime() };
  return {
    limit: heardLately ? row.limit : budget.requests,
    windowMs: budget.intervalMs,
    taken: Number(row.taken),
    nextAt: new Date(row.nextAt).getTime(),
    pausedUntil: row.pausedUntil === null ? 0 : new Date(row.pausedUntil).getTime(),
    heard,
  };
}
