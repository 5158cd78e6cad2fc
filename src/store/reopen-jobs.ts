import { countAnswers, type AnswerCounts } from "../domain/answers.js";
import { failureCategory } from "../domain/failure-category.js";
import type { ClosedTickets } from "../domain/follow-up.js";
import type { SummaryJob } from "../domain/reopen-summary.js";
import type { Prisma, Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { unlocked, type LeasedTable } from "./lease.js";
import { queuesByProvider, type JobState, type ProviderQueue } from "./helpdesk-jobs.js";

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
  /** `reopen.closed_tickets` when the issue closed */
  closedTickets: ClosedTickets;
  /** `reopen.remind_after` when the issue closed, in seconds; null: off */
  remindAfterSeconds: number | null;
}

/** What the worker needs to run the jobs it claimed (`REOPEN_JOBS`), oldest first. */
export async function readClaimedJobs(prisma: Prisma, ids: readonly number[], owner: string): Promise<ClaimedJob[]> {
  if (ids.length === 0) return [];
  const jobs = await prisma.reopenJob.findMany({
    where: { id: { in: [...ids] }, lockedBy: owner },
    orderBy: { id: "asc" },
    include: { close: { select: { note: true, closedTickets: true, remindAfterSeconds: true } } },
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
    closedTickets: job.close.closedTickets === "skip" ? "skip" : "follow_up",
    remindAfterSeconds: job.close.remindAfterSeconds,
  }));
}

/** The note step's progress: a retry does not post it again. */
export function noteDone(at = new Date()): Sql.Sql {
  return Sql.sql`"noteDoneAt" = ${at}`;
}

/** The reopen step's outcome: the job is done. */
export function jobDone(at = new Date()): Sql.Sql {
  return Sql.sql`"state" = 'done', "reopenDoneAt" = ${at}, "finishedAt" = ${at}, ${unlocked()}, "updatedAt" = ${at}`;
}

/** The note and the reopen made in one call (HelpdeskClient.addNoteAndReopen): both steps are done at once. */
export function noteAndReopenDone(at = new Date()): Sql.Sql {
  return Sql.sql`"noteDoneAt" = COALESCE("noteDoneAt", ${at}), ${jobDone(at)}`;
}

/**
 * A follow-up conversation carries the note in place of the closed one: its id is recorded with the job's outcome in
 * one statement, so the job is done exactly when the follow-up is known.
 */
export function followUpDone(followUpId: string, at = new Date()): Sql.Sql {
  return Sql.sql`"followUpId" = ${followUpId}, ${noteAndReopenDone(at)}`;
}

/**
 * Jobs of providers this process cannot run (no credentials; `reasons`: provider → why): dead at once with the reason.
 * One read for all of them, since the helpdesk worker asks on every round. Returns, per provider whose jobs died, the
 * closes they belonged to, so their summaries can be written.
 */
export async function killUnrunnableJobs(
  prisma: Prisma,
  reasons: ReadonlyMap<string, string>,
  now = new Date(),
): Promise<Map<string, number[]>> {
  const killed = new Map<string, number[]>();
  if (reasons.size === 0) return killed;
  const unrunnable = { OR: [{ state: "pending" }, { state: "running", lockedUntil: { lt: now } }] };
  const jobs = await prisma.reopenJob.findMany({
    where: { provider: { in: [...reasons.keys()] }, ...unrunnable },
    select: { id: true, closeId: true, provider: true },
    take: 500,
  });
  for (const [provider, reason] of reasons) {
    const ofProvider = jobs.filter((job) => job.provider === provider);
    if (ofProvider.length === 0) continue;
    await prisma.reopenJob.updateMany({
      where: { id: { in: ofProvider.map((job) => job.id) }, provider, ...unrunnable },
      data: { state: "dead", finishedAt: now, lockedBy: null, lockedUntil: null, lastError: reason, lastStatus: null },
    });
    killed.set(provider, [...new Set(ofProvider.map((job) => job.closeId))]);
  }
  return killed;
}

