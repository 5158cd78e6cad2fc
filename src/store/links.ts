import type { RecognisedLink } from "../domain/link.js";
import { eventVersions, type SourceEvent } from "../domain/mentions.js";
import type { Prisma, Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { purgeUnlinkedEnrichment } from "./enrich-jobs.js";
import { impactDue } from "./impact.js";
import { deriveMentions, reconcileLinks, recordSourceVersions, type ReconcileOutcome } from "./mentions.js";
import { markLabelsWanted, type SeenLabels } from "./issue-markings.js";
import { requestLinkNotes } from "./link-notes.js";
import { inTransaction } from "./transactions.js";
import { ensureRepository, forgetRepositories } from "./repositories.js";
import type { IssueRef } from "../domain/refs.js";

/**
 * Where a link is carried: an issue body, a comment, a helpdesk note, an issue closed as a duplicate of this one, or a
 * helpdesk's sidebar.
 */
export type SourceKind = "body" | "comment" | "helpdesk" | "duplicate" | "sidebar";

export interface SourceChange {
  issue: IssueRef;
  source: { kind: SourceKind; key: string };
  event: SourceEvent;
  /** the links the text carries (for a delete, its last text's, when the payload has it) */
  links: readonly RecognisedLink[];
  /** an edit's previous text's links (`changes.body.from`), when the event carries it */
  previous?: readonly RecognisedLink[];
  /** when the source was created */
  createdAt: Date;
  /** the issue's labels as the delivery's payload showed them, for the markings job this change may mark */
  seenLabels?: SeenLabels | undefined;
  /** `links.max_per_issue`: a conversation is not linked when the issue already has this many live links */
  maxLinks?: number | undefined;
  /** store the change only when the source is already stored (a delete by an author no longer trusted) */
  knownOnly?: boolean | undefined;
  /**
   * the note (rendered from `notify.note`) for each conversation this change links to the issue for the first time,
   * while the issue is open; absent for changes that must not notify (backfill, links made in the helpdesk,
   * `notify.linked: false`)
   */
  linkNote?: string | undefined;
}

export interface SourceOutcome extends ReconcileOutcome {
  /** link notes queued */
  notesAdded: number;
}

const NOTHING: SourceOutcome = {
  added: 0,
  removed: 0,
  changed: false,
  jobsAdded: 0,
  jobsCancelled: 0,
  capped: 0,
  linked: [],
  notesAdded: 0,
};

/**
 * Stores a version of a source's text and brings the issue's links and reopen jobs in line with it, in one
 * transaction. Versions arriving in any order, or twice, end in the same state (docs/ordering.md).
 */
export async function applySourceChange(prisma: Prisma, change: SourceChange): Promise<SourceOutcome> {
  // Most comments carry no conversation link. A version with none whose previous text had none either says nothing
  // a stored version does not (the removal it follows was recorded by the version that made it). Deletes are always
  // recorded: a late "created" must not bring a deleted comment's links back.
  const versions = eventVersions(change.event, change.links, change.previous, new Date());
  const meaningful = versions.some(
    (version) => version.action === "deleted" || version.links.length > 0 || (version.previous?.length ?? 0) > 0,
  );
  if (!meaningful) return NOTHING;
  return inTransaction(
    prisma,
    async (tx) => {
      if (change.knownOnly) {
        const { repository, number } = change.issue;
        const known = await tx.source.count({
          where: { kind: change.source.kind, key: change.source.key, issue: { repositoryId: repository.id, number } },
        });
        if (known === 0) return NOTHING;
      }
      const issue = await ensureIssue(tx, change.issue);
      const [source] = await tx.$queryRaw<{ id: number; createdAt: Date | string | null }[]>`
      INSERT INTO "Source" ("issueId", "kind", "key", "createdAt") VALUES (${issue.id}, ${change.source.kind}, ${change.source.key}, ${change.createdAt})
      ON CONFLICT ("issueId", "kind", "key") DO UPDATE SET "createdAt" =
        CASE WHEN "Source"."createdAt" IS NULL OR excluded."createdAt" < "Source"."createdAt" THEN excluded."createdAt" ELSE "Source"."createdAt" END
      RETURNING "id", "createdAt"`;
      const touched = await recordSourceVersions(
        tx,
        issue.id,
        { id: Number(source!.id), createdAt: source!.createdAt },
        versions,
      );
      const outcome = await reconcileLinks(tx, issue.id, touched, { maxLinks: change.maxLinks });
      // The labels follow the links: in this transaction, so a change never lacks its markings job.
      if (outcome.changed) await markLabelsWanted(tx, [issue.id], new Date(), change.seenLabels);
      // A link made on a closed issue (as the store or the payload has it) is no news to anyone: no note.
      const open = issue.state !== "closed" && change.issue.state !== "closed";
      const notesAdded =
        change.linkNote !== undefined && open
          ? await requestLinkNotes(tx, issue.id, outcome.linked, change.linkNote)
          : 0;
      return { ...outcome, notesAdded };
    },
    // A text that names only known sources writes no repository (it may create nothing at all).
    { before: change.knownOnly ? undefined : () => ensureRepository(prisma, change.issue.repository) },
  );
}

/**
 * The issue's row, created from the payload when new. The no-op update makes RETURNING answer for an existing row
 * too, and locks the row until the transaction ends: every write to an issue's links, closes and jobs goes through
 * here first, so deliveries of one issue processed at once (by one worker's batch or by replicas) take turns. Its
 * repository's row was written before the transaction (`ensureRepository`, as `inTransaction`'s `before`).
 */
export async function ensureIssue(tx: Transaction, ref: IssueRef): Promise<{ id: number; state: string }> {
  const details = ref.details;
  const [issue] = await tx.$queryRaw<{ id: number; state: string }[]>`
    INSERT INTO "Issue" ("repositoryId", "number", "githubId", "nodeId", "state", "createdAt", "title", "openedAt", "titleAt")
    VALUES (${ref.repository.id}, ${ref.number}, ${ref.githubId}, ${ref.nodeId ?? null}, ${ref.state}, ${new Date()}, ${details?.title ?? null}, ${details?.openedAt ?? null}, ${details?.at ?? null})
    ON CONFLICT ("repositoryId", "number") DO UPDATE SET "number" = excluded."number", "nodeId" = COALESCE(excluded."nodeId", "Issue"."nodeId")${details ? Sql.sql`, ${newerDetails}` : Sql.empty}
    RETURNING "id", "state"`;
  return { id: Number(issue!.id), state: issue!.state };
}

// The payload's title replaces the stored one unless the stored one came from a newer payload (any order of delivery).
const newerDetails = Sql.sql`"title" = CASE WHEN "Issue"."titleAt" IS NULL OR "Issue"."titleAt" <= excluded."titleAt" THEN excluded."title" ELSE "Issue"."title" END,
  "titleAt" = CASE WHEN "Issue"."titleAt" IS NULL OR "Issue"."titleAt" <= excluded."titleAt" THEN excluded."titleAt" ELSE "Issue"."titleAt" END,
  "openedAt" = excluded."openedAt"`;

/**
 * Keeps a known issue's title and creation time current from a payload that changed no link (`issues.edited` of the
 * title, backfill); an issue closeloop has no row for is left alone (it has nothing to show).
 */
export async function recordIssueDetails(prisma: Prisma, ref: IssueRef): Promise<void> {
  const details = ref.details;
  if (!details) return;
  await prisma.$executeRaw`UPDATE "Issue" SET "title" = ${details.title}, "titleAt" = ${details.at}, "openedAt" = ${details.openedAt}
    WHERE "repositoryId" = ${ref.repository.id} AND "number" = ${ref.number} AND ("titleAt" IS NULL OR "titleAt" <= ${details.at})`;
}

/** `issues.transferred`: the links follow the issue to its new repository and number. */
export async function transferIssue(prisma: Prisma, from: IssueRef, to: IssueRef): Promise<boolean> {
  return inTransaction(
    prisma,
    async (tx) => {
      const issue = await tx.issue.findUnique({
        where: { repositoryId_number: { repositoryId: from.repository.id, number: from.number } },
      });
      if (!issue) return false;
      // A row for the destination may exist if an event there arrived first: its links join the moved ones.
      const arrived = await tx.issue.findUnique({
        where: { repositoryId_number: { repositoryId: to.repository.id, number: to.number } },
      });
      if (arrived) await mergeIssue(tx, arrived.id, issue.id);
      await tx.issue.update({
        where: { id: issue.id },
        data: { repositoryId: to.repository.id, number: to.number, githubId: to.githubId, nodeId: to.nodeId ?? null },
      });
      // The dashboard's counts carry the repository.
      await tx.$executeRaw`UPDATE "Issue" SET ${impactDue(new Date())} WHERE "id" = ${issue.id}`;
      return true;
    },
    { before: () => ensureRepository(prisma, to.repository) },
  );
}

/** Folds the row an early event made for the destination into the moved issue: its sources' versions and its closes. */
async function mergeIssue(tx: Transaction, fromId: number, intoId: number): Promise<void> {
  const sources = await tx.source.findMany({ where: { issueId: fromId }, include: { versions: true } });
  const touched: { id: number; createdAt: Date | null }[] = [];
  for (const source of sources) {
    const moved = await tx.source.upsert({
      where: { issueId_kind_key: { issueId: intoId, kind: source.kind, key: source.key } },
      create: { issueId: intoId, kind: source.kind, key: source.key, createdAt: source.createdAt },
      update: {},
    });
    for (const { at, action, links, previous } of source.versions) {
      await tx.sourceVersion.upsert({
        where: { sourceId_at_action: { sourceId: moved.id, at, action } },
        create: { sourceId: moved.id, at, action, links, previous },
        update: {},
      });
    }
    touched.push(moved);
  }
  const closes = await tx.issueClose.findMany({ where: { issueId: fromId }, select: { id: true, closedAt: true } });
  for (const close of closes) {
    const clash = await tx.issueClose.findUnique({
      where: { issueId_closedAt: { issueId: intoId, closedAt: close.closedAt } },
      select: { id: true },
    });
    if (!clash) await tx.issueClose.update({ where: { id: close.id }, data: { issueId: intoId } });
  }
  // Its link notes come along (one the moved issue already has for the conversation wins): still one note per link.
  await tx.$executeRaw`UPDATE "LinkNote" SET "issueId" = ${intoId} WHERE "issueId" = ${fromId} AND NOT EXISTS (SELECT 1 FROM "LinkNote" n
    WHERE n."issueId" = ${intoId} AND n."provider" = "LinkNote"."provider" AND n."account" = "LinkNote"."account" AND n."conversationId" = "LinkNote"."conversationId")`;
  await tx.issue.delete({ where: { id: fromId } });
  for (const source of touched) await deriveMentions(tx, intoId, source);
  await reconcileLinks(tx, intoId, "all");
}

/** `issues.deleted`: its links are purged. */
export async function purgeIssue(prisma: Prisma, repositoryId: bigint, number: number): Promise<number> {
  const purged = (await prisma.issue.deleteMany({ where: { repositoryId, number } })).count;
  if (purged > 0) await purgeUnlinkedEnrichment(prisma);
  return purged;
}

/** Repositories removed from the installation, or the whole installation deleted: their data is purged. */
export async function purgeRepositories(
  prisma: Prisma,
  where: { installationId: bigint } | { ids: bigint[] },
): Promise<number> {
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
  /** where the URL was first posted: body | comment | helpdesk, or duplicate (carried from a duplicate issue) */
  source: string;
  /** the id was converted from an address-bar number (RecognisedLink.fromAddressBar) */
  fromAddressBar: boolean;
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
    fromAddressBar: link.fromAddressBar,
    linkedAt: link.linkedAt,
    sources: link.sources.map((row) => ({ kind: row.source.kind, key: row.source.key, postedAt: row.postedAt })),
  }));
}
