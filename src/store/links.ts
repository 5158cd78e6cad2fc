import type { RecognisedLink } from "../domain/link.js";
import { decideSourceChange, diffSourceLinks, linkKey, type SourceDecision, type SourceEvent } from "../domain/source-change.js";
import type { Prisma, Transaction } from "./database.js";
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
  return inTransaction(prisma, async (tx) => {
    const issue = await ensureIssue(prisma, tx, change.issue);
    const stored = await tx.source.findUnique({
      where: { issueId_kind_key: { issueId: issue.id, kind: change.source.kind, key: change.source.key } },
      include: { links: { include: { link: { select: { provider: true, account: true, conversationId: true } } } } },
    });
    const decision = decideSourceChange(stored && { version: stored.version, deleted: stored.deletedAt !== null }, change.event);
    if (decision !== "apply") return { decision, added: 0, removed: 0, linksDeleted: 0 };

    const version = change.event.action === "deleted" ? (stored?.version ?? new Date()) : change.event.version;
    const source = stored
      ? await tx.source.update({
          where: { id: stored.id },
          data: change.event.action === "deleted" ? { deletedAt: new Date() } : { version },
        })
      : await tx.source.create({
          data: {
            issueId: issue.id,
            kind: change.source.kind,
            key: change.source.key,
            version,
            deletedAt: change.event.action === "deleted" ? new Date() : null,
          },
        });

    const carried = (stored?.links ?? []).map((row) => ({ key: linkKey(row.link), postedAt: row.postedAt, linkId: row.linkId }));
    const diff = diffSourceLinks(carried, change.event.action === "deleted" ? [] : change.links, {
      createdAt: change.createdAt,
      version,
      previous: change.previous,
      storedVersion: stored?.version,
    });

    const removedIds = carried.filter((link) => diff.remove.includes(link.key)).map((link) => link.linkId);
    let linksDeleted = 0;
    if (removedIds.length > 0) {
      await tx.linkSource.deleteMany({ where: { sourceId: source.id, linkId: { in: removedIds } } });
      // A link lives while a source carries it; on a closed issue it stays as history.
      if (issue.state === "open") {
        linksDeleted = (await tx.link.deleteMany({ where: { id: { in: removedIds }, sources: { none: {} } } })).count;
      }
    }
    for (const { link, postedAt } of diff.add) {
      const where = { issueId_provider_account_conversationId: { issueId: issue.id, provider: link.provider, account: link.account, conversationId: link.conversationId } };
      const existing = await tx.link.findUnique({ where, select: { id: true, linkedAt: true } });
      const linkId = existing
        ? existing.id
        : (await tx.link.create({ data: { issueId: issue.id, provider: link.provider, account: link.account, conversationId: link.conversationId, url: link.url, source: change.source.kind, linkedAt: postedAt }, select: { id: true } })).id;
      if (existing && existing.linkedAt > postedAt) await tx.link.update({ where: { id: linkId }, data: { linkedAt: postedAt, source: change.source.kind } });
      await tx.linkSource.create({ data: { linkId, sourceId: source.id, postedAt } });
    }
    return { decision, added: diff.add.length, removed: diff.remove.length, linksDeleted };
  });
}

async function ensureIssue(prisma: Prisma, tx: Transaction, ref: IssueRef): Promise<{ id: number; state: string }> {
  await ensureRepository(prisma, tx, ref.repository);
  return tx.issue.upsert({
    where: { repositoryId_number: { repositoryId: ref.repository.id, number: ref.number } },
    create: { repositoryId: ref.repository.id, number: ref.number, githubId: ref.githubId, state: ref.state },
    update: {},
    select: { id: true, state: true },
  });
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
      const { provider, account, conversationId, url } = carried.link;
      const link = await tx.link.upsert({
        where: { issueId_provider_account_conversationId: { issueId: intoId, provider, account, conversationId } },
        create: { issueId: intoId, provider, account, conversationId, url, source: carried.link.source, linkedAt: carried.link.linkedAt },
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
  return (await prisma.issue.deleteMany({ where: { repositoryId, number } })).count;
}

/** Repositories removed from the installation, or the whole installation deleted: their data is purged. */
export async function purgeRepositories(prisma: Prisma, where: { installationId: bigint } | { ids: bigint[] }): Promise<number> {
  const filter = "ids" in where ? { id: { in: where.ids } } : { installationId: where.installationId };
  const purged = (await prisma.repository.deleteMany({ where: filter })).count;
  forgetRepositories(prisma);
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
