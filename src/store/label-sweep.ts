import BetterSqlite3 from "better-sqlite3";
import { connectionPool, type PoolLog } from "./pg-pool.js";
import type { Report } from "../domain/frequency.js";
import type { DatabaseTarget } from "../config/database-url.js";

/** An issue whose labels are due for re-evaluation. */
export interface DueIssue {
  issueId: number;
  repositoryId: bigint;
  number: number;
  /** the frequency found at the last evaluation */
  frequency: string | null;
  /** its labels must be applied again whatever the frequency (the config changed, or applying them failed) */
  stale: boolean;
}

/** A read of due issues (`SweepStore.readDue`): those found, and where the next read starts (null: the end). */
export interface DuePage {
  issues: DueIssue[];
  next: number | null;
}

/**
 * The issue ids one read of due issues looks at, at most: at a million evaluations, a sweep that found few due read
 * them all in one statement (SQLite's blocked the event loop, webhooks included, for its whole length).
 */
export const DUE_SCAN_IDS = 20_000;

export interface Evaluation {
  issueId: number;
  frequency: string | null;
  dueAt: Date | null;
}

/**
 * The decay sweep's reads and writes, on a connection of its own beside Prisma's (like the delivery writer): the
 * sweep reads the live links of every due issue, ten million rows for a large installation, and the query client's
 * per-row cost would be most of its time and memory (P4, P5, README Development). Tables and migrations are still Prisma's.
 */
export interface SweepStore {
  /**
   * Up to `limit` issues after issue `after` (from the start when null) whose labels could have changed without a
   * new link (`LabelEvaluation.dueAt <= now`: a report left a window, or the config changed), in id order: a keyset
   * page of the evaluations' primary key, so one sweep reads each evaluation once, due or not. `dueAt` has no index: a
   * sweep gives every issue it evaluates a due time spread over the next weeks, and moving a million entries of such
   * an index to random places wrote about one database page per issue on SQLite (docs/labels.md, The decay sweep);
   * in id order the write-back changes each page of evaluations once. One read looks at no more than `DUE_SCAN_IDS`
   * issue ids, so a sweep that finds few issues due is many short reads (SQLite's run on the event loop), not one
   * long one: `next` says where the next read starts, null when no evaluation is left after this one. Evaluated
   * issues get a due time after `now` (or none), so a sweep that stops half-way resumes, from the start, with only
   * what it had not done.
   */
  readDue(now: Date, after: number | null, limit: number): Promise<DuePage>;
  /**
   * The live links of these issues posted at or after `since`, as reports, by issue: older ones are in no window of
   * the rules that gave `since`, so they can neither count nor leave a window (most of a big installation's links).
   */
  readReports(issueIds: readonly number[], since: Date): Promise<Map<number, Report[]>>;
  /**
   * Stores evaluations made at `now` in one transaction (SQLite) or statement (PostgreSQL), except for issues that a
   * config change or enrichment marked meanwhile (no longer due by `now`, or marked stale): those stay for the next
   * sweep.
   */
  record(evaluations: readonly Evaluation[], now: Date): Promise<void>;
  /**
   * How many evaluations the sweep gathers (from several pages) before it records them; one page's when absent.
   * SQLite: each transaction writes every page it changed to the WAL once, and consecutive pages' evaluations share
   * the table's pages.
   */
  readonly recordBatch?: number;
  /** those of `issueIds` still due at `now` are due again at `until` (their labels could not be applied) */
  postpone(issueIds: readonly number[], now: Date, until: Date): Promise<void>;
  close(): Promise<void>;
}

export function openSweepStore(target: DatabaseTarget, log: PoolLog): SweepStore {
  return target.engine === "sqlite" ? sqliteSweepStore(target.path) : postgresSweepStore(target.connectionString, log);
}

// Prisma's SQLite adapter stores DateTime as ISO 8601 text with "+00:00"; the same form keeps comparisons and order.
const sqliteTime = (date: Date) => date.toISOString().replace("Z", "+00:00");

/**
 * The sweep's SQLite connection only: a checkpoint every 20,000 pages (80 MB of WAL) instead of every 1,000, with one
 * fsync each. SQLite's default 2 MB page cache is enough: the sweep reads evaluations, issues and links in id order and
 * writes evaluations back in the same order (at 3M links a 64 MB cache read no fewer pages from the OS).
 */
