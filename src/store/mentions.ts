import type { RecognisedLink } from "../domain/link.js";
import {
  linkKey,
  mapVersionLinks,
  planLink,
  sourceMentions,
  type IssueCloseTime,
  type IssueMention,
  type LinkPlan,
  type Mention,
  type SourceVersion,
} from "../domain/mentions.js";
import { engineOf, type Prisma, type Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { enrichmentUpsert } from "./enrich-jobs.js";
import { queryAlongside } from "./transactions.js";
import { survivorsOf } from "./conversation-aliases.js";
import { mayBeMerged, toSurvivor } from "../domain/merged-conversations.js";
import { mergingProviders } from "../providers/registry.js";
import { markSummaryDue } from "./reopen-jobs.js";
import { rawDate, rawFlag } from "./raw-values.js";

/**
 * The store side of order-tolerant links (docs/ordering.md): a source's versions are kept, its mentions derived from
 * them, and an issue's Link rows, current carriers and reopen jobs reconciled with its mentions and closes. Every
 * caller holds the issue's row lock (ensureIssue's upsert) for the whole transaction, so two deliveries of one issue
 * processed at once (a comment and the close, on two replicas) cannot each miss what the other writes.
 */

/**
 * A source's versions as stored: their links in storedLink's form, one row per time and action. A version twice in the
 * batch keeps its first previous text, as two statements did.
 */
export function storedVersions(versions: readonly SourceVersion[]): SourceVersion[] {
  const unique = new Map<string, SourceVersion>();
  for (const version of versions) {
    const key = `${version.at.getTime()}|${version.action}`;
    const seen = unique.get(key);
    unique.set(key, seen ? { ...seen, previous: seen.previous ?? version.previous ?? null } : version);
  }
  return [...unique.values()].map((version) => mapVersionLinks(version, storedLink));
}

export function storedLink(link: RecognisedLink): RecognisedLink {
  const stored = { provider: link.provider, account: link.account, conversationId: link.conversationId, url: link.url };
  return link.fromAddressBar ? { ...stored, fromAddressBar: true } : stored;
}

/** A source row: its id and when the body or comment was created. */
export interface StoredSource {
  id: number;
  createdAt: Date | string | null;
}

/** A source row as a change records it (src/store/links.ts, recordSource), read under its issue's row lock. */
export interface RecordedSource extends StoredSource {
  /** the source had no versions or mentions stored before this change */
  fresh: boolean;
  /** its mentions were stored with it (freshMentionsOf) */
  mentioned: boolean;
  /** the issue before this change: its Link rows, and blank when it had no link, mention or close at all */
  issue: KnownIssue & { blank: boolean };
}

/** What the caller read of the issue under its row lock, so reconcileLinks need not read it again. */
export interface KnownIssue {
  /** its Link rows before the change */
  links: number;
}

/** A source's mentions derived anew: the conversations whose mentions changed, and all its mentions now. */
export interface DerivedMentions {
  touched: string[];
  mentions: Mention[];
}

/**
 * Recomputes a source's mentions from all its versions. `versions`: the caller knows the source has exactly these and
 * no mentions stored (a source it just created), so neither is read.
 */
export async function deriveMentions(
  tx: Transaction,
  issueId: number,
  { id: sourceId, createdAt: created }: StoredSource,
  versions?: readonly SourceVersion[],
): Promise<DerivedMentions> {
  const pasted: readonly SourceVersion[] =
    versions ??
    (
      await tx.$queryRaw<{ at: Date | string; action: string; links: string; previous: string | null }[]>`
        SELECT "at", "action", "links", "previous" FROM "SourceVersion" WHERE "sourceId" = ${sourceId}`
    ).map((row) => ({
      at: rawDate(row.at)!,
      action: row.action as SourceVersion["action"],
      links: JSON.parse(row.links) as RecognisedLink[],
      previous: row.previous === null ? null : (JSON.parse(row.previous) as RecognisedLink[]),
    }));
  // Versions keep the ids as pasted; mentions name a merged conversation's survivor, so its old URL is the same link.
  const survivors = await survivorsOf(
    tx,
    mayBeMerged(
      pasted.flatMap((version) => [...version.links, ...(version.previous ?? [])]),
      mergingProviders,
    ),
  );
  const resolved =
    survivors.size === 0
      ? pasted
      : pasted.map((version) => mapVersionLinks(version, (link) => toSurvivor(link, survivors)));
  // Every source is stored with its creation time; the earliest version stands in should one lack it.
  const createdAt = rawDate(created) ?? new Date(Math.min(...resolved.map((version) => version.at.getTime())));

  const wanted = sourceMentions(resolved, createdAt);
  const stored =
    versions !== undefined
      ? []
      : await tx.$queryRaw<
          {
            provider: string;
            account: string;
            conversationId: string;
            startAt: Date | string;
            endAt: Date | string | null;
          }[]
        >`
    SELECT "provider", "account", "conversationId", "startAt", "endAt" FROM "Mention" WHERE "sourceId" = ${sourceId}`;
  const signature = (key: string, start: Date, end: Date | null) => `${key}|${start.getTime()}|${end?.getTime() ?? ""}`;
  const storedKeys = new Map(
    stored.map((row) => [signature(linkKey(row), rawDate(row.startAt)!, rawDate(row.endAt)), linkKey(row)]),
  );
  const wantedKeys = new Map(
    wanted.map((mention) => [signature(linkKey(mention.link), mention.start, mention.end), linkKey(mention.link)]),
  );
  const touched = new Set<string>();
  for (const [sig, key] of storedKeys) if (!wantedKeys.has(sig)) touched.add(key);
  for (const [sig, key] of wantedKeys) if (!storedKeys.has(sig)) touched.add(key);
  if (touched.size === 0) return { touched: [], mentions: wanted };
  if (stored.length > 0) await tx.mention.deleteMany({ where: { sourceId } });
  await insertMentions(
    tx,
    wanted.map((mention) => ({ issueId, sourceId, mention })),
  );
  return { touched: [...touched], mentions: wanted };
}

/**
 * Versions of one or more sources in one statement, their links as given (storedLink's form). A version stored before
 * (a redelivery) keeps its first previous text.
 */
export async function insertSourceVersions(
  tx: Transaction,
  rows: readonly { sourceId: number; version: SourceVersion }[],
): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map(
    ({ sourceId, version }) =>
      Sql.sql`(${sourceId}, ${version.at}, ${version.action}, ${JSON.stringify(version.links)}, ${previousText(version)})`,
  );
  await tx.$executeRaw`INSERT INTO "SourceVersion" ("sourceId", "at", "action", "links", "previous")
    VALUES ${Sql.join(values)} ${KEEP_FIRST_PREVIOUS}`;
}

