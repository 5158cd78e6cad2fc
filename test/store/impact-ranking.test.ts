import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rankIssues } from "../../src/dashboard/impact.js";
import {
  DEFAULT_IMPACT_QUERY,
  type ImpactQuery,
  type ImpactWindow,
  type RepositoryScope,
} from "../../src/domain/impact-query.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { NAMED_IDS } from "../../src/store/id-table.js";
import { impactRankingStatements, readsFewByIndex, sizingStatements, UNKNOWN_AGE } from "../../src/store/impact.js";
import { Prisma as Sql } from "../../src/store/generated/sqlite/client.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { refreshPlannerStatistics } from "../../src/store/statistics.js";

const NOW = new Date("2027-01-01T00:00:00Z");
const HOUR = 3_600_000;
const ISSUES = 10_000;
/** Issues 1-60 are in repository 2, 61-110 five each in repositories 3-12, all others in repository 1. */
const repositoryOf = (id: number) => (id <= 60 ? 2 : id <= 110 ? 3 + Math.floor((id - 61) / 5) : 1);
const SMALL = [2n, 3n, 4n];
// Ties in every sort key, so the tie-breaks decide the order too.
const state = (id: number) => (id % 4 === 0 ? "closed" : "open");
const openedAt = (id: number) => (id % 11 === 0 ? null : new Date(NOW.getTime() - (id % 17) * 24 * HOUR));
const reportsOf = (id: number, days: ImpactWindow) => {
  const reports = (scale: number) => (id % 7) * scale;
  return { 7: reports(1) % 3, 14: reports(1), 30: reports(2), 90: reports(3) }[days];
};
/** One close of every 97th issue reopened a conversation per entry, each watched: null still waits for an answer. */
const watchesOf = (id: number): (string | null)[] =>
  id % 97 !== 0 ? [] : [...Array.from({ length: 1 + (id % 4) }, () => null), ...(id % 2 === 0 ? ["answered"] : [])];
/** A team label on one issue in 500, another on one in three. */
const labelOf = (id: number) => (id % 500 === 9 ? "team: rare" : id % 3 === 0 ? "team: common" : null);
/** The latest report, id % 13 hours ago (every issue with reports has one: no engine's NULL order comes in). */
const lastReport = (id: number) => id % 13;
const waitingOf = (id: number) => watchesOf(id).filter((outcome) => outcome === null).length;
// intercom on one issue in 500 only
const helpdesksOf = (id: number) => (id % 500 === 5 ? ",intercom," : id % 2 === 0 ? ",front,zendesk," : ",zendesk,");
/** The same scope as a person who may read many more repositories (none of them holding an issue) is given it. */
const SMALL_AMONG_MANY = [...Array.from({ length: NAMED_IDS }, (_, i) => BigInt(1_000_000 + i)), ...SMALL];

/**
 * Someone who may read a few repositories among a large installation's: the page names their ids, so the planner
 * reads their few issues through the repositories' index instead of the whole ranking (issue #25, P6). The page is
 * the same whichever way the scope reaches the database.
 */
