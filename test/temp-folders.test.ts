import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import pg from "pg";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parseDatabaseUrl } from "../src/config/database-url.js";
import { openDatabase } from "../src/store/database.js";
import { freshDatabaseUrl } from "./support/databases.js";
import { runFileEndCleanups, tempFolder } from "./support/temp-folders.js";
import { removeAbandonedRoots, useTempRoot } from "./support/temp-root.js";

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

// A run stopped with Ctrl-C, or killed, never reaches its teardown: its root stayed in the temp folder for good.
describe("a run's temp root left behind", () => {
  /** A process id that was in use a moment ago and is no longer. */
  const goneProcess = (): number =>
    Number(
      spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout,
    );
  const root = (parent: string, name: string, owner?: number): string => {
    const path = join(parent, name);
    mkdirSync(path);
    if (owner !== undefined) writeFileSync(join(path, ".closeloop-owner"), String(owner));
    return path;
  };

  it("is removed by the next run when its process has gone; a live run's root and a fresh unowned one are kept", () => {
    const parent = tempFolder("closeloop-roots-");
    const gone = root(parent, "closeloop-test-gone", goneProcess());
    const live = root(parent, "closeloop-test-live", process.pid);
    const starting = root(parent, "closeloop-test-starting");
    const old = root(parent, "closeloop-test-old");
    const twoDaysAgo = (Date.now() - 2 * 24 * 60 * 60 * 1000) / 1000;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    const other = root(parent, "closeloop-bench-gone", goneProcess());

    expect(removeAbandonedRoots(parent, "closeloop-test-").sort()).toEqual([gone, old].sort());
    expect([gone, live, starting, old, other].map(existsSync)).toEqual([false, true, true, false, true]);
  });

  it("whose PostgreSQL server still runs: the server is stopped, the root removed by the run after", async () => {
    const parent = tempFolder("closeloop-roots-");
    const path = root(parent, "closeloop-test-server", goneProcess());
    const server = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    const stopped = new Promise<NodeJS.Signals | null>((resolve) => server.on("exit", (_, signal) => resolve(signal)));
    mkdirSync(join(path, "postgresql"));
    writeFileSync(join(path, "postgresql", "postmaster.pid"), `${server.pid}\n${join(path, "postgresql")}\n`);

    expect(removeAbandonedRoots(parent, "closeloop-test-")).toEqual([]);
    expect(await stopped).toBe("SIGINT");
    expect(existsSync(path)).toBe(true);
    expect(removeAbandonedRoots(parent, "closeloop-test-")).toEqual([path]);
  });

  it("a new root names its process, and a root abandoned beside it goes when it is made", () => {
    const parent = tempFolder("closeloop-roots-");
    const gone = root(parent, "closeloop-bench-gone", goneProcess());
    const previous = process.env.TMPDIR;
    process.env.TMPDIR = parent;
    const made = useTempRoot("closeloop-bench-");
    try {
      expect(existsSync(gone)).toBe(false);
      expect(removeAbandonedRoots(parent, "closeloop-bench-")).toEqual([]);
      expect(existsSync(made.path)).toBe(true);
    } finally {
      made.remove();
      process.env.TMPDIR = previous;
    }
    expect(process.env.TMPDIR).toBe(previous);
  });
});