/**
 * insertSourceVersions' statement on PostgreSQL for a source a WITH of the same statement writes: `source` names that
 * part, whose one row's `id` is the versions' source.
 */
export function sourceVersionsOf(source: string, versions: readonly SourceVersion[]): Sql.Sql {
  // Parameters in a VALUES list that nothing types: PostgreSQL would take them all as text.
  const values = versions.map(
    (version) =>
      Sql.sql`(CAST(${version.at} AS TIMESTAMP(3)), CAST(${version.action} AS TEXT), CAST(${JSON.stringify(version.links)} AS TEXT), CAST(${previousText(version)} AS TEXT))`,
  );
  return Sql.sql`INSERT INTO "SourceVersion" ("sourceId", "at", "action", "links", "previous")
    SELECT ${Sql.raw(`"${source}"."id"`)}, "v"."at", "v"."action", "v"."links", "v"."previous"
    FROM ${Sql.raw(`"${source}"`)}, (VALUES ${Sql.join(values)}) AS "v" ("at", "action", "links", "previous") WHERE TRUE
    ${KEEP_FIRST_PREVIOUS}`;
}

/**
 * The mentions of a source new to the store whose versions are `versions` (created at `createdAt`), as deriveMentions
 * would derive them; null when that needs a read (a link's conversation may have been merged into another).
 */
export function freshSourceMentions(versions: readonly SourceVersion[], createdAt: Date): Mention[] | null {
  const links = versions.flatMap((version) => [...version.links, ...(version.previous ?? [])]);
  return mayBeMerged(links, mergingProviders).length > 0 ? null : sourceMentions(versions, createdAt);
}

/**
 * insertMentions' statement on PostgreSQL for a source a WITH of the same statement writes, made only when `source`
 * (that part's one row) was fresh and is dated `createdAt`: what freshSourceMentions derived them from.
 */
