import type { Engine } from "../config/database-url.js";
import type { DatabaseHandle, Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { claimLeases, extended, retryFrom, unlocked, updateLeased, type Holder, type LeasedTable } from "./lease.js";
import { inTransaction } from "./transactions.js";
import type { RepositoryRef } from "../domain/refs.js";

/** Closed issues are read back this far (README, Existing issues; issue #6): older ones carry no report that still counts. */
export const BACKFILL_CLOSED_DAYS = 90;

/** Which listing a backfill is in: open issues, issues closed since `closedSince`, then the repository's comments. */
export type BackfillPhase = "open" | "closed" | "comments";

export interface BackfillCursor {
  phase: BackfillPhase;
  page: number;
}

export interface ClaimedBackfill extends BackfillCursor {
  repository: RepositoryRef;
  closedSince: Date;
  counts: BackfillCounts;
  attempts: number;
  /** who claimed it: every write of the run is fenced by it */
  lease: Holder;
}

export interface BackfillCounts {
  issues: number;
  comments: number;
  links: number;
}

/**
 * Asks for a backfill of each repository, from the first page: a new installation, repositories added to one, or the
 * CLI. A backfill running right now keeps its lease and goes on from its own page (it read the pages before).
 */
export async function requestBackfills(
  database: DatabaseHandle,
  repositories: readonly RepositoryRef[],
  now: Date,
): Promise<void> {
  const closedSince = new Date(now.getTime() - BACKFILL_CLOSED_DAYS * 24 * 60 * 60_000);
  for (const repository of repositories) {
    await inTransaction(
      database.prisma,
      async (tx) => {
        const fresh = {
          state: "pending",
          phase: "open",
          page: 1,
          closedSince,
          issues: 0,
          comments: 0,
          links: 0,
          attempts: 0,
          lastError: null,
          requestedAt: now,
          finishedAt: null,
        };
        await tx.backfill.upsert({
          where: { repositoryId: repository.id },
          create: { repositoryId: repository.id, ...fresh },
          update: fresh,
        });
        // From the first page: the issues an earlier run listed are listed again.
        await tx.backfillIssue.deleteMany({ where: { repositoryId: repository.id } });
      },
      { repository: { rows: database.repositoryRows, ref: repository } },
    );
  }
}

/** Backfills as a leased table: one process runs a repository's backfill at a time, and each stored page extends it. */
export const BACKFILLS: LeasedTable = {
  kind: "backfill",
  table: "Backfill",
  key: "repositoryId",
  // Nobody holds it, and a failed run's retry time (lockedUntil without a holder) has come.
  ready: (now) =>
    Sql.sql`"lockedBy" IS NULL AND "state" IN ('pending', 'running') AND ("lockedUntil" IS NULL OR "lockedUntil" <= ${now})`,
  held: Sql.sql`"lockedBy" IS NOT NULL`,
  order: Sql.sql`"requestedAt"`,
  onClaim: () => Sql.sql`"state" = 'running', "attempts" = "attempts" + 1`,
  // Handed back at a page boundary when the process stops: not a failed attempt.
  onRelease: Sql.sql`"state" = 'pending', "attempts" = "attempts" - 1`,
  waiting: () => Sql.sql`"lockedBy" IS NULL AND "state" IN ('pending', 'running')`,
  dead: Sql.sql`"state" = 'failed'`,
  // From the page it was on: the pages before were stored.
  revive: () => Sql.sql`"state" = 'pending', "attempts" = 0, ${unlocked()}, "lastError" = NULL, "finishedAt" = NULL`,
};

/**
 * Leases the oldest backfill that is due, or whose holder's lease ran out (its process died), or the given
 * repository's, for `holder`.
 */
export async function claimBackfill(
  prisma: Prisma,
  engine: Engine,
  holder: Holder,
  options: { repositoryId?: bigint; now?: Date } = {},
): Promise<ClaimedBackfill | null> {
  const where = options.repositoryId === undefined ? undefined : Sql.sql`"repositoryId" = ${options.repositoryId}`;
  const [claimed] = await claimLeases<{ key: bigint }>(
    prisma,
    engine,
    BACKFILLS,
    { ...holder, limit: 1, where },
    options.now,
  );
  return claimed === undefined ? null : readClaimedBackfill(prisma, BigInt(claimed.key), holder);
}

/** The backfill `holder` just claimed, with its repository and where it stopped; null when it is gone meanwhile. */
export async function readClaimedBackfill(
  prisma: Prisma,
  repositoryId: bigint,
  holder: Holder,
): Promise<ClaimedBackfill | null> {
  const row = await prisma.backfill.findUnique({
    where: { repositoryId },
    include: { repository: { select: { id: true, installationId: true, owner: true, name: true } } },
  });
  if (row === null) return null;
  return {
    repository: row.repository,
    phase: backfillPhase(row.phase),
    page: row.page,
    closedSince: row.closedSince,
    counts: { issues: row.issues, comments: row.comments, links: row.links },
    attempts: row.attempts,
    lease: holder,
  };
}

function backfillPhase(stored: string): BackfillPhase {
  return stored === "closed" || stored === "comments" ? stored : "open";
}

/** What a link needs of an issue the backfill listed with comments, kept until its comments are read. */
export interface BackfillIssue {
  number: number;
  githubId: bigint;
  nodeId: string | null;
  state: "open" | "closed";
  title: string;
  openedAt: Date;
  /** the listing's updated_at */
  titleAt: Date;
}

/** The kept issues among `numbers` (those a page of the repository's comments is on), by number. */
export async function readBackfillIssues(
  prisma: Prisma,
  repositoryId: bigint,
  numbers: readonly number[],
): Promise<Map<number, BackfillIssue>> {
  const rows = await prisma.backfillIssue.findMany({ where: { repositoryId, number: { in: [...new Set(numbers)] } } });
  return new Map(
    rows.map((row) => [
      row.number,
      {
        number: row.number,
        githubId: row.githubId,
        nodeId: row.nodeId,
        state: row.state === "closed" ? "closed" : "open",
        title: row.title,
        openedAt: row.openedAt,
        titleAt: row.titleAt,
      },
    ]),
  );
}

/** When the oldest kept issue was created (no comment the backfill reads is older); null when none was kept. */
export async function oldestBackfillIssue(prisma: Prisma, repositoryId: bigint): Promise<Date | null> {
  const oldest = await prisma.backfillIssue.aggregate({ where: { repositoryId }, _min: { openedAt: true } });
  return oldest._min.openedAt;
}

/** The backfill is done: the issues it kept for the comments phase are no longer needed. */
export async function forgetBackfillIssues(prisma: Prisma, repositoryId: bigint): Promise<void> {
  await prisma.backfillIssue.deleteMany({ where: { repositoryId } });
}

/**
 * A page is stored: the cursor moves to `next` (null: finished), the counts grow, and the lease is extended. False
 * when the lease was taken over (this process stalled past it): nothing is written, and the run must stop.
 */
export async function advanceBackfill(
  prisma: Prisma,
  claimed: ClaimedBackfill,
  next: BackfillCursor | null,
  added: BackfillCounts,
  now = new Date(),
  githubWaitUntil: Date | null = null,
): Promise<boolean> {
  const set =
    next === null
      ? backfillDone(added, now)
      : Sql.sql`${backfillPage(next, added, githubWaitUntil)}, ${extended(new Date(now.getTime() + claimed.lease.leaseMs))}`;
  return updateLeased(prisma, BACKFILLS, claimed.lease.owner, claimed.repository.id, set);
}

function grown(added: BackfillCounts): Sql.Sql {
  return Sql.sql`"issues" = "issues" + ${added.issues}, "comments" = "comments" + ${added.comments}, "links" = "links" + ${added.links}`;
}

/**
 * A stored page, as progress: the counts grow and the cursor moves to `next` (the holder extends the lease). With
 * `githubWaitUntil`, the backfill waits for GitHub's rate limit until then (`closeloop status` says so); a page stored
 * after the wait clears it.
 */
export function backfillPage(
  next: BackfillCursor,
  added: BackfillCounts,
  githubWaitUntil: Date | null = null,
): Sql.Sql {
  return Sql.sql`${grown(added)}, "phase" = ${next.phase}, "page" = ${next.page}, "githubWaitUntil" = ${githubWaitUntil}`;
}

/** The last page stored, as an outcome: the counts grow, the backfill is done and its lease given up. */
export function backfillDone(added: BackfillCounts, now = new Date()): Sql.Sql {
  return Sql.sql`${grown(added)}, "state" = 'done', ${unlocked()}, "lastError" = NULL, "githubWaitUntil" = NULL, "finishedAt" = ${now}`;
}

/** A run failed: retried by the next claim after `retryAt` (at the page it was on), or failed for good. */
export async function failBackfill(
  prisma: Prisma,
  claimed: ClaimedBackfill,
  error: string,
  outcome: BackfillFailure,
): Promise<boolean> {
  return updateLeased(prisma, BACKFILLS, claimed.lease.owner, claimed.repository.id, backfillFailed(error, outcome));
}

/** Retried by the next claim after `retryAt` (at the page it was on), or failed for good. */
export type BackfillFailure = { retryAt: Date } | { failed: Date };

/** A failed run, as an outcome that gives the lease up. */
export function backfillFailed(error: string, outcome: BackfillFailure): Sql.Sql {
  return "failed" in outcome
    ? Sql.sql`"state" = 'failed', ${unlocked()}, "lastError" = ${error}, "finishedAt" = ${outcome.failed}`
    : Sql.sql`${retryFrom(outcome.retryAt)}, "lastError" = ${error}`;
}

export interface BackfillStatus extends BackfillCounts, BackfillCursor {
  repository: string;
  state: string;
  /** it waits for GitHub's rate limit until then (a past time: it no longer does) */
  githubWaitUntil: Date | null;
  attempts: number;
  lastError: string | null;
  requestedAt: Date;
  finishedAt: Date | null;
}

export async function readBackfill(prisma: Prisma, repositoryId: bigint): Promise<BackfillStatus | null> {
  const row = await prisma.backfill.findUnique({
    where: { repositoryId },
    include: { repository: { select: { owner: true, name: true } } },
  });
  if (!row) return null;
  return {
    repository: `${row.repository.owner}/${row.repository.name}`,
    state: row.state,
    githubWaitUntil: row.githubWaitUntil,
    phase: backfillPhase(row.phase),
    page: row.page,
    issues: row.issues,
    comments: row.comments,
    links: row.links,
    attempts: row.attempts,
    lastError: row.lastError,
    requestedAt: row.requestedAt,
    finishedAt: row.finishedAt,
  };
}

export interface BackfillSummary {
  pending: number;
  running: number;
  done: number;
  failed: number;
  /** a running backfill waits for GitHub's rate limit to reset: until when (the latest, when several do) */
  waitingForGithubUntil: Date | null;
  /** repositories whose backfill failed for good, with the reason */
  failures: { repository: string; error: string | null; finishedAt: Date | null }[];
}

/** `closeloop status`: backfills by state, and the ones that failed. */
export async function backfillSummary(prisma: Prisma, now = new Date()): Promise<BackfillSummary> {
  const groups = await prisma.backfill.groupBy({ by: ["state"], _count: { _all: true } });
  const waiting = await prisma.backfill.aggregate({
    where: { state: "running", githubWaitUntil: { gt: now } },
    _max: { githubWaitUntil: true },
  });
  const count = (state: string) => groups.find((group) => group.state === state)?._count._all ?? 0;
  const failed = await prisma.backfill.findMany({
    where: { state: "failed" },
    orderBy: { finishedAt: "desc" },
    take: 20,
    include: { repository: { select: { owner: true, name: true } } },
  });
  return {
    pending: count("pending"),
    running: count("running"),
    done: count("done"),
    failed: count("failed"),
    waitingForGithubUntil: waiting._max.githubWaitUntil,
    failures: failed.map((row) => ({
      repository: `${row.repository.owner}/${row.repository.name}`,
      error: row.lastError,
      finishedAt: row.finishedAt,
    })),
  };
}
