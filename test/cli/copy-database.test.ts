import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { parseDatabaseUrl, type DatabaseTarget } from "../../src/config/database-url.js";
import { copyDatabase } from "../../src/store/database-copy.js";
import { migrate, readMigrationFiles } from "../../src/store/migrations.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { openDeliveryWriter } from "../../src/store/delivery-writer.js";
import { Prisma as SqlitePrisma } from "../../src/store/generated/sqlite/client.js";
import { REOPEN_JOBS, ofProvider } from "../../src/store/helpdesk-jobs.js";
import { recordHeartbeat } from "../../src/store/heartbeats.js";
import { claimLeases } from "../../src/store/lease.js";
import { readClaimedJobs } from "../../src/store/reopen-jobs.js";
import { CUSTOMER_HASH_KEY, readOrCreateSecret } from "../../src/store/secrets.js";
import { captureCli } from "../support/cli-output.js";
import { runCliProcess } from "../support/process.js";
import { tempFolder } from "../support/temp-folders.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { closeWithLinks, conversation, REPOSITORY } from "../support/reopen.js";

const MODELS = Object.values(SqlitePrisma.ModelName);
const AT = new Date("2026-11-22T08:30:00.123Z");

/** The Prisma client's delegate of a model (`Link` → `prisma.link`), for reading any table the same way. */
function delegate(database: Database, model: string): { findMany(): Promise<object[]>; count(): Promise<number> } {
  const name = model[0]!.toLowerCase() + model.slice(1);
  return (database.prisma as unknown as Record<string, { findMany(): Promise<object[]>; count(): Promise<number> }>)[
    name
  ]!;
}

/**
 * A table's rows as the app reads them through Prisma, in one order for both engines: Prisma gives both the same types
 * (Date, bigint, boolean), so what each engine stores differently (SQLite's DateTime text, 0/1 booleans) is read
 * alike; the order is the rows' own text, since the engines sort text differently (SQLite by bytes, PostgreSQL by
 * collation) and a table without an autoincrement id has no order of its own.
 */
async function rowsOf(database: Database, model: string): Promise<string[]> {
  const rows = await delegate(database, model).findMany();
  return rows
    .map((row) =>
      JSON.stringify(row, (_, value: unknown) => (typeof value === "bigint" ? `${value}n` : (value as object))),
    )
    .sort();
}

/**
 * Rows in every table of the schema, written by the app's own writers where a test helper has them (links through a
 * comment, a close and its reopen jobs, the inbox's raw insert, a generated secret, a heartbeat) and through Prisma for
 * the rest, with a DateTime in each of SQLite's spellings.
 */