export function freshMentionsOf(source: string, createdAt: Date, mentions: readonly Mention[]): Sql.Sql {
  const values = mentions.map(
    ({ link, start, end }) =>
      Sql.sql`(CAST(${link.provider} AS TEXT), CAST(${link.account} AS TEXT), CAST(${link.conversationId} AS TEXT), CAST(${link.url} AS TEXT), CAST(${link.fromAddressBar === true} AS BOOLEAN), CAST(${start} AS TIMESTAMP(3)), CAST(${end} AS TIMESTAMP(3)))`,
  );
  const s = Sql.raw(`"${source}"`);
  return Sql.sql`INSERT INTO "Mention" ("issueId", "sourceId", "provider", "account", "conversationId", "url", "fromAddressBar", "startAt", "endAt")
    SELECT ${s}."issueId", ${s}."id", "m"."provider", "m"."account", "m"."conversationId", "m"."url", "m"."fromAddressBar", "m"."startAt", "m"."endAt"
    FROM ${s}, (VALUES ${Sql.join(values)}) AS "m" ("provider", "account", "conversationId", "url", "fromAddressBar", "startAt", "endAt")
    WHERE ${s}."fresh" AND ${s}."createdAt" = CAST(${createdAt} AS TIMESTAMP(3))`;
}

/** What deriveMentions answers for a source whose mentions were stored with it (freshMentionsOf). */
export function storedWithSource(mentions: readonly Mention[]): DerivedMentions {
  return { touched: [...new Set(mentions.map((mention) => linkKey(mention.link)))], mentions: [...mentions] };
}

const KEEP_FIRST_PREVIOUS = Sql.raw(
  `ON CONFLICT ("sourceId", "at", "action") DO UPDATE SET "previous" = COALESCE("SourceVersion"."previous", excluded."previous")`,
);

const previousText = (version: SourceVersion) => (version.previous ? JSON.stringify(version.previous) : null);

/** Mentions of one or more sources in one statement. */
export async function insertMentions(
  tx: Transaction,
  rows: readonly { issueId: number; sourceId: number; mention: Mention }[],
): Promise<void> {
  if (rows.length === 0) return;
  const values = rows.map(
    ({ issueId, sourceId, mention: { link, start, end } }) =>
      Sql.sql`(${issueId}, ${sourceId}, ${link.provider}, ${link.account}, ${link.conversationId}, ${link.url}, ${link.fromAddressBar === true}, ${start}, ${end})`,
  );
  await tx.$executeRaw`INSERT INTO "Mention" ("issueId", "sourceId", "provider", "account", "conversationId", "url", "fromAddressBar", "startAt", "endAt") VALUES ${Sql.join(values)}`;
}

export interface ReconcileOutcome {
  /** Link rows created */
  added: number;
  /** Link rows deleted (their URLs removed while no close fell in their mentions) */
  removed: number;
  /** anything the labels read changed: a link added, removed, re-dated, or its carriers */
  changed: boolean;
  /** reopen jobs created: links that predate a close processed before them */
  jobsAdded: number;
  /** pending jobs withdrawn: a version processed late shows the link was gone before the close */
  jobsCancelled: number;
  /** conversations not linked because the issue already had `maxLinks` live links */
  capped: number;
  /** the conversations whose Link rows this change created */
  linked: RecognisedLink[];
}

/** A change that changed nothing: what reconcileLinks starts from and adds to. */
export function noChange(): ReconcileOutcome {
  return { added: 0, removed: 0, changed: false, jobsAdded: 0, jobsCancelled: 0, capped: 0, linked: [] };
}

interface LinkRow {
  id: number;
  provider: string;
  account: string;
  conversationId: string;
  linkedAt: Date | string;
  source: string;
}

const keysFilter = (keys: readonly string[] | "all", alias: string) => {
  if (keys === "all") return Sql.empty;
  const tuples = keys.map((key) => {
    const [provider, account, ...id] = key.split(":");
    return Sql.sql`(${provider}, ${account}, ${id.join(":")})`;
  });
  return Sql.sql`AND (${Sql.raw(`${alias}."provider", ${alias}."account", ${alias}."conversationId"`)}) IN (VALUES ${Sql.join(tuples)})`;
};

/**
 * Brings the issue's links, their current carriers and its reopen jobs in line with its mentions and closes, for
 * the conversations named (or all of them). A close gets a job for every conversation mentioned when it happened,
 * however late that mention is processed; a pending job whose conversation turns out to have been gone at the close
 * is withdrawn. Jobs already run or running are never touched.
 */
