import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { Report } from "../domain/frequency.js";
import type { DatabaseTarget } from "../config/database-url.js";

/** An issue whose labels are due for re-evaluation, with the reports (live links) they are computed from. */
export interface DueIssue {
  issueId: number;
  repositoryId: bigint;
  number: number;
  /** the frequency found at the last evaluation */
  frequency: string | null;
  /** its labels must be applied again whatever the frequency (the config changed, or applying them failed) */
  stale: boolean;
  reports: Report[];
}

export interface Evaluation {
  issueId: number;
  frequency: string | null;
  dueAt: Date | null;
}

/**
 * The decay sweep's reads and writes, on a connection of its own beside Prisma's (like the delivery writer): the
 * sweep reads every live link of every due issue, a million rows for a large installation, and the query client's
 * per-row cost would be most of its time and memory (P4, P5, README Development). Tables and migrations are still Prisma's.
 */
export interface SweepStore {
  /**
   * The next `limit` issues after `afterId` whose labels could have changed without a new link (`labelsDueAt <= now`:
   * a report left a window, or the config changed), by id, with their live links' dates and customers: two
   * statements per batch, and one pass over the issues for a whole sweep. Evaluated issues get a due time after
   * `now` (or none), so a sweep that stops half-way resumes, from the start, with only what it had not done.
   */
  readDue(now: Date, afterId: number, limit: number): Promise<DueIssue[]>;
  /**
   * Stores evaluations made at `now` in one transaction (SQLite) or statement (PostgreSQL), except for issues that a
   * config change or enrichment marked meanwhile (no longer due by `now`, or marked stale): those stay for the next
   * sweep.
   */
  record(evaluations: readonly Evaluation[], now: Date): Promise<void>;
  /** those of `issueIds` still due at `now` are due again at `until` (their labels could not be applied) */
  postpone(issueIds: readonly number[], now: Date, until: Date): Promise<void>;
  close(): Promise<void>;
}

export function openSweepStore(target: DatabaseTarget): SweepStore {
  return target.engine === "sqlite" ? sqliteSweepStore(target.path) : postgresSweepStore(target.connectionString);
}

// Prisma's SQLite adapter stores DateTime as ISO 8601 text with "+00:00"; the same form keeps comparisons and order.
const sqliteTime = (date: Date) => date.toISOString().replace("Z", "+00:00");

function sqliteSweepStore(path: string): SweepStore {
  const db = new BetterSqlite3(path, { timeout: 10_000 });
  db.pragma("synchronous = NORMAL");
  const due = db
    .prepare(
      `SELECT "id", "repositoryId", "number", "frequency", "labelsStaleAt" IS NOT NULL FROM "Issue" WHERE "labelsDueAt" <= ? AND "id" > ? ORDER BY "id" LIMIT ?`,
    )
    .raw(true);
  const update = db.prepare(
    `UPDATE "Issue" SET "frequency" = ?, "labelsDueAt" = ? WHERE "id" = ? AND "labelsDueAt" <= ? AND "labelsStaleAt" IS NULL`,
  );
  const postpone = db.prepare(`UPDATE "Issue" SET "labelsDueAt" = ? WHERE "id" = ? AND "labelsDueAt" <= ?`);
  const linkStatements = new Map<number, BetterSqlite3.Statement>();
  const linksOf = (count: number) => {
    let statement = linkStatements.get(count);
    if (!statement) {
      statement = db
        .prepare(
          `SELECT l."issueId", l."linkedAt", l."customerHash" FROM "Link" l
           WHERE l."issueId" IN (${Array(count).fill("?").join(", ")}) AND EXISTS (SELECT 1 FROM "LinkSource" s WHERE s."linkId" = l."id")`,
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
    async readDue(now, afterId, limit) {
      const issues = due.all(sqliteTime(now), afterId, limit) as IssueRow[];
      if (issues.length === 0) return [];
      const links = linksOf(issues.length).all(...issues.map(([id]) => id)) as [number, string, string | null][];
      return group(issues, links, (at) => Date.parse(at));
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

function postgresSweepStore(connectionString: string): SweepStore {
  const pool = new pg.Pool({ connectionString, max: 1 });
  // A timestamp without time zone holds UTC (Prisma's convention); epoch milliseconds avoid pg's local-time parsing.
  return {
    async readDue(now, afterId, limit) {
      const issues = await pool.query<IssueRow>({
        text: `SELECT "id", "repositoryId", "number", "frequency", "labelsStaleAt" IS NOT NULL FROM "Issue" WHERE "labelsDueAt" <= $1::timestamp(3) AND "id" > $2 ORDER BY "id" LIMIT $3`,
        values: [now.toISOString(), afterId, limit],
        rowMode: "array",
      });
      if (issues.rows.length === 0) return [];
      const links = await pool.query<[number, number, string | null]>({
        text: `SELECT l."issueId", (EXTRACT(EPOCH FROM l."linkedAt") * 1000)::float8, l."customerHash" FROM "Link" l
               WHERE l."issueId" = ANY($1::int[]) AND EXISTS (SELECT 1 FROM "LinkSource" s WHERE s."linkId" = l."id")`,
        values: [issues.rows.map(([id]) => id)],
        rowMode: "array",
      });
      return group(issues.rows, links.rows, (at) => at);
    },
    async record(evaluations, now) {
      if (evaluations.length === 0) return;
      await pool.query(
        `UPDATE "Issue" AS i SET "frequency" = v.frequency, "labelsDueAt" = v.due
         FROM unnest($1::int[], $2::text[], $3::timestamp(3)[]) AS v(id, frequency, due)
         WHERE i."id" = v.id AND i."labelsDueAt" <= $4::timestamp(3) AND i."labelsStaleAt" IS NULL`,
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
        `UPDATE "Issue" SET "labelsDueAt" = $3::timestamp(3) WHERE "id" = ANY($1::int[]) AND "labelsDueAt" <= $2::timestamp(3)`,
        [ids, now.toISOString(), until.toISOString()],
      );
    },
    close: () => pool.end(),
  };
}

/** id, repositoryId, number, frequency, whether it is marked stale (0/1 on SQLite) */
type IssueRow = [number, number | bigint | string, number, string | null, boolean | number];

function group<At>(
  issues: readonly IssueRow[],
  links: readonly [number, At, string | null][],
  time: (at: At) => number,
): DueIssue[] {
  const byIssue = new Map<number, DueIssue>();
  for (const [issueId, repositoryId, number, frequency, stale] of issues) {
    byIssue.set(issueId, {
      issueId,
      repositoryId: BigInt(repositoryId),
      number,
      frequency,
      stale: Boolean(stale),
      reports: [],
    });
  }
  for (const [issueId, at, customer] of links) byIssue.get(issueId)!.reports.push({ at: new Date(time(at)), customer });
  return [...byIssue.values()];
}
