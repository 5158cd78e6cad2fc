import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import { followUpKey } from "../domain/follow-up.js";
import { HelpdeskError } from "../providers/helpdesk-http.js";
import type { Prisma } from "../store/database.js";
import { REOPEN_JOBS } from "../store/helpdesk-jobs.js";
import type { Merged } from "../providers/provider.js";
import { recordMerge } from "../store/conversation-aliases.js";
import {
  followUpDone,
  jobDone,
  noteAndReopenDone,
  noteDone,
  readClaimedJobs,
  type ClaimedJob,
} from "../store/reopen-jobs.js";
import type { HelpdeskJobKind, JobContext } from "./helpdesk-jobs.js";
import { callsInFlight, type CallKind } from "./helpdesk-lanes.js";

/**
 * Reopening one linked conversation (docs/reopen.md, Steps): the close's internal note, then the reopen, each step
 * recorded as it succeeds so a retry or a crash never posts the note twice; one call for both where the helpdesk takes
 * them together. A conversation closed for good gets a follow-up carrying the note instead, when the close's
 * `reopen.closed_tickets` asks for it (docs/reopen.md, Closed tickets). A dry run logs the calls instead.
 */
export function reopenJobs(
  prisma: Prisma,
  log: Logger,
  options: {
    settings: QueueSettings;
    lookaheadSeconds: number;
    dryRun: boolean;
    settled: (closeId: number) => Promise<void>;
  },
): HelpdeskJobKind<ClaimedJob> {
  const call = async (
    context: JobContext,
    kind: CallKind,
    description: string,
    send: () => Promise<Merged | void>,
  ): Promise<Merged | void> => {
    if (options.dryRun) return log.info(`[dry-run] Would ${description}`);
    return context.send(kind, send);
  };
  return {
    name: "reopen",
    table: REOPEN_JOBS,
    settings: options.settings,
    lookahead: (lanes, lane) =>
      reopenLookahead(
        lanes.callsPerSecond(lane.provider, "reopen"),
        options.lookaheadSeconds,
        lane.client.addNoteAndReopen === undefined ? 2 : 1,
      ),
    read: (ids, owner) => readClaimedJobs(prisma, ids, owner),
    async run(job, context) {
      const { lane, leases } = context;
      const { client } = lane;
      let ref = { account: job.account, conversationId: job.conversationId };
      let what = `${lane.name} conversation ${job.conversationId}`;
      const followsUp = job.closedTickets === "follow_up" && client.createFollowUp !== undefined;
      const fields = { job: job.id, provider: lane.provider, conversationId: job.conversationId };
      // The helpdesk answered for the conversation this one was merged into: the link and its jobs move to it.
      const follow = async (outcome: Merged | void) => {
        if (outcome === undefined || outcome.mergedInto === ref.conversationId) return;
        const merge = {
          provider: job.provider,
          account: job.account,
          from: ref.conversationId,
          to: outcome.mergedInto,
        };
        const issues = await recordMerge(prisma, merge, { readSurvivor: true });
        log.info(
          { job: job.id, ...merge },
          `reopen: ${what} was merged into ${outcome.mergedInto}; ${issues.length} issue(s) now link that one`,
        );
        ref = { ...ref, conversationId: outcome.mergedInto };
        what = `${lane.name} conversation ${outcome.mergedInto}`;
      };
      try {
        if (!job.noteDone && client.addNoteAndReopen !== undefined) {
          const orFollowUp = followsUp ? " (or, if it is closed, create a follow-up carrying the note)" : "";
          // A retry (attempts > 1) may follow a call whose outcome is unknown: the client looks for the note first.
          await call(
            context,
            "note",
            `add a note to and reopen ${what}${orFollowUp}: ${JSON.stringify(job.note)}`,
            () => client.addNoteAndReopen!(ref, job.note, { retry: job.attempts > 1 }),
          );
          if (!(await leases.settle(job.id, noteAndReopenDone()))) return;
        } else {
          if (!job.noteDone) {
            const noted = await call(context, "note", `add a note to ${what}: ${JSON.stringify(job.note)}`, () =>
              client.addNote(ref, job.note),
            );
            if (!(await leases.progress(job.id, noteDone()))) return;
            await follow(noted);
          }
          await follow(await call(context, "reopen", `reopen ${what}`, () => client.reopen(ref)));
          if (!(await leases.settle(job.id, jobDone()))) return;
        }
      } catch (error) {
        // skip (or a helpdesk without follow-ups): the closed conversation is a permanent failure, as it says.
        if (!(error instanceof HelpdeskError && error.closed && followsUp)) throw error;
        const key = followUpKey(job);
        const followUpId = await context.send("reopen", () => client.createFollowUp!(ref, job.note, key));
        if (!(await leases.settle(job.id, followUpDone(followUpId)))) return;
        log.info(
          { ...fields, followUpId },
          `reopen: ${what} is closed for good; created follow-up ${followUpId} carrying the note (job ${job.id})`,
        );
        await options.settled(job.closeId);
        return;
      }
      log.info(fields, `reopen: ${options.dryRun ? "[dry-run] " : ""}reopened ${what} with a note (job ${job.id})`);
      await options.settled(job.closeId);
    },
    onDead: (job) => options.settled(job.closeId),
  };
}

/**
 * Reopen jobs claimed ahead in a lane: its writes for `seconds` at their pace, at two calls a job (one where the
 * helpdesk takes the note and the reopen together), never fewer than it sends at once.
 */
export function reopenLookahead(callsPerSecond: number, seconds: number, callsPerJob: 1 | 2 = 2): number {
  return Math.min(500, Math.max(callsInFlight(callsPerSecond), Math.ceil((callsPerSecond * seconds) / callsPerJob)));
}

/** Jobs of the kinds queued behind reopen calls (link notes, enrichment reads) claimed ahead: half as many. */
export function laggingLookahead(callsPerSecond: number, seconds: number): number {
  return Math.max(1, Math.ceil(reopenLookahead(callsPerSecond, seconds) / 2));
}
