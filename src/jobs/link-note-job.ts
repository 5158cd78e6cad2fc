import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import type { Prisma } from "../store/database.js";
import { LINK_NOTES } from "../store/helpdesk-jobs.js";
import {
  LINK_NOTE_SKIPS,
  linkNoteDone,
  readClaimedLinkNotes,
  skipStaleLinkNote,
  type ClaimedLinkNote,
} from "../store/link-notes.js";
import type { HelpdeskJobKind } from "./helpdesk-jobs.js";
import { laggingLookahead } from "./reopen-job.js";

/**
 * The note on a conversation a GitHub body or comment linked for the first time (README, Notes on new links): one
 * call, in the lane behind every reopen call. A note whose issue closed, or whose link went, before its turn ends
 * without a call. A dry run logs it and ends it done, so a later real run does not send it.
 */
export function linkNoteJobs(
  prisma: Prisma,
  log: Logger,
  options: { settings: QueueSettings; lookaheadSeconds: number; dryRun: boolean },
): HelpdeskJobKind<ClaimedLinkNote> {
  return {
    name: "link note",
    table: LINK_NOTES,
    settings: options.settings,
    lookahead: (lanes, lane) =>
      laggingLookahead(lanes.callsPerSecond(lane.provider, "linkNote"), options.lookaheadSeconds),
    read: (ids, owner) => readClaimedLinkNotes(prisma, ids, owner),
    async run(job, { lane, leases, send }) {
      const what = `${lane.name} conversation ${job.conversationId}`;
      const context = { job: job.id, provider: lane.provider, conversationId: job.conversationId };
      const skipped = await leases.writing(
        job.id,
        () => skipStaleLinkNote(prisma, job, leases.owner),
        (reason) => reason !== null,
      );
      if (skipped !== null) return log.info(context, `link note: not added to ${what} (job ${job.id}): ${skipped}`);
      if (options.dryRun) {
        log.info(`[dry-run] Would add a note to ${what}: ${JSON.stringify(job.note)}`);
        await leases.settle(job.id, linkNoteDone(LINK_NOTE_SKIPS.dryRun));
        return;
      }
      await send("linkNote", () =>
        lane.client.addNote({ account: job.account, conversationId: job.conversationId }, job.note),
      );
      if (await leases.settle(job.id, linkNoteDone(null)))
        log.info(context, `link note: added a note to ${what} (job ${job.id})`);
    },
  };
}