/** A job of the close settled: its summary comment is (re)written once all its jobs have. */
export async function markSummaryDue(prisma: Transaction, closeIds: readonly number[], at = new Date()): Promise<void> {
  if (closeIds.length === 0) return;
  await prisma.issueClose.updateMany({
    where: { id: { in: [...closeIds] }, summary: true },
    data: { summaryDueAt: at },
  });
  await prisma.issueClose.updateMany({
    where: {
      id: { in: [...closeIds] },
      summary: false,
      settledAt: null,
      jobs: { every: { state: { in: ["done", "dead"] } } },
    },
    data: { settledAt: at },
  });
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
  /** `comment.details` when the issue closed */
  details: string;
  /** the repository's visibility as its latest payload stated; null when none did */
  repositoryPrivate: boolean | null;
  jobs: SummaryJob[];
  /** the reopened customers by answer (docs/answers.md): counts only */
  answers: AnswerCounts;
}

/** The summary comment of a close, as a leased table: written by one worker at a time. */
export const SUMMARIES: LeasedTable = {
  kind: "summary comment",
  table: "IssueClose",
  key: "id",
  ready: () => Sql.sql`"lockedBy" IS NULL`,
  held: Sql.sql`"lockedBy" IS NOT NULL`,
  order: Sql.sql`"summaryDueAt"`,
  onClaim: () => Sql.sql`"summaryAttempts" = "summaryAttempts" + 1`,
  onRelease: Sql.sql`"summaryAttempts" = "summaryAttempts" - 1`,
  waiting: () => Sql.sql`"summaryDueAt" IS NOT NULL AND "lockedBy" IS NULL`,
  // Given up (summaryFailed without a retry): the error is kept and the summary is no longer due.
  dead: Sql.sql`"summaryError" IS NOT NULL AND "summaryDueAt" IS NULL AND "lockedBy" IS NULL`,
  revive: (now) => Sql.sql`"summaryDueAt" = ${now}, "summaryAttempts" = 0`,
};

/** For a claim's `where`: closes whose summary is due and whose jobs have all settled. */
export function summaryDue(now = new Date()): Sql.Sql {
  return Sql.sql`"summaryDueAt" IS NOT NULL AND "summaryDueAt" <= ${now}
    AND NOT EXISTS (SELECT 1 FROM "ReopenJob" "j" WHERE "j"."closeId" = "IssueClose"."id" AND "j"."state" IN ('pending', 'running'))`;
}

/** What writing the claimed summaries needs: the issue, and every job of the close with its outcome. */
export async function readDueSummaries(prisma: Prisma, ids: readonly number[]): Promise<DueSummary[]> {
  if (ids.length === 0) return [];
  const closes = await prisma.issueClose.findMany({
    where: { id: { in: [...ids] } },
    include: {
      issue: {
        select: {
          number: true,
          repository: { select: { installationId: true, owner: true, name: true, private: true } },
        },
      },
      jobs: {
        orderBy: { id: "asc" },
        select: {
          id: true,
          provider: true,
          conversationId: true,
          url: true,
          state: true,
          lastError: true,
          lastStatus: true,
          followUpId: true,
          answer: { select: { outcome: true } },
        },
      },
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
      details: close.details,
      repositoryPrivate: close.issue.repository.private,
      answers: countAnswers(close.jobs.flatMap((job) => (job.answer === null ? [] : [job.answer]))),
      jobs: close.jobs.map((job) => ({
        id: job.id,
        provider: job.provider,
        conversationId: job.conversationId,
        url: job.url,
        state: job.state === "dead" ? ("dead" as const) : ("done" as const),
        // Whether, never which: a follow-up's id is a helpdesk id like any other (comment.details).
        followUp: job.state === "done" && job.followUpId !== null,
        // The category only: the error text (the helpdesk's words) stays here, for `closeloop jobs`.
        failure: job.state === "dead" ? failureCategory({ status: job.lastStatus, error: job.lastError }) : null,
      })),
    }));
}

