import type { RecognisedLink } from "../domain/link.js";
import type { Prisma } from "./database.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { LINK_NOTES, queuesByProvider, type ProviderQueue } from "./helpdesk-jobs.js";
import { unlocked, updateLeased } from "./lease.js";

/**
 * Link notes (README, Notes on new links): one internal note per issue and conversation when a GitHub body or comment
 * first links them. The row is the key: it is never deleted while its issue exists, so nothing notes the same link
 * twice, whatever is redelivered, edited, pasted again, or removed and pasted again.
 */

/** Why a link note ended without a call. */
export const LINK_NOTE_SKIPS = {
  /** the issue was closed when its turn came: the reopen note (if the close reopens) says more */
  closed: "issue closed",
  /** every source carrying the URL lost it before its turn came: the note would claim a link that is not there */
  removed: "link removed",
  /** CLOSELOOP_DRY_RUN: logged, not sent; done, so a later real run does not send old notes */
  dryRun: "dry run",
} as const;

export interface ClaimedLinkNote {
  id: number;
  issueId: number;
  provider: string;
  account: string;
  conversationId: string;
  url: string;
  attempts: number;
  note: string;
}

/**
 * Links just created from a GitHub body or comment (in the caller's transaction, so a link never lacks its note, and
 * a rolled-back link leaves none): a note each, unless the issue and conversation already have one. The one
 * exception is a note that never went out because its link was removed before its turn: the link is back, so it is
 * queued again (still at most one note is sent). The statement, for the caller to send with another
 * (`executeAlongside`), whose count is the notes queued; null: no link.
 */
export function linkNotesInsert(
  issueId: number,
  links: readonly RecognisedLink[],
  note: string,
  now = new Date(),
): Sql.Sql | null {
  if (links.length === 0) return null;
  const values = links.map(
    (link) =>
      Sql.sql`(${issueId}, ${link.provider}, ${link.account}, ${link.conversationId}, ${link.url}, ${note}, ${now}, ${now}, ${now})`,
  );
  return linkNotesInsertOf(Sql.sql`VALUES ${Sql.join(values)}`);
}

/**
 * linkNotesInsert's statement for the rows `rows` (a VALUES list, or a SELECT) answer: issue id, provider, account,
 * conversation id, URL, note, and its time three times (next attempt, created, updated).
 */
export function linkNotesInsertOf(rows: Sql.Sql): Sql.Sql {
  return Sql.sql`INSERT INTO "LinkNote" ("issueId", "provider", "account", "conversationId", "url", "note", "nextAttemptAt", "createdAt", "updatedAt")
    ${rows}
    ON CONFLICT ("issueId", "provider", "account", "conversationId") DO UPDATE SET
      "state" = 'pending', "skipped" = NULL, "attempts" = 0, "nextAttemptAt" = excluded."nextAttemptAt", "finishedAt" = NULL,
      "url" = excluded."url", "note" = excluded."note", "updatedAt" = excluded."updatedAt"
    WHERE "LinkNote"."state" = 'done' AND "LinkNote"."skipped" = ${LINK_NOTE_SKIPS.removed}`;
}

/** What the worker needs to run the link notes it claimed (`LINK_NOTES`), oldest first. */
export async function readClaimedLinkNotes(
  prisma: Prisma,
  ids: readonly number[],
  owner: string,
): Promise<ClaimedLinkNote[]> {
  if (ids.length === 0) return [];
  return prisma.linkNote.findMany({
    where: { id: { in: [...ids] }, lockedBy: owner },
    orderBy: { id: "asc" },
    select: {
      id: true,
      issueId: true,
      provider: true,
      account: true,
      conversationId: true,
      url: true,
      attempts: true,
      note: true,
    },
  });
}

/** The outcome of a note the helpdesk took, or of one ended without a call (`skipped`). */
export function linkNoteDone(skipped: string | null, at = new Date()): Sql.Sql {
  const sent = skipped === null ? at : null;
  return Sql.sql`"state" = 'done', "sentAt" = ${sent}, "skipped" = ${skipped}, "finishedAt" = ${at}, ${unlocked()}, "lastError" = NULL, "lastStatus" = NULL, "updatedAt" = ${at}`;
}

const issueClosed = Sql.sql`EXISTS (SELECT 1 FROM "Issue" i WHERE i."id" = "LinkNote"."issueId" AND i."state" = 'closed')`;
const linkGone = Sql.sql`NOT EXISTS (SELECT 1 FROM "Link" l WHERE l."issueId" = "LinkNote"."issueId"
    AND l."provider" = "LinkNote"."provider" AND l."account" = "LinkNote"."account" AND l."conversationId" = "LinkNote"."conversationId")`;

/**
 * A claimed note that should no longer be sent ends done without a call, in one fenced statement each: its issue is
 * closed, or its link is gone. Returns why, or null when it is to be sent (or the lease was lost: the settle after
 * the call then finds that out).
 */
export async function skipStaleLinkNote(
  prisma: Prisma,
  job: ClaimedLinkNote,
  owner: string,
  at = new Date(),
): Promise<string | null> {
  for (const [reason, when] of [
    [LINK_NOTE_SKIPS.closed, issueClosed],
    [LINK_NOTE_SKIPS.removed, linkGone],
  ] as const) {
    if (await updateLeased(prisma, LINK_NOTES, owner, job.id, linkNoteDone(reason, at), when)) return reason;
  }
  return null;
}

export interface DeadLinkNote {
  id: number;
  provider: string;
  conversationId: string;
  issue: string;
  attempts: number;
  lastError: string | null;
  finishedAt: Date | null;
}

/** `closeloop status`: link notes per provider and state, and the latest that died. */
export async function linkNoteBacklog(
  prisma: Prisma,
  take = 10,
): Promise<{ providers: ProviderQueue[]; dead: DeadLinkNote[] }> {
  const groups = await prisma.linkNote.groupBy({ by: ["provider", "state"], _count: { _all: true } });
  const dead = await prisma.linkNote.findMany({
    where: { state: "dead" },
    orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
    take,
    select: {
      id: true,
      provider: true,
      conversationId: true,
      attempts: true,
      lastError: true,
      finishedAt: true,
      issue: { select: { number: true, repository: { select: { owner: true, name: true } } } },
    },
  });
  return {
    providers: queuesByProvider(groups),
    dead: dead.map(({ issue, ...row }) => ({
      ...row,
      issue: `${issue.repository.owner}/${issue.repository.name}#${issue.number}`,
    })),
  };
}