export async function reconcileLinks(
  tx: Transaction,
  issueId: number,
  keys: readonly string[] | "all",
  options: {
    maxLinks?: number | undefined;
    /** what the caller read of the issue under its row lock */
    issue?: KnownIssue | undefined;
    /**
     * the issue had no link, mention or close before this change, which derived these mentions of one source: they
     * are all the issue has, so nothing is read
     */
    blank?: { sourceId: number; kind: string; mentions: readonly Mention[] } | undefined;
    /**
     * the caller's writes for the links this change creates (the labels' mark, their link notes), sent with their
     * insert on PostgreSQL; `outcome.alongside` then has the notes' count
     */
    withNewLinks?: ((linked: readonly RecognisedLink[]) => NewLinkWrites) | undefined;
  } = {},
): Promise<ReconcileOutcome & { alongside?: { notes: number } }> {
  const outcome: ReconcileOutcome & { alongside?: { notes: number } } = noChange();
  if (keys !== "all" && keys.length === 0) return outcome;
  const state = options.blank ? blankIssue(options.blank, keys) : await readIssueLinks(tx, issueId, keys);
  const { removed, created, kept, jobbed, cancel, redated } = planReconcile(state, keys);
  for (const { linkId, plan } of redated) {
    await tx.link.update({ where: { id: linkId }, data: { linkedAt: plan.linkedAt, source: plan.source } });
    outcome.changed = true;
  }

  if (removed.length > 0) outcome.removed = (await tx.link.deleteMany({ where: { id: { in: removed } } })).count;
  if (created.length > 0 && options.maxLinks !== undefined) {
    const live =
      options.issue !== undefined ? options.issue.links - outcome.removed : await tx.link.count({ where: { issueId } });
    outcome.capped = capNewLinks(created, options.maxLinks, live);
  }
  // The sources carrying each link now, against those read with the issue's links. A carrier re-dated is taken away
  // before it is added again (they share a key), so what goes goes first.
  const carriers = planCarriers(kept, created, state.carrierRows);
  if (carriers.gone.length > 0)
    await tx.linkSource.deleteMany({
      where: { OR: carriers.gone.map(({ linkId, sourceId }) => ({ linkId, sourceId })) },
    });
  let carried = false;
  if (created.length > 0) {
    const writes = options.withNewLinks?.(created.map(({ link }) => link));
    const inserted = await insertLinks(tx, issueId, created, carriers.fresh, writes);
    carried = inserted.carried;
    if (inserted.notes !== undefined) outcome.alongside = { notes: inserted.notes };
    const ids = new Map(inserted.rows.map((row) => [linkKey(row), Number(row.id)]));
    kept.push(...created.map(({ link, plan }) => ({ linkId: ids.get(linkKey(link))!, link, plan })));
    for (const carrier of carriers.fresh) carrier.linkId ??= ids.get(carrier.key)!;
    outcome.added = inserted.rows.length;
    outcome.linked = created.map(({ link }) => link);
  }
  if (!carried && carriers.fresh.length > 0)
    await tx.linkSource.createMany({
      data: carriers.fresh.map(({ linkId, sourceId, postedAt }) => ({ linkId: linkId!, sourceId, postedAt })),
    });
  // Link.live follows its carriers (created links got theirs with the row): written only when a link's last carrier
  // went or its first came back, so most changes cost no statement more.
  for (const live of [true, false]) {
    const ids = carriers.flipped.filter((flip) => flip.live === live).map(({ linkId }) => linkId);
    if (ids.length > 0) await tx.link.updateMany({ where: { id: { in: ids } }, data: { live } });
  }
  if (carriers.gone.length + carriers.fresh.length > 0) outcome.changed = true;

  const newJobs = kept.flatMap(({ linkId, link, plan }) =>
    plan.reopenedBy
      .filter((closeId) => !jobbed.get(linkKey(link))!.has(closeId))
      .map((closeId) => ({
        closeId,
        linkId,
        provider: link.provider,
        account: link.account,
        conversationId: link.conversationId,
        url: link.url,
      })),
  );
  if (newJobs.length > 0) outcome.jobsAdded = (await tx.reopenJob.createMany({ data: newJobs })).count;
  if (cancel.length > 0) {
    outcome.jobsCancelled = (
      await tx.reopenJob.deleteMany({
        where: { id: { in: cancel.map((job) => job.id) }, state: "pending", noteDoneAt: null },
      })
    ).count;
    // A close whose last unsettled job was withdrawn has settled: its summary is written (again). One left with no
    // job at all reopened nothing and gets no summary, like a close of an issue without links.
    const closeIds = [...new Set(cancel.map((job) => job.closeId))];
    const withJobs = await tx.issueClose.findMany({
      where: { id: { in: closeIds }, jobs: { some: {} } },
      select: { id: true },
    });
    await markSummaryDue(
      tx,
      withJobs.map((close) => close.id),
    );
    await tx.issueClose.updateMany({
      where: { id: { in: closeIds }, jobs: { none: {} } },
      data: { summaryDueAt: null },
    });
  }
  if (outcome.added + outcome.removed > 0) outcome.changed = true;
  return outcome;
}