async function seed(database: Database): Promise<void> {
  const prisma = database.prisma;
  await closeWithLinks(database, 42, [conversation("zendesk", 1), conversation("intercom", 2)]);
  await closeWithLinks(database, 43, [conversation("front", 3)]);
  const issue = await prisma.issue.findFirstOrThrow({ where: { number: 42 } });
  const job = await prisma.reopenJob.findFirstOrThrow({ where: { provider: "zendesk" } });
  await prisma.reopenJob.update({ where: { id: job.id }, data: { state: "done", finishedAt: AT } });
  const writer = openDeliveryWriter(database.target, { warn: () => undefined } as never);
  await writer.write([{ id: "delivery-1", name: "issue_comment", payload: '{"action":"created"}' }], AT);
  await writer.close();
  await readOrCreateSecret(prisma, CUSTOMER_HASH_KEY);
  await recordHeartbeat(prisma, { id: "old-host:1", host: "old-host", startedAt: AT }, AT);
  const rows: Partial<Record<string, () => Promise<unknown>>> = {
    LabelEvaluation: () =>
      prisma.labelEvaluation.create({ data: { issueId: issue.id, frequency: "daily", dueAt: AT } }),
    IssueImpact: () =>
      prisma.issueImpact.create({
        data: {
          issueId: issue.id,
          generation: 1,
          repositoryId: REPOSITORY.id,
          state: "closed",
          ...{ reports7: 2, reports14: 2, reports30: 2, reports90: 2 },
          ...{ customers7: 1, customers14: 1, customers30: 1, customers90: 1 },
          lastReportAt: AT,
          helpdesks: ",intercom,zendesk,",
        },
      }),
    ConversationAlias: () =>
      prisma.conversationAlias.create({
        data: { provider: "front", account: "", aliasId: "cnv_old", conversationId: "cnv_3", createdAt: AT },
      }),
    IssueLabel: () =>
      prisma.issueLabel.create({
        data: {
          issueId: issue.id,
          key: "daily",
          name: "Daily",
          present: true,
          seenAt: AT,
          applied: true,
          kind: "frequency",
        },
      }),
    LabelError: () =>
      prisma.labelError.create({ data: { repositoryId: REPOSITORY.id, message: "403 archived", seenAt: AT } }),
    ProjectError: () =>
      prisma.projectError.create({
        data: { repositoryId: REPOSITORY.id, url: "https://github.com/orgs/o/projects/1", message: "gone", seenAt: AT },
      }),
    ConfigError: () =>
      prisma.configError.create({
        data: {
          repositoryId: REPOSITORY.id,
          path: ".github/closeloop.yml",
          message: "bad",
          commitSha: "abc",
          seenAt: AT,
        },
      }),
    AnswerWatch: () =>
      prisma.answerWatch.create({
        data: {
          reopenJobId: job.id,
          closeId: job.closeId,
          provider: job.provider,
          account: job.account,
          conversationId: job.conversationId,
          url: job.url,
          reopenedAt: AT,
          remindAt: new Date(AT.getTime() + 86_400_000),
        },
      }),
    Backfill: () =>
      prisma.backfill.create({
        data: {
          repositoryId: REPOSITORY.id,
          state: "running",
          phase: "comments",
          page: 3,
          closedSince: AT,
          requestedAt: AT,
        },
      }),
    BackfillIssue: () =>
      prisma.backfillIssue.create({
        data: {
          repositoryId: REPOSITORY.id,
          number: 7,
          githubId: 9_007_199_254_740_993n,
          state: "open",
          title: "Crash on save",
          openedAt: AT,
          titleAt: AT,
        },
      }),
    EnrichJob: () =>
      prisma.enrichJob.create({
        data: { provider: "intercom", account: "", conversationId: "2", url: "https://app.intercom.com/a/2" },
      }),
    LinkNote: () =>
      prisma.linkNote.create({
        data: {
          issueId: issue.id,
          provider: "intercom",
          account: "",
          conversationId: "2",
          url: "https://app.intercom.com/a/2",
          note: "Linked to Codertocat/Hello-World#42",
          state: "dead",
          lastError: "Intercom: 404",
          lastStatus: 404,
        },
      }),
    LabelSweep: () => prisma.labelSweep.create({ data: { id: 1, nextRunAt: AT, issues: 2, durationMs: 12 } }),
    PurgedInstallation: () => prisma.purgedInstallation.create({ data: { id: 88n, purgedAt: AT } }),
    PurgedRepository: () =>
      prisma.purgedRepository.create({ data: { installationId: 77n, repositoryId: 186853003n, purgedAt: AT } }),
    ApiToken: () =>
      prisma.apiToken.create({
        data: {
          hash: "ab".repeat(32),
          name: "ranking script",
          createdBy: "octocat",
          createdById: 583231n,
          repositoryIds: '["186853002"]',
          createdAt: AT,
        },
      }),
    DashboardSession: () =>
      prisma.dashboardSession.create({
        data: {
          id: "cd".repeat(32),
          login: "octocat",
          userId: 583231n,
          token: "v1.sealed",
          createdAt: AT,
          expiresAt: AT,
        },
      }),
    AdminLogin: () => prisma.adminLogin.create({ data: { login: "octocat", userId: 583231n, pinnedAt: AT } }),
    HelpdeskBudget: () =>
      prisma.helpdeskBudget.create({
        data: { key: "zendesk:calls", limit: 700, windowMs: 60_000, taken: 2n ** 40n, nextAt: AT, updatedAt: AT },
      }),
    ImpactCounting: () => prisma.impactCounting.create({ data: { id: 1 } }),
  };
  for (const model of MODELS) if ((await delegate(database, model).count()) === 0) await rows[model]?.();
  // A row written by raw SQL that leaves a DateTime to the migration's CURRENT_TIMESTAMP default
  // ("YYYY-MM-DD HH:MM:SS"), and an id used and deleted (SQLite's AUTOINCREMENT does not give it again).
  await prisma.$executeRawUnsafe(
    `INSERT INTO "EnrichJob" ("provider", "account", "conversationId", "url", "updatedAt") VALUES ('front', '', 'cnv_raw', 'https://app.frontapp.com/open/cnv_raw', '2026-11-22T08:30:00.000+00:00')`,
  );
  const gone = await prisma.issue.create({ data: { repositoryId: REPOSITORY.id, number: 99 } });
  await prisma.issue.delete({ where: { id: gone.id } });
}

