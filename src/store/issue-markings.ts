import type { IssueRef } from "../domain/refs.js";
import { engineOf, type Prisma, type Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { impactDue } from "./impact.js";
import { markLabelsStale } from "./labels.js";
import { unlocked, type LeasedTable } from "./lease.js";
import { inList, inRows, valueByKey } from "./parameter-lists.js";
import { laterThan, rawDate, timeParameter } from "./raw-values.js";
import { SWEEP_ROW } from "./sweep-schedule.js";
import type { Engine } from "../config/database-url.js";

/**
 * Issue markings: what closeloop writes on an issue from its reports, its frequency and team labels and its number
 * field in a GitHub Project (docs/labels.md, docs/projects.md). A change to an issue's links, or to their
 * conversations' team, tags or customer, marks the issue's labels wanted in the transaction that makes it; the markings
 * worker applies them later, off the delivery path, so a delivery never waits for GitHub's pacing of writes. One job
 * per issue, however many changes: marks made while a job waits or runs fold into it.
 */
export const ISSUE_MARKINGS: LeasedTable = {
  kind: "labels",
  table: "Issue",
  key: "id",
  ready: (now) => Sql.sql`"lockedBy" IS NULL AND "labelsWantedAt" <= ${now}`,
  held: Sql.sql`"lockedBy" IS NOT NULL`,
  order: Sql.sql`"labelsWantedAt", "id"`,
  onClaim: () => Sql.sql`"labelsAttempts" = "labelsAttempts" + 1`,
  onRelease: Sql.sql`"labelsAttempts" = "labelsAttempts" - 1`,
  waiting: () => Sql.sql`"labelsWantedAt" IS NOT NULL AND "lockedBy" IS NULL`,
  // Given up, an issue is left stale for the decay sweep (markingsAbandoned): nothing stays dead.
  dead: null,
  revive: null,
};

/**
 * A mark: the earliest unapplied change is kept, the latest is `at` or just after the mark it replaces (laterThan: a run
 * settles when the row's mark still equals the one it claimed or read). What changes labels changes the dashboard's
 * counts too, so they are due now (src/store/impact.ts), and a count that read the links before this mark is not kept.
 */
function wanted(db: Transaction | Prisma, at: Date): Sql.Sql {
  return Sql.sql`"labelsWantedAt" = COALESCE("labelsWantedAt", ${at}), "labelsMarkedAt" = ${laterThan(db, Sql.sql`"labelsMarkedAt"`, at)}, ${impactDue(at)}`;
}

/** The issue's labels as a webhook payload showed them, true at `at`. */
export interface SeenLabels {
  labels: string[];
  at: Date;
}

/**
 * Marks the issues' labels wanted at `at`; `seen` keeps what the delivery's payload showed of the issue's labels when
 * it is newer than what was kept, so the markings job plans with it as the handler would have.
 */
export async function markLabelsWanted(
  tx: Transaction | Prisma,
  issueIds: readonly number[],
  at: Date,
  seen?: SeenLabels,
): Promise<void> {
  const mark = labelsWantedUpdate(tx, issueIds, at, seen);
  if (mark !== null) await tx.$executeRaw(mark);
}

/** markLabelsWanted's statement, for a caller that sends it with another (`executeAlongside`); null: no issue. */
export function labelsWantedUpdate(
  tx: Transaction | Prisma,
  issueIds: readonly number[],
  at: Date,
  seen?: SeenLabels,
): Sql.Sql | null {
  if (issueIds.length === 0) return null;
  const engine = engineOf(tx as Prisma);
  const ids = inList(engine, Sql.sql`"id"`, "integer", issueIds);
  if (seen === undefined || issueIds.length !== 1) return Sql.sql`UPDATE "Issue" SET ${wanted(tx, at)} WHERE ${ids}`;
  // In the same statement: kept unless what was kept is as new. Both are written by toISOString, so their times
  // compare as text.
  const keptAt =
    engine === "postgresql"
      ? Sql.sql`CAST("labelsSeen" AS json) ->> 'at'`
      : Sql.sql`json_extract("labelsSeen", '$.at')`;
  const iso = seen.at.toISOString();
  return Sql.sql`UPDATE "Issue" SET ${wanted(tx, at)}, "labelsSeen" = CASE WHEN "labelsSeen" IS NULL OR ${keptAt} < ${iso}
    THEN ${JSON.stringify({ labels: seen.labels, at: iso })} ELSE "labelsSeen" END WHERE ${ids}`;
}

/**
 * labelsWantedUpdate's mark for an issue's row being inserted (an issue new to the store), as the columns it sets and
 * their values: what the update would leave on a row with no mark yet and the columns' defaults.
 */
export function labelsWantedOnInsert(at: Date, seen?: SeenLabels): { columns: Sql.Sql; values: Sql.Sql } {
  const kept = seen === undefined ? null : JSON.stringify({ labels: seen.labels, at: seen.at.toISOString() });
  return {
    columns: Sql.sql`"labelsWantedAt", "labelsMarkedAt", "labelsSeen", "impactDueAt", "impactGeneration"`,
    values: Sql.sql`${at}, ${at}, ${kept}, ${at}, 1`,
  };
}

/**
 * The decay sweep wrote the issue's labels from inputs read at its mark `read` (`LabelInputs.markedAt`): when a mark
 * came since (its links changed), the issue is marked again at `at`. The markings job may have applied that change
 * before the sweep's write landed and found nothing to undo yet; marked again, it runs after the write.
 */
export async function markLabelsWantedSince(
  tx: Transaction | Prisma,
  issueId: number,
  read: Date | null,
  at: Date,
): Promise<void> {
  const since = read === null ? Sql.sql`IS NOT NULL` : Sql.sql`IS DISTINCT FROM ${timeParameter(tx, read)}`;
  await tx.$executeRaw`UPDATE "Issue" SET ${wanted(tx, at)} WHERE "id" = ${issueId} AND "labelsMarkedAt" ${since}`;
}

/** Marks the labels of issues named by reference wanted (their conversations' team or tags changed). */
export async function markIssuesLabelsWanted(
  tx: Transaction | Prisma,
  issues: readonly IssueRef[],
  at: Date,
): Promise<void> {
  for (const issue of issues) {
    await tx.$executeRaw`UPDATE "Issue" SET ${wanted(tx, at)} WHERE "repositoryId" = ${issue.repository.id} AND "number" = ${issue.number}`;
  }
}

/** A claimed markings job: the issue, what a payload last showed of its labels, and the mark it answers. */
export interface ClaimedMarking {
  issueId: number;
  issue: IssueRef;
  seen: SeenLabels | undefined;
  markedAt: Date | null;
  attempts: number;
  /** when a config push was last recorded, by any replica (`LabelSweep.requestedAt`): see RepoConfigCache.pushedAt */
  configPushedAt: Date | null;
}

/** A claimed issue's row as claimedMarking reads it: the issue's columns, its repository's as `installationId` etc. */
export interface ClaimedMarkingRow {
  id: number | bigint;
  number: number | bigint;
  githubId: number | bigint | null;
  state: string;
  labelsSeen: string | null;
  labelsMarkedAt: Date | string | null;
  labelsAttempts: number | bigint;
  repositoryId: number | bigint;
  installationId: number | bigint;
  owner: string;
  name: string;
  configPushedAt: Date | string | null;
}

/**
 * What the markings job's claim returns of each issue (its RETURNING, so the claimed issues need no read of their
 * own: P8, #25, each statement is a round trip), its repository's columns read beside it, and when a config push was
 * last recorded (a push asks for a sweep: LabelSweep.requestedAt).
 */
export const CLAIMED_MARKING = Sql.sql`"id", "number", "githubId", "state", "labelsSeen", "labelsMarkedAt", "labelsAttempts", "repositoryId",
  (SELECT "r"."installationId" FROM "Repository" "r" WHERE "r"."id" = "Issue"."repositoryId") AS "installationId",
  (SELECT "r"."owner" FROM "Repository" "r" WHERE "r"."id" = "Issue"."repositoryId") AS "owner",
  (SELECT "r"."name" FROM "Repository" "r" WHERE "r"."id" = "Issue"."repositoryId") AS "name",
  (SELECT "s"."requestedAt" FROM "LabelSweep" "s" WHERE "s"."id" = ${SWEEP_ROW}) AS "configPushedAt"`;

/** A claimed issue's row (CLAIMED_MARKING) as its job. */
export function claimedMarking(row: ClaimedMarkingRow): ClaimedMarking {
  return {
    issueId: Number(row.id),
    issue: {
      repository: {
        id: BigInt(row.repositoryId),
        installationId: BigInt(row.installationId),
        owner: row.owner,
        name: row.name,
      },
      number: Number(row.number),
      githubId: BigInt(row.githubId ?? 0),
      state: row.state === "closed" ? "closed" : "open",
    },
    seen: parseSeen(row.labelsSeen),
    markedAt: row.labelsMarkedAt === null ? null : new Date(row.labelsMarkedAt),
    attempts: Number(row.labelsAttempts),
    configPushedAt: rawDate(row.configPushedAt),
  };
}

/**
 * Claims only the issues whose coalescing window, ended by `cutoff`, is over; with `only`, only those of these issues
 * (a backfill's page, whose labels `closeloop backfill` applies itself).
 */
export function markingsDueBy(engine: Engine, cutoff: Date, only?: readonly IssueRef[]): Sql.Sql {
  const due = Sql.sql`"labelsWantedAt" <= ${cutoff}`;
  if (only === undefined) return due;
  if (only.length === 0) return Sql.sql`FALSE`;
  const issues = inRows(
    engine,
    [Sql.sql`"repositoryId"`, Sql.sql`"number"`],
    ["bigint", "integer"],
    only.map((issue) => [issue.repository.id, issue.number]),
  );
  return Sql.sql`${due} AND ${issues}`;
}

/**
 * The labels were applied: each job is done, or waits again (a coalescing window) when a change came meanwhile. One
 * SET for any number of the claimed jobs, each row's mark compared with its own job's, so a round settles in one
 * statement (whose text on PostgreSQL is the same for any number: parameter-lists.ts).
 */
export function markingsApplied(engine: Engine, ...jobs: ClaimedMarking[]): Sql.Sql {
  const marks = valueByKey(
    engine,
    Sql.sql`"id"`,
    ["integer", "timestamp(3)"],
    jobs.map((job) => [job.issueId, job.markedAt] as const),
  );
  // A job whose issue had no mark is done when it still has none (SQLite's IS is PostgreSQL's IS NOT DISTINCT FROM).
  const same = engine === "postgresql" ? Sql.sql`IS NOT DISTINCT FROM` : Sql.sql`IS`;
  return Sql.sql`"labelsWantedAt" = CASE WHEN "labelsMarkedAt" ${same} ${marks} THEN NULL ELSE "labelsMarkedAt" END, "labelsAttempts" = 0, ${unlocked()}`;
}

/** Applying failed and will be tried again at `retryAt`. */
export function markingsRetried(retryAt: Date): Sql.Sql {
  return Sql.sql`"labelsWantedAt" = ${retryAt}, ${unlocked()}`;
}

/** Applying failed for good: the job ends (with `leaveStale` in the same transaction). */
export function markingsAbandoned(): Sql.Sql {
  return Sql.sql`"labelsWantedAt" = NULL, "labelsAttempts" = 0, ${unlocked()}`;
}

/** An abandoned job's issue is left stale, due at `at`, for the decay sweep to apply later. */
export async function leaveStale(tx: Transaction | Prisma, issueId: number, at: Date): Promise<void> {
  await markLabelsStale(tx, Sql.sql`"id" = ${issueId}`, at);
}

function parseSeen(text: string | null): SeenLabels | undefined {
  if (text === null) return undefined;
  const parsed = JSON.parse(text) as { labels: string[]; at: string };
  return { labels: parsed.labels, at: new Date(parsed.at) };
}
