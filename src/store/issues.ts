import { issueState } from "../domain/mentions.js";
import type { ClosedTickets } from "../domain/follow-up.js";
import type { SummaryDetails } from "../domain/reopen-summary.js";
import type { DatabaseHandle, Prisma, Transaction } from "./database.js";
import { impactDue } from "./impact.js";
import { ensureIssue } from "./links.js";
import { reconcileLinks } from "./mentions.js";
import { inTransaction } from "./transactions.js";
import type { IssueRef } from "../domain/refs.js";

/** A `closed` event: when, why, by whom, and the settings of the reopen it asks for. */
export interface IssueCloseEvent {
  closedAt: Date;
  /** the issue's state_reason (null on GitHub Enterprise versions without it: read as completed) */
  stateReason: string | null;
  /** the login of the person who closed it */
  closedBy: string | null;
  /** whether the close reopens: its reason is in `reopen.on` and its closer has `reopen.by` */
  reopen: boolean;
  /** why a close whose reason is in `reopen.on` reopens nothing (its closer lacks `reopen.by`); null otherwise */
  refusal?: string | null | undefined;
  /** `links.max_per_issue`, for links of mentions not yet linked */
  maxLinks?: number | undefined;
  /** the note as rendered now, whether to write a summary, `comment.details` and `reopen.closed_tickets` */
  note: string;
  summary: boolean;
  details: SummaryDetails;
  closedTickets: ClosedTickets;
  /** `reopen.remind_after` in seconds; null or absent: off */
  remindAfterSeconds?: number | null | undefined;
}

export type IssueStateOutcome =
  /** a `reopened` recorded; `stale` when a later close is known (the issue stays closed) */
  | { kind: "reopened"; stale: boolean }
  /** this close was recorded before (a redelivery): nothing new */
  | { kind: "duplicate"; closeId: number }
  | { kind: "closed"; closeId: number; jobs: number };

/**
 * `issues.closed`: records the close, whatever the issue's links are now, and in the same transaction (a
 * transactional outbox) one ReopenJob per conversation mentioned at its time when its reason reopens. Links whose
 * comments are processed after the close get theirs then (store/mentions.ts). The close is keyed by GitHub's
 * `closed_at`, so a redelivered event enqueues nothing and a close after a reopen enqueues again.
 */
export async function recordIssueClose(
  database: DatabaseHandle,
  ref: IssueRef,
  close: IssueCloseEvent,
): Promise<IssueStateOutcome> {
  return inTransaction(
    database.prisma,
    async (tx) => {
      const issue = await ensureIssue(tx, ref);
      const [created] = await tx.$queryRaw<{ id: number }[]>`
      INSERT INTO "IssueClose" ("issueId", "closedAt", "reason", "reopen", "refusal", "closedBy", "note", "summary", "details", "closedTickets", "remindAfterSeconds", "createdAt")
      VALUES (${issue.id}, ${close.closedAt}, ${close.stateReason ?? "completed"}, ${close.reopen}, ${close.refusal ?? null}, ${close.closedBy}, ${close.note}, ${close.summary}, ${close.details}, ${close.closedTickets}, ${close.remindAfterSeconds ?? null}, ${new Date()})
      ON CONFLICT ("issueId", "closedAt") DO NOTHING RETURNING "id"`;
      if (!created) {
        const known = await tx.issueClose.findUniqueOrThrow({
          where: { issueId_closedAt: { issueId: issue.id, closedAt: close.closedAt } },
          select: { id: true },
        });
        return { kind: "duplicate", closeId: known.id };
      }
      await settleIssueState(tx, issue.id);
      const { jobsAdded } = close.reopen
        ? await reconcileLinks(tx, issue.id, "all", { maxLinks: close.maxLinks })
        : { jobsAdded: 0 };
      return { kind: "closed", closeId: Number(created.id), jobs: jobsAdded };
    },
    { repository: { rows: database.repositoryRows, ref: ref.repository } },
  );
}

/** `issues.reopened`: moves the state to open only when no later close is known (GitHub's times, not processing order). */
export async function recordIssueReopen(database: DatabaseHandle, ref: IssueRef, at: Date): Promise<IssueStateOutcome> {
  return inTransaction(
    database.prisma,
    async (tx) => {
      const issue = await ensureIssue(tx, ref);
      await tx.issue.updateMany({
        where: { id: issue.id, OR: [{ reopenedAt: null }, { reopenedAt: { lt: at } }] },
        data: { reopenedAt: at },
      });
      const state = await settleIssueState(tx, issue.id);
      return { kind: "reopened", stale: state?.state === "closed" };
    },
    { repository: { rows: database.repositoryRows, ref: ref.repository } },
  );
}

async function settleIssueState(tx: Transaction, issueId: number): Promise<ReturnType<typeof issueState>> {
  const row = await tx.issue.findUniqueOrThrow({
    where: { id: issueId },
    select: { reopenedAt: true, closes: { select: { closedAt: true, reason: true } } },
  });
  const state = issueState({ closes: row.closes, reopenedAt: row.reopenedAt });
  // The dashboard's counts carry the state: a change makes them due.
  if (state)
    await tx.$executeRaw`UPDATE "Issue" SET "state" = ${state.state}, "stateReason" = ${state.stateReason}, "closedAt" = ${state.closedAt}, ${impactDue(new Date())} WHERE "id" = ${issueId}`;
  return state;
}

/** An issue a helpdesk message names: `owner/repo#number`, any case. */
export interface NamedIssue {
  owner: string;
  repo: string;
  number: number;
}

/**
 * The notes closeloop rendered for these issues, reopen notes and link notes, to know them when the helpdesk sends
 * them back (at most 100 of each kind).
 */
export async function ownNotes(prisma: Prisma, issues: readonly NamedIssue[]): Promise<string[]> {
  const where = {
    OR: issues.map((issue) => ({
      issue: { number: issue.number, repository: { fullName: `${issue.owner}/${issue.repo}`.toLowerCase() } },
    })),
  };
  const query = { where, select: { note: true }, distinct: ["note" as const], take: 100 };
  const [closes, links] = await Promise.all([prisma.issueClose.findMany(query), prisma.linkNote.findMany(query)]);
  return [...closes, ...links].map((row) => row.note);
}

/** Closes that reopened nothing because their closer lacked `reopen.by` (`closeloop status`): how many, and the latest. */
export async function refusedCloses(
  prisma: Prisma,
  take = 10,
): Promise<{ count: number; latest: { issue: string; closedAt: Date; closedBy: string | null; refusal: string }[] }> {
  const where = { refusal: { not: null } };
  const [count, rows] = await Promise.all([
    prisma.issueClose.count({ where }),
    prisma.issueClose.findMany({
      where,
      orderBy: [{ closedAt: "desc" }, { id: "desc" }],
      take,
      select: {
        closedAt: true,
        closedBy: true,
        refusal: true,
        issue: { select: { number: true, repository: { select: { owner: true, name: true } } } },
      },
    }),
  ]);
  return {
    count,
    latest: rows.map((row) => ({
      issue: `${row.issue.repository.owner}/${row.issue.repository.name}#${row.issue.number}`,
      closedAt: row.closedAt,
      closedBy: row.closedBy,
      refusal: row.refusal!,
    })),
  };
}

/** Whether closeloop stores issue `number` of the repository with GitHub id `repositoryId`. */
export async function isIssueStored(prisma: Prisma, repositoryId: bigint, number: number): Promise<boolean> {
  return (await prisma.issue.count({ where: { repositoryId, number } })) > 0;
}
