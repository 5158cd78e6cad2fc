import { engineOf, type DatabaseHandle, type Prisma, type Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { impactDueOnOpenedAt } from "./impact.js";
import {
  deriveMentions,
  freshMentionsOf,
  insertSourceVersions,
  linkInsertOf,
  reconcileLinks,
  sourceVersionsOf,
  type RecordedSource,
} from "./mentions.js";
import type { LinkPlan, Mention, SourceVersion } from "../domain/mentions.js";
import type { RecognisedLink } from "../domain/link.js";
import { enrichmentOrder, enrichmentUpsertOf, purgeUnlinkedEnrichment } from "./enrich-jobs.js";
import { labelsWantedOnInsert, markLabelsWanted, type SeenLabels } from "./issue-markings.js";
import { linkNotesInsertOf } from "./link-notes.js";
import { rowsFrom } from "./parameter-lists.js";
import { inTransaction } from "./transactions.js";
import type { IssueRef } from "../domain/refs.js";
import { rawDate, rawFlag, timeParameter } from "./raw-values.js";
import { installationLock, purgedInstallationRecord, purgedRepositoryRecords } from "./purged-installations.js";

/**
 * Whether the issue's `source` is stored already: a delete by an author no longer trusted changes only what was
 * stored (src/handlers/source-changes.ts, knownOnly).
 */
export async function isSourceKnown(
  tx: Transaction,
  issue: IssueRef,
  source: { kind: string; key: string },
): Promise<boolean> {
  const known = await tx.source.count({
    where: { kind: source.kind, key: source.key, issue: { repositoryId: issue.repository.id, number: issue.number } },
  });
  return known > 0;
}

/**
 * The issue's row for a body, comment or helpdesk note, its creation time the earliest any version showed, and the
 * versions this change shows of it (storedVersions' form). Called under the issue's row lock (ensureIssue), it also
 * answers what the rest of the change would otherwise read in statements of their own: whether the source had anything
 * stored before, and the issue's links and history. On PostgreSQL the versions, and the mentions of a source that turns
 * out fresh, ride in the same statement (a WITH, whose parts all read the database as it was before the statement, so
 * `fresh` does not see them).
 */
export async function recordSource(
  tx: Transaction,
  issueId: number,
  source: { kind: string; key: string },
  createdAt: Date,
  versions: readonly SourceVersion[],
  /** the source's mentions should it turn out fresh (freshSourceMentions): stored with it on PostgreSQL */
  mentions: readonly Mention[] | null = null,
): Promise<RecordedSource> {
  const upsert = sourcesUpsert([{ issueId, ...source, createdAt }]);
  if (engineOf(tx as Prisma) === "postgresql" && versions.length > 0) {
    const rows = await tx.$queryRaw<SourceRow[]>(sourceWith(null, upsert, createdAt, versions, mentions));
    return recordedSource(rows[0]!);
  }
  const rows = await tx.$queryRaw<SourceRow[]>(upsert);
  await insertSourceVersions(
    tx,
    versions.map((version) => ({ sourceId: Number(rows[0]!.id), version })),
  );
  return recordedSource(rows[0]!);
}

/**
 * ensureIssue, then recordSource, for one change: one statement on PostgreSQL, where each is a round trip (P8, #25),
 * the issue's upsert a part of recordSource's WITH. A WITH reads the database as it was when the statement began,
 * while the issue's row lock may be had only after another transaction on the issue committed: what recordSource
 * reads would then miss that transaction's writes. So the issue's row is updated (and the source written) only if it
 * is the row version the statement reads (its `xmin`; every write to an issue's links, closes and jobs updates its row
 * first); otherwise nothing but the lock is taken, and the two statements are sent as before, the second seeing all.
 */
export async function recordIssueSource(
  tx: Transaction,
  ref: IssueRef,
  source: { kind: string; key: string },
  createdAt: Date,
  versions: readonly SourceVersion[],
  mentions: readonly Mention[] | null = null,
): Promise<{ issue: { id: number; state: string }; source: RecordedSource }> {
  if (engineOf(tx as Prisma) === "postgresql" && versions.length > 0) {
    const issue = issuesUpsert(tx, [ref], new Date(), { unchangedSinceRead: true });
    const rows = await tx.$queryRaw<SourceRow[]>(
      sourceWith(issue, sourceOfIssue(source, createdAt), createdAt, versions, mentions),
    );
    if (rows.length > 0)
      return { issue: { id: Number(rows[0]!.issueId), state: rows[0]!.issueState! }, source: recordedSource(rows[0]!) };
  }
  const issue = await ensureIssue(tx, ref);
  return { issue, source: await recordSource(tx, issue.id, source, createdAt, versions, mentions) };
}

/**
 * A change of a source on an issue the store has no row for, decided without a read: there is nothing to read
 * (docs/ordering.md, An issue new to the store). `linked` were planned with the source's id unknown: their carriers
 * are this source.
 */
export interface NewIssueChange {
  issue: IssueRef;
  source: { kind: string; key: string };
  createdAt: Date;
  versions: readonly SourceVersion[];
  /** the source's mentions (freshSourceMentions) */
  mentions: readonly Mention[];
  linked: readonly { link: RecognisedLink; plan: LinkPlan }[];
  /** the labels' mark, when the change made links */
  mark: { at: Date; seen?: SeenLabels | undefined } | null;
  /** the note each new link queues, when it queues one */
  note: string | null;
}

/**
 * Writes a NewIssueChange on PostgreSQL in one statement sent on its own, atomic without a transaction: the issue's
 * row (with the mark), the source, its versions and mentions, the links with their carriers and their conversations'
 * enrichment jobs, the link notes. Every part reads the issue's row from its insert, which does nothing when the row
 * exists (committed at any time, or by a transaction still open, which the insert waits for): then nothing is
 * written and this returns null, for the caller's transaction to do the change. Else the notes queued.
 */
export async function recordNewIssueChange(
  prisma: Prisma,
  change: NewIssueChange,
  now = new Date(),
): Promise<{ notes: number } | null> {
  const mark = change.mark === null ? null : labelsWantedOnInsert(change.mark.at, change.mark.seen);
  const issue = Sql.sql`INSERT INTO "Issue" (${ISSUE_COLUMNS}${mark === null ? Sql.empty : Sql.sql`, ${mark.columns}`})
    VALUES (${issueValues(change.issue, now)}${mark === null ? Sql.empty : Sql.sql`, ${mark.values}`})
    ON CONFLICT ("repositoryId", "number") DO NOTHING RETURNING "id"`;
  const parts = [
    Sql.sql`"issue" AS (${issue})`,
    ...sourceParts(sourceOfIssue(change.source, change.createdAt), change.createdAt, change.versions, change.mentions),
    ...newLinkParts(change.linked, change.note, now),
  ];
  const counted =
    change.note !== null && change.linked.length > 0 ? Sql.sql`(SELECT COUNT(*) FROM "notes")` : Sql.sql`0`;
  const rows = await prisma.$queryRaw<{ notes: number | bigint }[]>`WITH ${Sql.join(parts)}
    SELECT ${counted} AS "notes" FROM "issue"`;
  return rows.length === 0 ? null : { notes: Number(rows[0]!.notes) };
}

/**
 * recordNewIssueChange's parts for its links, each row found by joining the issue's (`issue`) or the source's
 * (`source`) part, so none is written without them: the links (`link`), their carriers, their conversations'
 * enrichment jobs and their notes (`notes`).
 */
function newLinkParts(
  linked: readonly { link: RecognisedLink; plan: LinkPlan }[],
  note: string | null,
  now: Date,
): Sql.Sql[] {
  if (linked.length === 0) return [];
  const conversation = { provider: "text", account: "text", conversationId: "text", url: "text" } as const;
  const conversationOf = (link: RecognisedLink) => [link.provider, link.account, link.conversationId, link.url];
  const links = rowsFrom(
    "l",
    { ...conversation, source: "text", fromAddressBar: "boolean", linkedAt: "timestamp(3)", live: "boolean" },
    linked.map(({ link, plan }) => [
      ...conversationOf(link),
      plan.source,
      link.fromAddressBar === true,
      plan.linkedAt,
      plan.carriers.length > 0,
    ]),
  );
  const carried = linked.flatMap(({ link, plan }) =>
    plan.carriers.map((carrier) => [...conversationOf(link), carrier.postedAt]),
  );
  const carriers = rowsFrom("c", { ...conversation, postedAt: "timestamp(3)" }, carried);
  const times = { nextAttemptAt: "timestamp(3)", createdAt: "timestamp(3)", updatedAt: "timestamp(3)" } as const;
  const enrichment = rowsFrom(
    "e",
    { ...conversation, ...times },
    enrichmentOrder(linked.map(({ link }) => link)).map((link) => [...conversationOf(link), now, now, now]),
  );
  const parts = [
    Sql.sql`"enrichment" AS (${enrichmentUpsertOf(Sql.sql`SELECT "e".* FROM "issue", ${enrichment}`)})`,
    Sql.sql`"link" AS (${linkInsertOf(Sql.sql`SELECT "issue"."id", "l".* FROM "issue", ${links}`)})`,
  ];
  if (carried.length > 0)
    parts.push(Sql.sql`"carriers" AS (INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt")
      SELECT "link"."id", "source"."id", "c"."postedAt" FROM "source", "link" JOIN ${carriers}
      ON "c"."provider" = "link"."provider" AND "c"."account" = "link"."account" AND "c"."conversationId" = "link"."conversationId")`);
  if (note !== null) {
    const notes = rowsFrom(
      "n",
      { ...conversation, note: "text", ...times },
      linked.map(({ link }) => [...conversationOf(link), note, now, now, now]),
    );
    parts.push(
      Sql.sql`"notes" AS (${linkNotesInsertOf(Sql.sql`SELECT "issue"."id", "n".* FROM "issue", ${notes}`)} RETURNING 1)`,
    );
  }
  return parts;
}

/**
 * recordSource's statement on PostgreSQL: the source's upsert with its versions and, should it turn out fresh, its
 * mentions; with `issue`, that upsert (its part named `issue`) first, and its state answered as `issueState`.
 */
function sourceWith(
  issue: Sql.Sql | null,
  upsert: Sql.Sql,
  createdAt: Date,
  versions: readonly SourceVersion[],
  mentions: readonly Mention[] | null,
): Sql.Sql {
  const parts = sourceParts(upsert, createdAt, versions, mentions);
  const fresh = mentions !== null && mentions.length > 0;
  const mentioned = fresh ? Sql.sql`EXISTS (SELECT 1 FROM "mentions")` : Sql.sql`FALSE`;
  if (issue === null) return Sql.sql`WITH ${Sql.join(parts)} SELECT *, ${mentioned} AS "mentioned" FROM "source"`;
  return Sql.sql`WITH "issue" AS (${issue}), ${Sql.join(parts)}
      SELECT "source".*, "issue"."state" AS "issueState", ${mentioned} AS "mentioned" FROM "source", "issue"`;
}

/**
 * The WITH parts that write a source (`upsert`, named `source`), its versions and, should it turn out fresh, its
 * mentions (named `mentions` when there are any).
 */
function sourceParts(
  upsert: Sql.Sql,
  createdAt: Date,
  versions: readonly SourceVersion[],
  mentions: readonly Mention[] | null,
): Sql.Sql[] {
  return [
    Sql.sql`"source" AS (${upsert})`,
    Sql.sql`"versions" AS (${sourceVersionsOf("source", versions)})`,
    ...(mentions !== null && mentions.length > 0
      ? [Sql.sql`"mentions" AS (${freshMentionsOf("source", createdAt, mentions)} RETURNING 1)`]
      : []),
  ];
}

/** The upsert of a source of the issue a WITH part named `issue` writes. */
function sourceOfIssue(source: { kind: string; key: string }, createdAt: Date): Sql.Sql {
  return sourceUpsertOf(
    Sql.sql`SELECT "issue"."id", CAST(${source.kind} AS TEXT), CAST(${source.key} AS TEXT), CAST(${createdAt} AS TIMESTAMP(3)) FROM "issue"`,
  );
}

/** What recordSource answers for its source's row. */
function recordedSource(row: SourceRow): RecordedSource {
  const { id, createdAt, fresh, links, history } = listedSource(row);
  // Whether freshMentionsOf's insert was made, as the database saw its condition.
  const mentioned = row.mentioned === true;
  return { id, createdAt, fresh, mentioned, issue: { links, blank: links === 0 && !history } };
}

/** A source row as recordSources answers for it: whether it is new, and its issue's links and history. */
export interface ListedSource {
  id: number;
  issueId: number;
  kind: string;
  key: string;
  createdAt: Date | null;
  /** nothing was stored for it before */
  fresh: boolean;
  /** the issue's Link rows before the page */
  links: number;
  /** the issue has mentions or closes */
  history: boolean;
}

/**
 * The source rows of several texts (a backfill's page) in one statement, each dated by the earliest creation time seen;
 * keyed by sourceKey.
 */
export async function recordSources(
  tx: Transaction,
  sources: readonly { issueId: number; kind: string; key: string; createdAt: Date }[],
): Promise<Map<string, ListedSource>> {
  if (sources.length === 0) return new Map();
  const stored = await tx.$queryRaw<SourceRow[]>(sourcesUpsert(sources));
  return new Map(
    stored.map((row) => {
      const source = listedSource(row);
      return [sourceKey(source), source];
    }),
  );
}

interface SourceRow {
  id: number;
  issueId: number;
  kind: string;
  key: string;
  createdAt: Date | string | null;
  fresh: boolean | number | bigint;
  links: number | bigint;
  history: boolean | number | bigint;
  /** recordSource's statement on PostgreSQL: its mentions were stored */
  mentioned?: boolean;
  /** recordIssueSource's statement: the issue's state */
  issueState?: string;
}

function sourcesUpsert(sources: readonly { issueId: number; kind: string; key: string; createdAt: Date }[]): Sql.Sql {
  const rows = sources.map(
    (source) => Sql.sql`(${source.issueId}, ${source.kind}, ${source.key}, ${source.createdAt})`,
  );
  return sourceUpsertOf(Sql.sql`VALUES ${Sql.join(rows)}`);
}

/** The upsert of the Source rows `rows` (a VALUES list, or a SELECT) answer for, as recordSources reads them back. */
function sourceUpsertOf(rows: Sql.Sql): Sql.Sql {
  return Sql.sql`
    INSERT INTO "Source" ("issueId", "kind", "key", "createdAt") ${rows}
    ON CONFLICT ("issueId", "kind", "key") DO UPDATE SET "createdAt" =
      CASE WHEN "Source"."createdAt" IS NULL OR excluded."createdAt" < "Source"."createdAt" THEN excluded."createdAt" ELSE "Source"."createdAt" END
    RETURNING "id", "issueId", "kind", "key", "createdAt",
      NOT EXISTS (SELECT 1 FROM "SourceVersion" "v" WHERE "v"."sourceId" = "Source"."id")
        AND NOT EXISTS (SELECT 1 FROM "Mention" "m" WHERE "m"."sourceId" = "Source"."id") AS "fresh",
      (SELECT COUNT(*) FROM "Link" "l" WHERE "l"."issueId" = "Source"."issueId") AS "links",
      EXISTS (SELECT 1 FROM "Mention" "m" WHERE "m"."issueId" = "Source"."issueId")
        OR EXISTS (SELECT 1 FROM "IssueClose" "c" WHERE "c"."issueId" = "Source"."issueId") AS "history"`;
}

const listedSource = (row: SourceRow): ListedSource => ({
  id: Number(row.id),
  issueId: Number(row.issueId),
  kind: row.kind,
  key: row.key,
  createdAt: rawDate(row.createdAt),
  fresh: rawFlag(row.fresh),
  links: Number(row.links),
  history: rawFlag(row.history),
});

export const sourceKey = (source: { issueId: number; kind: string; key: string }) =>
  `${source.issueId}|${source.kind}|${source.key}`;

/**
 * The issue's row, created from the payload when new. The no-op update makes RETURNING answer for an existing row
 * too, and locks the row until the transaction ends: every write to an issue's links, closes and jobs goes through
 * here first, so deliveries of one issue processed at once (by one worker's batch or by replicas) take turns. Its
 * repository's row was written before the transaction (`RepositoryRows.ensure`, by `inTransaction`).
 */
export async function ensureIssue(tx: Transaction, ref: IssueRef): Promise<{ id: number; state: string }> {
  return (await ensureIssues(tx, [ref])).get(ref.number)!;
}

/**
 * ensureIssue for several issues of one repository (a backfill's page) in one statement, by number: the same order in
 * every transaction, so two writers cannot deadlock.
 */
export async function ensureIssues(
  tx: Transaction,
  issues: readonly IssueRef[],
  now = new Date(),
): Promise<Map<number, { id: number; state: string }>> {
  const sorted = [...new Map(issues.map((issue) => [issue.number, issue])).values()].sort(
    (a, b) => a.number - b.number,
  );
  if (sorted.length === 0) return new Map();
  const stored = await tx.$queryRaw<{ id: number; number: number; state: string }[]>(issuesUpsert(tx, sorted, now));
  return new Map(stored.map((row) => [Number(row.number), { id: Number(row.id), state: row.state }]));
}

/**
 * ensureIssues' statement. `unchangedSinceRead` (PostgreSQL): an existing row is updated, and answered, only when it
 * is the version the statement reads, no transaction having written it since the statement began (recordIssueSource);
 * it is locked either way.
 */
function issuesUpsert(
  tx: Transaction,
  issues: readonly IssueRef[],
  now: Date,
  { unchangedSinceRead = false } = {},
): Sql.Sql {
  const rows = issues.map((ref) => Sql.sql`(${issueValues(ref, now)})`);
  // A payload's title and dates replace the stored ones unless those came from a newer payload (any order of
  // delivery); a payload without them (a helpdesk note's issue) leaves them alone.
  const newer = Sql.sql`("Issue"."titleAt" IS NULL OR "Issue"."titleAt" <= excluded."titleAt")`;
  const openedAt = Sql.sql`CASE WHEN ${newer} THEN excluded."openedAt" ELSE "Issue"."openedAt" END`;
  const unchanged = unchangedSinceRead
    ? Sql.sql`WHERE "Issue"."xmin" = (SELECT "read"."xmin" FROM "Issue" "read" WHERE "read"."id" = "Issue"."id")`
    : Sql.empty;
  return Sql.sql`
    INSERT INTO "Issue" (${ISSUE_COLUMNS})
    VALUES ${Sql.join(rows)}
    ON CONFLICT ("repositoryId", "number") DO UPDATE SET "number" = excluded."number", "nodeId" = COALESCE(excluded."nodeId", "Issue"."nodeId"),
      "title" = CASE WHEN ${newer} THEN excluded."title" ELSE "Issue"."title" END,
      "openedAt" = ${openedAt}, ${impactDueOnOpenedAt(tx, openedAt, now)},
      "titleAt" = CASE WHEN ${newer} THEN excluded."titleAt" ELSE "Issue"."titleAt" END
    ${unchanged}
    RETURNING "id", "number", "state"`;
}

/** The columns of an issue's row a payload gives (issueValues). */
const ISSUE_COLUMNS = Sql.sql`"repositoryId", "number", "githubId", "nodeId", "state", "createdAt", "title", "openedAt", "titleAt"`;

const issueValues = (ref: IssueRef, now: Date) =>
  Sql.sql`${ref.repository.id}, ${ref.number}, ${ref.githubId}, ${ref.nodeId ?? null}, ${ref.state}, ${now}, ${ref.details?.title ?? null}, ${ref.details?.openedAt ?? null}, ${ref.details?.at ?? null}`;

/**
 * Keeps known issues' titles and creation times current from payloads that changed no link (`issues.edited` of the
 * title, a backfill's listing page), in one statement; an issue closeloop has no row for is left alone (it has
 * nothing to show). A title seen at an older time does not replace a newer one.
 */
export async function recordIssueDetails(
  tx: Transaction | Prisma,
  repositoryId: bigint,
  issues: readonly IssueRef[],
): Promise<void> {
  const listed = issues.filter((issue) => issue.details !== undefined);
  if (listed.length === 0) return;
  const at = (value: Date) => timeParameter(tx, value);
  const byNumber = (value: (issue: IssueRef) => Sql.Sql) =>
    Sql.sql`CASE "number" ${Sql.join(
      listed.map((issue) => Sql.sql`WHEN ${issue.number} THEN ${value(issue)}`),
      " ",
    )} END`;
  const titleAt = byNumber((issue) => at(issue.details!.at));
  const openedAt = byNumber((issue) => at(issue.details!.openedAt));
  await tx.$executeRaw`UPDATE "Issue" SET "title" = ${byNumber((issue) => Sql.sql`${issue.details!.title}`)},
    "titleAt" = ${titleAt}, "openedAt" = ${openedAt}, ${impactDueOnOpenedAt(tx, openedAt, new Date())}
    WHERE "repositoryId" = ${repositoryId} AND "number" IN (${Sql.join(listed.map((issue) => issue.number))})
      AND ("titleAt" IS NULL OR "titleAt" <= ${titleAt})`;
}

/**
 * `issues.transferred`: the links follow the issue to its new repository and number. GitHub moves an issue without
 * the labels its new repository lacks, closeloop's among them: its labels are wanted again, planned with `seen` (the
 * moved issue's labels as the payload shows them).
 */
export async function transferIssue(
  database: DatabaseHandle,
  from: IssueRef,
  to: IssueRef,
  seen?: SeenLabels,
): Promise<boolean> {
  return inTransaction(
    database.prisma,
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
      // The mark makes the dashboard's counts due too: they carry the repository.
      await markLabelsWanted(tx, [issue.id], new Date(), seen);
      return true;
    },
    { repository: { rows: database.repositoryRows, ref: to.repository } },
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

/**
 * Repositories removed from the installation (`ids`), or the whole installation deleted (`purgedAt`): their data is
 * purged, and the purge recorded (without either, as a test's reset, it is not). Only
 * rows that are still the installation's: a repository that moved to another installation (transferred to an owner
 * that has the app), whose deliveries were handled first, is that installation's now.
 */
export async function purgeRepositories(
  database: DatabaseHandle,
  where: { installationId: bigint; purgedAt?: Date; ids?: bigint[] },
): Promise<number> {
  const { prisma } = database;
  const { installationId, ids } = where;
  const purgedAt = where.purgedAt ?? new Date();
  const filter = { installationId, ...(ids === undefined ? {} : { id: { in: ids } }) };
  // The purge is recorded (the installation uninstalled, or its removed repositories) in the transaction that deletes
  // the rows, after the lock that orders it with their writes on PostgreSQL: a delivery that sees the record sees the
  // rows gone, and one that writes a repository row meanwhile waits and sees the record (RepositoryRows.ensure). A
  // removed repository is recorded even when its rows are another installation's now: a late delivery from this one
  // is dropped rather than move the rows back.
  const record =
    ids !== undefined
      ? ids.length === 0
        ? []
        : [purgedRepositoryRecords(prisma, installationId, ids, purgedAt)]
      : where.purgedAt === undefined
        ? []
        : [
            purgedInstallationRecord(prisma, installationId, purgedAt),
            // the installation's record covers its repositories now
            prisma.purgedRepository.deleteMany({ where: { installationId } }),
          ];
  const steps = [
    ...(engineOf(prisma) === "postgresql" ? [installationLock(prisma, installationId, "exclusive")] : []),
    ...record,
    prisma.repository.deleteMany({ where: filter }),
  ];
  const purged = ((await prisma.$transaction(steps)).at(-1) as { count: number }).count;
  database.repositoryRows.forget();
  if (purged > 0) await purgeUnlinkedEnrichment(database.prisma);
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
