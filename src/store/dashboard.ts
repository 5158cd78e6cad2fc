import type { Report } from "../domain/frequency.js";
import { watchesOfCloses, type WatchView } from "./answers.js";
import { parseTags } from "./labels.js";
import type { Prisma } from "./database.js";
import { idTable } from "./id-table.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/** One linked conversation as the dashboard's issue page lists it. */
export interface LinkView {
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  /** where the URL was first posted: body | comment | helpdesk */
  source: string;
  linkedAt: Date;
  /** when the customer's conversation began, from the helpdesk (null until read) */
  reportedAt: Date | null;
  team: string | null;
  tags: string[];
}

/** One reopen job of a close: which conversation, and where it stands. */
export interface ReopenView {
  id: number;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  state: string;
  attempts: number;
  lastError: string | null;
  lastStatus: number | null;
  finishedAt: Date | null;
  /** the follow-up ticket a closed Zendesk ticket got instead of a reopen (`reopen.closed_tickets: follow_up`) */
  followUpId: string | null;
}

export interface CloseView {
  id: number;
  closedAt: Date;
  reason: string;
  /** whether this close reopens its conversations, and if not because of its closer, why */
  reopen: boolean;
  refusal: string | null;
  closedBy: string | null;
  jobs: ReopenView[];
  /** the conversations it reopened, watched for their answer (docs/answers.md) */
  watches: WatchView[];
}

export interface IssueView {
  repositoryId: bigint;
  owner: string;
  name: string;
  number: number;
  title: string | null;
  state: string;
  frequency: string | null;
  /** the labels closeloop knows on the issue now */
  labels: string[];
  links: LinkView[];
  /** the live links as reports (their date and customer hash), for the chart */
  reports: Report[];
  /** newest first */
  closes: CloseView[];
}

const JOB_FIELDS = {
  id: true,
  provider: true,
  account: true,
  conversationId: true,
  url: true,
  state: true,
  attempts: true,
  lastError: true,
  lastStatus: true,
  finishedAt: true,
  followUpId: true,
} as const;

/** The issue `number` of the repository named `fullName` (lower-cased owner/name), or null when closeloop has no such issue. */
export async function findIssueView(prisma: Prisma, fullName: string, number: number): Promise<IssueView | null> {
  const repository = await prisma.repository.findFirst({
    where: { fullName },
    select: { id: true, owner: true, name: true },
  });
  if (repository === null) return null;
  const issue = await prisma.issue.findUnique({
    where: { repositoryId_number: { repositoryId: repository.id, number } },
    select: {
      number: true,
      title: true,
      state: true,
      evaluation: { select: { frequency: true } },
      labels: { where: { present: true }, orderBy: { key: "asc" }, select: { name: true } },
      links: {
        orderBy: [{ linkedAt: "asc" }, { id: "asc" }],
        select: {
          provider: true,
          account: true,
          conversationId: true,
          url: true,
          source: true,
          linkedAt: true,
          conversationCreatedAt: true,
          team: true,
          tags: true,
          customerHash: true,
        },
      },
      closes: {
        orderBy: { closedAt: "desc" },
        select: {
          id: true,
          closedAt: true,
          reason: true,
          reopen: true,
          refusal: true,
          closedBy: true,
          jobs: { orderBy: { id: "asc" }, select: JOB_FIELDS },
        },
      },
    },
  });
  if (issue === null) return null;
  const watches = await watchesOfCloses(
    prisma,
    issue.closes.map((close) => close.id),
  );
  return {
    repositoryId: repository.id,
    owner: repository.owner,
    name: repository.name,
    number: issue.number,
    title: issue.title,
    state: issue.state,
    frequency: issue.evaluation?.frequency ?? null,
    labels: issue.labels.map((label) => label.name),
    links: issue.links.map(({ conversationCreatedAt, tags, customerHash: _, ...link }) => ({
      ...link,
      reportedAt: conversationCreatedAt,
      tags: parseTags(tags),
    })),
    reports: issue.links.map((link) => ({ at: link.linkedAt, customer: link.customerHash })),
    closes: issue.closes.map((close) => ({
      ...close,
      watches: watches.filter((watch) => watch.closeId === close.id),
    })),
  };
}