/** What reconcileLinks decided for each conversation, before it writes anything. */
export interface ReconcilePlan {
  /** Link rows to delete */
  removed: number[];
  /** conversations to link */
  created: { link: RecognisedLink; plan: LinkPlan }[];
  /** Link rows that stay, with their plans */
  kept: { linkId: number; link: RecognisedLink; plan: LinkPlan }[];
  /** kept links whose date or first source changed */
  redated: { linkId: number; plan: LinkPlan }[];
  /** the closes each kept or created conversation already has a job for */
  jobbed: Map<string, Set<number>>;
  /** pending jobs to withdraw */
  cancel: { id: number; closeId: number }[];
}

/**
 * reconcileLinks' decisions for the conversations named (or all) from the issue's state: pure, so a caller that knows
 * the whole state (an issue new to the store) can plan its links without a transaction. Each kind of change is then
 * written in one statement: a comment with 40 links costs the same handful of statements as one with a single link.
 */
export function planReconcile(state: IssueLinkState, keys: readonly string[] | "all"): ReconcilePlan {
  const mentions = groupBy(state.mentionRows, linkKey);
  const links = new Map(state.linkRows.map((row) => [linkKey(row), { ...row, id: Number(row.id) }]));
  const jobs = groupBy(state.jobRows, linkKey);
  const decided: ReconcilePlan = { removed: [], created: [], kept: [], redated: [], jobbed: new Map(), cancel: [] };
  for (const key of new Set([...mentions.keys(), ...links.keys()])) {
    const ofKey = mentions.get(key) ?? [];
    // A link with no mentions at all was stored before mentions existed and kept as a close's history: left alone,
    // unless this change took its last mention away.
    if (ofKey.length === 0 && keys === "all") continue;
    const plan = planLink(
      ofKey.map((row): IssueMention => ({
        sourceId: Number(row.sourceId),
        kind: row.kind,
        start: rawDate(row.startAt)!,
        end: rawDate(row.endAt),
      })),
      state.closes,
    );
    const existing = links.get(key);
    const keyJobs = jobs.get(key) ?? [];
    const wantedCloses = new Set(plan?.reopenedBy ?? []);
    for (const job of keyJobs) {
      if (!wantedCloses.has(Number(job.closeId)) && job.state === "pending" && job.noteDoneAt === null)
        decided.cancel.push({ id: Number(job.id), closeId: Number(job.closeId) });
    }
    if (plan === null || !plan.exists) {
      if (existing) decided.removed.push(existing.id);
      continue;
    }
    decided.jobbed.set(key, new Set(keyJobs.map((job) => Number(job.closeId))));
    const earliest = ofKey.reduce((a, b) => (rawDate(a.startAt)! <= rawDate(b.startAt)! ? a : b));
    const link: RecognisedLink = {
      provider: earliest.provider as RecognisedLink["provider"],
      account: earliest.account,
      conversationId: earliest.conversationId,
      url: earliest.url,
      // SQLite answers 0/1, PostgreSQL a boolean.
      ...(rawFlag(earliest.fromAddressBar) && { fromAddressBar: true as const }),
    };
    if (!existing) {
      decided.created.push({ link, plan });
      continue;
    }
    decided.kept.push({ linkId: existing.id, link, plan });
    if (rawDate(existing.linkedAt)!.getTime() !== plan.linkedAt.getTime() || existing.source !== plan.source)
      decided.redated.push({ linkId: existing.id, plan });
  }
  return decided;
}

/**
 * links.max_per_issue: a new link is not added once the issue has that many (`live`). Existing links are never pushed
 * out, so the cap cannot lose a link whatever order deliveries come in; a conversation left out stays a mention and is
 * linked by a later change of its source once there is room. Drops what does not fit from `created`; returns how many.
 */
