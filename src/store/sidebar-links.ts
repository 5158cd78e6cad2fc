import { HELPDESK_SOURCE_KINDS, type RecognisedLink } from "../domain/link.js";
import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import type { ReopenFacts } from "../domain/reopen-outlook.js";
import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";

/** A conversation, as a link names it. */
export interface ConversationKey {
  provider: string;
  account: string;
  conversationId: string;
}

/** One issue linked to the conversation, as the sidebar panel shows it. */
export interface SidebarLinkView {
  /** the issue's repository, whose `.github/closeloop.yml` says what a close reopens */
  repository: RepositoryRef;
  owner: string;
  name: string;
  number: number;
  title: string | null;
  state: "open" | "closed";
  stateReason: string | null;
  /** frequency and team labels closeloop keeps on the issue and sees there now */
  labels: { name: string; kind: string }[];
  /** distinct reports in the last 30 days, as the dashboard last counted them; null until counted */
  reports30: number | null;
  /** the kinds of source carrying the link now (body, comment, helpdesk, sidebar); the first one when none does */
  sources: string[];
  /** carried only by helpdesk notes and the sidebar: unlinking here removes it */
  removable: boolean;
  linkedAt: Date;
  /** the issue's latest close and this conversation's reopen job of it (src/domain/reopen-outlook.ts reads them) */
  reopen: Omit<ReopenFacts, "issueState">;
}

/** Issues the panel lists at most: a conversation linked to more is a data problem, not a panel to scroll. */
const PANEL_LIMIT = 50;

/**
 * The issues linked to one conversation, newest link first, with what the panel shows of each: one indexed read of the
 * links (Link by provider, account, conversation), their issues, labels, counts and latest close, and one of the
 * reopen jobs of those closes.
 */
export async function readConversationLinks(prisma: Prisma, conversation: ConversationKey): Promise<SidebarLinkView[]> {
  const links = await prisma.link.findMany({
    where: conversation,
    orderBy: [{ linkedAt: "desc" }, { id: "desc" }],
    take: PANEL_LIMIT,
    select: {
      id: true,
      source: true,
      linkedAt: true,
      sources: { select: { source: { select: { kind: true } } } },
      issue: {
        select: {
          number: true,
          title: true,
          state: true,
          stateReason: true,
          repository: { select: { id: true, installationId: true, owner: true, name: true } },
          labels: { where: { present: true, kind: { not: null } }, select: { name: true, kind: true } },
          impact: { select: { reports30: true } },
          closes: {
            orderBy: { closedAt: "desc" },
            take: 1,
            select: { id: true, closedAt: true, reason: true, reopen: true, refusal: true },
          },
        },
      },
    },
  });
  const closeIds = links.flatMap((link) => link.issue.closes.map((close) => close.id));
  const jobs =
    closeIds.length === 0
      ? []
      : await prisma.reopenJob.findMany({
          where: { ...conversation, closeId: { in: closeIds } },
          select: { closeId: true, state: true, lastError: true },
        });
  return links.map((link) => {
    const issue = link.issue;
    const carried = [...new Set(link.sources.map((row) => row.source.kind))].sort();
    const close = issue.closes[0];
    const closed = issue.state === "closed";
    const job = close && jobs.find((row) => row.closeId === close.id);
    return {
      repository: issue.repository,
      owner: issue.repository.owner,
      name: issue.repository.name,
      number: issue.number,
      title: issue.title,
      state: closed ? "closed" : "open",
      stateReason: issue.stateReason,
      labels: issue.labels.map((label) => ({ name: label.name, kind: label.kind! })),
      reports30: issue.impact?.reports30 ?? null,
      sources: carried.length > 0 ? carried : [link.source],
      removable:
        carried.length > 0 && carried.every((kind) => (HELPDESK_SOURCE_KINDS as readonly string[]).includes(kind)),
      linkedAt: link.linkedAt,
      reopen: {
        close: close
          ? { closedAt: close.closedAt, reason: close.reason, reopen: close.reopen, refusal: close.refusal }
          : null,
        job: job ? { state: job.state, lastError: job.lastError } : null,
      },
    };
  });
}

/** A stored link as the sidebar's unlink sees it: its issue, and the kinds of source carrying it now. */
export interface CarriedLink {
  issue: IssueRef;
  kinds: string[];
}

/** The link between the issue and the conversation, with what carries it; null when there is none. */
export async function readCarriedLink(
  prisma: Prisma,
  issue: { repositoryId: bigint; number: number },
  link: RecognisedLink,
): Promise<CarriedLink | null> {
  const row = await prisma.link.findFirst({
    where: {
      provider: link.provider,
      account: link.account,
      conversationId: link.conversationId,
      issue: { repositoryId: issue.repositoryId, number: issue.number },
    },
    select: {
      sources: { select: { source: { select: { kind: true } } } },
      issue: {
        select: {
          githubId: true,
          state: true,
          repository: { select: { id: true, installationId: true, owner: true, name: true } },
        },
      },
    },
  });
  if (!row) return null;
  return {
    issue: {
      repository: row.issue.repository,
      number: issue.number,
      githubId: row.issue.githubId ?? 0n,
      state: row.issue.state === "closed" ? "closed" : "open",
    },
    kinds: [...new Set(row.sources.map((source) => source.source.kind))],
  };
}

/** One issue a search found among the stored titles. */
export interface IssueHit {
  owner: string;
  name: string;
  number: number;
  title: string;
  state: string;
}

export const SEARCH_LIMIT = 20;

/**
 * Issues whose stored title holds every word (case-insensitive), open first, then the most recently opened: the link
 * form's suggestions, answered by the database so typing costs GitHub nothing. Words are matched literally (LIKE's
 * wildcards escaped).
 */
export async function searchIssueTitles(prisma: Prisma, words: readonly string[]): Promise<IssueHit[]> {
  const terms = words.slice(0, 8).map((word) => `%${word.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  if (terms.length === 0) return [];
  // LOWER … LIKE on both engines: PostgreSQL's LIKE is case-sensitive and SQLite's only for ASCII letters it lowers.
  const matches = Sql.join(
    terms.map((term) => Sql.sql`LOWER("i"."title") LIKE ${term} ESCAPE '\\'`),
    " AND ",
  );
  return prisma.$queryRaw<IssueHit[]>`
    SELECT "r"."owner", "r"."name", "i"."number", "i"."title", "i"."state"
    FROM "Issue" "i" JOIN "Repository" "r" ON "r"."id" = "i"."repositoryId"
    WHERE "i"."title" IS NOT NULL AND ${matches}
    ORDER BY "i"."state" DESC, "i"."openedAt" DESC, "i"."id" DESC
    LIMIT ${SEARCH_LIMIT}`;
}

/** Repositories the create form offers, at most: a longer dropdown helps no one. */
const REPOSITORY_CHOICES = 200;

/**
 * The repositories reps may create issues in, as `owner/name`: the configured list, or for `*` every repository of
 * an installation closeloop has stored.
 */
export async function listSidebarRepositories(
  prisma: Prisma,
  allowed: { every: true } | { every: false; names: string[] },
): Promise<string[]> {
  if (!allowed.every) return allowed.names;
  const rows = await prisma.repository.findMany({
    orderBy: { fullName: "asc" },
    take: REPOSITORY_CHOICES,
    select: { owner: true, name: true },
  });
  return rows.map((row) => `${row.owner}/${row.name}`);
}
