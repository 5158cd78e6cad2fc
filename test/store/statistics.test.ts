import { describe, expect, it } from "vitest";
import { refreshPlannerStatistics } from "../../src/store/statistics.js";
import { useDatabase } from "../support/use-database.js";

describe("SQLite's planner statistics", () => {
  const database = useDatabase("sqlite");

  /** Issue 1 in a new repository, with `count` links numbered from `from` */
  async function links(from: number, count: number): Promise<void> {
    const { prisma } = database;
    await prisma.repository.upsert({
      where: { id: 1n },
      create: { id: 1n, installationId: 1n, owner: "acme", name: "app", fullName: "acme/app" },
      update: {},
    });
    await prisma.$executeRawUnsafe(`INSERT OR IGNORE INTO "Issue" ("id", "repositoryId", "number", "githubId", "state", "createdAt")
      VALUES (1, 1, 1, 1, 'open', '2027-01-01T00:00:00.000+00:00')`);
    await prisma.$executeRawUnsafe(`WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${from + count - 1})
      INSERT INTO "Link" ("issueId", "provider", "account", "conversationId", "url", "source", "linkedAt")
      SELECT 1, 'zendesk', 'acme', CAST(i AS TEXT), 'https://acme.zendesk.com/agent/tickets/' || i, 'comment',
        '2027-01-01T00:00:00.000+00:00' FROM n`);
  }

  /** The rows sqlite_stat1 counted in Link when it was last analysed (none: never analysed) */
  async function analysedLinks(): Promise<number | null> {
    const [row] = await database.prisma.$queryRawUnsafe<{ stat: string }[]>(
      `SELECT "stat" FROM "sqlite_stat1" WHERE "tbl" = 'Link' AND "idx" = 'Link_provider_account_conversationId_idx'`,
    );
    return row ? Number(row.stat.split(" ")[0]) : null;
  }

  it("analyses every table never analysed, with the samples of values the planner needs for rare ones", async () => {
    await links(1, 200);
    await refreshPlannerStatistics(database.prisma, "sqlite");
    expect(await analysedLinks()).toBe(200);
    // An analysis bounded by analysis_limit writes none of these.
    const [samples] = await database.prisma.$queryRawUnsafe<{ count: number }[]>(
      `SELECT count(*) AS "count" FROM "sqlite_stat4" WHERE "tbl" = 'Link'`,
    );
    expect(Number(samples!.count)).toBeGreaterThan(0);
  });

  it("analyses a table again once its size changed tenfold, not before", async () => {
    await links(1, 20);
    await refreshPlannerStatistics(database.prisma, "sqlite");
    expect(await analysedLinks()).toBe(20);
    await links(21, 100);
    await refreshPlannerStatistics(database.prisma, "sqlite");
    expect(await analysedLinks()).toBe(20);
    await links(121, 1000);
    await refreshPlannerStatistics(database.prisma, "sqlite");
    expect(await analysedLinks()).toBe(1120);
  });
});
