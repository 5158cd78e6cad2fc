import type { RecognisedLink } from "../domain/link.js";
import { linkKey } from "../domain/mentions.js";
import type { Prisma, Transaction } from "./database.js";
import { requestEnrichment } from "./enrich-jobs.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { markLabelsWanted } from "./issue-markings.js";
import { reconcileLinks } from "./mentions.js";
import { markSummaryDue } from "./reopen-jobs.js";
import { inTransaction } from "./transactions.js";

export interface Merge {
  provider: string;
  account: string;
  /** the conversation a call named */
  from: string;
  /** the conversation the helpdesk answered for */
  to: string;
}

/**
 * The helpdesk merged `from` into `to` (it redirected a call): `from` becomes an alias of `to`, and every issue's
 * mentions, link and reopen jobs of `from` move to `to`, in one transaction. An issue that links both keeps one link
 * (one report) and, per close, one job. Returns the ids of the issues whose links changed; their labels are marked.
 * `readSurvivor`: the survivor's details are wanted (false when the caller has just read them).
 */
export async function recordMerge(
  prisma: Prisma,
  merge: Merge,
  options: { readSurvivor: boolean },
  at = new Date(),
): Promise<number[]> {
  const { provider, account, from, to } = merge;
  if (from === to) return [];
  return inTransaction(prisma, async (tx) => {
    // The survivor is nobody's alias; whatever named the merged conversation now names the survivor.
    await tx.conversationAlias.deleteMany({ where: { provider, account, aliasId: to } });
    await tx.conversationAlias.updateMany({
      where: { provider, account, conversationId: from },
      data: { conversationId: to },
    });
    await tx.$executeRaw`INSERT INTO "ConversationAlias" ("provider", "account", "aliasId", "conversationId", "createdAt") VALUES (${provider}, ${account}, ${from}, ${to}, ${at})
      ON CONFLICT ("provider", "account", "aliasId") DO UPDATE SET "conversationId" = excluded."conversationId"`;

    const ofFrom = Sql.sql`"provider" = ${provider} AND "account" = ${account} AND "conversationId" = ${from}`;
    const issues = await tx.$queryRaw<{ issueId: number }[]>`
      SELECT "issueId" FROM "Mention" WHERE ${ofFrom}
      UNION SELECT "issueId" FROM "Link" WHERE ${ofFrom}
      UNION SELECT "c"."issueId" FROM "ReopenJob" "j" JOIN "IssueClose" "c" ON "c"."id" = "j"."closeId"
        WHERE "j"."provider" = ${provider} AND "j"."account" = ${account} AND "j"."conversationId" = ${from}
      ORDER BY 1`;
    const changed: number[] = [];
    let moved: RecognisedLink | undefined;
    for (const { issueId: rawId } of issues) {
      const issueId = Number(rawId);
      // The issue's row lock first, as every writer of its links takes it (src/store/links.ts, ensureIssue).
      await tx.$executeRaw`UPDATE "Issue" SET "number" = "number" WHERE "id" = ${issueId}`;
      await tx.$executeRaw`UPDATE "Mention" SET "conversationId" = ${to} WHERE "issueId" = ${issueId} AND ${ofFrom}`;
      const survivor = await tx.link.findUnique({
        where: { issueId_provider_account_conversationId: { issueId, provider, account, conversationId: to } },
        select: { id: true },
      });
      const link = await tx.link.findUnique({
        where: { issueId_provider_account_conversationId: { issueId, provider, account, conversationId: from } },
      });
      if (link !== null && survivor !== null) await tx.link.delete({ where: { id: link.id } });
      else if (link !== null) await tx.link.update({ where: { id: link.id }, data: { conversationId: to } });
      if (link !== null)
        moved ??= { provider: provider as RecognisedLink["provider"], account, conversationId: to, url: link.url };
      await tx.$executeRaw`UPDATE "ReopenJob" SET "conversationId" = ${to}
        WHERE ${ofFrom} AND "closeId" IN (SELECT "id" FROM "IssueClose" WHERE "issueId" = ${issueId})`;
      await dropDuplicateJobs(tx, issueId, merge);
      await reconcileLinks(tx, issueId, [linkKey({ provider, account, conversationId: to })]);
      await markLabelsWanted(tx, [issueId], at);
      changed.push(issueId);
    }
    if (moved !== undefined && options.readSurvivor) await requestEnrichment(tx, [moved], at);
    return changed;
  });
}

/**
 * One job per close and conversation: when the issue had jobs for both conversations, the survivor's extra ones that
 * have not started (pending, no note, unclaimed) are withdrawn, keeping the one furthest along.
 */
async function dropDuplicateJobs(tx: Transaction, issueId: number, { provider, account, to }: Merge): Promise<void> {
  const jobs = await tx.reopenJob.findMany({
    where: { provider, account, conversationId: to, close: { issueId } },
    select: { id: true, closeId: true, state: true, noteDoneAt: true, lockedBy: true },
    orderBy: { id: "asc" },
  });
  const started = (job: (typeof jobs)[number]) =>
    job.state !== "pending" || job.noteDoneAt !== null || job.lockedBy !== null;
  const withdrawn: number[] = [];
  const closes = new Set<number>();
  for (const closeId of new Set(jobs.map((job) => job.closeId))) {
    const ofClose = jobs.filter((job) => job.closeId === closeId);
    if (ofClose.length < 2) continue;
    const keep = ofClose.find(started) ?? ofClose[0]!;
    const extra = ofClose.filter((job) => job !== keep && !started(job)).map((job) => job.id);
    if (extra.length === 0) continue;
    withdrawn.push(...extra);
    closes.add(closeId);
  }
  if (withdrawn.length === 0) return;
  await tx.reopenJob.deleteMany({
    where: { id: { in: withdrawn }, state: "pending", noteDoneAt: null, lockedBy: null },
  });
  await markSummaryDue(tx, [...closes]);
}