export function capNewLinks(created: unknown[], maxLinks: number, live: number): number {
  const room = Math.max(0, maxLinks - live);
  const capped = Math.max(0, created.length - room);
  created.splice(room);
  return capped;
}

type NewLinkRow = { id: number | bigint; provider: string; account: string; conversationId: string };

/** Statements of the caller's for the links a change creates, null where there is none. */
export interface NewLinkWrites {
  /** a write whose count does not matter (the labels' mark) */
  mark: Sql.Sql | null;
  /** an insert whose row count is wanted (the link notes) */
  notes: Sql.Sql | null;
}

/**
 * The Link rows of conversations a change links to the issue, returning their ids, with their conversations' reads for
 * the labels (enrichment jobs). On PostgreSQL the new carriers and the caller's `writes` ride in the same statement, a
 * created link's carriers found by its conversation in the rows the insert returns; `carried` says they did, `notes`
 * is the notes' count when `writes` were sent.
 */
async function insertLinks(
  tx: Transaction,
  issueId: number,
  created: readonly { link: RecognisedLink; plan: LinkPlan }[],
  fresh: readonly FreshCarrier[],
  writes?: NewLinkWrites,
): Promise<{ rows: NewLinkRow[]; carried: boolean; notes?: number }> {
  const values = created.map(
    ({ link, plan }) =>
      Sql.sql`(${issueId}, ${link.provider}, ${link.account}, ${link.conversationId}, ${link.url}, ${plan.source}, ${link.fromAddressBar === true}, ${plan.linkedAt}, ${plan.carriers.length > 0})`,
  );
  const insert = linkInsertOf(Sql.sql`VALUES ${Sql.join(values)}`);
  const enrichment = enrichmentUpsert(created.map(({ link }) => link));
  const mark = writes?.mark ?? null;
  const notes = writes?.notes ?? null;
  if (engineOf(tx as Prisma) !== "postgresql" || fresh.length + (mark ? 1 : 0) + (notes ? 1 : 0) === 0)
    return { rows: await queryAlongside<NewLinkRow>(tx, insert, enrichment), carried: false };
  const parts = [
    ...(enrichment === null ? [] : [Sql.sql`"alongside" AS (${enrichment})`]),
    Sql.sql`"link" AS (${insert})`,
    ...(fresh.length === 0 ? [] : [Sql.sql`"carriers" AS (${carriersOf("link", fresh)})`]),
    ...(mark === null ? [] : [Sql.sql`"mark" AS (${mark})`]),
    ...(notes === null ? [] : [Sql.sql`"notes" AS (${notes} RETURNING 1)`]),
  ];
  const counted = notes === null ? Sql.sql`0` : Sql.sql`(SELECT COUNT(*) FROM "notes")`;
  const rows = await tx.$queryRaw<(NewLinkRow & { notes: number | bigint })[]>`WITH ${Sql.join(parts)}
    SELECT "link".*, ${counted} AS "notes" FROM "link"`;
  const sent = mark !== null || notes !== null;
  return {
    rows,
    carried: true,
    ...(sent && { notes: rows.length === 0 ? 0 : Number(rows[0]!.notes) }),
  };
}

/**
 * The insert of the Link rows `rows` (a VALUES list, or a SELECT) answer (issue id, provider, account, conversation id,
 * URL, source, fromAddressBar, linkedAt, live), returning their ids with their conversations.
 */
export function linkInsertOf(rows: Sql.Sql): Sql.Sql {
  return Sql.sql`INSERT INTO "Link" ("issueId", "provider", "account", "conversationId", "url", "source", "fromAddressBar", "linkedAt", "live")
    ${rows} RETURNING "id", "provider", "account", "conversationId"`;
}

/**
 * The LinkSource rows of `fresh` on PostgreSQL, in a WITH whose part `link` returns the created links: theirs are found
 * there by conversation, the others' links are known. Parameters nothing types are cast (PostgreSQL takes them as text).
 */
