import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, type DatabaseTarget } from "../../src/config/database-url.js";
import { findLiveApiToken, recordApiToken } from "../../src/store/api-tokens.js";
import { findSession, recordSession } from "../../src/store/dashboard-sessions.js";
import { openDatabase } from "../../src/store/database.js";
import { copyDatabase } from "../../src/store/database-copy.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { ROOT, runCliProcess } from "../support/process.js";
import { closeWithLinks, conversation } from "../support/reopen.js";

// What an operator meets moving a SQLite file to PostgreSQL, beside test/cli/copy-database.test.ts: a target that is
// not quite the empty database the docs ask for, a copy stopped half-way, text and ids the app then reads back.

async function query<T extends object>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** The schema a migration makes, beyond pg_indexes: constraints, and each column's storage, nullability and default. */
const SCHEMA = {
  indexes: `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`,
  constraints: `SELECT conrelid::regclass::text AS owner, conname, contype, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2`,
  columns: `SELECT attrelid::regclass::text AS owner, attname, attstorage, attnotnull, pg_get_expr(adbin, adrelid) AS default
    FROM pg_attribute JOIN pg_class ON pg_class.oid = attrelid LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum
    WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND attnum > 0 AND NOT attisdropped ORDER BY 1, 2`,
};

async function freshlyMigrated(): Promise<string> {
  const url = await freshDatabaseUrl("postgresql");
  await (await openDatabase(url, { migrate: true })).close();
  return url;
}

/** Each autoincrement column whose sequence would give an id the table already holds. */
async function sequencesBehind(url: string): Promise<string[]> {
  const serials = await query<{ table: string; column: string; sequence: string }>(
    url,
    `SELECT table_name AS "table", column_name AS "column", pg_get_serial_sequence(quote_ident(table_name), column_name) AS "sequence"
     FROM information_schema.columns WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`,
  );
  expect(serials.length).toBeGreaterThan(5);
  const behind: string[] = [];
  for (const { table, column, sequence } of serials) {
    const [max] = await query<{ n: string }>(url, `SELECT coalesce(max("${column}"), 0)::text AS n FROM "${table}"`);
    const [next] = await query<{ n: string }>(
      url,
      `SELECT (CASE WHEN is_called THEN last_value + 1 ELSE last_value END)::text AS n FROM ${sequence}`,
    );
    if (BigInt(next!.n) <= BigInt(max!.n)) behind.push(`${table}.${column}`);
  }
  return behind;
}

async function until(done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 20));
}

function copy(source: string, target: string) {
  return copyDatabase(
    parseDatabaseUrl(source) as DatabaseTarget & { engine: "sqlite" },
    parseDatabaseUrl(target) as DatabaseTarget & { engine: "postgresql" },
  );
}

