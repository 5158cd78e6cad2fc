import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import type { LeasedTable } from "./lease.js";

/** The one ImpactCounting row: its lease is the right to count the dashboard's due issues now. */
export const IMPACT_COUNTING_ROW = 1;

/**
 * The dashboard's background count as a leased table of one row (docs/jobs.md): one replica counts at a time, and the
 * others find the row held and wait for their next poll instead of counting the same issues beside it.
 */
export const IMPACT_COUNTING: LeasedTable = {
  kind: "impact counts",
  table: "ImpactCounting",
  key: "id",
  ready: () => Sql.sql`"lockedBy" IS NULL`,
  held: Sql.sql`"lockedBy" IS NOT NULL`,
  order: Sql.sql`"id"`,
  onClaim: () => Sql.sql`"id" = "id"`,
  // What is due lives on the issues (Issue.impactDueAt, IssueImpact.dueAt): the row itself never waits nor dies.
  waiting: () => Sql.sql`1 = 0`,
  dead: null,
  revive: null,
};

/** Creates the row once; a read first, since on SQLite even an INSERT that does nothing takes the write lock. */
export async function ensureImpactCounting(prisma: Prisma): Promise<void> {
  if ((await prisma.impactCounting.findUnique({ where: { id: IMPACT_COUNTING_ROW }, select: { id: true } })) !== null)
    return;
  await prisma.$executeRaw`INSERT INTO "ImpactCounting" ("id") VALUES (${IMPACT_COUNTING_ROW}) ON CONFLICT ("id") DO NOTHING`;
}
