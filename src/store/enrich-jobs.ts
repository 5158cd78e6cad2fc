import type { ProviderId } from "../domain/link.js";
import { recordConversationDetails, type ConversationDetailsUpdate } from "./conversation-details.js";
import type { Prisma, Transaction } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { ENRICH_JOBS, queuesByProvider, type ProviderQueue } from "./helpdesk-jobs.js";
import { deleteLeased, unlocked, updateLeased } from "./lease.js";
import type { IssueRef } from "../domain/refs.js";
import { markIssuesLabelsWanted } from "./issue-markings.js";
import { markLabelsStale } from "./labels.js";
import { inTransaction } from "./transactions.js";

/** A conversation whose details the labels need. */
export interface EnrichmentRequest {
  provider: string;
  account: string;
  conversationId: string;
  url: string;
}

export interface ClaimedEnrichJob extends EnrichmentRequest {
  id: number;
  attempts: number;
  /** the job's generation when claimed: a newer request makes the run do it again */
  generation: number;
}

/**
 * New links were stored (in the caller's transaction, so a link never lacks its job): their conversations' details are
 * wanted. One job per conversation: a conversation already done (or dead) is read again, since it may have changed
 * and the new link needs its details; one pending or running gets a new generation, so a run that began before this
 * link existed runs once more.
 */
export async function requestEnrichment(
  tx: Transaction,
  links: readonly EnrichmentRequest[],
  now = new Date(),
): Promise<void> {
  const upsert = enrichmentUpsert(links, now);
  if (upsert !== null) await tx.$executeRaw(upsert);
}

/** requestEnrichment's statement, for a caller that sends it with another (`queryAlongside`); null: no link. */
export function enrichmentUpsert(links: readonly EnrichmentRequest[], now = new Date()): Sql.Sql | null {
  if (links.length === 0) return null;
  const values = enrichmentOrder(links).map(
    (link) => Sql.sql`(${link.provider}, ${link.account}, ${link.conversationId}, ${link.url}, ${now}, ${now}, ${now})`,
  );
  return enrichmentUpsertOf(Sql.sql`VALUES ${Sql.join(values)}`);
}

/**
 * The conversations to ask about, each once, in the same order in every transaction, so two deliveries upserting the
 * same conversations cannot deadlock.
 */
export function enrichmentOrder<Link extends EnrichmentRequest>(links: readonly Link[]): Link[] {
  return [
    ...new Map(links.map((link) => [`${link.provider}\n${link.account}\n${link.conversationId}`, link])).entries(),
  ]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, link]) => link);
}

/**
 * enrichmentUpsert's statement for the rows `rows` (a VALUES list, or a SELECT) answer, in enrichmentOrder: provider,
 * account, conversation id, URL, and the time three times (next attempt, created, updated).
 */
export function enrichmentUpsertOf(rows: Sql.Sql): Sql.Sql {
  const settled = Sql.sql`"EnrichJob"."state" IN ('done', 'dead')`;
  return Sql.sql`INSERT INTO "EnrichJob" ("provider", "account", "conversationId", "url", "nextAttemptAt", "createdAt", "updatedAt") ${rows}
    ON CONFLICT ("provider", "account", "conversationId") DO UPDATE SET
      "generation" = "EnrichJob"."generation" + 1,
      "attempts" = CASE WHEN ${settled} THEN 0 ELSE "EnrichJob"."attempts" END,
      "nextAttemptAt" = CASE WHEN ${settled} THEN excluded."nextAttemptAt" ELSE "EnrichJob"."nextAttemptAt" END,
      "finishedAt" = CASE WHEN ${settled} THEN NULL ELSE "EnrichJob"."finishedAt" END,
      "state" = CASE WHEN ${settled} THEN 'pending' ELSE "EnrichJob"."state" END,
      "updatedAt" = excluded."updatedAt"`;
}

/**
 * Asks for a conversation's details again when closeloop has a link to it (a helpdesk event says something happened
 * in it); a conversation nothing links is left alone (a new link asks by itself). Returns whether it was asked.
 */
export async function requestEnrichmentIfLinked(prisma: Prisma, link: EnrichmentRequest): Promise<boolean> {
  const where = { provider: link.provider, account: link.account, conversationId: link.conversationId };
  if ((await prisma.link.count({ where })) === 0) return false;
  await requestEnrichment(prisma, [link]);
  return true;
}

/** What the worker needs to run the enrichment jobs it claimed (`ENRICH_JOBS`). */
export async function readClaimedEnrichJobs(
  prisma: Prisma,
  ids: readonly number[],
  owner: string,
): Promise<ClaimedEnrichJob[]> {
  if (ids.length === 0) return [];
  return prisma.enrichJob.findMany({
    where: { id: { in: [...ids] }, lockedBy: owner },
    orderBy: { id: "asc" },
    select: {
      id: true,
      provider: true,
      account: true,
      conversationId: true,
      url: true,
      attempts: true,
      generation: true,
    },
  });
}