/** A migrated SQLite file with a closed issue, its link and reopen job, and `deliveries` inbox rows (the bulk). */
async function sqliteSource(deliveries: number): Promise<string> {
  const url = await freshDatabaseUrl("sqlite");
  const database = await openDatabase(url, { migrate: true });
  await closeWithLinks(database, 42, [conversation("zendesk", 1)]);
  await database.close();
  const file = new BetterSqlite3((parseDatabaseUrl(url) as DatabaseTarget & { engine: "sqlite" }).path);
  file
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO "Delivery" ("id", "name", "payload", "receivedAt") SELECT 'd-' || i, 'issues', '{"action":"opened","n":' || i || ',"pad":"' || hex(randomblob(200)) || '"}', '2026-11-22T08:30:00.000+00:00' FROM n`,
    )
    .run(deliveries);
  file.close();
  return url;
}

describe("closeloop copy-database, as an operator meets it", () => {
  it("leaves the schema a migrated database has, and the app numbers new rows past the copied ones", async () => {
    const source = await sqliteSource(10);
    const big = 9_007_199_254_740_993n;
    const old = await openDatabase(source);
    const session = { login: "octocat", userId: big, token: "v1.sealed", expiresAt: new Date(Date.now() + 3_600_000) };
    try {
      const token = (name: string) => ({ hash: name.repeat(32), name, createdBy: "octocat", createdById: big });
      await recordApiToken(old.prisma, { ...token("ab"), repositoryIds: [big, 186853002n] });
      // The newest token deleted: SQLite's AUTOINCREMENT does not give its id again, nor must PostgreSQL.
      const gone = await recordApiToken(old.prisma, { ...token("cd"), repositoryIds: [] });
      await old.prisma.apiToken.delete({ where: { id: gone } });
      await recordSession(old.prisma, { ...session, id: "ef".repeat(32), createdAt: new Date() });
    } finally {
      await old.close();
    }
    const target = await freshDatabaseUrl("postgresql");
    await copy(source, target);
    const fresh = await freshlyMigrated();
    for (const text of Object.values(SCHEMA)) expect(await query(target, text)).toEqual(await query(fresh, text));
    expect(await sequencesBehind(target)).toEqual([]);
    const app = await openDatabase(target);
    try {
      await closeWithLinks(app, 43, [conversation("intercom", 9)]);
      expect(await app.prisma.link.count()).toBe(2);
      expect(await app.prisma.reopenJob.count()).toBe(2);
      expect(await findLiveApiToken(app.prisma, "ab".repeat(32))).toMatchObject({ repositoryIds: [big, 186853002n] });
      const next = { hash: "12".repeat(32), name: "new", createdBy: "octocat", createdById: 1n, repositoryIds: [] };
      expect(await recordApiToken(app.prisma, next)).toBe(3);
      expect(await findSession(app.prisma, "ef".repeat(32))).toMatchObject({ userId: big, login: "octocat" });
      await recordSession(app.prisma, { ...session, id: "34".repeat(32), createdAt: new Date() });
      expect(await findSession(app.prisma, "34".repeat(32))).toMatchObject({ userId: big });
    } finally {
      await app.close();
    }
  }, 60_000);

  it("reads text back as it was: unicode, control characters, quotes, braces, '' apart from NULL", async () => {
    const source = await sqliteSource(1);
    const values = [
      "",
      "NULL",
      ' a "b" \\ {c,d} ',
      "\u0001\t\n\r\u001f\u007f",
      "héllo 👋🏽 中文 \u200b",
      "x".repeat(100_000),
    ];
    const file = new BetterSqlite3((parseDatabaseUrl(source) as DatabaseTarget & { engine: "sqlite" }).path);
    const link = file.prepare(`SELECT "issueId", "linkedAt" FROM "Link"`).get() as {
      issueId: number;
      linkedAt: string;
    };
    const insert = file.prepare(
      `INSERT INTO "Link" ("issueId", "provider", "account", "conversationId", "url", "source", "linkedAt", "team", "tags") VALUES (?, 'front', '', ?, ?, 'comment', ?, ?, ?)`,
    );
    values.forEach((value, i) =>
      insert.run(link.issueId, `c${i}`, `u${i}`, link.linkedAt, value, i === 0 ? null : value),
    );
    file.close();
    const target = await freshDatabaseUrl("postgresql");
    await copy(source, target);
    const read = async (url: string) => {
      const database = await openDatabase(url);
      try {
        return await database.prisma.link.findMany({ orderBy: { id: "asc" } });
      } finally {
        await database.close();
      }
    };
    const copied = await read(target);
    expect(copied).toEqual(await read(source));
    expect(copied.slice(1).map((row) => [row.team, row.tags])).toEqual(
      values.map((value, i) => [value, i === 0 ? null : value]),
    );
  }, 60_000);

  // The process a person stops with Ctrl-C, or the machine kills: PostgreSQL rolls back the open transaction, the OS
  // drops SQLite's lock. Runs bin/closeloop.js, so the build (npm install / npm run build) is what is tested here.
  it.each(["SIGINT", "SIGKILL"] as const)(
    "stopped by %s mid-table: target migrated and empty, source whole and unlocked, a second run copies all",
    async (signal) => {
      const source = await sqliteSource(150_000);
      const target = await freshDatabaseUrl("postgresql");
      const child = spawn(process.execPath, [join(ROOT, "bin/closeloop.js"), "copy-database", target], {
        env: { PATH: process.env.PATH ?? "", TMPDIR: tmpdir(), DATABASE_URL: source },
        stdio: "ignore",
      });
      let exited = false;
      const exit = new Promise<void>((resolve) => child.on("exit", () => ((exited = true), resolve())));
      const name = new URL(target).pathname.slice(1);
      const others = `SELECT query FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`;
      await until(
        async () =>
          exited ||
          (await query<{ query: string }>(target, others)).some((row) =>
            row.query.startsWith('INSERT INTO "Delivery"'),
          ),
      );
      expect(exited, "the copy ended before it was stopped: give it more rows").toBe(false);
      child.kill(signal);
      await exit;
      const file = new BetterSqlite3((parseDatabaseUrl(source) as DatabaseTarget & { engine: "sqlite" }).path, {
        timeout: 100,
      });
      file.exec("BEGIN IMMEDIATE");
      file.exec("ROLLBACK");
      expect(file.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
      expect(file.prepare(`SELECT count(*) AS n FROM "Delivery"`).get()).toEqual({ n: 150_000 });
      file.close();
      await until(async () => (await query(target, others)).length === 0);
      expect(await query(target, `SELECT count(*)::int AS n FROM "Delivery"`)).toEqual([{ n: 0 }]);
      const again = await runCliProcess(["copy-database", target], { DATABASE_URL: source });
      expect(again.code, again.stderr).toBe(0);
      expect(await query(target, `SELECT count(*)::int AS n FROM "Delivery"`)).toEqual([{ n: 150_000 }]);
      expect(await query(target, SCHEMA.indexes)).toEqual(await query(await freshlyMigrated(), SCHEMA.indexes));
    },
    180_000,
  );

  it("a target migrated by a newer closeloop: refused, its history as it was", async () => {
    const source = await sqliteSource(1);
    const target = await freshlyMigrated();
    await query(
      target,
      `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "started_at", "applied_steps_count") VALUES ('future', 'x', now(), '29990101000000_future', now(), 1)`,
    );
    const history = `SELECT migration_name FROM "_prisma_migrations" ORDER BY 1`;
    const before = await query(target, history);
    await expect(copy(source, target)).rejects.toThrow(
      /^the database has migration 29990101000000_future, which this version of closeloop does not know/,
    );
    expect(await query(target, history)).toEqual(before);
    expect(await query(target, `SELECT count(*)::int AS n FROM "Link"`)).toEqual([{ n: 0 }]);
  }, 60_000);

  it("a target with another program's table: refused before closeloop's tables are created beside it", async () => {
    const source = await sqliteSource(1);
    const target = await freshDatabaseUrl("postgresql");
    await query(target, `CREATE TABLE "Notes" ("id" int)`);
    await expect(copy(source, target)).rejects.toThrow(
      /^postgresql .* holds tables that are not closeloop's \(Notes\): copy-database writes only into a database without them; give it a new one \(CREATE DATABASE\)$/,
    );
    const tables = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`;
    expect(await query(target, tables)).toEqual([{ table_name: "Notes" }]);
  }, 60_000);

  it("text with a NUL character, which PostgreSQL's text cannot hold: refused naming its row, nothing copied", async () => {
    const source = await sqliteSource(1);
    const file = new BetterSqlite3((parseDatabaseUrl(source) as DatabaseTarget & { engine: "sqlite" }).path);
    file.prepare(`UPDATE "Issue" SET "title" = ?`).run("Crash\u0000 on save");
    const { rowid } = file.prepare(`SELECT rowid AS "rowid" FROM "Issue"`).get() as { rowid: number };
    file.close();
    const target = await freshDatabaseUrl("postgresql");
    await expect(copy(source, target)).rejects.toThrow(
      `Issue.title of the row rowid ${rowid} holds "Crash\\u0000 on save", not text PostgreSQL can hold (it has a NUL character): nothing was copied`,
    );
    expect(await query(target, `SELECT count(*)::int AS n FROM "Repository"`)).toEqual([{ n: 0 }]);
  }, 60_000);

  it("an integer past PostgreSQL's integer column: refused naming its row, nothing copied", async () => {
    const source = await sqliteSource(1);
    const file = new BetterSqlite3((parseDatabaseUrl(source) as DatabaseTarget & { engine: "sqlite" }).path);
    file.prepare(`UPDATE "Issue" SET "number" = ?`).run(2 ** 31);
    const { rowid } = file.prepare(`SELECT rowid AS "rowid" FROM "Issue"`).get() as { rowid: number };
    file.close();
    const target = await freshDatabaseUrl("postgresql");
    await expect(copy(source, target)).rejects.toThrow(
      `Issue.number of the row rowid ${rowid} holds bigint 2147483648, not an integer PostgreSQL's integer holds (-2147483648 to 2147483647): nothing was copied`,
    );
    expect(await query(target, `SELECT count(*)::int AS n FROM "Repository"`)).toEqual([{ n: 0 }]);
  }, 60_000);

  it("a source that is not a SQLite file: refused naming it, the target untouched", async () => {
    const source = await freshDatabaseUrl("sqlite");
    writeFileSync(
      (parseDatabaseUrl(source) as DatabaseTarget & { engine: "sqlite" }).path,
      "closeloop.db.gz\n".repeat(64),
    );
    const target = await freshDatabaseUrl("postgresql");
    await expect(copy(source, target)).rejects.toThrow(
      /^sqlite .*closeloop\.db is not a SQLite database: point DATABASE_URL at closeloop's database file$/,
    );
    const tables = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`;
    expect(await query(target, tables)).toEqual([]);
  }, 60_000);
});