const SQLITE_SWEEP_PRAGMAS = ["wal_autocheckpoint = 20000"];
/** evaluations per SQLite transaction: four pages, the write lock held a few tens of ms at a time */
const SQLITE_RECORD_BATCH = 2_000;

function sqliteSweepStore(path: string): SweepStore {
  const db = new BetterSqlite3(path, { timeout: 10_000 });
  db.pragma("synchronous = NORMAL");
  for (const pragma of SQLITE_SWEEP_PRAGMAS) db.pragma(pragma);
  // CROSS JOIN keeps the evaluations the outer loop (SQLite does not reorder it): the issue is one lookup by id.
  const due = db
    .prepare(
      `SELECT e."issueId", i."repositoryId", i."number", e."frequency", e."staleAt" IS NOT NULL
       FROM "LabelEvaluation" e CROSS JOIN "Issue" i ON i."id" = e."issueId"
       WHERE e."issueId" > ? AND e."issueId" <= ? AND e."dueAt" <= ? ORDER BY e."issueId" LIMIT ?`,
    )
    .raw(true);
  const lastId = db.prepare(`SELECT MAX("issueId") FROM "LabelEvaluation"`).pluck();
  const update = db.prepare(
    `UPDATE "LabelEvaluation" SET "frequency" = ?, "dueAt" = ? WHERE "issueId" = ? AND "dueAt" <= ? AND "staleAt" IS NULL`,
  );
  const postpone = db.prepare(`UPDATE "LabelEvaluation" SET "dueAt" = ? WHERE "issueId" = ? AND "dueAt" <= ?`);
  const linkStatements = new Map<number, BetterSqlite3.Statement>();
  const linksOf = (count: number) => {
    let statement = linkStatements.get(count);
    if (!statement) {
      statement = db
        .prepare(
          `SELECT l."issueId", l."linkedAt", l."customerHash" FROM "Link" l
           WHERE l."issueId" IN (${Array(count).fill("?").join(", ")}) AND l."linkedAt" >= ?
             AND l."live"`,
        )
        .raw(true);
      linkStatements.set(count, statement);
    }
    return statement;
  };
  const recordAll = db.transaction((evaluations: readonly Evaluation[], now: string) => {
    for (const e of evaluations) update.run(e.frequency, e.dueAt && sqliteTime(e.dueAt), e.issueId, now);
  });
  const postponeAll = db.transaction((ids: readonly number[], now: string, until: string) => {
    for (const id of ids) postpone.run(until, id, now);
  });
  return {
    recordBatch: SQLITE_RECORD_BATCH,
    async readDue(now, after, limit) {
      const from = after ?? 0;
      const rows = due.all(from, from + DUE_SCAN_IDS, sqliteTime(now), limit) as IssueRow[];
      return duePage(rows, from, limit, async () => lastId.get() as number | null);
    },
    async readReports(issueIds, since) {
      if (issueIds.length === 0) return new Map();
      const links = linksOf(issueIds.length).all(...issueIds, sqliteTime(since)) as [number, string, string | null][];
      return byIssue(links, (at) => Date.parse(at));
    },
    async record(evaluations, now) {
      recordAll(evaluations, sqliteTime(now));
    },
    async postpone(ids, now, until) {
      postponeAll(ids, sqliteTime(now), sqliteTime(until));
    },
    async close() {
      db.close();
    },
  };
}

