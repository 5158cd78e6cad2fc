import { HELPDESK_SOURCE_KINDS, type RecognisedLink } from "../domain/link.js";
import type { IssueRef, RepositoryRef } from "../domain/refs.js";
import type { ReopenFacts } from "../domain/reopen-outlook.js";
import { engineOf, type Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { rawFlag } from "./raw-values.js";

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

/** One row of the panel's read: a link, its issue and repository, and what the panel shows of them. */
interface PanelRow {
  source: string;
  linkedAt: Date | string;
  number: number;
  title: string | null;
  state: string;
  stateReason: string | null;
  repositoryId: bigint | number;
  installationId: bigint | number;
  owner: string;
  name: string;
  reports30: number | bigint | null;
  /** the kinds of source carrying the link, comma-separated; null when none does */
  kinds: string | null;
  /** the issue's present frequency and team labels, a JSON array of { name, kind }; null (PostgreSQL) when none */
  labels: string | null;
  closedAt: Date | string | null;
  reason: string | null;
  reopen: boolean | number | bigint | null;
  refusal: string | null;
  jobState: string | null;
  jobError: string | null;
}

/**
 * The issues linked to one conversation, newest link first, with what the panel shows of each, in one statement: the
 * links (Link by provider, account, conversation), their issues and repositories, labels, counts, carriers, latest
 * close and this conversation's reopen job of it. A sidebar load is a round trip to the database, not one per table.
 */
export async function readConversationLinks(prisma: Prisma, conversation: ConversationKey): Promise<SidebarLinkView[]> {
  // The only SQL the engines spell differently: aggregating a link's carriers and an issue's labels into one column.
  const [kinds, labels] =
    engineOf(prisma) === "postgresql"
      ? [
          Sql.sql`string_agg(DISTINCT "s"."kind", ',')`,
          Sql.sql`json_agg(json_build_object('name', "il"."name", 'kind', "il"."kind") ORDER BY "il"."key")::text`,
        ]
      : [
          Sql.sql`group_concat(DISTINCT "s"."kind")`,
          Sql.sql`json_group_array(json_object('name', "il"."name", 'kind', "il"."kind") ORDER BY "il"."key")`,
        ];
  const rows = await prisma.$queryRaw<PanelRow[]>`
    SELECT "l"."source", "l"."linkedAt", "i"."number", "i"."title", "i"."state", "i"."stateReason",
      "r"."id" AS "repositoryId", "r"."installationId", "r"."owner", "r"."name", "im"."reports30",
      (SELECT ${kinds} FROM "LinkSource" "ls" JOIN "Source" "s" ON "s"."id" = "ls"."sourceId" WHERE "ls"."linkId" = "l"."id") AS "kinds",
      (SELECT ${labels} FROM "IssueLabel" "il" WHERE "il"."issueId" = "i"."id" AND "il"."present" AND "il"."kind" IS NOT NULL) AS "labels",
      "c"."closedAt", "c"."reason", "c"."reopen", "c"."refusal", "j"."state" AS "jobState", "j"."lastError" AS "jobError"
    FROM "Link" "l"
    JOIN "Issue" "i" ON "i"."id" = "l"."issueId"
    JOIN "Repository" "r" ON "r"."id" = "i"."repositoryId"
    LEFT JOIN "IssueImpact" "im" ON "im"."issueId" = "i"."id"
    LEFT JOIN "IssueClose" "c" ON "c"."id" = (
      SELECT "id" FROM "IssueClose" WHERE "issueId" = "i"."id" ORDER BY "closedAt" DESC LIMIT 1)
    LEFT JOIN "ReopenJob" "j" ON "j"."id" = (
      SELECT "id" FROM "ReopenJob" WHERE "closeId" = "c"."id" AND "provider" = "l"."provider" AND "account" = "l"."account"
        AND "conversationId" = "l"."conversationId" ORDER BY "id" LIMIT 1)
    WHERE "l"."provider" = ${conversation.provider} AND "l"."account" = ${conversation.account}
      AND "l"."conversationId" = ${conversation.conversationId}
    ORDER BY "l"."linkedAt" DESC, "l"."id" DESC
    LIMIT ${PANEL_LIMIT}`;
  return rows.map((row) => {
    const carried = row.kinds === null ? [] : row.kinds.split(",").sort();
    const repository = {
      id: BigInt(row.repositoryId),
      installationId: BigInt(row.installationId),
      owner: row.owner,
      name: row.name,
    };
    return {
      repository,
      owner: row.owner,
      name: row.name,
      number: Number(row.number),
      title: row.title,
      state: row.state === "closed" ? "closed" : "open",
      stateReason: row.stateReason,
      labels: row.labels === null ? [] : (JSON.parse(row.labels) as { name: string; kind: string }[]),
      reports30: row.reports30 === null ? null : Number(row.reports30),
      sources: carried.length > 0 ? carried : [row.source],
      removable:
        carried.length > 0 && carried.every((kind) => (HELPDESK_SOURCE_KINDS as readonly string[]).includes(kind)),
      linkedAt: new Date(row.linkedAt),
      reopen: {
        // A close's columns are all set, or all null when the issue has none.
        close:
          row.closedAt === null
            ? null
            : {
                closedAt: new Date(row.closedAt),
                reason: row.reason!,
                reopen: rawFlag(row.reopen),
                refusal: row.refusal,
              },
        job: row.jobState === null ? null : { state: row.jobState, lastError: row.jobError },
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
