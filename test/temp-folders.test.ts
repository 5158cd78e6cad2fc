import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname } from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parseDatabaseUrl } from "../src/config/database-url.js";
import { openDatabase } from "../src/store/database.js";
import { freshDatabaseUrl } from "./support/databases.js";
import { runFileEndCleanups, tempFolder } from "./support/temp-folders.js";

/** The folder of a SQLite DATABASE_URL's file. */
const folderOf = (url: string): string => {
  const target = parseDatabaseUrl(url);
  if (target.engine !== "sqlite") throw new Error(`not a SQLite URL: ${url}`);
  return dirname(target.path);
};

// A suite that leaves a folder per database behind fills the developer's temp folder run after run (#25).
describe("what a test makes in the temp folder", () => {
  let used: string | undefined;

  it("a SQLite database from freshDatabaseUrl, opened and closed in a test", async () => {
    const url = await freshDatabaseUrl("sqlite");
    await (await openDatabase(url, { migrate: true })).close();
    used = folderOf(url);
    expect(existsSync(used)).toBe(true);
  });

  it("is gone once that test has finished", () => {
    expect(used).toBeDefined();
    expect(existsSync(used!)).toBe(false);
  });

  describe("made in a beforeAll", () => {
    let shared: string;
    beforeAll(async () => {
      shared = folderOf(await freshDatabaseUrl("sqlite"));
    });

    it("stays for the file's tests that share it", () => {
      expect(existsSync(shared)).toBe(true);
    });

    it("still after another test, and goes when the file's tests are done", async () => {
      expect(existsSync(shared)).toBe(true);
      await runFileEndCleanups();
      expect(existsSync(shared)).toBe(false);
    });
  });

  it("a PostgreSQL database from freshDatabaseUrl is dropped once the file's tests are done", async () => {
    const name = new URL(await freshDatabaseUrl("postgresql")).pathname.slice(1);
    const exists = async () => {
      const client = new pg.Client({ connectionString: inject("postgresUrl") });
      await client.connect();
      try {
        return (await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
      } finally {
        await client.end();
      }
    };
    expect(await exists()).toBe(true);
    await runFileEndCleanups();
    expect(await exists()).toBe(false);
  });

  it("lands in the run's own temp folder, as does a process the test starts", () => {
    const folder = tempFolder("closeloop-probe-");
    expect(basename(dirname(folder))).toMatch(/^closeloop-test-/);
    const child = execFileSync(process.execPath, ["-e", "process.stdout.write(require('node:os').tmpdir())"], {
      encoding: "utf8",
    });
    expect(child).toBe(tmpdir());
  });
});
