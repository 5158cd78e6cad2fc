import type { RecognisedLink } from "../domain/link.js";
import { linkKey, planLink, sourceMentions, type IssueCloseTime, type IssueMention, type Mention, type SourceVersion } from "../domain/mentions.js";
import type { Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { requestEnrichment, type EnrichmentRequest } from "./enrich-jobs.js";
import { markSummaryDue } from "./reopen-jobs.js";

/**
 * The store side of order-tolerant links (docs/ordering.md): a source's versions are kept, its mentions derived from
 * them, and an issue's Link rows, current carriers and reopen jobs reconciled with its mentions and closes. Every
 * caller holds the issue's row lock (ensureIssue's upsert) for the whole transaction, so two deliveries of one issue
 * processed at once (a comment and the close, on two replicas) cannot each miss what the other writes.
 */

const date = (value: Date | string | null): Date | null => (value === null ? null : value instanceof Date ? value : new Date(value));

/** Stores versions of one source (a redelivered one again changes nothing) and derives its mentions anew. Returns the conversations whose mentions changed. */
export async function recordSourceVersions(tx: Transaction, issueId: number, sourceId: number, versions: readonly SourceVersion[]): Promise<string[]> {
  for (const version of versions) {
    const previous = version.previous ? JSON.stringify(version.previous.map(storedLink)) : null;
    await tx.$executeRaw`INSERT INTO "SourceVersion" ("sourceId", "at", "action", "links", "previous")
      VALUES (${sourceId}, ${version.at}, ${version.action}, ${JSON.stringify(version.links.map(storedLink))}, ${previous})
      ON CONFLICT ("sourceId", "at", "action") DO UPDATE SET "previous" = COALESCE("SourceVersion"."previous", excluded."previous")`;
  }
  return deriveMentions(tx, issueId, sourceId);
}

function storedLink(link: RecognisedLink): RecognisedLink {
  return { provider: link.provider, account: link.account, conversationId: link.conversationId, url: link.url };
}

/** Recomputes a source's mentions from all its versions; the source row's version and tombstone follow the latest. */
export async function deriveMentions(tx: Transaction, issueId: number, sourceId: number): Promise<string[]> {
  const [source] = await tx.$queryRaw<{ createdAt: Date | string | null }[]>`SELECT "createdAt" FROM "Source" WHERE "id" = ${sourceId}`;
  const rows = await tx.$queryRaw<{ at: Date | string; action: string; links: string; previous: string | null }[]>`
    SELECT "at", "action", "links", "previous" FROM "SourceVersion" WHERE "sourceId" = ${sourceId}`;
  const versions: SourceVersion[] = rows.map((row) => ({
    at: date(row.at)!,
    action: row.action as SourceVersion["action"],
    links: JSON.parse(row.links) as RecognisedLink[],
    previous: row.previous === null ? null : (JSON.parse(row.previous) as RecognisedLink[]),
  }));
  const latest = versions.filter((version) => version.action !== "deleted").sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  const deleted = versions.find((version) => version.action === "deleted");
  const createdAt = date(source?.createdAt ?? null) ?? latest?.at ?? deleted?.at ?? new Date(0);
  await tx.source.update({ where: { id: sourceId }, data: { version: latest?.at ?? deleted?.at ?? createdAt, deletedAt: deleted?.at ?? null } });

  const wanted = sourceMentions(versions, createdAt);
  const stored = await tx.$queryRaw<{ provider: string; account: string; conversationId: string; startAt: Date | string; endAt: Date | string | null }[]>`
    SELECT "provider", "account", "conversationId", "startAt", "endAt" FROM "Mention" WHERE "sourceId" = ${sourceId}`;
  const signature = (key: string, start: Date, end: Date | null) => `${key}|${start.getTime()}|${end?.getTime() ?? ""}`;
  const storedKeys = new Map(stored.map((row) => [signature(linkKey(row), date(row.startAt)!, date(row.endAt)), linkKey(row)]));
  const wantedKeys = new Map(wanted.map((mention) => [signature(linkKey(mention.link), mention.start, mention.end), linkKey(mention.link)]));
  const touched = new Set<string>();
  for (const [sig, key] of storedKeys) if (!wantedKeys.has(sig)) touched.add(key);
  for (const [sig, key] of wantedKeys) if (!storedKeys.has(sig)) touched.add(key);
  if (touched.size === 0) return [];
  await tx.mention.deleteMany({ where: { sourceId } });
  if (wanted.length > 0) await insertMentions(tx, issueId, sourceId, wanted);
  return [...touched];
}

async function insertMentions(tx: Transaction, issueId: number, sourceId: number, mentions: readonly Mention[]): Promise<void> {
  const values = mentions.map(
    ({ link, start, end }) => Sql.sql`(${issueId}, ${sourceId}, ${link.provider}, ${link.account}, ${link.conversationId}, ${link.url}, ${start}, ${end})`,
  );
  await tx.$executeRaw`INSERT INTO "Mention" ("issueId", "sourceId", "provider", "account", "conversationId", "url", "startAt", "endAt") VALUES ${Sql.join(values)}`;
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
export async function reconcileLinks(tx: Transaction, issueId: number, keys: readonly string[] | "all"): Promise<ReconcileOutcome> {
  const outcome: ReconcileOutcome = { added: 0, removed: 0, changed: false, jobsAdded: 0, jobsCancelled: 0 };
  if (keys !== "all" && keys.length === 0) return outcome;
  const mentionRows = await tx.$queryRaw<{ sourceId: number; kind: string; provider: string; account: string; conversationId: string; url: string; startAt: Date | string; endAt: Date | string | null }[]>`
    SELECT "m"."sourceId", "s"."kind", "m"."provider", "m"."account", "m"."conversationId", "m"."url", "m"."startAt", "m"."endAt"
    FROM "Mention" "m" JOIN "Source" "s" ON "s"."id" = "m"."sourceId"
    WHERE "m"."issueId" = ${issueId} ${keysFilter(keys, `"m"`)} ORDER BY "m"."id"`;
  const linkRows = await tx.$queryRaw<LinkRow[]>`
    SELECT "id", "provider", "account", "conversationId", "linkedAt", "source" FROM "Link" "l" WHERE "l"."issueId" = ${issueId} ${keysFilter(keys, `"l"`)} ORDER BY "l"."id"`;
  const jobRows = await tx.$queryRaw<{ id: number; closeId: number; provider: string; account: string; conversationId: string; state: string; noteDoneAt: Date | string | null }[]>`
    SELECT "j"."id", "j"."closeId", "j"."provider", "j"."account", "j"."conversationId", "j"."state", "j"."noteDoneAt"
    FROM "ReopenJob" "j" JOIN "IssueClose" "c" ON "c"."id" = "j"."closeId" WHERE "c"."issueId" = ${issueId} ${keysFilter(keys, `"j"`)}`;
  const closes: IssueCloseTime[] = (await tx.issueClose.findMany({ where: { issueId }, select: { id: true, closedAt: true, reopen: true } })).map((close) => close);

  const mentions = groupBy(mentionRows, linkKey);
  const links = new Map(linkRows.map((row) => [linkKey(row), { ...row, id: Number(row.id) }]));
  const jobs = groupBy(jobRows, linkKey);
  const carriers = await readCarriers(tx, [...links.values()].map((link) => link.id));

  const created: EnrichmentRequest[] = [];
  const newJobs: { closeId: number; linkId: number; link: RecognisedLink }[] = [];
  const cancel: { id: number; closeId: number }[] = [];
  for (const key of new Set([...mentions.keys(), ...links.keys()])) {
    const ofKey = mentions.get(key) ?? [];
    // A link with no mentions at all was stored before mentions existed and kept as a close's history: left alone,
    // unless this change took its last mention away.
    if (ofKey.length === 0 && keys === "all") continue;
    const plan = planLink(
      ofKey.map((row): IssueMention => ({ sourceId: Number(row.sourceId), kind: row.kind, start: date(row.startAt)!, end: date(row.endAt) })),
      closes,
    );
    const existing = links.get(key);
    const keyJobs = jobs.get(key) ?? [];
    const wantedCloses = new Set(plan?.reopenedBy ?? []);
    for (const job of keyJobs) {
      if (!wantedCloses.has(Number(job.closeId)) && job.state === "pending" && job.noteDoneAt === null) cancel.push({ id: Number(job.id), closeId: Number(job.closeId) });
    }
    if (plan === null || !plan.exists) {
      if (existing) {
        await tx.link.delete({ where: { id: existing.id } });
        outcome.removed++;
      }
      continue;
    }
    const earliest = ofKey.reduce((a, b) => (date(a.startAt)! <= date(b.startAt)! ? a : b));
    const link: RecognisedLink = { provider: earliest.provider as RecognisedLink["provider"], account: earliest.account, conversationId: earliest.conversationId, url: earliest.url };
    let linkId: number;
    if (!existing) {
      const row = await tx.link.create({ data: { issueId, ...link, source: plan.source, linkedAt: plan.linkedAt }, select: { id: true } });
      linkId = row.id;
      created.push(link);
      outcome.added++;
    } else {
      linkId = existing.id;
      if (date(existing.linkedAt)!.getTime() !== plan.linkedAt.getTime() || existing.source !== plan.source) {
        await tx.link.update({ where: { id: linkId }, data: { linkedAt: plan.linkedAt, source: plan.source } });
        outcome.changed = true;
      }
    }
    if (await syncCarriers(tx, linkId, carriers.get(linkId) ?? [], plan.carriers)) outcome.changed = true;
    const jobbed = new Set(keyJobs.map((job) => Number(job.closeId)));
    for (const closeId of plan.reopenedBy) if (!jobbed.has(closeId)) newJobs.push({ closeId, linkId, link });
  }

  await requestEnrichment(tx, created);
  if (newJobs.length > 0) {
    outcome.jobsAdded = (
      await tx.reopenJob.createMany({
        data: newJobs.map(({ closeId, linkId, link }) => ({ closeId, linkId, provider: link.provider, account: link.account, conversationId: link.conversationId, url: link.url })),
      })
    ).count;
  }
  if (cancel.length > 0) {
    outcome.jobsCancelled = (await tx.reopenJob.deleteMany({ where: { id: { in: cancel.map((job) => job.id) }, state: "pending", noteDoneAt: null } })).count;
    // A close whose last unsettled job was withdrawn has settled: its summary is written (again).
    await markSummaryDue(tx, [...new Set(cancel.map((job) => job.closeId))]);
  }
  if (outcome.added + outcome.removed > 0) outcome.changed = true;
  return outcome;
}

async function readCarriers(tx: Transaction, linkIds: readonly number[]): Promise<Map<number, { sourceId: number; postedAt: Date }[]>> {
  const byLink = new Map<number, { sourceId: number; postedAt: Date }[]>();
  if (linkIds.length === 0) return byLink;
  const rows = await tx.linkSource.findMany({ where: { linkId: { in: [...linkIds] } }, select: { linkId: true, sourceId: true, postedAt: true } });
  for (const row of rows) byLink.set(row.linkId, [...(byLink.get(row.linkId) ?? []), { sourceId: row.sourceId, postedAt: row.postedAt }]);
  return byLink;
}

/** The LinkSource rows (the sources carrying the link now) made equal to the plan's; true when any changed. */
async function syncCarriers(tx: Transaction, linkId: number, stored: readonly { sourceId: number; postedAt: Date }[], wanted: readonly { sourceId: number; postedAt: Date }[]): Promise<boolean> {
  const same = (a: { sourceId: number; postedAt: Date }, b: { sourceId: number; postedAt: Date }) => a.sourceId === b.sourceId && a.postedAt.getTime() === b.postedAt.getTime();
  const gone = stored.filter((row) => !wanted.some((want) => same(row, want)));
  const fresh = wanted.filter((want) => !stored.some((row) => same(row, want)));
  if (gone.length > 0) await tx.linkSource.deleteMany({ where: { linkId, sourceId: { in: gone.map((row) => row.sourceId) } } });
  if (fresh.length > 0) await tx.linkSource.createMany({ data: fresh.map((row) => ({ linkId, sourceId: row.sourceId, postedAt: row.postedAt })) });
  return gone.length + fresh.length > 0;
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