function postgresSweepStore(connectionString: string, log: PoolLog): SweepStore {
  // Each page reads a few thousand links of 500 issues by index. PostgreSQL's defaults (random_page_cost 4, parallel
  // workers) priced that above a parallel scan of the whole Link table up to a few million links: a scan per page,
  // quadratic, 250 ms a page at 200k links against 15 ms by index. On this connection only: pages are read by index.
  // Two connections: the sweep reads the next page on one while it writes the last on the other.
  const pool = connectionPool(
    { connectionString, max: 2, options: "-c random_page_cost=1.1 -c max_parallel_workers_per_gather=0" },
    "label sweep",
    log,
  );
  // A timestamp without time zone holds UTC (Prisma's convention); epoch milliseconds avoid pg's local-time parsing.
  const epochMs = (column: string) => `(EXTRACT(EPOCH FROM ${column}) * 1000)::float8`;
  return {
    async readDue(now, after, limit) {
      const from = after ?? 0;
      // Both sides start after the cursor: PostgreSQL merges the two primary keys when most issues are due, and
      // without i."id" > $1 each page's merge walked the issues from the first one (quadratic: 390,000 rows read for
      // 20,000 issues).
      const issues = await pool.query<IssueRow>({
        text: `SELECT e."issueId", i."repositoryId", i."number", e."frequency", e."staleAt" IS NOT NULL
               FROM "LabelEvaluation" e JOIN "Issue" i ON i."id" = e."issueId"
               WHERE e."issueId" > $1 AND i."id" > $1 AND e."issueId" <= $2 AND i."id" <= $2
                 AND e."dueAt" <= $3::timestamp(3)
               ORDER BY e."issueId" LIMIT $4`,
        values: [from, from + DUE_SCAN_IDS, now.toISOString(), limit],
        rowMode: "array",
      });
      return duePage(issues.rows, from, limit, async () => {
        const last = await pool.query<[number | null]>({
          text: `SELECT MAX("issueId") FROM "LabelEvaluation"`,
          rowMode: "array",
        });
        return last.rows[0]![0];
      });
    },
    async readReports(issueIds, since) {
      if (issueIds.length === 0) return new Map();
      const links = await pool.query<[number, number, string | null]>({
        text: `SELECT l."issueId", ${epochMs(`l."linkedAt"`)}, l."customerHash" FROM "Link" l
               WHERE l."issueId" = ANY($1::int[]) AND l."linkedAt" >= $2::timestamp(3)
                 AND l."live"`,
        values: [issueIds, since.toISOString()],
        rowMode: "array",
      });
      return byIssue(links.rows, (at) => at);
    },
    async record(evaluations, now) {
      if (evaluations.length === 0) return;
      await pool.query(
        `UPDATE "LabelEvaluation" AS e SET "frequency" = v.frequency, "dueAt" = v.due
         FROM unnest($1::int[], $2::text[], $3::timestamp(3)[]) AS v(id, frequency, due)
         WHERE e."issueId" = v.id AND e."dueAt" <= $4::timestamp(3) AND e."staleAt" IS NULL`,
        [
          evaluations.map((e) => e.issueId),
          evaluations.map((e) => e.frequency),
          evaluations.map((e) => e.dueAt?.toISOString() ?? null),
          now.toISOString(),
        ],
      );
    },
    async postpone(ids, now, until) {
      if (ids.length === 0) return;
      await pool.query(
        `UPDATE "LabelEvaluation" SET "dueAt" = $3::timestamp(3) WHERE "issueId" = ANY($1::int[]) AND "dueAt" <= $2::timestamp(3)`,
        [ids, now.toISOString(), until.toISOString()],
      );
    },
    close: () => pool.end(),
  };
}

/** id, repositoryId, number, frequency, whether it is marked stale (0/1 on SQLite) */
type IssueRow = [number, number | bigint | string, number, string | null, boolean | number];

/**
 * A read's page: after a full one, the next starts after its last issue; otherwise after the ids it looked at, unless
 * no evaluation lies beyond them (`lastId`, read only then: a sweep with every issue due reads full pages).
 */
async function duePage(
  rows: readonly IssueRow[],
  from: number,
  limit: number,
  lastId: () => Promise<number | null>,
): Promise<DuePage> {
  const issues = rows.map(dueIssue);
  if (issues.length === limit) return { issues, next: issues.at(-1)!.issueId };
  const end = from + DUE_SCAN_IDS;
  const last = await lastId();
  return { issues, next: last !== null && last > end ? end : null };
}

function dueIssue([issueId, repositoryId, number, frequency, stale]: IssueRow): DueIssue {
  return { issueId, repositoryId: BigInt(repositoryId), number, frequency, stale: Boolean(stale) };
}

function byIssue<At>(links: readonly [number, At, string | null][], time: (at: At) => number): Map<number, Report[]> {
  const reports = new Map<number, Report[]>();
  for (const [issueId, at, customer] of links) {
    const report = { at: new Date(time(at)), customer };
    const list = reports.get(issueId);
    if (list) list.push(report);
    else reports.set(issueId, [report]);
  }
  return reports;
}
