import type { RecognisedLink } from "../domain/link.js";
import { decideSourceChange, diffSourceLinks, linkKey, type SourceDecision, type SourceEvent } from "../domain/source-change.js";
import type { Prisma, Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { purgeUnlinkedEnrichment, requestEnrichment, type EnrichmentRequest } from "./enrich-jobs.js";
import { inTransaction } from "./transactions.js";
import { ensureRepository, forgetRepositories, type RepositoryRef } from "./repositories.js";

export type { RepositoryRef } from "./repositories.js";

export interface IssueRef {
  repository: RepositoryRef;
  number: number;
  githubId: bigint;
  /** the state the payload shows, used only when the issue is new to us */
  state: "open" | "closed";
}

export type SourceKind = "body" | "comment" | "helpdesk";

export interface SourceChange {
  issue: IssueRef;
  source: { kind: SourceKind; key: string };
  event: SourceEvent;
  /** the links the new text carries (empty for a delete) */
  links: readonly RecognisedLink[];
  /** when the source was created */
  createdAt: Date;
  /** keys of the links in the previous text, when the event carries it */
  previous?: ReadonlySet<string>;
}

export interface SourceOutcome {
  decision: SourceDecision;
  added: number;
  removed: number;
  /** links that died with this source */
  linksDeleted: number;
}

/** Applies one version of a source's text to the stored links, in one transaction. */
export async function applySourceChange(prisma: Prisma, change: SourceChange): Promise<SourceOutcome> {
  // Most comments carry no conversation link: when nothing is stored for the source either, there is nothing to
  // write. Deletes are always recorded, as tombstones.
  if (change.event.action !== "deleted" && change.links.length === 0 && !change.previous?.size) {
    const known = await prisma.source.findFirst({
      where: { kind: change.source.kind, key: change.source.key, issue: { repositoryId: change.issue.repository.id, number: change.issue.number } },
      select: { id: true },
    });
    if (!known) return { decision: "apply", added: 0, removed: 0, linksDeleted: 0 };
  }
  // Raw SQL on this path (every webhook with a link comes here): a handful of statements whatever the number of
  // links, instead of several per link through the query builder. Both engines accept this SQL.
  return inTransaction(prisma, async (tx) => {
    const issue = await ensureIssue(prisma, tx, change.issue);
    const stored = await readSource(tx, issue.id, change.source.kind, change.source.key);
    const decision = decideSourceChange(stored && { version: stored.version, deleted: stored.deletedAt !== null }, change.event);
    if (decision !== "apply") return { decision, added: 0, removed: 0, linksDeleted: 0 };

    const deleted = change.event.action === "deleted";
    const version = change.event.action === "deleted" ? (stored?.version ?? new Date()) : change.event.version;
    const deletedAt = deleted ? new Date() : null;
    const [source] = await tx.$queryRaw<{ id: number }[]>`
      INSERT INTO "Source" ("issueId", "kind", "key", "version", "deletedAt") VALUES (${issue.id}, ${change.source.kind}, ${change.source.key}, ${version}, ${deletedAt})
      ON CONFLICT ("issueId", "kind", "key") DO UPDATE SET "version" = excluded."version", "deletedAt" = excluded."deletedAt"
      RETURNING "id"`;
    const sourceId = source!.id;

    const carried = stored?.links ?? [];
    const diff = diffSourceLinks(carried, deleted ? [] : change.links, {
      createdAt: change.createdAt,
      version,
      previous: change.previous,
      storedVersion: stored?.version,
    });

    const removedIds = carried.filter((link) => diff.remove.includes(link.key)).map((link) => link.linkId);
    let linksDeleted = 0;
    if (removedIds.length > 0) {
      await tx.linkSource.deleteMany({ where: { sourceId, linkId: { in: removedIds } } });
      // A link lives while a source carries it; on a closed issue it stays as history.
      if (issue.state === "open") {
        linksDeleted = (await tx.link.deleteMany({ where: { id: { in: removedIds }, sources: { none: {} } } })).count;
      }
    }
    if (diff.add.length > 0) await addLinks(tx, issue.id, sourceId, change.source.kind, diff.add);
    return { decision, added: diff.add.length, removed: diff.remove.length, linksDeleted };
  });
}

interface StoredSourceRow {
  id: number;
  version: Date;
  deletedAt: Date | null;
  links: { key: string; postedAt: Date; linkId: number }[];
}

/** The source and the links it carries, in one statement. */
async function readSource(tx: Transaction, issueId: number, kind: string, key: string): Promise<StoredSourceRow | null> {
  const rows = await tx.$queryRaw<{ id: number; version: Date; deletedAt: Date | null; linkId: number | null; postedAt: Date | null; provider: string | null; account: string | null; conversationId: string | null }[]>`
    SELECT s."id", s."version", s."deletedAt", ls."linkId", ls."postedAt", l."provider", l."account", l."conversationId"
    FROM "Source" s LEFT JOIN "LinkSource" ls ON ls."sourceId" = s."id" LEFT JOIN "Link" l ON l."id" = ls."linkId"
    WHERE s."issueId" = ${issueId} AND s."kind" = ${kind} AND s."key" = ${key}`;
  const first = rows[0];
  if (!first) return null;
  return {
    id: first.id,
    version: first.version,
    deletedAt: first.deletedAt,
    links: rows
      .filter((row) => row.linkId !== null)
      .map((row) => ({ key: linkKey({ provider: row.provider!, account: row.account!, conversationId: row.conversationId! }), postedAt: row.postedAt!, linkId: row.linkId! })),
  };
}

/** Creates the links the issue does not have yet (each asking for its conversation's details), moves a link's date earlier when this source posted it first, and records that the source carries each. */
async function addLinks(tx: Transaction, issueId: number, sourceId: number, kind: SourceKind, added: { link: RecognisedLink; postedAt: Date }[]): Promise<void> {
  const values = added.map(({ link, postedAt }) => Sql.sql`(${issueId}, ${link.provider}, ${link.account}, ${link.conversationId}, ${link.url}, ${kind}, ${postedAt})`);
  // RETURNING names only the links inserted now: their conversations' details are wanted for the labels.
  const created = await tx.$queryRaw<EnrichmentRequest[]>`INSERT INTO "Link" ("issueId", "provider", "account", "conversationId", "url", "source", "linkedAt") VALUES ${Sql.join(values)}
    ON CONFLICT ("issueId", "provider", "account", "conversationId") DO NOTHING
    RETURNING "provider", "account", "conversationId", "url"`;
  await requestEnrichment(tx, created);
  const keys = added.map(({ link }) => Sql.sql`(${link.provider}, ${link.account}, ${link.conversationId})`);
  const rows = await tx.$queryRaw<{ id: number; provider: string; account: string; conversationId: string; linkedAt: Date }[]>`
    SELECT "id", "provider", "account", "conversationId", "linkedAt" FROM "Link"
    WHERE "issueId" = ${issueId} AND ("provider", "account", "conversationId") IN (VALUES ${Sql.join(keys)})`;
  const byKey = new Map(rows.map((row) => [linkKey(row), row]));
  const carried = [];
  for (const { link, postedAt } of added) {
    const row = byKey.get(linkKey(link))!;
    if (row.linkedAt > postedAt) await tx.link.update({ where: { id: row.id }, data: { linkedAt: postedAt, source: kind } });
    carried.push(Sql.sql`(${row.id}, ${sourceId}, ${postedAt})`);
  }
  await tx.$executeRaw`INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") VALUES ${Sql.join(carried)} ON CONFLICT ("linkId", "sourceId") DO NOTHING`;
}

async function ensureIssue(prisma: Prisma, tx: Transaction, ref: IssueRef): Promise<{ id: number; state: string }> {
  await ensureRepository(prisma, tx, ref.repository);
  // The no-op update makes RETURNING answer for an existing row too.
  const [issue] = await tx.$queryRaw<{ id: number; state: string }[]>`
    INSERT INTO "Issue" ("repositoryId", "number", "githubId", "state", "createdAt") VALUES (${ref.repository.id}, ${ref.number}, ${ref.githubId}, ${ref.state}, ${new Date()})
    ON CONFLICT ("repositoryId", "number") DO UPDATE SET "number" = excluded."number"
    RETURNING "id", "state"`;
  return issue!;
}

/** `issues.transferred`: the links follow the issue to its new repository and number. */
export async function transferIssue(prisma: Prisma, from: IssueRef, to: IssueRef): Promise<boolean> {
  return inTransaction(prisma, async (tx) => {
    const issue = await tx.issue.findUnique({ where: { repositoryId_number: { repositoryId: from.repository.id, number: from.number } } });
    if (!issue) return false;
    await ensureRepository(prisma, tx, to.repository);
    // A row for the destination may exist if an event there arrived first: its links join the moved ones.
    const arrived = await tx.issue.findUnique({ where: { repositoryId_number: { repositoryId: to.repository.id, number: to.number } } });
    if (arrived) await mergeIssue(tx, arrived.id, issue.id);
    await tx.issue.update({ where: { id: issue.id }, data: { repositoryId: to.repository.id, number: to.number, githubId: to.githubId } });
    return true;
  });
}

async function mergeIssue(tx: Transaction, fromId: number, intoId: number): Promise<void> {
  const sources = await tx.source.findMany({ where: { issueId: fromId }, include: { links: { include: { link: true } } } });
  for (const source of sources) {
    const moved = await tx.source.upsert({
      where: { issueId_kind_key: { issueId: intoId, kind: source.kind, key: source.key } },
      create: { issueId: intoId, kind: source.kind, key: source.key, version: source.version, deletedAt: source.deletedAt },
      update: {},
    });
    for (const carried of source.links) {
      const { id: _id, issueId: _issueId, ...fields } = carried.link;
      const { provider, account, conversationId } = fields;
      const link = await tx.link.upsert({
        where: { issueId_provider_account_conversationId: { issueId: intoId, provider, account, conversationId } },
        // The whole link moves, with what enrichment read of its conversation.
        create: { ...fields, issueId: intoId },
        update: {},
      });
      await tx.linkSource.upsert({
        where: { linkId_sourceId: { linkId: link.id, sourceId: moved.id } },
        create: { linkId: link.id, sourceId: moved.id, postedAt: carried.postedAt },
        update: {},
      });
    }
  }
  await tx.issue.delete({ where: { id: fromId } });
}

/** `issues.deleted`: its links are purged. */
export async function purgeIssue(prisma: Prisma, repositoryId: bigint, number: number): Promise<number> {
  const purged = (await prisma.issue.deleteMany({ where: { repositoryId, number } })).count;
  if (purged > 0) await purgeUnlinkedEnrichment(prisma);
  return purged;
}

/** Repositories removed from the installation, or the whole installation deleted: their data is purged. */
export async function purgeRepositories(prisma: Prisma, where: { installationId: bigint } | { ids: bigint[] }): Promise<number> {
  const filter = "ids" in where ? { id: { in: where.ids } } : { installationId: where.installationId };
  const purged = (await prisma.repository.deleteMany({ where: filter })).count;
  forgetRepositories(prisma);
  if (purged > 0) await purgeUnlinkedEnrichment(prisma);
  return purged;
}

export interface StoredLink {
  provider: string;
  conversationId: string;
  account: string;
  url: string;
  /** where the URL was first posted: body | comment | helpdesk */
  source: string;
  /** the sources carrying it now (none for a closed issue's link whose comment was deleted) */
  sources: { kind: string; key: string; postedAt: Date }[];
  linkedAt: Date;
}

/** The links of `owner/repo#number`, oldest first; null when the repository or issue is unknown. */
export async function listIssueLinks(prisma: Prisma, fullName: string, number: number): Promise<StoredLink[] | null> {
  const issue = await prisma.issue.findFirst({
    where: { number, repository: { fullName: fullName.toLowerCase() } },
    include: {
      links: {
        orderBy: [{ linkedAt: "asc" }, { id: "asc" }],
        include: { sources: { include: { source: true }, orderBy: { postedAt: "asc" } } },
      },
    },
  });
  if (!issue) return null;
  return issue.links.map((link) => ({
    provider: link.provider,
    account: link.account,
    conversationId: link.conversationId,
    url: link.url,
    source: link.source,
    linkedAt: link.linkedAt,
    sources: link.sources.map((row) => ({ kind: row.source.kind, key: row.source.key, postedAt: row.postedAt })),
  }));
}