/**
 * The conversation was read: its details go on every link to it, the issues whose team, tags or customer changed are
 * marked for their labels to be applied again (so the sweep does it if the caller cannot), and the job is done, or
 * pending again when a new link asked for the details meanwhile; all in one transaction. Returns those issues (the
 * caller applies their labels now), or null when the lease was lost (another worker runs the job).
 */
export async function recordEnrichment(
  prisma: Prisma,
  job: ClaimedEnrichJob,
  owner: string,
  details: ConversationDetailsUpdate,
  at = new Date(),
): Promise<IssueRef[] | null> {
  return inTransaction(prisma, async (tx) => {
    const released = Sql.sql`${unlocked()}, "lastError" = NULL, "lastStatus" = NULL, "updatedAt" = ${at}`;
    const done = Sql.sql`"state" = 'done', "finishedAt" = ${at}, ${released}`;
    // A new link asked for the details after this run began: run again (its link is written below either way).
    const again = Sql.sql`"state" = 'pending', "attempts" = 0, "nextAttemptAt" = ${at}, ${released}`;
    const held =
      (await updateLeased(tx, ENRICH_JOBS, owner, job.id, done, Sql.sql`"generation" = ${job.generation}`)) ||
      (await updateLeased(tx, ENRICH_JOBS, owner, job.id, again));
    if (!held) return null;
    const issues = await recordConversationDetails(tx, job.provider as ProviderId, job, { ...details, enrichedAt: at });
    await markDetailsStale(tx, issues, at);
    return issues;
  });
}

/** The issues' labels must be applied again: the next sweep does it unless a later evaluation clears the mark. */
async function markDetailsStale(tx: Transaction, issues: readonly IssueRef[], at: Date): Promise<void> {
  if (issues.length === 0) return;
  const named = issues.map(
    (issue) => Sql.sql`("repositoryId" = ${issue.repository.id} AND "number" = ${issue.number})`,
  );
  await markLabelsStale(tx, Sql.join(named, " OR "), at);
  await markIssuesLabelsWanted(tx, issues, at);
}

const unlinked = Sql.sql`NOT EXISTS (SELECT 1 FROM "Link" l
    WHERE l."provider" = "EnrichJob"."provider" AND l."account" = "EnrichJob"."account" AND l."conversationId" = "EnrichJob"."conversationId")`;

/**
 * A claimed job whose conversation no issue links any more (its links were edited out or purged while it waited):
 * deleted without a helpdesk call. True when deleted; false when a link exists, or a new link asked for the
 * conversation since the claim (its generation moved): then the job runs.
 */
export async function dropUnlinkedJob(prisma: Prisma, job: ClaimedEnrichJob, owner: string): Promise<boolean> {
  return deleteLeased(prisma, ENRICH_JOBS, owner, job.id, Sql.sql`"generation" = ${job.generation} AND ${unlinked}`);
}

/**
 * Settled jobs of conversations no issue links any more (their issues, repositories or installation were purged):
 * deleted with the rest of the data. A pending or running job is left to the worker (dropUnlinkedJob): on PostgreSQL,
 * a link being added concurrently makes it pending again first, and this statement then skips it.
 */
export async function purgeUnlinkedEnrichment(db: Transaction): Promise<number> {
  return db.$executeRaw`DELETE FROM "EnrichJob" WHERE "state" IN ('done', 'dead') AND ${unlinked}`;
}

/**
 * How long a done enrichment job is kept (README, Retention): its result is on the links (`Link.enrichedAt`, team,
 * tags, customer), and a later link to the conversation makes a new job anyway, so the row serves only `closeloop
 * status`'s recent figures. Dead ones stay until retried (`closeloop retry --dead`).
 */
export const DONE_ENRICHMENT_KEPT_MS = 24 * 60 * 60_000;

/**
 * Deletes the enrichment jobs done more than DONE_ENRICHMENT_KEPT_MS before `now`; any replica may, any time. A link
 * asking for the conversation at the same moment either finds the row and makes it pending again (then this statement,
 * re-checking its condition, leaves it) or finds none and inserts a new job.
 */
export async function purgeDoneEnrichment(prisma: Prisma, now: Date): Promise<number> {
  const before = new Date(now.getTime() - DONE_ENRICHMENT_KEPT_MS);
  return (await prisma.enrichJob.deleteMany({ where: { state: "done", finishedAt: { lt: before } } })).count;
}

/** `closeloop status`: enrichment jobs per provider and state. */
export async function enrichmentBacklog(prisma: Prisma): Promise<ProviderQueue[]> {
  const groups = await prisma.enrichJob.groupBy({ by: ["provider", "state"], _count: { _all: true } });
  return queuesByProvider(groups);
}