async function tableCounts(url: string): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables.rows)
      counts[name] = Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${name}"`)).rows[0]!.n);
    return counts;
  } finally {
    await client.end();
  }
}

async function cli(databaseUrl: string, argv: string[]) {
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = databaseUrl;
  const io = captureCli();
  try {
    const code = await runCli(argv, io.out, io.error);
    return { code, ...io };
  } finally {
    process.env.DATABASE_URL = saved;
  }
}

describe("closeloop copy-database: a SQLite database with rows in every table, into PostgreSQL", () => {
  let sourceUrl: string;
  let targetUrl: string;
  let source: Database;
  let target: Database;
  let copy: Awaited<ReturnType<typeof cli>>;

  beforeAll(async () => {
    sourceUrl = await freshDatabaseUrl("sqlite");
    targetUrl = await freshDatabaseUrl("postgresql");
    source = await openDatabase(sourceUrl, { migrate: true });
    await seed(source);
    copy = await cli(sourceUrl, ["copy-database", targetUrl, "--json"]);
    target = await openDatabase(targetUrl);
  }, 60_000);
  afterAll(async () => {
    await source.close();
    await target.close();
  });

  it("seeds a row in every table of the schema (a model added without one here fails: seed it above)", async () => {
    const empty: string[] = [];
    for (const model of MODELS) if ((await delegate(source, model).count()) === 0) empty.push(model);
    expect(empty).toEqual([]);
  });

  it("copies every table of the schema, and only those", () => {
    expect(copy.code).toBe(0);
    const copied = copy.json() as { tables: Record<string, number>; rows: number };
    expect(Object.keys(copied.tables).sort()).toEqual([...MODELS].sort());
    expect(copied.rows).toBe(Object.values(copied.tables).reduce((sum, rows) => sum + rows, 0));
  });

  it.each(MODELS)("%s reads the same, row by row, from both databases", async (model) => {
    const rows = await rowsOf(source, model);
    expect(rows.length).toBeGreaterThan(0);
    expect(await rowsOf(target, model)).toEqual(rows);
  });

  it("leaves the target with the indexes a migrated database has (those built after the rows included)", async () => {
    const migrated = await openDatabase(await freshDatabaseUrl("postgresql"), { migrate: true });
    const indexes = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`;
    try {
      const expected = await migrated.prisma.$queryRawUnsafe<object[]>(indexes);
      expect(expected.length).toBeGreaterThan(MODELS.length);
      expect(await target.prisma.$queryRawUnsafe<object[]>(indexes)).toEqual(expected);
    } finally {
      await migrated.close();
    }
  });

  it("numbers new rows past every id SQLite used, deleted ones included", async () => {
    const counter = await source.prisma.$queryRawUnsafe<{ seq: bigint }[]>(
      `SELECT seq FROM sqlite_sequence WHERE name = 'Issue'`,
    );
    const issue = await target.prisma.issue.create({ data: { repositoryId: REPOSITORY.id, number: 100 } });
    expect(issue.id).toBe(Number(counter[0]!.seq) + 1);
    await target.prisma.issue.delete({ where: { id: issue.id } });
  });

  it("shows the same links and status on the copy as on the source", async () => {
    const links = await cli(sourceUrl, ["links", "Codertocat/Hello-World#42", "--json"]);
    expect(links.code).toBe(0);
    expect((links.json() as unknown[]).length).toBe(2);
    const copied = await cli(targetUrl, ["links", "Codertocat/Hello-World#42", "--json"]);
    expect(copied.json()).toEqual(links.json());

    const status = await cli(sourceUrl, ["status", "--json"]);
    const copiedStatus = await cli(targetUrl, ["status", "--json"]);
    expect(copiedStatus.code).toBe(status.code);
    // The database line names each database, and PostgreSQL has a migration of its own (the payload's storage).
    const { database, migrations, ...rest } = status.json() as Record<string, Record<string, unknown>>;
    const {
      database: copiedDatabase,
      migrations: copiedMigrations,
      ...copiedRest
    } = copiedStatus.json() as Record<string, Record<string, unknown>>;
    expect(copiedDatabase!.ready).toBe(true);
    expect(copiedMigrations!.pending).toEqual([]);
    expect(database!.ready).toBe(true);
    expect(migrations!.pending).toEqual([]);
    expect(copiedRest).toEqual(rest);
  });

  it("claims on PostgreSQL a reopen job that was pending on SQLite", async () => {
    const pending = await source.prisma.reopenJob.findFirstOrThrow({
      where: { provider: "intercom", state: "pending" },
    });
    const claimed = await claimLeases<{ key: number }>(target.prisma, "postgresql", REOPEN_JOBS, {
      owner: "replica-1",
      leaseMs: 60_000,
      limit: 10,
      where: ofProvider("intercom"),
    });
    expect(claimed.map((row) => row.key)).toEqual([pending.id]);
    const [job] = await readClaimedJobs(target.prisma, [pending.id], "replica-1");
    expect(job).toMatchObject({ conversationId: pending.conversationId, url: pending.url });
  });
});

describe("closeloop copy-database, the process a person runs", () => {
  it("prints a progress line per table on stderr, and the rows per table on stdout", async () => {
    const source = await freshDatabaseUrl("sqlite");
    const database = await openDatabase(source, { migrate: true });
    await closeWithLinks(database, 42, [conversation("zendesk", 1), conversation("intercom", 2)]);
    await database.close();
    const target = await freshDatabaseUrl("postgresql");
    const run = await runCliProcess(["copy-database", target], { DATABASE_URL: source });
    expect(run.code).toBe(0);
    const progress = run.stderr.trimEnd().split("\n");
    expect(progress).toHaveLength(MODELS.length);
    for (const line of progress) expect(line).toMatch(/^copy-database: \w+ (\d+) of \1 rows, [\d,]+ a second$/);
    expect(progress).toContainEqual(expect.stringMatching(/^copy-database: Link 2 of 2 rows, /));
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ {2}table +rows$/);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Link +2$/));
    expect(lines.at(-1)).toMatch(
      /^copied \d+ rows from sqlite .* to postgresql .* in [\d.]+ s: set DATABASE_URL to the PostgreSQL URL and start the server$/,
    );
  });
});

describe("closeloop copy-database refuses, writing nothing", () => {
  /** A migrated SQLite file with one closed issue and its links. */
  async function smallSource(prepare?: (database: Database) => Promise<unknown>): Promise<string> {
    const url = await freshDatabaseUrl("sqlite");
    const database = await openDatabase(url, { migrate: true });
    try {
      await closeWithLinks(database, 42, [conversation("zendesk", 1)]);
      await prepare?.(database);
    } finally {
      await database.close();
    }
    return url;
  }

  it("a target that already holds closeloop's rows", async () => {
    const source = await smallSource();
    const target = await freshDatabaseUrl("postgresql");
    expect((await cli(source, ["copy-database", target])).code).toBe(0);
    const before = await tableCounts(target);
    const again = await cli(source, ["copy-database", target]);
    expect(again.code).toBe(1);
    expect(again.errors).toEqual([
      expect.stringMatching(
        /^closeloop: postgresql .* already holds data \(table \w+ has rows\): copy-database writes only into/,
      ),
    ]);
    expect(await tableCounts(target)).toEqual(before);
  });

  it("a target another copy is writing into: waits for it, then finds its rows", async () => {
    const source = await smallSource();
    const url = await freshDatabaseUrl("postgresql");
    const target = parseDatabaseUrl(url) as DatabaseTarget & { engine: "postgresql" };
    await migrate(target);
    // Another copy under way: its transaction holds the copy's lock and has written a row, not yet committed.
    const other = new pg.Client({ connectionString: target.connectionString });
    await other.connect();
    try {
      await other.query("BEGIN");
      await other.query(`SELECT pg_advisory_xact_lock(hashtextextended('closeloop copy-database', 0))`);
      await other.query(`INSERT INTO "AdminLogin" ("login", "userId", "pinnedAt") VALUES ('octocat', 583231, now())`);
      const copy = cli(source, ["copy-database", url]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await other.query("COMMIT");
      const result = await copy;
      expect(result.code).toBe(1);
      expect(result.errors).toEqual([expect.stringMatching(/already holds data \(table AdminLogin has rows\)/)]);
    } finally {
      await other.end();
    }
    const counts = await tableCounts(url);
    expect(Object.entries(counts).filter(([, rows]) => rows > 0)).toEqual([["AdminLogin", 1]]);
  });

  it("a source at another migration level, before the target is even migrated", async () => {
    const url = await freshDatabaseUrl("sqlite");
    const target = parseDatabaseUrl(url);
    await migrate(target, readMigrationFiles("sqlite").slice(0, -1));
    const into = await freshDatabaseUrl("postgresql");
    const copy = await cli(url, ["copy-database", into]);
    expect(copy.code).toBe(1);
    expect(copy.errors[0]).toMatch(
      /has pending migrations \(\d+_\w+\): run `closeloop migrate` with this version first/,
    );
    expect(await tableCounts(into)).toEqual({});
  });

  it("a source migrated by a newer closeloop", async () => {
    const source = await smallSource((database) =>
      database.prisma.$executeRawUnsafe(
        `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "started_at", "applied_steps_count") VALUES ('future', 'x', '2027-01-01T00:00:00.000Z', '29990101000000_future', '2027-01-01T00:00:00.000Z', 1)`,
      ),
    );
    const into = await freshDatabaseUrl("postgresql");
    const copy = await cli(source, ["copy-database", into]);
    expect(copy.code).toBe(1);
    expect(copy.errors[0]).toMatch(
      /^closeloop: sqlite .*: the database has migration 29990101000000_future, which this version of closeloop does not know/,
    );
    expect(await tableCounts(into)).toEqual({});
  });

  it("a server seen on the source lately", async () => {
    const source = await smallSource((database) =>
      recordHeartbeat(database.prisma, { id: "app-1:7", host: "app-1", startedAt: new Date() }, new Date()),
    );
    const target = await freshDatabaseUrl("postgresql");
    const copy = await cli(source, ["copy-database", target, "--json"]);
    expect(copy.code).toBe(1);
    expect(copy.json()).toEqual({
      error: expect.stringMatching(
        /^a closeloop server on app-1 was seen \d+ s ago on sqlite .*: stop every server first; .* try again in \d+ s$/,
      ),
    });
    expect(await tableCounts(target)).toEqual({});
  });

  it("a value that does not fit its column: the whole copy is undone", async () => {
    const source = await smallSource((database) =>
      database.prisma.$executeRawUnsafe(`UPDATE "Link" SET "enrichedAt" = 'yesterday'`),
    );
    const target = await freshDatabaseUrl("postgresql");
    const copy = await cli(source, ["copy-database", target]);
    expect(copy.code).toBe(1);
    expect(copy.errors).toEqual([
      'closeloop: Link.enrichedAt of the row rowid 1 holds "yesterday", not a time: nothing was copied',
    ]);
    // Migrated, and every table still empty: the rows copied before the bad one were rolled back.
    const counts = await tableCounts(target);
    expect(Object.keys(counts).sort()).toEqual([...MODELS].sort());
    expect(Object.values(counts).every((rows) => rows === 0)).toBe(true);
    // So it can be run again once the value is mended.
    const fixed = await openDatabase(source);
    await fixed.prisma.$executeRawUnsafe(`UPDATE "Link" SET "enrichedAt" = NULL`);
    await fixed.close();
    expect((await cli(source, ["copy-database", target])).code).toBe(0);
    expect((await tableCounts(target)).Link).toBe(1);
  });

  it("a source another process is writing to, before the target is touched", async () => {
    const source = parseDatabaseUrl(await smallSource()) as DatabaseTarget & { engine: "sqlite" };
    const writing = new BetterSqlite3(source.path);
    writing.exec("BEGIN IMMEDIATE");
    try {
      const into = await freshDatabaseUrl("postgresql");
      const target = parseDatabaseUrl(into) as DatabaseTarget & { engine: "postgresql" };
      await expect(copyDatabase(source, target, { lockWaitMs: 50 })).rejects.toThrow(
        /^another process is writing to sqlite .*: stop it, then run copy-database again$/,
      );
      expect(await tableCounts(into)).toEqual({});
    } finally {
      writing.exec("ROLLBACK");
      writing.close();
    }
  });

  it("an unreachable target, with the line every command gives", async () => {
    const copy = await cli(await smallSource(), ["copy-database", "postgres://closeloop:secret@127.0.0.1:1/closeloop"]);
    expect(copy.code).toBe(1);
    expect(copy.errors).toEqual([
      expect.stringMatching(
        /^closeloop: cannot reach the database postgresql postgres:\/\/closeloop:\*\*\*@127\.0\.0\.1:1\/closeloop: connect ECONNREFUSED/,
      ),
    ]);
  });

  it("a PostgreSQL source, a missing one, a folder, and a target that is not PostgreSQL", async () => {
    const target = await freshDatabaseUrl("postgresql");
    const fromPostgres = await cli(target, ["copy-database", await freshDatabaseUrl("postgresql")]);
    expect(fromPostgres.code).toBe(1);
    expect(fromPostgres.errors[0]).toMatch(
      /^closeloop: DATABASE_URL names postgresql .*: copy-database copies a SQLite/,
    );
    const missing = await cli("file:/nonexistent/closeloop.db", ["copy-database", target]);
    expect(missing.code).toBe(1);
    expect(missing.errors[0]).toMatch(/^closeloop: no database at \/nonexistent\/closeloop\.db/);
    const folder = await cli(`file:${tempFolder("closeloop-folder-")}`, ["copy-database", target]);
    expect(folder.code).toBe(1);
    expect(folder.errors[0]).toMatch(
      /^closeloop: cannot open the SQLite database .*: it is a folder: DATABASE_URL names/,
    );
    const notPostgres = await cli(await smallSource(), ["copy-database", "file:./other.db"]);
    expect(notPostgres.code).toBe(2);
    expect(notPostgres.errors[0]).toMatch(/^closeloop: the target must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(await tableCounts(target)).toEqual({});
  });
});
