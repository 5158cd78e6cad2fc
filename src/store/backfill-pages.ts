import type { RecognisedLink } from "../domain/link.js";
import { linkKey, type LinkPlan, type Mention, type SourceVersion } from "../domain/mentions.js";
import type { Transaction } from "./database.js";
import { requestEnrichment } from "./enrich-jobs.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { markLabelsWanted } from "./issue-markings.js";
import { insertMentions, insertSourceVersions } from "./mentions.js";
import type { BackfillIssue } from "./backfills.js";

/*
 * A backfill page's writes as a few statements for the whole page, in the page's one transaction (#25: a statement
 * per listed issue and a transaction per text made a big installation's backfill crawl and crowd the webhooks out).
 * What a page's texts need that is not the common case (a source stored before, an issue with closes or with the same
 * conversation already) goes through the one path every change takes (src/handlers/source-changes.ts) instead.
 */

/** What the issues already have: the conversations they mention or link, and whether they have closes. */
export async function readIssueConversations(
  tx: Transaction,
  issueIds: readonly number[],
): Promise<Map<number, { conversations: Set<string>; closed: boolean }>> {
  const known = new Map<number, { conversations: Set<string>; closed: boolean }>();
  if (issueIds.length === 0) return known;
  const ids = Sql.join([...new Set(issueIds)]);
  const rows = await tx.$queryRaw<
    { issueId: number; provider: string | null; account: string | null; conversationId: string | null }[]
  >`
    SELECT "issueId", "provider", "account", "conversationId" FROM "Mention" WHERE "issueId" IN (${ids})
    UNION SELECT "issueId", "provider", "account", "conversationId" FROM "Link" WHERE "issueId" IN (${ids})
    UNION SELECT "issueId", NULL, NULL, NULL FROM "IssueClose" WHERE "issueId" IN (${ids})`;
  for (const row of rows) {
    const issueId = Number(row.issueId);
    const issue = known.get(issueId) ?? { conversations: new Set<string>(), closed: false };
    known.set(issueId, issue);
    if (row.provider === null) issue.closed = true;
    else
      issue.conversations.add(
        linkKey({ provider: row.provider, account: row.account!, conversationId: row.conversationId! }),
      );
  }
  return known;
}

/** A new source of a page whose conversations are new to its issue, which has no close: what it adds is known. */
export interface NewSource {
  issueId: number;
  sourceId: number;
  versions: readonly SourceVersion[];
  mentions: readonly Mention[];
  /** one per mention, as planLink plans it */
  links: readonly { link: RecognisedLink; plan: LinkPlan }[];
}

/**
 * Stores the page's new sources: their versions, mentions, links (with their enrichment requests and carriers) and
 * their issues' label marks, each kind in one statement for the whole page. Returns the links created.
 */
export async function storeNewSources(tx: Transaction, sources: readonly NewSource[], now = new Date()) {
  if (sources.length === 0) return 0;
  // The versions' links are in storedLink's form already (src/handlers/listed-pages.ts).
  await insertSourceVersions(
    tx,
    sources.flatMap(({ sourceId, versions }) => versions.map((version) => ({ sourceId, version }))),
  );
  await insertMentions(
    tx,
    sources.flatMap(({ issueId, sourceId, mentions }) => mentions.map((mention) => ({ issueId, sourceId, mention }))),
  );
  const planned = sources.flatMap((source) => source.links.map((link) => ({ issueId: source.issueId, ...link })));
  if (planned.length === 0) return 0;
  const rows = await tx.link.createManyAndReturn({
    data: planned.map(({ issueId, link, plan }) => ({
      issueId,
      ...link,
      source: plan.source,
      linkedAt: plan.linkedAt,
      live: plan.carriers.length > 0,
    })),
    select: { id: true, issueId: true, provider: true, account: true, conversationId: true },
  });
  const ids = new Map(rows.map((row) => [`${row.issueId}|${linkKey(row)}`, row.id]));
  await requestEnrichment(
    tx,
    planned.map(({ link }) => link),
    now,
  );
  await tx.linkSource.createMany({
    data: planned.flatMap(({ issueId, link, plan }) =>
      plan.carriers.map((carrier) => ({ linkId: ids.get(`${issueId}|${linkKey(link)}`)!, ...carrier })),
    ),
  });
  await markLabelsWanted(
    tx,
    [...new Set(sources.map((source) => source.issueId))].sort((a, b) => a - b),
    now,
  );
  return rows.length;
}

/**
 * Keeps the issues of a listed page that have comments, for the comments phase. A page read again (the one in flight
 * when a run stopped) writes the same rows again.
 */
export async function keepBackfillIssuesIn(
  tx: Transaction,
  repositoryId: bigint,
  issues: readonly BackfillIssue[],
): Promise<void> {
  if (issues.length === 0) return;
  await tx.backfillIssue.deleteMany({
    where: { repositoryId, number: { in: issues.map((issue) => issue.number) } },
  });
  await tx.backfillIssue.createMany({ data: issues.map((issue) => ({ repositoryId, ...issue })) });
}
