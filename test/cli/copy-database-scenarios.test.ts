import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, type DatabaseTarget } from "../../src/config/database-url.js";
import { openDatabase } from "../../src/store/database.js";
import { copyDatabase } from "../../src/store/database-copy.js";
import { freshDatabaseUrl } from "../support/databases.js";
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
});