/**
 * The outcome of writing the summary (or finding it unchanged): it stays due if a job settled while it was being
 * written. One statement, so no reader sees the comment recorded but the summary still due.
 */
export function summaryWritten(
  summary: DueSummary,
  written: { commentId: bigint | null; body: string },
  at = new Date(),
): Sql.Sql {
  return Sql.sql`"summaryCommentId" = ${written.commentId}, "summaryBody" = ${written.body}, "summaryAttempts" = 0, "summaryError" = NULL, ${unlocked()},
    "settledAt" = COALESCE("settledAt", ${at}),
    "summaryDueAt" = CASE WHEN "summaryDueAt" = ${summary.dueAt} THEN NULL ELSE "summaryDueAt" END`;
}

/** The outcome of a failed write: tried again at `retryAt`, or given up (null) keeping the error. */
export function summaryFailed(error: string, retryAt: Date | null): Sql.Sql {
  return Sql.sql`"summaryError" = ${error}, "summaryDueAt" = ${retryAt}, ${unlocked()}${retryAt === null ? Sql.sql`, "summaryAttempts" = 0` : Sql.empty}`;
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
  /** the follow-up conversation made in place of a closed one */
  followUpId: string | null;
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatus: number | null;
  createdAt: Date;
  finishedAt: Date | null;
}

/** Jobs oldest first, or the `limit` that finished last. */
export async function listJobs(
  prisma: Prisma,
  filter: { state?: JobState; lastFinished?: number } = {},
): Promise<JobRow[]> {
  const jobs = await prisma.reopenJob.findMany({
    where: filter.state === undefined ? {} : { state: filter.state },
    orderBy:
      filter.lastFinished === undefined
        ? [{ id: "asc" as const }]
        : [{ finishedAt: "desc" as const }, { id: "desc" as const }],
    take: filter.lastFinished,
    include: {
      close: { select: { issue: { select: { number: true, repository: { select: { owner: true, name: true } } } } } },
    },
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
    followUpId: job.followUpId,
    nextAttemptAt: job.nextAttemptAt,
    lastError: job.lastError,
    lastStatus: job.lastStatus,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  }));
}

export type RetryOutcome = { retried: number } | { problem: string };

/**
 * `closeloop retry <job-id>`: one job that is dead, or pending and waiting for its next attempt, runs again now, with
 * a fresh attempt budget. A running job is left alone; a done job has nothing left to do. (`retry --dead` is every
 * kind's: src/jobs/job-kinds.ts.)
 */
export async function retryJobs(prisma: Prisma, which: { id: number }, now = new Date()): Promise<RetryOutcome> {
  const data = {
    state: "pending",
    attempts: 0,
    nextAttemptAt: now,
    finishedAt: null,
    lockedBy: null,
    lockedUntil: null,
  };
  const job = await prisma.reopenJob.findUnique({ where: { id: which.id }, select: { state: true } });
  if (job === null) return { problem: `no job ${which.id}` };
  if (job.state === "done") return { problem: `job ${which.id} is done; nothing to retry` };
  if (job.state === "running") return { problem: `job ${which.id} is running now; nothing to retry` };
  const { count } = await prisma.reopenJob.updateMany({ where: { id: which.id, state: job.state }, data });
  return count === 1
    ? { retried: 1 }
    : { problem: `job ${which.id} changed while retrying; look again with \`closeloop jobs\`` };
}

/** `closeloop status`: jobs per provider and state, and the latest dead letters. */
export async function jobBacklog(prisma: Prisma): Promise<{ providers: ProviderQueue[]; dead: JobRow[] }> {
  const groups = await prisma.reopenJob.groupBy({ by: ["provider", "state"], _count: { _all: true } });
  const providers = queuesByProvider(groups);
  const dead = await listJobs(prisma, { state: "dead", lastFinished: 20 });
  return { providers, dead };
}
