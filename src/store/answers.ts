import { outcomeOf, type AnswerOutcome, type ConversationActivity } from "../domain/answers.js";
import type { Prisma, Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { ANSWER_WATCHES } from "./helpdesk-jobs.js";
import { unlocked, updateLeased } from "./lease.js";
import { markSummaryDue } from "./reopen-jobs.js";

/** A conversation a close reopened, to watch for its answer (docs/answers.md). */
export interface NewWatch {
  reopenJobId: number;
  closeId: number;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  reopenedAt: Date;
  /** `reopen.remind_after` of the close, in seconds; null: off */
  remindAfterSeconds: number | null;
}

/**
 * Starts watching a reopened conversation, in the transaction that ends its reopen job done, so a crash cannot leave a
 * reopen unwatched. Its first look is due at the first read (1 h), or the reminder if that comes first; the worker
 * skips the read where the helpdesk's webhooks tell.
 */
export async function watchAnswer(tx: Transaction, watch: NewWatch, firstCheckAt: Date): Promise<void> {
  const remindAt =
    watch.remindAfterSeconds === null ? null : new Date(watch.reopenedAt.getTime() + watch.remindAfterSeconds * 1000);
  const next = remindAt !== null && remindAt < firstCheckAt ? remindAt : firstCheckAt;
  await tx.answerWatch.upsert({
    where: { reopenJobId: watch.reopenJobId },
    create: {
      reopenJobId: watch.reopenJobId,
      closeId: watch.closeId,
      provider: watch.provider,
      account: watch.account,
      conversationId: watch.conversationId,
      url: watch.url,
      reopenedAt: watch.reopenedAt,
      remindAt,
      nextAttemptAt: next,
    },
    update: {},
  });
}

/** A watch whose outcome a webhook or a read recorded. */
export interface RecordedAnswer {
  closeId: number;
  provider: string;
  outcome: AnswerOutcome;
  /** seconds from the reopen to the outcome */
  seconds: number;
}

/**
 * What a webhook or a read showed of a conversation, applied to its watches that it changes (outcomeOf: the first
 * public reply of an agent after the reopen, else a close). Each change is conditional on the outcome read, so two
 * deliveries racing on one watch cannot lose the earlier answer. A watch with nothing left to do is done unless a
 * worker holds it (its run settles it). The closes' summaries are due again: they count the answers.
 */
export async function recordActivity(
  prisma: Prisma | Transaction,
  conversation: { provider: string; account: string; conversationId: string },
  activity: ConversationActivity,
  learnedBy: "webhook" | "read",
  now = new Date(),
  only?: number,
): Promise<RecordedAnswer[]> {
  const watches = await prisma.answerWatch.findMany({
    where: { ...conversation, ...(only === undefined ? {} : { id: only }) },
    select: { id: true, closeId: true, provider: true, reopenedAt: true, outcome: true, outcomeAt: true },
  });
  const recorded: RecordedAnswer[] = [];
  for (const watch of watches) {
    const change = outcomeOf(
      { reopenedAt: watch.reopenedAt, outcome: watch.outcome as AnswerOutcome | null, outcomeAt: watch.outcomeAt },
      activity,
    );
    if (change === null) continue;
    const { count } = await prisma.answerWatch.updateMany({
      where: { id: watch.id, outcome: watch.outcome, outcomeAt: watch.outcomeAt },
      data: { outcome: change.outcome, outcomeAt: change.at, learnedBy, updatedAt: now },
    });
    if (count === 0) continue;
    await prisma.answerWatch.updateMany({
      where: { id: watch.id, state: "pending" },
      data: { state: "done", finishedAt: now },
    });
    recorded.push({
      closeId: watch.closeId,
      provider: watch.provider,
      outcome: change.outcome,
      seconds: Math.max(0, (change.at.getTime() - watch.reopenedAt.getTime()) / 1000),
    });
  }
  if (recorded.length > 0) await markSummaryDue(prisma, [...new Set(recorded.map((answer) => answer.closeId))], now);
  return recorded;
}

/** A claimed watch: what a read or the reminder needs. */
export interface ClaimedWatch {
  id: number;
  attempts: number;
  closeId: number;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  reopenedAt: Date;
  outcome: AnswerOutcome | null;
  outcomeAt: Date | null;
  reads: number;
  remindAt: Date | null;
  remindedAt: Date | null;
  /** the issue's GitHub URL and when it was closed, for the reminder */
  issueUrl: string;
  closedAt: Date;
}

export async function readClaimedWatches(
  prisma: Prisma,
  ids: readonly number[],
  owner: string,
  githubUrl: (owner: string, repo: string, number: number) => string,
): Promise<ClaimedWatch[]> {
  if (ids.length === 0) return [];
  const watches = await prisma.answerWatch.findMany({
    where: { id: { in: [...ids] }, lockedBy: owner },
    orderBy: { id: "asc" },
    include: {
      reopenJob: {
        select: {
          close: {
            select: {
              closedAt: true,
              issue: { select: { number: true, repository: { select: { owner: true, name: true } } } },
            },
          },
        },
      },
    },
  });
  return watches.map(({ reopenJob, ...watch }) => ({
    id: watch.id,
    attempts: watch.attempts,
    closeId: watch.closeId,
    provider: watch.provider,
    account: watch.account,
    conversationId: watch.conversationId,
    url: watch.url,
    reopenedAt: watch.reopenedAt,
    outcome: watch.outcome as AnswerOutcome | null,
    outcomeAt: watch.outcomeAt,
    reads: watch.reads,
    remindAt: watch.remindAt,
    remindedAt: watch.remindedAt,
    issueUrl: githubUrl(
      reopenJob.close.issue.repository.owner,
      reopenJob.close.issue.repository.name,
      reopenJob.close.issue.number,
    ),
    closedAt: reopenJob.close.closedAt,
  }));
}

/** Progress: `reads` of the conversation are done (or skipped where webhooks tell). */
export function readsDone(reads: number): Sql.Sql {
  return Sql.sql`"reads" = ${reads}`;
}

/**
 * The reminder is about to be sent: recorded first, so a crash or a lost answer after this never sends a second one
 * (at most once). `cleared` undoes it when the helpdesk's answer shows it did not take the note.
 */
export function markReminding(prisma: Prisma, owner: string, id: number, at = new Date()): Promise<boolean> {
  return updateLeased(prisma, ANSWER_WATCHES, owner, id, Sql.sql`"remindedAt" = ${at}`, Sql.sql`"outcome" IS NULL`);
}

/** The reminder was refused (the helpdesk did not take it): not reminded, so a retry may send it. */
export async function reminderRefused(prisma: Prisma, id: number): Promise<void> {
  await prisma.answerWatch.updateMany({ where: { id }, data: { remindedAt: null } });
}

/** The watch has work again at `next` (a read or the reminder), or none: done. Gives the lease up. */
export function watchNext(next: Date | null, at = new Date()): Sql.Sql {
  const released = Sql.sql`${unlocked()}, "attempts" = 0, "lastError" = NULL, "lastStatus" = NULL, "updatedAt" = ${at}`;
  return next === null
    ? Sql.sql`"state" = 'done', "finishedAt" = ${at}, ${released}`
    : Sql.sql`"state" = 'pending', "nextAttemptAt" = ${next}, ${released}`;
}

// ---- what people see ----

/** One reopened conversation no agent has answered yet (`closeloop waiting`). */
export interface WaitingConversation {
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  /** owner/repo#n */
  issue: string;
  title: string | null;
  reopenedAt: Date;
  reminded: boolean;
}

/** Reopened conversations still waiting for an agent, oldest reopen first; optionally only those of some repositories. */
export async function listWaiting(
  prisma: Prisma,
  options: { repositoryIds?: readonly bigint[]; closeIds?: readonly number[]; take?: number } = {},
): Promise<WaitingConversation[]> {
  const watches = await prisma.answerWatch.findMany({
    where: {
      outcome: null,
      ...(options.closeIds === undefined ? {} : { closeId: { in: [...options.closeIds] } }),
      ...(options.repositoryIds === undefined
        ? {}
        : { reopenJob: { close: { issue: { repositoryId: { in: [...options.repositoryIds] } } } } }),
    },
    orderBy: [{ reopenedAt: "asc" }, { id: "asc" }],
    ...(options.take === undefined ? {} : { take: options.take }),
    include: {
      reopenJob: {
        select: {
          close: {
            select: {
              issue: { select: { number: true, title: true, repository: { select: { owner: true, name: true } } } },
            },
          },
        },
      },
    },
  });
  return watches.map((watch) => {
    const issue = watch.reopenJob.close.issue;
    return {
      provider: watch.provider,
      account: watch.account,
      conversationId: watch.conversationId,
      url: watch.url,
      issue: `${issue.repository.owner}/${issue.repository.name}#${issue.number}`,
      title: issue.title,
      reopenedAt: watch.reopenedAt,
      reminded: watch.remindedAt !== null,
    };
  });
}

/** Each watched conversation of some closes, for the views: its outcome, and how long it took or has waited. */
export interface WatchView {
  closeId: number;
  reopenJobId: number;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  reopenedAt: Date;
  outcome: AnswerOutcome | null;
  outcomeAt: Date | null;
  reminded: boolean;
}

export async function watchesOfCloses(prisma: Prisma | Transaction, closeIds: readonly number[]): Promise<WatchView[]> {
  if (closeIds.length === 0) return [];
  const watches = await prisma.answerWatch.findMany({
    where: { closeId: { in: [...closeIds] } },
    orderBy: [{ reopenedAt: "asc" }, { id: "asc" }],
    select: {
      closeId: true,
      reopenJobId: true,
      provider: true,
      account: true,
      conversationId: true,
      url: true,
      reopenedAt: true,
      outcome: true,
      outcomeAt: true,
      remindedAt: true,
    },
  });
  return watches.map(({ remindedAt, outcome, ...watch }) => ({
    ...watch,
    outcome: outcome as AnswerOutcome | null,
    reminded: remindedAt !== null,
  }));
}
