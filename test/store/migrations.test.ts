import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { parseDatabaseUrl, type DatabaseTarget } from "../../src/config/database-url.js";
import { migrate, migrationStatus, readMigrationFiles, MigrationError } from "../../src/store/migrations.js";
import { checkReadiness, openDatabase } from "../../src/store/database.js";
import { recordIssueClose } from "../../src/store/issues.js";
import { openSweepStore } from "../../src/store/label-sweep.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { rankIssues } from "../../src/dashboard/impact.js";
import { DEFAULT_IMPACT_QUERY } from "../../src/domain/impact-query.js";
import { claimEnrichJobs } from "../support/reopen.js";
import { tempFolder } from "../support/temp-folders.js";

async function sql(target: DatabaseTarget, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  if (target.engine === "sqlite") {
    const db = new BetterSqlite3(target.path);
    try {
      const statement = db.prepare(text);
      return statement.reader
        ? (statement.all(...params) as Record<string, unknown>[])
        : (statement.run(...params), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    return (
      await client.query(
        text.replace(/\?/g, (_, i: number) => `$${text.slice(0, i).split("?").length}`),
        params,
      )
    ).rows;
  } finally {
    await client.end();
  }
}

describe.each(ENGINES)("migrations on %s", (engine) => {
  const files = readMigrationFiles(engine);

  /** A database migrated up to the migration `name`, holding repository 1 as the releases before it wrote it. */
  const repositoryBefore = async (name: string) => {
    const url = await freshDatabaseUrl(engine);
    const target = parseDatabaseUrl(url);
    await migrate(
      target,
      files.filter((file) => file.name < name),
    );
    await sql(
      target,
      `INSERT INTO "Repository" ("id", "installationId", "owner", "name", "fullName") VALUES (1, 2, 'o', 'r', 'o/r')`,
    );
    return { url, target };
  };

  it("migrates a fresh database and records each migration in _prisma_migrations", async () => {
    const target = parseDatabaseUrl(await freshDatabaseUrl(engine));
    expect(await migrationStatus(target)).toEqual({ applied: [], pending: files.map((f) => f.name) });

    expect(await migrate(target)).toEqual(files.map((f) => f.name));

    const rows = await sql(
      target,
      `SELECT "migration_name", "checksum" FROM "_prisma_migrations" ORDER BY "migration_name"`,
    );
    expect(rows).toEqual(files.map((f) => ({ migration_name: f.name, checksum: f.checksum })));
    expect(await migrationStatus(target)).toEqual({ applied: files.map((f) => f.name), pending: [] });
  });

  it("gives links stored before enrichment existed a job each (one per conversation), claimable by the worker", async () => {
    const url = await freshDatabaseUrl(engine);
    const target = parseDatabaseUrl(url);
    const before = files.filter((file) => file.name < "20261123140000");
    await migrate(target, before);
    // Rows as the previous release wrote them (this build's client knows the new columns, so plain SQL).
    await sql(
      target,
      `INSERT INTO "Repository" ("id", "installationId", "owner", "name", "fullName") VALUES (1, 2, 'o', 'r', 'o/r')`,
    );
    for (const issue of [1, 2])
      await sql(
        target,
        `INSERT INTO "Issue" ("id", "repositoryId", "number", "state", "createdAt") VALUES (?, 1, ?, 'open', '2026-11-01T00:00:00.000+00:00')`,
        [issue, issue],
      );
    for (const [issue, provider, account, id] of [
      [1, "zendesk", "acme", "7"],
      [1, "front", "", "cnv_1"],
      [2, "zendesk", "acme", "7"],
    ] as const) {
      await sql(
        target,
        `INSERT INTO "Link" ("issueId", "provider", "account", "conversationId", "url", "source", "linkedAt") VALUES (?, ?, ?, ?, ?, 'comment', '2026-11-01T00:00:00.000+00:00')`,
        [issue, provider, account, id, `https://example.com/${id}`],
      );
    }
    await migrate(target);
    const migrated = await openDatabase(url);
    try {
      expect(
        (await migrated.prisma.enrichJob.findMany({ orderBy: { provider: "asc" } })).map(
          (job) => `${job.provider} ${job.account} ${job.conversationId} ${job.state}`,
        ),
      ).toEqual(["front  cnv_1 pending", "zendesk acme 7 pending"]);
      const claimed = await claimEnrichJobs(migrated.prisma, migrated.engine, {
        provider: "zendesk",
        limit: 5,
        leaseMs: 60_000,
        owner: "w",
      });
      expect(claimed.map((job) => job.conversationId)).toEqual(["7"]);
    } finally {
      await migrated.close();
    }
  });

  it("carries links stored before order-tolerant links into versions and mentions: an edit removing one still leaves it to a close", async () => {
    const url = await freshDatabaseUrl(engine);
    const target = parseDatabaseUrl(url);
    await migrate(
      target,
      files.filter((file) => file.name < "20261130090000"),
    );
    const at = "2026-11-01T10:00:00.000+00:00";
    await sql(
      target,
      `INSERT INTO "Repository" ("id", "installationId", "owner", "name", "fullName") VALUES (1, 77, 'o', 'r', 'o/r')`,
    );
    await sql(
      target,
      `INSERT INTO "Issue" ("id", "repositoryId", "number", "state", "createdAt") VALUES (1, 1, 5, 'open', ?)`,
      [at],
    );
    await sql(
      target,
      `INSERT INTO "Source" ("id", "issueId", "kind", "key", "version") VALUES (1, 1, 'comment', '900', ?)`,
      [at],
    );
    for (const [id, conversation] of [
      [1, "7"],
      [2, "8"],
    ] as const) {
      await sql(
        target,
        `INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt") VALUES (?, 1, 'zendesk', 'acme', ?, ?, 'comment', ?)`,
        [id, conversation, `https://acme.zendesk.com/agent/tickets/${conversation}`, at],
      );
      await sql(target, `INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") VALUES (?, 1, ?)`, [id, at]);
    }
    await migrate(target);
    const migrated = await openDatabase(url);
    try {
      const prisma = migrated.prisma;
      expect(
        (await prisma.mention.findMany({ orderBy: { id: "asc" } })).map(
          (m) => `${m.conversationId} ${m.startAt.toISOString()} ${m.endAt?.toISOString() ?? "null"}`,
        ),
      ).toEqual(["7 2026-11-01T10:00:00.000Z null", "8 2026-11-01T10:00:00.000Z null"]);
      const [version] = await prisma.sourceVersion.findMany();
      const carried = (JSON.parse(version!.links) as { conversationId: string; url: string }[]).sort((a, b) =>
        a.conversationId.localeCompare(b.conversationId),
      );
      expect(carried.map((link) => `${link.conversationId} ${link.url}`)).toEqual([
        "7 https://acme.zendesk.com/agent/tickets/7",
        "8 https://acme.zendesk.com/agent/tickets/8",
      ]);
      expect(version!.previous).toBe(version!.links);
      // A close after the upgrade reopens both; an edit processed after it that dropped one, made after the close, keeps its job.
      const issue = {
        repository: { id: 1n, installationId: 77n, owner: "o", name: "r" },
        number: 5,
        githubId: 55n,
        state: "open" as const,
      };
      const outcome = await recordIssueClose(migrated, issue, {
        closedAt: new Date("2026-11-02T10:00:00Z"),
        stateReason: "completed",
        closedBy: "octocat",
        reopen: true,
        note: "n",
        summary: false,
        details: "private",
        closedTickets: "follow_up",
      });
      expect(outcome).toMatchObject({ kind: "closed", jobs: 2 });
      const link = {
        provider: "zendesk" as const,
        account: "acme",
        conversationId: "7",
        url: "https://acme.zendesk.com/agent/tickets/7",
      };
      await applySourceChange(migrated, {
        issue,
        source: { kind: "comment", key: "900" },
        event: { action: "edited", version: new Date("2026-11-03T10:00:00Z") },
        links: [link],
        previous: [link, { ...link, conversationId: "8", url: "https://acme.zendesk.com/agent/tickets/8" }],
        createdAt: new Date(at),
      });
      expect(
        (await prisma.reopenJob.findMany({ orderBy: { conversationId: "asc" } })).map((job) => job.conversationId),
      ).toEqual(["7", "8"]);
      expect(
        (await prisma.link.findMany({ orderBy: { conversationId: "asc" } })).map((row) => row.conversationId),
      ).toEqual(["7", "8"]);
    } finally {
      await migrated.close();
    }
  });

  it("renames the label job's and the summary's lease columns to lockedBy and lockedUntil, keeping a held lease", async () => {
    const url = await freshDatabaseUrl(engine);
    const target = parseDatabaseUrl(url);
    await migrate(
      target,
      files.filter((file) => file.name < "20261206130000"),
    );
    const until = "2026-12-06T12:00:00.000+00:00";
    await sql(
      target,
      `INSERT INTO "Repository" ("id", "installationId", "owner", "name", "fullName") VALUES (1, 2, 'o', 'r', 'o/r')`,
    );
    await sql(
      target,
      `INSERT INTO "Issue" ("id", "repositoryId", "number", "state", "createdAt", "labelsWantedAt", "labelsLockedBy", "labelsLockedUntil") VALUES (1, 1, 1, 'closed', ?, ?, 'host:1:labels', ?)`,
      [until, until, until],
    );
    await sql(
      target,
      `INSERT INTO "IssueClose" ("id", "issueId", "closedAt", "reason", "note", "summary", "summaryDueAt", "summaryLockedBy", "summaryLockedUntil") VALUES (1, 1, ?, 'completed', 'n', ?, ?, 'host:1:summary', ?)`,
      [until, engine === "sqlite" ? 1 : true, until, until],
    );
    await migrate(target);
    const migrated = await openDatabase(url);
    try {
      const issue = await migrated.prisma.issue.findUniqueOrThrow({ where: { id: 1 } });
      const close = await migrated.prisma.issueClose.findUniqueOrThrow({ where: { id: 1 } });
      expect([issue.lockedBy, issue.lockedUntil?.toISOString()]).toEqual(["host:1:labels", "2026-12-06T12:00:00.000Z"]);
      expect([close.lockedBy, close.lockedUntil?.toISOString()]).toEqual([
        "host:1:summary",
        "2026-12-06T12:00:00.000Z",
      ]);
    } finally {
      await migrated.close();
    }
  });

  it("marks live the links a source carries, and only those, when Link.live arrives", async () => {
    const url = await freshDatabaseUrl(engine);
    const target = parseDatabaseUrl(url);
    await migrate(
      target,
      files.filter((file) => file.name < "20261211110000"),
    );
    const at = "2026-12-01T10:00:00.000+00:00";
    await sql(
      target,
      `INSERT INTO "Repository" ("id", "installationId", "owner", "name", "fullName") VALUES (1, 2, 'o', 'r', 'o/r')`,
    );
    await sql(
      target,
      `INSERT INTO "Issue" ("id", "repositoryId", "number", "state", "createdAt") VALUES (1, 1, 1, 'closed', ?)`,
      [at],
    );
    await sql(
      target,
      `INSERT INTO "Source" ("id", "issueId", "kind", "key", "createdAt") VALUES (1, 1, 'comment', '1', ?)`,
      [at],
    );
    for (const id of [1, 2, 3])
      await sql(
        target,
        `INSERT INTO "Link" ("id", "issueId", "provider", "account", "conversationId", "url", "source", "linkedAt") VALUES (?, 1, 'zendesk', 'acme', ?, ?, 'comment', ?)`,
        [id, String(id), `https://acme.zendesk.com/agent/tickets/${id}`, at],
      );
    // Link 2 is kept for its close's history only: no source carries it any more.
    for (const id of [1, 3])
      await sql(target, `INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") VALUES (?, 1, ?)`, [id, at]);
    await migrate(target);
    const migrated = await openDatabase(url);
    try {
      expect(await migrated.prisma.link.findMany({ orderBy: { id: "asc" }, select: { id: true, live: true } })).toEqual(
        [
          { id: 1, live: true },
          { id: 2, live: false },
          { id: 3, live: true },
        ],
      );
    } finally {
      await migrated.close();
    }
  });

  it("moves each issue's label evaluation to LabelEvaluation: due, not due, stale, and never evaluated", async () => {
    const { url, target } = await repositoryBefore("20261212110000");
    const at = (day: number) => `2026-12-${String(day).padStart(2, "0")}T10:00:00.000+00:00`;
    const issues: [number, string | null, string | null, string | null][] = [
      [1, "daily", at(20), null], // due later
      [2, "weekly", at(1), null], // due now
      [3, null, null, null], // never evaluated
      [4, null, at(2), at(2)], // marked stale by a config change
      [5, "weekly", null, null], // not due: nothing left to lose
    ];
    for (const [id, frequency, due, stale] of issues)
      await sql(
        target,
        `INSERT INTO "Issue" ("id", "repositoryId", "number", "state", "createdAt", "frequency", "labelsDueAt", "labelsStaleAt") VALUES (?, 1, ?, 'open', ?, ?, ?, ?)`,
        [id, id, at(1), frequency, due, stale],
      );
    await migrate(target);
    const migrated = await openDatabase(url);
    try {
      const rows = await migrated.prisma.labelEvaluation.findMany({ orderBy: { issueId: "asc" } });
      expect(
        rows.map((row) => [row.issueId, row.frequency, row.dueAt?.getUTCDate(), row.staleAt?.getUTCDate()]),
      ).toEqual([
        [1, "daily", 20, undefined],
        [2, "weekly", 1, undefined],
        [4, null, 2, 2],
        [5, "weekly", undefined, undefined],
      ]);
      // The sweep finds the due ones, in issue order.
      const store = openSweepStore(target, console);
      try {
        const { issues: due } = await store.readDue(new Date("2026-12-05T00:00:00Z"), null, 10);
        expect(due.map((issue) => [issue.number, issue.frequency, issue.stale])).toEqual([
          [2, "weekly", false],
          [4, null, true],
        ]);
      } finally {
        await store.close();
      }
      expect(await migrated.prisma.issue.count()).toBe(5);
    } finally {
      await migrated.close();
    }
  });

  it("keeps each counted issue's openedAt for the age sort, unknown last, when IssueImpact.ageOrder arrives", async () => {
    const { url, target } = await repositoryBefore("20261213100000");
    const at = (day: number) => `2026-11-${String(day).padStart(2, "0")}T10:00:00.000+00:00`;
    // Issue 3 was never counted (no links): it gets no counts.
    const issues: [number, string | null][] = [
      [1, at(20)],
      [2, null],
      [3, at(1)],
      [4, at(5)],
      [5, at(5)],
    ];
    for (const [id, openedAt] of issues) {
      await sql(
        target,
        `INSERT INTO "Issue" ("id", "repositoryId", "number", "state", "createdAt", "openedAt") VALUES (?, 1, ?, 'open', ?, ?)`,
        [id, id, at(1), openedAt],
      );
      if (id !== 3)
        await sql(
          target,
          `INSERT INTO "IssueImpact" ("issueId", "generation", "repositoryId", "state", "reports7", "reports14", "reports30", "reports90", "customers7", "customers14", "customers30", "customers90", "helpdesks") VALUES (?, 0, 1, 'open', 1, 1, 1, ?, 0, 0, 0, 0, ',zendesk,')`,
          [id, id],
        );
    }
    await migrate(target);
    const migrated = await openDatabase(url);
    try {
      const rows = await migrated.prisma.issueImpact.findMany({ orderBy: { issueId: "asc" } });
      expect(rows.map((row) => [row.issueId, row.ageOrder.toISOString()])).toEqual([
        [1, "2026-11-20T10:00:00.000Z"],
        [2, "9999-12-31T23:59:59.999Z"],
        [4, "2026-11-05T10:00:00.000Z"],
        [5, "2026-11-05T10:00:00.000Z"],
      ]);
      // Oldest first, a tie to more reports, the unknown last.
      const page = await rankIssues(
        migrated.prisma,
        { ...DEFAULT_IMPACT_QUERY, sort: "age", days: 90 },
        { all: true },
        new Date("2026-12-01T00:00:00Z"),
      );
      expect(page.rows.map((row) => row.number)).toEqual([5, 4, 1, 2]);
    } finally {
      await migrated.close();
    }
  });

  it("leaves a migrated database alone", async () => {
    const target = parseDatabaseUrl(await freshDatabaseUrl(engine));
    await migrate(target);
    await sql(
      target,
      `INSERT INTO "Repository" ("id", "installationId", "owner", "name", "fullName") VALUES (1, 2, 'o', 'r', 'o/r')`,
    );

    expect(await migrate(target)).toEqual([]);

    expect(await sql(target, `SELECT COUNT(*) AS n FROM "_prisma_migrations"`)).toEqual([
      { n: engine === "sqlite" ? files.length : String(files.length) },
    ]);
    expect(await sql(target, `SELECT "fullName" FROM "Repository"`)).toEqual([{ fullName: "o/r" }]);
  });

  // SQLite replicas are separate processes (better-sqlite3 waits synchronously for the lock), so SQLite's
  // version of this runs `closeloop migrate` processes in test/e2e/migrate.test.ts.
  if (engine === "postgresql")
    it("lets only one of several concurrent starts apply the migrations", async () => {
      const url = await freshDatabaseUrl(engine);
      const results = await Promise.all([1, 2, 3].map(() => migrate(parseDatabaseUrl(url))));
      expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
      const rows = await sql(parseDatabaseUrl(url), `SELECT "migration_name" FROM "_prisma_migrations"`);
      expect(rows).toHaveLength(files.length);
    });

  it("refuses a half-applied migration with a message that says what to do", async () => {
    const target = parseDatabaseUrl(await freshDatabaseUrl(engine));
    await migrate(target);
    const name = files[0]!.name;
    await sql(target, `UPDATE "_prisma_migrations" SET "finished_at" = NULL WHERE "migration_name" = ?`, [name]);

    const failure = migrate(target);
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(`migration ${name} started at`);
    await expect(failure).rejects.toThrow("half-migrated");
    expect((await migrationStatus(target)).problem).toMatch(/did not finish/);

    const database = await openDatabase(target.engine === "sqlite" ? `file:${target.path}` : target.connectionString);
    try {
      expect(await checkReadiness(database)).toEqual({ ready: false, reason: expect.stringMatching(/did not finish/) });
    } finally {
      await database.close();
    }
  });

  it("refuses a migration changed after it was applied", async () => {
    const target = parseDatabaseUrl(await freshDatabaseUrl(engine));
    await migrate(target);
    const changed = files.map((file, i) => (i === 0 ? { ...file, checksum: "0".repeat(64) } : file));
    await expect(migrate(target, changed)).rejects.toThrow(/was changed after it was applied/);
  });

  it("rolls back a failing migration whole and reports it", async () => {
    const target = parseDatabaseUrl(await freshDatabaseUrl(engine));
    await migrate(target);
    const broken = [
      ...files,
      {
        name: "29991231000000_broken",
        checksum: "f".repeat(64),
        sql: `CREATE TABLE "Extra" ("id" INTEGER); SELECT * FROM "NoSuchTable";`,
      },
    ];

    await expect(migrate(target, broken)).rejects.toThrow(/migration 29991231000000_broken failed: .*NoSuchTable/i);

    const extra =
      engine === "sqlite"
        ? await sql(target, `SELECT name FROM sqlite_master WHERE name = 'Extra'`)
        : await sql(target, `SELECT to_regclass('"Extra"') AS name`).then((rows) =>
            rows.filter((row) => row.name !== null),
          );
    expect(extra).toEqual([]);
  });

  it("is ready only once migrated", async () => {
    const url = await freshDatabaseUrl(engine);
    const database = await openDatabase(url);
    try {
      expect((await checkReadiness(database)).ready).toBe(false);
      await migrate(database.target);
      expect(await checkReadiness(database)).toEqual({ ready: true });
    } finally {
      await database.close();
    }
  });
});

describe("a SQLite file the process cannot open", () => {
  it.each([
    [
      "a folder",
      (folder: string) => folder,
      "it is a folder: DATABASE_URL names the file, e.g. file:/data/closeloop.db",
    ],
    [
      "a path under a file",
      (folder: string) => {
        writeFileSync(join(folder, "taken"), "");
        return join(folder, "taken/closeloop.db");
      },
      "is a file, not a folder",
    ],
  ])("%s: one message naming the file and what to do, nothing created", async (_, pathIn, advice) => {
    const folder = tempFolder("closeloop-unopenable-");
    const path = pathIn(folder);
    const failure = migrate(parseDatabaseUrl(`file:${path}`));
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(`cannot open the SQLite database ${path} (`);
    await expect(failure).rejects.toThrow(advice);
    expect(readdirSync(folder).filter((name) => name !== "taken")).toEqual([]);
  });
});

describe("a PostgreSQL server the process cannot reach", () => {
  it("stops with one message naming the server, its password masked", async () => {
    // Port 1: nothing listens there, so the connection is refused at once.
    const failure = migrate(parseDatabaseUrl("postgres://closeloop:hunter2@127.0.0.1:1/closeloop"));
    await expect(failure).rejects.toBeInstanceOf(MigrationError);
    await expect(failure).rejects.toThrow(
      "cannot reach the database postgresql postgres://closeloop:***@127.0.0.1:1/closeloop: connect ECONNREFUSED",
    );
    await expect(failure).rejects.not.toThrow("hunter2");
  });
});