function carriersOf(link: string, fresh: readonly FreshCarrier[]): Sql.Sql {
  const byKey = fresh.filter((carrier) => carrier.linkId === null);
  const known = fresh.filter((carrier) => carrier.linkId !== null);
  const branches: Sql.Sql[] = [];
  if (byKey.length > 0) {
    const values = byKey.map((carrier) => {
      const [provider, account, ...id] = carrier.key.split(":");
      return Sql.sql`(CAST(${provider} AS TEXT), CAST(${account} AS TEXT), CAST(${id.join(":")} AS TEXT), CAST(${carrier.sourceId} AS INTEGER), CAST(${carrier.postedAt} AS TIMESTAMP(3)))`;
    });
    const l = Sql.raw(`"${link}"`);
    branches.push(Sql.sql`SELECT ${l}."id", "c"."sourceId", "c"."postedAt"
      FROM ${l} JOIN (VALUES ${Sql.join(values)}) AS "c" ("provider", "account", "conversationId", "sourceId", "postedAt")
      ON "c"."provider" = ${l}."provider" AND "c"."account" = ${l}."account" AND "c"."conversationId" = ${l}."conversationId"`);
  }
  if (known.length > 0)
    branches.push(
      Sql.sql`VALUES ${Sql.join(known.map((carrier) => Sql.sql`(CAST(${carrier.linkId} AS INTEGER), CAST(${carrier.sourceId} AS INTEGER), CAST(${carrier.postedAt} AS TIMESTAMP(3)))`))}`,
    );
  return Sql.sql`INSERT INTO "LinkSource" ("linkId", "sourceId", "postedAt") ${Sql.join(branches, " UNION ALL ")}`;
}

interface MentionRow {
  sourceId: number;
  kind: string;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  fromAddressBar: boolean | number | bigint;
  startAt: Date | string;
  endAt: Date | string | null;
}

interface JobRow {
  id: number;
  closeId: number;
  provider: string;
  account: string;
  conversationId: string;
  state: string;
  noteDoneAt: Date | string | null;
}

export interface IssueLinkState {
  mentionRows: MentionRow[];
  linkRows: LinkRow[];
  jobRows: JobRow[];
  closes: IssueCloseTime[];
  /** the LinkSource rows of the links read */
  carrierRows: StoredCarrier[];
}

/**
 * The issue's mentions, links and reopen jobs of the conversations named (or all), and its closes, in one statement:
 * it runs under the issue's row lock, and on a database another host away each statement is a round trip (P8, #25).
 * The five kinds of row (with the links' carriers) share one set of columns, told apart by `row`.
 */
async function readIssueLinks(
  tx: Transaction,
  issueId: number,
  keys: readonly string[] | "all",
): Promise<IssueLinkState> {
  const rows = await tx.$queryRaw<
    {
      row: "mention" | "link" | "job" | "close" | "carrier";
      id: number | bigint;
      ref: number | bigint | null;
      kind: string | null;
      provider: string | null;
      account: string | null;
      conversationId: string | null;
      url: string | null;
      flag: boolean | number | bigint | null;
      at: Date | string | null;
      until: Date | string | null;
    }[]
  >`
    SELECT 'mention' AS "row", "m"."id", "m"."sourceId" AS "ref", "s"."kind", "m"."provider", "m"."account", "m"."conversationId", "m"."url",
      "m"."fromAddressBar" AS "flag", "m"."startAt" AS "at", "m"."endAt" AS "until"
    FROM "Mention" "m" JOIN "Source" "s" ON "s"."id" = "m"."sourceId" WHERE "m"."issueId" = ${issueId} ${keysFilter(keys, `"m"`)}
    UNION ALL
    SELECT 'link', "l"."id", NULL, "l"."source", "l"."provider", "l"."account", "l"."conversationId", NULL, NULL, "l"."linkedAt", NULL
    FROM "Link" "l" WHERE "l"."issueId" = ${issueId} ${keysFilter(keys, `"l"`)}
    UNION ALL
    SELECT 'job', "j"."id", "j"."closeId", "j"."state", "j"."provider", "j"."account", "j"."conversationId", NULL, NULL, NULL, "j"."noteDoneAt"
    FROM "ReopenJob" "j" JOIN "IssueClose" "c" ON "c"."id" = "j"."closeId" WHERE "c"."issueId" = ${issueId} ${keysFilter(keys, `"j"`)}
    UNION ALL
    SELECT 'close', "c"."id", NULL, NULL, NULL, NULL, NULL, NULL, "c"."reopen", "c"."closedAt", NULL
    FROM "IssueClose" "c" WHERE "c"."issueId" = ${issueId}
    UNION ALL
    SELECT 'carrier', "ls"."linkId", "ls"."sourceId", NULL, NULL, NULL, NULL, NULL, NULL, "ls"."postedAt", NULL
    FROM "LinkSource" "ls" JOIN "Link" "l" ON "l"."id" = "ls"."linkId" WHERE "l"."issueId" = ${issueId} ${keysFilter(keys, `"l"`)}
    ORDER BY "row", "id"`;
  const state: IssueLinkState = { mentionRows: [], linkRows: [], jobRows: [], closes: [], carrierRows: [] };
  for (const row of rows) {
    const conversation = { provider: row.provider!, account: row.account!, conversationId: row.conversationId! };
    if (row.row === "mention")
      state.mentionRows.push({
        sourceId: Number(row.ref),
        kind: row.kind!,
        ...conversation,
        url: row.url!,
        fromAddressBar: rawFlag(row.flag),
        startAt: row.at!,
        endAt: row.until,
      });
    else if (row.row === "link")
      state.linkRows.push({ id: Number(row.id), ...conversation, linkedAt: row.at!, source: row.kind! });
    else if (row.row === "job")
      state.jobRows.push({
        id: Number(row.id),
        closeId: Number(row.ref),
        ...conversation,
        state: row.kind!,
        noteDoneAt: row.until,
      });
    else if (row.row === "carrier")
      state.carrierRows.push({ linkId: Number(row.id), sourceId: Number(row.ref), postedAt: rawDate(row.at)! });
    else state.closes.push({ id: Number(row.id), closedAt: rawDate(row.at)!, reopen: rawFlag(row.flag) });
  }
  return state;
}