describe.each(ENGINES)("the impact ranking over 10,000 issues, on %s", (engine) => {
  let database: Database;

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    const { prisma } = database;
    await prisma.repository.createMany({
      data: Array.from({ length: 12 }, (_, i) => ({
        id: BigInt(i + 1),
        installationId: 1n,
        owner: "octo",
        name: `r${i + 1}`,
        fullName: `octo/r${i + 1}`,
      })),
    });
    const ids = Array.from({ length: ISSUES }, (_, i) => i + 1);
    await prisma.issue.createMany({
      data: ids.map((id) => ({
        id,
        repositoryId: BigInt(repositoryOf(id)),
        number: id,
        state: state(id),
        title: `Issue ${id}`,
        openedAt: openedAt(id),
      })),
    });
    await prisma.issueImpact.createMany({
      data: ids.map((id) => ({
        issueId: id,
        generation: 0,
        repositoryId: BigInt(repositoryOf(id)),
        state: state(id),
        reports7: reportsOf(id, 7),
        reports14: reportsOf(id, 14),
        reports30: reportsOf(id, 30),
        reports90: reportsOf(id, 90),
        customers7: 0,
        customers14: id % 3,
        customers30: id % 5,
        customers90: id % 5,
        lastReportAt: id % 7 === 0 ? null : new Date(NOW.getTime() - (id % 13) * HOUR),
        // intercom on one issue in 500 only
        helpdesks: helpdesksOf(id),
        ageOrder: openedAt(id) ?? UNKNOWN_AGE,
      })),
    });
    const watched = ids.filter((id) => watchesOf(id).length > 0);
    await prisma.issueClose.createMany({
      data: watched.map((id) => ({ id, issueId: id, closedAt: NOW, reason: "completed", note: "n", summary: false })),
    });
    const watches = watched.flatMap((id) => watchesOf(id).map((outcome) => ({ closeId: id, outcome })));
    const conversation = (n: number) => ({
      provider: "zendesk",
      account: "acme",
      conversationId: `c${n}`,
      url: `u${n}`,
    });
    await prisma.reopenJob.createMany({
      data: watches.map(({ closeId }, n) => ({ id: n + 1, closeId, linkId: n + 1, state: "done", ...conversation(n) })),
    });
    await prisma.answerWatch.createMany({
      data: watches.map(({ closeId, outcome }, n) => ({
        reopenJobId: n + 1,
        closeId,
        reopenedAt: NOW,
        outcome,
        ...conversation(n),
      })),
    });
    await prisma.issueLabel.createMany({
      data: ids
        .filter((id) => labelOf(id) !== null)
        .map((id) => ({
          issueId: id,
          key: labelOf(id)!,
          name: labelOf(id)!,
          present: true,
          seenAt: NOW,
          kind: "team",
        })),
    });
    // SQLite: the statistics the server gathers for itself (PostgreSQL's autovacuum analyses in service).
    if (engine === "postgresql") await prisma.$executeRawUnsafe(`ANALYZE`);
    else await refreshPlannerStatistics(prisma, engine);
  });

  /** The issues a view matches among the seeded ones, sorted by `compare`, and the page of them it shows. */
  const reference = (
    query: ImpactQuery,
    readable: "everything" | "a small scope",
    keys: ((id: number) => number)[],
  ) => {
    const compare = (a: number, b: number) =>
      [...keys, repositoryOf, (id: number) => id].reduce((order, key) => order || key(a) - key(b), 0);
    const scope: RepositoryScope = readable === "everything" ? { all: true } : { repositoryIds: SMALL };
    const repository = query.repository === null ? null : Number(query.repository.replace("octo/r", ""));
    const sorted = Array.from({ length: ISSUES }, (_, i) => i + 1)
      .filter(
        (id) =>
          reportsOf(id, query.days) > 0 &&
          (query.state === "all" || state(id) === query.state) &&
          (query.helpdesk === null || helpdesksOf(id).includes(`,${query.helpdesk},`)) &&
          (repository === null || repositoryOf(id) === repository) &&
          ("all" in scope || scope.repositoryIds.includes(BigInt(repositoryOf(id)))),
      )
      .sort(compare);
    const start = (query.page - 1) * query.perPage;
    const shown = sorted.slice(start, start + query.perPage);
    expect(shown.length).toBeGreaterThan(0);
    return {
      scope,
      shown,
      page: {
        rows: shown.map((id) => `octo/r${repositoryOf(id)}#${id}`),
        nextPage: sorted.length > start + query.perPage,
        total: sorted.length,
      },
    };
  };
  const shownPage = async (query: ImpactQuery, scope: RepositoryScope) => {
    const page = await rankIssues(database.prisma, query, scope, NOW);
    return {
      rows: page.rows.map((row) => `${row.repository}#${row.number}`),
      nextPage: page.nextPage,
      total: page.total,
      openedAt: page.rows.map((row) => row.openedAt),
      waiting: page.rows.map((row) => row.waiting),
    };
  };
  afterAll(async () => {
    await database.close();
  });

  const views: Partial<ImpactQuery>[] = [
    {},
    { perPage: 20, page: 2 },
    { perPage: 20, page: 3 },
    { sort: "customers" },
    { sort: "last", days: 7 },
    { sort: "age", days: 90 },
    { sort: "waiting", state: "all" },
    { state: "closed", days: 14 },
    { helpdesk: "front" },
    { repository: "octo/r3" },
  ];

  it.each(views)("%j: the same rows, order and total named or as one parameter", async (view) => {
    const query = { ...DEFAULT_IMPACT_QUERY, ...view };
    for (const totalCap of [10_000, 10]) {
      const page = async (repositoryIds: bigint[]) => {
        const { rows, nextPage, total, totalCapped } = await rankIssues(
          database.prisma,
          query,
          { repositoryIds },
          NOW,
          undefined,
          { totalCap },
        );
        return {
          rows: rows.map((row) => `${row.repository}#${row.number} ${row.reports}/${row.customers}`),
          nextPage,
          total,
          totalCapped,
        };
      };
      const named = await page(SMALL);
      expect(named).toEqual(await page(SMALL_AMONG_MANY));
      expect(named).toEqual(await page([...SMALL].reverse()));
    }
  });

  /** The engine's plan of a statement, as text. */
  const plan = async (statement: Sql.Sql) =>
    JSON.stringify(
      await database.prisma.$queryRaw(
        engine === "postgresql"
          ? Sql.sql`EXPLAIN (FORMAT JSON) ${statement}`
          : Sql.sql`EXPLAIN QUERY PLAN ${statement}`,
      ),
      (_, value: unknown) => (typeof value === "bigint" ? String(value) : value),
    );

  /** Whether each of the ranking's statements (its page, its total) reads the named index. */
  const reads = async (index: string, scope: RepositoryScope, view: Partial<ImpactQuery> = {}) => {
    const query = { ...DEFAULT_IMPACT_QUERY, ...view };
    const indexed = await readsFewByIndex(database.prisma, query, scope);
    const statements = impactRankingStatements(database.prisma, query, scope, 10_000, indexed);
    return Promise.all(
      [statements.page, statements.total].map(async (statement) => (await plan(statement)).includes(index)),
    );
  };

  it("a small scope's page and total read its repositories' index; the largest repository's the ranking's", async () => {
    const index = "IssueImpact_repositoryId_state_idx";
    expect(await reads(index, { repositoryIds: SMALL })).toEqual([true, true]);
    expect(await reads(index, { repositoryIds: [1n] })).toEqual([false, false]);
  });

  it.each([7, 14, 30, 90] as const)(
    "by customers in %i days, the page is read in the order of an index",
    async (days) => {
      const index = `IssueImpact_state_customers${days}_reports${days}_lastReportAt_idx`;
      expect((await reads(index, { all: true }, { sort: "customers", days }))[0]).toBe(true);
    },
  );

  it.each([
    [{ sort: "age", days: 90 }, "everything"],
    [{ sort: "age", perPage: 20, page: 2 }, "everything"],
    [{ sort: "age", days: 7, state: "closed", perPage: 10, page: 3 }, "everything"],
    [{ sort: "age", helpdesk: "front", days: 14, perPage: 25, page: 40 }, "everything"],
    [{ sort: "age", state: "all", perPage: 20, page: 2 }, "a small scope"],
    [{ sort: "age", repository: "octo/r3", days: 90 }, "everything"],
  ] as const)(
    "%j in %s: oldest first, unknown dates last, as a reference sort of the issues orders them",
    async (view, readable) => {
      const query = { ...DEFAULT_IMPACT_QUERY, ...view };
      const age = (id: number) => openedAt(id)?.getTime() ?? Infinity;
      const expected = reference(query, readable, [age, (id) => -reportsOf(id, query.days)]);
      const { openedAt: opened, ...page } = await shownPage(query, expected.scope);
      expect(page).toMatchObject(expected.page);
      expect(opened).toEqual(expected.shown.map((id) => openedAt(id)));
    },
  );

  it.each([
    [{ sort: "waiting", state: "all" }, "everything"],
    [{ sort: "waiting", perPage: 20 }, "everything"],
    [{ sort: "waiting", page: 2 }, "everything"],
    [{ sort: "waiting", page: 3 }, "everything"],
    [{ sort: "waiting", days: 7, state: "closed", perPage: 5, page: 2 }, "everything"],
    [{ sort: "waiting", helpdesk: "front", perPage: 10, page: 4 }, "everything"],
    [{ sort: "waiting", state: "all", days: 90 }, "a small scope"],
  ] as const)(
    "%j in %s: most waiting first, then as by reports, as a reference sort orders them",
    async (view, readable) => {
      const query = { ...DEFAULT_IMPACT_QUERY, ...view };
      const expected = reference(query, readable, [
        (id) => -waitingOf(id),
        (id) => -reportsOf(id, query.days),
        lastReport,
      ]);
      const { waiting, ...page } = await shownPage(query, expected.scope);
      expect(page).toMatchObject(expected.page);
      expect(waiting).toEqual(expected.shown.map(waitingOf));
    },
  );

  it.each([
    [{ state: "all", perPage: 20, page: 2 }, "everything"],
    [{ state: "all", days: 7, perPage: 5, page: 7 }, "a small scope"],
    [{ state: "all", sort: "last", days: 14, page: 3 }, "everything"],
  ] as const)(
    "%j in %s: open and closed issues in one order, as a reference sort orders them",
    async (view, readable) => {
      const query = { ...DEFAULT_IMPACT_QUERY, ...view };
      const reports = (id: number) => -reportsOf(id, query.days);
      const expected = reference(
        query,
        readable,
        query.sort === "last" ? [lastReport, reports] : [reports, lastReport],
      );
      const { rows, nextPage, total } = await shownPage(query, expected.scope);
      expect({ rows, nextPage, total }).toEqual(expected.page);
    },
  );

  it("with both states, the page reads each state's rows in the order of the ranking's index", async () => {
    const query = { ...DEFAULT_IMPACT_QUERY, state: "all" as const };
    const { page } = impactRankingStatements(database.prisma, query, { all: true }, 10_000, {
      repository: false,
      helpdesk: false,
      labels: false,
    });
    const read = await plan(page);
    expect(read.split("IssueImpact_state_reports30_lastReportAt_repositoryId_idx")).toHaveLength(3);
    // SQLite: one sort of every row read, the merge of the two states' (each of which sorts only ties in the index).
    if (engine === "sqlite") expect(read.split("USE TEMP B-TREE FOR ORDER BY")).toHaveLength(2);
  });

  // By waiting, the page statement reads the issues without anyone waiting, after the few with someone waiting.
  it.each([
    ["age", "IssueImpact_state_ageOrder_idx"],
    ["waiting", "IssueImpact_state_reports30_lastReportAt_repositoryId_idx"],
  ] as const)("by %s, the page is read in the order of %s and stops after its rows", async (sort, index) => {
    const query = { ...DEFAULT_IMPACT_QUERY, sort };
    const { page } = impactRankingStatements(database.prisma, query, { all: true }, 10_000, {
      repository: false,
      helpdesk: false,
      labels: false,
    });
    const read = await plan(page);
    expect(read).toContain(index);
    // Ties in the index's order are sorted among themselves only (SQLite: the right part of the order; PostgreSQL:
    // incrementally), not every match.
    expect(read).not.toContain(engine === "postgresql" ? `"Node Type":"Sort"` : "USE TEMP B-TREE FOR ORDER BY");
  });

  it("a rare helpdesk's page and total read the helpdesks' index; a common one's the ranking's", async () => {
    const index = "IssueImpact_helpdesks_state_idx";
    expect(await reads(index, { all: true }, { helpdesk: "intercom", days: 90 })).toEqual([true, true]);
    expect(await reads(index, { all: true }, { helpdesk: "zendesk" })).toEqual([false, false]);
  });

  it("a rare label's page and total read the labels' index; a common one's page the ranking's", async () => {
    const index = "IssueLabel_key_idx";
    expect(await reads(index, { all: true }, { label: "team: rare", days: 90 })).toEqual([true, true]);
    expect((await reads(index, { all: true }, { team: "team: common" }))[0]).toBe(false);
  });

  it("a small scope, a helpdesk and labels are sized in one statement, whether few or many", async () => {
    let statements = 0;
    const counting = new Proxy(database.prisma, {
      get: (prisma, property) =>
        property === "$queryRaw"
          ? (...args: Parameters<typeof prisma.$queryRaw>) => (statements++, prisma.$queryRaw(...args))
          : Reflect.get(prisma, property),
    });
    const sized = (view: Partial<ImpactQuery>, repositoryIds: bigint[]) =>
      readsFewByIndex(counting, { ...DEFAULT_IMPACT_QUERY, ...view }, { repositoryIds });
    expect(await sized({ helpdesk: "intercom", team: "team: rare", label: "team: rare" }, SMALL)).toEqual({
      repository: true,
      helpdesk: true,
      labels: true,
    });
    // A third of the issues carry the common label: still under the 5,000 read through its index.
    expect(await sized({ helpdesk: "zendesk", label: "team: common" }, [1n])).toEqual({
      repository: false,
      helpdesk: false,
      labels: true,
    });
    expect(statements).toBe(2);
  });

  // Looking up each labelled issue's counts for its state cost PostgreSQL a hash join over every count (issue #25, P6).
  it("label filters are sized by reading the labels alone, not each labelled issue's counts", async () => {
    const query = { ...DEFAULT_IMPACT_QUERY, team: "team: common", label: "team: rare" };
    const read = await plan(sizingStatements(query, { all: true }).labels!);
    expect(read).toMatch(engine === "postgresql" ? /"Relation Name":"IssueLabel"/ : /(SCAN|SEARCH) x\b/);
    expect(read).not.toMatch(engine === "postgresql" ? /"Relation Name":"IssueImpact"/ : /(SCAN|SEARCH) m\b/);
  });

  it.each([
    [{ helpdesk: "intercom", days: 90 }, "helpdesk"],
    [{ helpdesk: "intercom", state: "all", sort: "customers" }, "helpdesk"],
    [{ helpdesk: "front", perPage: 10, page: 3 }, "helpdesk"],
    [{ team: "team: rare", days: 90 }, "labels"],
    [{ label: "team: rare", state: "all", sort: "customers" }, "labels"],
    [{ label: "team: common", perPage: 10, page: 3 }, "labels"],
  ] as const)(
    "%j: the same rows and total whether the %s filter is read by its index or checked",
    async (view, filter) => {
      const query = { ...DEFAULT_IMPACT_QUERY, ...view };
      const read = async (indexed: boolean) => {
        const statements = impactRankingStatements(database.prisma, query, { all: true }, 10_000, {
          repository: false,
          helpdesk: false,
          labels: false,
          [filter]: indexed,
        });
        const rows = await database.prisma.$queryRaw<{ issueId: number }[]>(statements.page);
        const [counted] = await database.prisma.$queryRaw<{ total: number | bigint }[]>(statements.total);
        return { rows: rows.map((row) => Number(row.issueId)), total: Number(counted!.total) };
      };
      const checked = await read(false);
      expect(checked.rows.length).toBeGreaterThan(0);
      expect(await read(true)).toEqual(checked);
    },
  );
});
