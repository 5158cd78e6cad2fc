import type { Prisma } from "./database.js";
import type { IssueRef } from "./links.js";
import { ensureRepository } from "./repositories.js";
import { inTransaction } from "./transactions.js";

export interface IssueState {
  state: "open" | "closed";
  stateReason: string | null;
  closedAt: Date | null;
  /** when the event happened (the issue's updated_at): a `reopened` older than the stored close is stale */
  at?: Date;
}

/** What a close that reopens conversations enqueues: the note as rendered now, and whether to write a summary. */
export interface ReopenRequest {
  note: string;
  summary: boolean;
}

export type IssueStateOutcome =
  | { kind: "recorded" }
  /** a `reopened` older than the stored close: ignored */
  | { kind: "stale" }
  /** this close was recorded before (a redelivery): nothing enqueued */
  | { kind: "duplicate"; closeId: number }
  | { kind: "enqueued"; closeId: number; jobs: number };

/**
 * `issues.closed` / `issues.reopened`: records the state (it decides whether a removed source takes its links with
 * it) and, for a close that reopens conversations, the close and one ReopenJob per live link, in the same transaction
 * (a transactional outbox: no close without its jobs, no job without its close). The close is keyed by GitHub's
 * `closed_at`, so a redelivered event enqueues nothing and a close after a reopen enqueues again.
 */
export async function recordIssueState(prisma: Prisma, issue: IssueRef, state: IssueState, reopen?: ReopenRequest): Promise<IssueStateOutcome> {
  return inTransaction(prisma, async (tx) => {
    await ensureRepository(prisma, tx, issue.repository);
    const where = { repositoryId_number: { repositoryId: issue.repository.id, number: issue.number } };
    const fields = { state: state.state, stateReason: state.stateReason, closedAt: state.closedAt };
    const stored = await tx.issue.findUnique({ where, select: { id: true, closedAt: true } });
    if (stored && state.state === "open" && state.at !== undefined && stored.closedAt !== null && stored.closedAt > state.at) {
      return { kind: "stale" };
    }
    // An older close delivered late still enqueues (it happened), but does not roll the issue's state back.
    const older = stored?.closedAt != null && state.closedAt !== null && stored.closedAt > state.closedAt;
    const row = stored
      ? older
        ? stored
        : await tx.issue.update({ where: { id: stored.id }, data: fields, select: { id: true } })
      : await tx.issue.create({ data: { repositoryId: issue.repository.id, number: issue.number, githubId: issue.githubId, ...fields }, select: { id: true } });
    if (state.state !== "closed" || reopen === undefined || state.closedAt === null) return { kind: "recorded" };

    const known = await tx.issueClose.findUnique({ where: { issueId_closedAt: { issueId: row.id, closedAt: state.closedAt } }, select: { id: true } });
    if (known) return { kind: "duplicate", closeId: known.id };
    // A link lives while a source carries it; links kept only as history of an earlier close are not reopened.
    const links = await tx.link.findMany({
      where: { issueId: row.id, sources: { some: {} } },
      orderBy: { id: "asc" },
      select: { id: true, provider: true, account: true, conversationId: true, url: true },
    });
    if (links.length === 0) return { kind: "recorded" };
    const close = await tx.issueClose.create({
      data: { issueId: row.id, closedAt: state.closedAt, reason: state.stateReason ?? "completed", note: reopen.note, summary: reopen.summary },
      select: { id: true },
    });
    const { count } = await tx.reopenJob.createMany({
      data: links.map((link) => ({
        closeId: close.id,
        linkId: link.id,
        provider: link.provider,
        account: link.account,
        conversationId: link.conversationId,
        url: link.url,
      })),
    });
    return { kind: "enqueued", closeId: close.id, jobs: count };
  });
}

/** Whether the issue has a link still carried by a source: only then is a close worth reading the config for. */
export async function hasLiveLinks(prisma: Prisma, issue: IssueRef): Promise<boolean> {
  const found = await prisma.link.findFirst({
    where: { issue: { repositoryId: issue.repository.id, number: issue.number }, sources: { some: {} } },
    select: { id: true },
  });
  return found !== null;
}

/** The reopen notes closeloop rendered for these issues (`owner/repo#number`, any case), to know them when they come back. */
export async function closeNotes(prisma: Prisma, issues: readonly { owner: string; repo: string; number: number }[]): Promise<string[]> {
  const closes = await prisma.issueClose.findMany({
    where: { OR: issues.map((issue) => ({ issue: { number: issue.number, repository: { fullName: `${issue.owner}/${issue.repo}`.toLowerCase() } } })) },
    select: { note: true },
    distinct: ["note"],
    take: 100,
  });
  return closes.map((close) => close.note);
}
