import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { NOW, seed } from "../../bench/labels.js";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { parseDatabaseUrl } from "../../src/config/database-url.js";
import { sweepDueIssues } from "../../src/labels/sweep.js";
import { DUE_SCAN_IDS, openSweepStore } from "../../src/store/label-sweep.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

describe("the decay sweep's write-back on SQLite", () => {
  it("writes each page of evaluations once, though their new due times are spread over two weeks", async () => {
    const issues = 20_000;
    const target = parseDatabaseUrl(await freshDatabaseUrl("sqlite"));
    if (target.engine !== "sqlite") throw new Error("a SQLite database was asked for");
    // Every issue due, its ten reports spread over 30 days: the sweep gives each issue a due time of its own.
    await seed(`file:${target.path}`, issues, issues * 10);
    // Held open, so the sweep's connection does not checkpoint the WAL when it closes: the WAL is what it wrote.
    const observer = new BetterSqlite3(target.path);
    observer.prepare(`SELECT count(*) FROM "LabelEvaluation"`).get();
    try {
      const store = openSweepStore(target, console);
      try {
        const figures = await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency);
        expect(figures.issues).toBe(issues);
      } finally {
        await store.close();
      }
      const [checkpoint] = observer.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
      const walPages = checkpoint!.log;
      // 20,000 evaluations of ~40 bytes fill ~200 pages, each written once with the tree above them: under 300 pages.
      // An index on the due time, whose entries each moved to a random leaf, made it ~1,500.
      expect(walPages).toBeGreaterThan(0);
      expect(walPages).toBeLessThan(issues / 40);
    } finally {
      observer.close();
    }
  });
});

describe("the decay sweep's due pages on PostgreSQL", () => {
  it("reads each due issue's row once, however far into the issues a page starts", async () => {
    const issues = 20_000;
    const url = await freshDatabaseUrl("postgresql");
    await seed(url, issues, issues * 2);
    const store = openSweepStore(parseDatabaseUrl(url), console);
    try {
      expect((await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency)).issues).toBe(issues);
    } finally {
      // Its connections end, and with them their statistics reach the server's counters.
      await store.close();
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      let read = 0;
      for (let attempt = 0; attempt < 50; attempt++) {
        await client.query("SELECT pg_stat_clear_snapshot()");
        const stats = await client.query<{ read: string }>(
          `SELECT "idx_tup_read" AS "read" FROM "pg_stat_user_indexes" WHERE "indexrelname" = 'Issue_pkey'`,
        );
        read = Number(stats.rows[0]!.read);
        if (read >= issues) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // A merge join of each page with the issues from the first one read ~issues² / 1,000 rows (200,000 here).
      expect(read).toBeGreaterThanOrEqual(issues);
      expect(read).toBeLessThan(issues * 2);
    } finally {
      await client.end();
    }
  });
});

describe.each(ENGINES)("the decay sweep's reads of due issues on %s", (engine) => {
  it("look at a bounded run of issue ids each, so a sweep that finds few due is many short reads", async () => {
    const issues = 45_000;
    const url = await freshDatabaseUrl(engine);
    await seed(url, issues, issues);
    // Three issues due, far apart: the rest were evaluated and are due next century.
    const due = [7, 20_001, 44_999];
    const later = "2100-01-01T00:00:00.000";
    const target = parseDatabaseUrl(url);
    if (target.engine === "sqlite") {
      const db = new BetterSqlite3(target.path);
      db.prepare(`UPDATE "LabelEvaluation" SET "dueAt" = ? WHERE "issueId" NOT IN (${due.join(", ")})`).run(
        `${later}+00:00`,
      );
      db.close();
    } else {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`UPDATE "LabelEvaluation" SET "dueAt" = $1 WHERE NOT ("issueId" = ANY($2::int[]))`, [
        later,
        due,
      ]);
      await client.end();
    }
    const store = openSweepStore(target, console);
    try {
      const reads: { after: number | null; found: number[]; next: number | null }[] = [];
      let after: number | null = null;
      do {
        const page = await store.readDue(NOW, after, 500);
        reads.push({ after, found: page.issues.map((issue) => issue.issueId), next: page.next });
        after = page.next;
      } while (after !== null);
      // One read of all 45,000 evaluations found the three at once.
      expect(reads).toEqual([
        { after: null, found: [7], next: DUE_SCAN_IDS },
        { after: DUE_SCAN_IDS, found: [20_001], next: 2 * DUE_SCAN_IDS },
        { after: 2 * DUE_SCAN_IDS, found: [44_999], next: null },
      ]);
      // A full page goes on right after its last issue.
      const full = await store.readDue(NOW, null, 1);
      expect([full.issues.map((issue) => issue.issueId), full.next]).toEqual([[7], 7]);
    } finally {
      await store.close();
    }
  });
});