/** A blank issue's state after one source's change: that source's mentions of the conversations named, nothing else. */
export function blankIssue(
  blank: { sourceId: number; kind: string; mentions: readonly Mention[] },
  keys: readonly string[] | "all",
): IssueLinkState {
  const named = keys === "all" ? null : new Set(keys);
  const mentionRows = blank.mentions
    .filter((mention) => named === null || named.has(linkKey(mention.link)))
    .map(({ link, start, end }) => ({
      sourceId: blank.sourceId,
      kind: blank.kind,
      provider: link.provider,
      account: link.account,
      conversationId: link.conversationId,
      url: link.url,
      fromAddressBar: link.fromAddressBar === true,
      startAt: start,
      endAt: end,
    }));
  return { mentionRows, linkRows: [], jobRows: [], closes: [], carrierRows: [] };
}

type Carrier = { sourceId: number; postedAt: Date };
type StoredCarrier = Carrier & { linkId: number };
/** A carrier to add: of an existing link by its id; of one being created, by its key until the insert returns its id. */
type FreshCarrier = Carrier & { linkId: number | null; key: string };

/**
 * The LinkSource rows (the sources carrying each link now) to make equal to the plans': `existing` are links stored
 * before (whose carriers `stored` has, with others'), `created` the ones the change creates (none yet).
 */
function planCarriers(
  existing: readonly { linkId: number; plan: LinkPlan }[],
  created: readonly { link: RecognisedLink; plan: LinkPlan }[],
  stored: readonly StoredCarrier[],
): { gone: StoredCarrier[]; fresh: FreshCarrier[]; flipped: { linkId: number; live: boolean }[] } {
  const ids = new Set(existing.map((link) => link.linkId));
  const theirs = stored.filter((row) => ids.has(row.linkId));
  const same = (a: StoredCarrier, b: StoredCarrier) =>
    a.linkId === b.linkId && a.sourceId === b.sourceId && a.postedAt.getTime() === b.postedAt.getTime();
  const wanted = existing.flatMap(({ linkId, plan }) => plan.carriers.map((carrier) => ({ linkId, ...carrier })));
  const carried = new Set(theirs.map((row) => row.linkId));
  return {
    gone: theirs.filter((row) => !wanted.some((want) => same(row, want))),
    fresh: [
      ...wanted.filter((want) => !theirs.some((row) => same(row, want))).map((want) => ({ ...want, key: "" })),
      ...created.flatMap(({ link, plan }) =>
        plan.carriers.map((carrier) => ({ linkId: null, key: linkKey(link), ...carrier })),
      ),
    ],
    flipped: existing
      .filter(({ linkId, plan }) => carried.has(linkId) !== plan.carriers.length > 0)
      .map(({ linkId, plan }) => ({ linkId, live: plan.carriers.length > 0 })),
  };
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k);
    if (list) list.push(row);
    else groups.set(k, [row]);
  }
  return groups;
}
