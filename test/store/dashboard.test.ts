import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listRecentCloses, recentClosesStatement } from "../../src/store/dashboard.js";
import { Prisma as Sql } from "../../src/store/generated/sqlite/client.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { closeWithLinks, conversation, REPOSITORY } from "../support/reopen.js";
import { refreshPlannerStatistics } from "../../src/store/statistics.js";

describe.each(ENGINES)("listRecentCloses on %s", (engine) => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    await closeWithLinks(database, 7, [conversation("zendesk", 1)], {
      closedAt: new Date("2026-11-21T12:00:00Z"),
    });
  });
  afterAll(async () => {
    await database?.close();
  });

  const NOW = { now: new Date("2026-11-22T00:00:00Z"), days: 30, take: 50 };
  const closed = async (repositoryIds: readonly bigint[]) =>
    (await listRecentCloses(database.prisma, repositoryIds, NOW)).map(
      (close) => `${close.owner}/${close.name}#${close.number} ${close.pending}`,
    );

  it("lists the closes of 100,000 readable repositories: the scope is one parameter, not one per repository", async () => {
    // Past SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
    const many = Array.from({ length: 100_000 }, (_, i) => BigInt(1_000_000 + i));
    expect(await closed(many)).toEqual([]);
    many[70_000] = REPOSITORY.id;
    expect(await closed(many)).toEqual(["Codertocat/Hello-World#7 1"]);
    expect(await closed([REPOSITORY.id])).toEqual(["Codertocat/Hello-World#7 1"]);
  });

  it("reads the window's closes newest first by their time's index, not every close of the history", async () => {
    // A year of history before the window: 3,000 closes, each of its own issue.
    const old = new Date("2025-06-01T00:00:00Z");
    await database.prisma.issue.createMany({
      data: Array.from({ length: 3_000 }, (_, i) => ({ repositoryId: REPOSITORY.id, number: 10_000 + i })),
    });
    const issues = await database.prisma.issue.findMany({ where: { number: { gte: 10_000 } }, select: { id: true } });
    await database.prisma.issueClose.createMany({
      data: issues.map(({ id }) => ({ issueId: id, closedAt: old, reason: "completed", note: "", summary: false })),
    });
    // SQLite: the statistics the server gathers for itself (PostgreSQL's autovacuum analyses in service).
    if (engine === "postgresql") await database.prisma.$executeRawUnsafe("ANALYZE");
    else await refreshPlannerStatistics(database.prisma, engine);
    const statement = recentClosesStatement(database.prisma, [REPOSITORY.id], NOW);
    const plan = JSON.stringify(
      await database.prisma.$queryRaw(
        engine === "postgresql"
          ? Sql.sql`EXPLAIN (FORMAT JSON) ${statement}`
          : Sql.sql`EXPLAIN QUERY PLAN ${statement}`,
      ),
      (_, value: unknown) => (typeof value === "bigint" ? String(value) : value),
    );
    expect(plan).toContain("IssueClose_closedAt_idx");
    // The history is still there, and still out of the window.
    expect(await closed([REPOSITORY.id])).toEqual(["Codertocat/Hello-World#7 1"]);
  });
});
