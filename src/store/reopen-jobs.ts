import type { Engine } from "./database-url.js";
import type { Prisma, Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { claimLeased, queuesByProvider, type JobState, type ProviderQueue } from "./leased-jobs.js";

/** A claimed job: what the worker needs to run it. */
export interface ClaimedJob {
  id: number;
  closeId: number;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  attempts: number;
  noteDone: boolean;
  /** the close's rendered note */
  note: string;
}

/** Leases up to `limit` of the provider's due jobs for `owner` (see claimLeased), with what the worker needs. */
export async function claimJobs(
  prisma: Prisma,
  engine: Engine,
  claim: { provider: string; limit: number; leaseMs: number; owner: string },
  now = new Date(),
): Promise<ClaimedJob[]> {
  const ids = await claimLeased(prisma, engine, "ReopenJob", claim, now);
  if (ids.length === 0) return [];
  const jobs = await prisma.reopenJob.findMany({
    where: { id: { in: ids }, lockedBy: claim.owner },
    orderBy: { id: "asc" },
    include: { close: { select: { note: true } } },
  });
  return jobs.map((job) => ({
    id: job.id,
    closeId: job.closeId,
    provider: job.provider,
    account: job.account,
    conversationId: job.conversationId,
    url: job.url,
    attempts: job.attempts,
    noteDone: job.noteDoneAt !== null,
    note: job.close.note,
  }));
}

/** The note step succeeded; the lease is extended for the reopen. False when the lease was lost meanwhile. */
export async function recordNoteDone(prisma: Prisma, id: number, owner: string, leaseMs: number, at = new Date()): Promise<boolean> {
  const { count } = await prisma.reopenJob.updateMany({
    where: { id, lockedBy: owner, state: "running" },
    data: { noteDoneAt: at, lockedUntil: new Date(at.getTime() + leaseMs) },
  });
  return count === 1;
}

export async function completeJob(prisma: Prisma, id: number, owner: string, at = new Date()): Promise<boolean> {
  const { count } = await prisma.reopenJob.updateMany({
    where: { id, lockedBy: owner, state: "running" },
    data: { state: "done", reopenDoneAt: at, finishedAt: at, lockedBy: null, lockedUntil: null },
  });
  return count === 1;
}

/**
 * Jobs of providers this process cannot run (no credentials): dead at once with the reason. Returns the closes they
 * belonged to, so their summaries can be written.
 */
export async function killUnrunnableJobs(prisma: Prisma, provider: string, reason: string, now = new Date()): Promise<number[]> {
  const where = { provider, OR: [{ state: "pending" }, { state: "running", lockedUntil: { lt: now } }] };
  const jobs = await prisma.reopenJob.findMany({ where, select: { id: true, closeId: true }, take: 500 });
  if (jobs.length === 0) return [];
  await prisma.reopenJob.updateMany({
    where: { id: { in: jobs.map((job) => job.id) }, ...where },
    data: { state: "dead", finishedAt: now, lockedBy: null, lockedUntil: null, lastError: reason, lastStatus: null },
  });
  return [...new Set(jobs.map((job) => job.closeId))];
}

/** A job of the close settled: its summary comment is (re)written once all its jobs have. */
export async function markSummaryDue(prisma: Transaction, closeIds: readonly number[], at = new Date()): Promise<void> {
  if (closeIds.length === 0) return;
  await prisma.issueClose.updateMany({ where: { id: { in: [...closeIds] }, summary: true }, data: { summaryDueAt: at } });
  await prisma.issueClose.updateMany({ where: { id: { in: [...closeIds] }, summary: false, settledAt: null, jobs: { every: { state: { in: ["done", "dead"] } } } }, data: { settledAt: at } });
}

// ---- the summary comment ----

export interface DueSummary {
  closeId: number;
  /** the summaryDueAt claimed: cleared after writing only if no job settled meanwhile */
  dueAt: Date;
  attempts: number;
  reason: string;
  commentId: bigint | null;
  body: string | null;
  installationId: bigint;
  owner: string;
  repo: string;
  number: number;
  jobs: { id: number; provider: string; conversationId: string; url: string; state: "done" | "dead"; reason: string | null }[];
}

/** Leases closes whose summary is due and whose jobs have all settled. */
export async function claimDueSummaries(prisma: Prisma, engine: Engine, limit: number, leaseMs: number, now = new Date()): Promise<DueSummary[]> {
  const due = await prisma.issueClose.findFirst({
    where: { summaryDueAt: { lte: now }, OR: [{ summaryLockedUntil: null }, { summaryLockedUntil: { lt: now } }] },
    select: { id: true },
  });
  if (due === null) return [];
  const until = new Date(now.getTime() + leaseMs);
  const lock = engine === "postgresql" ? Sql.sql`FOR UPDATE SKIP LOCKED` : Sql.empty;
  const rows = await prisma.$queryRaw<{ id: number }[]>`UPDATE "IssueClose"
      SET "summaryLockedUntil" = ${until}, "summaryAttempts" = "summaryAttempts" + 1
      WHERE "id" IN (SELECT "c"."id" FROM "IssueClose" "c"
                     WHERE "c"."summaryDueAt" IS NOT NULL AND "c"."summaryDueAt" <= ${now}
                       AND ("c"."summaryLockedUntil" IS NULL OR "c"."summaryLockedUntil" < ${now})
                       AND NOT EXISTS (SELECT 1 FROM "ReopenJob" "j" WHERE "j"."closeId" = "c"."id" AND "j"."state" IN ('pending', 'running'))
                     ORDER BY "c"."summaryDueAt" LIMIT ${limit} ${lock})
      RETURNING "id"`;
  if (rows.length === 0) return [];
  const closes = await prisma.issueClose.findMany({
    where: { id: { in: rows.map((row) => Number(row.id)) } },
    include: {
      issue: { select: { number: true, repository: { select: { installationId: true, owner: true, name: true } } } },
      jobs: { orderBy: { id: "asc" }, select: { id: true, provider: true, conversationId: true, url: true, state: true, lastError: true } },
    },
  });
  return closes
    .filter((close) => close.summaryDueAt !== null)
    .map((close) => ({
      closeId: close.id,
      dueAt: close.summaryDueAt!,
      attempts: close.summaryAttempts,
      reason: close.reason,
      commentId: close.summaryCommentId,
      body: close.summaryBody,
      installationId: close.issue.repository.installationId,
      owner: close.issue.repository.owner,
      repo: close.issue.repository.name,
      number: close.issue.number,
      jobs: close.jobs.map((job) => ({
        id: job.id,
        provider: job.provider,
        conversationId: job.conversationId,
        url: job.url,
        state: job.state === "dead" ? ("dead" as const) : ("done" as const),
        reason: job.state === "dead" ? job.lastError : null,
      })),
    }));
}

/** Extends the leases of summaries this worker is writing (a write can wait behind GitHub's pacing of writes). */
export async function renewSummaryLeases(prisma: Prisma, closeIds: readonly number[], leaseMs: number, now = new Date()): Promise<void> {
  if (closeIds.length === 0) return;
  await prisma.issueClose.updateMany({ where: { id: { in: [...closeIds] }, summaryLockedUntil: { not: null } }, data: { summaryLockedUntil: new Date(now.getTime() + leaseMs) } });
}

/**
 * The summary is written (or was unchanged); it stays due if a job settled while it was being written. One
 * transaction, so no reader sees the comment recorded but the summary still due.
 */
export async function recordSummaryWritten(prisma: Prisma, summary: DueSummary, written: { commentId: bigint | null; body: string }, at = new Date()): Promise<void> {
  await prisma.$transaction([
    prisma.issueClose.update({
      where: { id: summary.closeId },
      data: { summaryCommentId: written.commentId, summaryBody: written.body, summaryLockedUntil: null, summaryAttempts: 0, summaryError: null },
    }),
    prisma.issueClose.updateMany({ where: { id: summary.closeId, settledAt: null }, data: { settledAt: at } }),
    prisma.issueClose.updateMany({ where: { id: summary.closeId, summaryDueAt: summary.dueAt }, data: { summaryDueAt: null } }),
  ]);
}

/** Writing the summary failed: try again at `retryAt`, or give up (null) keeping the error. */
export async function recordSummaryFailed(prisma: Prisma, closeId: number, error: string, retryAt: Date | null): Promise<void> {
  await prisma.issueClose.update({
    where: { id: closeId },
    data: { summaryError: error, summaryLockedUntil: null, summaryDueAt: retryAt, ...(retryAt === null ? { summaryAttempts: 0 } : {}) },
  });
}

// ---- the CLI's view ----

export interface JobRow {
  id: number;
  state: string;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  issue: string;
  attempts: number;
  noteDoneAt: Date | null;
  reopenDoneAt: Date | null;
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatus: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** Jobs oldest first, or the `limit` that finished last. */
export async function listJobs(prisma: Prisma, filter: { state?: JobState; lastFinished?: number } = {}): Promise<JobRow[]> {
  const jobs = await prisma.reopenJob.findMany({
    where: filter.state === undefined ? {} : { state: filter.state },
    orderBy: filter.lastFinished === undefined ? [{ id: "asc" as const }] : [{ finishedAt: "desc" as const }, { id: "desc" as const }],
    take: filter.lastFinished,
    include: { close: { select: { issue: { select: { number: true, repository: { select: { owner: true, name: true } } } } } } },
  });
  return jobs.map((job) => ({
    id: job.id,
    state: job.state,
    provider: job.provider,
    account: job.account,
    conversationId: job.conversationId,
    url: job.url,
    issue: `${job.close.issue.repository.owner}/${job.close.issue.repository.name}#${job.close.issue.number}`,
    attempts: job.attempts,
    noteDoneAt: job.noteDoneAt,
    reopenDoneAt: job.reopenDoneAt,
    nextAttemptAt: job.nextAttemptAt,
    lastError: job.lastError,
    lastStatus: job.lastStatus,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  }));
}

export type RetryOutcome = { retried: number } | { problem: string };

/**
 * `closeloop retry`: dead jobs (or one job that is dead, or pending and waiting for its next attempt) run again now,
 * with a fresh attempt budget. A running job is left alone; a done job has nothing left to do.
 */
export async function retryJobs(prisma: Prisma, which: { id: number } | { dead: true }, now = new Date()): Promise<RetryOutcome> {
  const data = { state: "pending", attempts: 0, nextAttemptAt: now, finishedAt: null, lockedBy: null, lockedUntil: null };
  if ("dead" in which) {
    const { count } = await prisma.reopenJob.updateMany({ where: { state: "dead" }, data });
    return { retried: count };
  }
  const job = await prisma.reopenJob.findUnique({ where: { id: which.id }, select: { state: true } });
  if (job === null) return { problem: `no job ${which.id}` };
  if (job.state === "done") return { problem: `job ${which.id} is done; nothing to retry` };
  if (job.state === "running") return { problem: `job ${which.id} is running now; nothing to retry` };
  const { count } = await prisma.reopenJob.updateMany({ where: { id: which.id, state: job.state }, data });
  return count === 1 ? { retried: 1 } : { problem: `job ${which.id} changed while retrying; look again with \`closeloop jobs\`` };
}

/** `closeloop status`: jobs per provider and state, and the latest dead letters. */
export async function jobBacklog(prisma: Prisma): Promise<{ providers: ProviderQueue[]; dead: JobRow[] }> {
  const groups = await prisma.reopenJob.groupBy({ by: ["provider", "state"], _count: { _all: true } });
  const providers = queuesByProvider(groups);
  const dead = await listJobs(prisma, { state: "dead", lastFinished: 20 });
  return { providers, dead };
}