/** A recent close and what became of its reopens: the rep's list of customers to get back to. */
export interface ClosedIssueView {
  closeId: number;
  owner: string;
  name: string;
  number: number;
  /** null until a payload showed it */
  title: string | null;
  closedAt: Date;
  reason: string;
  reopen: boolean;
  refusal: string | null;
  done: number;
  pending: number;
  /** the jobs that failed (dead), with why */
  failed: ReopenView[];
  /** the conversations it reopened, watched for their answer */
  watches: WatchView[];
}

/**
 * The ids of listRecentCloses' page: one statement whatever the number of readable repositories (idTable). The window's
 * closes are read newest first through their index on the close's time, each checked against the scope, and the read
 * stops after the page's: what it costs follows the window, not every close ever recorded.
 */
export function recentClosesStatement(
  prisma: Prisma,
  repositoryIds: readonly bigint[],
  options: { now: Date; days: number; take: number },
): Sql.Sql {
  const since = new Date(options.now.getTime() - options.days * 86_400_000);
  return Sql.sql`
    SELECT c."id" FROM "IssueClose" c CROSS JOIN "Issue" i
    WHERE i."id" = c."issueId" AND c."closedAt" >= ${since} AND i."repositoryId" IN (${idTable(prisma, repositoryIds)})
    ORDER BY c."closedAt" DESC, c."id" DESC LIMIT ${options.take}`;
}

/**
 * Closes of the last `days` days in the given repositories, newest first, at most `take`: how many of their
 * conversations were reopened, how many reopens are pending, which failed and why, and each reopened conversation's
 * answer (one more statement for the page's watches).
 */
export async function listRecentCloses(
  prisma: Prisma,
  repositoryIds: readonly bigint[],
  options: { now: Date; days: number; take: number },
): Promise<ClosedIssueView[]> {
  if (repositoryIds.length === 0) return [];
  const page = await prisma.$queryRaw<{ id: number | bigint }[]>(recentClosesStatement(prisma, repositoryIds, options));
  if (page.length === 0) return [];
  const closes = await prisma.issueClose.findMany({
    where: { id: { in: page.map((row) => Number(row.id)) } },
    orderBy: [{ closedAt: "desc" }, { id: "desc" }],
    select: {
      id: true,
      closedAt: true,
      reason: true,
      reopen: true,
      refusal: true,
      issue: { select: { number: true, title: true, repository: { select: { owner: true, name: true } } } },
      jobs: { orderBy: { id: "asc" }, select: JOB_FIELDS },
    },
  });
  const watches = await watchesOfCloses(
    prisma,
    closes.map((close) => close.id),
  );
  return closes.map((close) => ({
    closeId: close.id,
    owner: close.issue.repository.owner,
    name: close.issue.repository.name,
    number: close.issue.number,
    title: close.issue.title,
    closedAt: close.closedAt,
    reason: close.reason,
    reopen: close.reopen,
    refusal: close.refusal,
    done: close.jobs.filter((job) => job.state === "done").length,
    pending: close.jobs.filter((job) => job.state === "pending" || job.state === "running").length,
    failed: close.jobs.filter((job) => job.state === "dead"),
    watches: watches.filter((watch) => watch.closeId === close.id),
  }));
}

/** The id of the repository named `fullName` (lower-cased owner/name), or null when closeloop has none by that name. */
export async function findRepositoryId(prisma: Prisma, fullName: string): Promise<bigint | null> {
  return (await prisma.repository.findFirst({ where: { fullName }, select: { id: true } }))?.id ?? null;
}
