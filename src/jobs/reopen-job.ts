import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import { followUpKey } from "../domain/follow-up.js";
import { HelpdeskError } from "../providers/helpdesk-http.js";
import { agentUrl } from "../providers/registry.js";
import type { Prisma } from "../store/database.js";
import { READ_AFTER_MS } from "../domain/answers.js";
import { watchAnswer } from "../store/answers.js";
import { REOPEN_JOBS } from "../store/helpdesk-jobs.js";
import { updateLeased, type SqlFragment } from "../store/lease.js";
import { inTransaction } from "../store/transactions.js";
import type { Merged } from "../providers/provider.js";
import { recordMerge } from "../store/merges.js";
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
      /**
       * Ends the job with `set` and, the conversation being reopened (or a follow-up made in its place), starts
       * watching for its answer in the same transaction (docs/answers.md). A dry run reopened nothing to watch.
       */
      const reopened = async (set: SqlFragment, conversationId: string): Promise<boolean> => {
        if (options.dryRun) return leases.settle(job.id, set);
        const reopenedAt = new Date();
        const watch = {
          reopenJobId: job.id,
          closeId: job.closeId,
          provider: job.provider,
          account: job.account,
          conversationId,
          // A follow-up or a merge's survivor: the address that opens it, built from its id.
          url: conversationId === job.conversationId ? job.url : agentUrl({ ...job, conversationId }),
          reopenedAt,
          remindAfterSeconds: job.remindAfterSeconds,
        };
        const settled = await leases.writing(
          job.id,
          () =>
            inTransaction(prisma, async (tx) => {
              if (!(await updateLeased(tx, REOPEN_JOBS, leases.owner, job.id, set))) return false;
              await watchAnswer(tx, watch, new Date(reopenedAt.getTime() + READ_AFTER_MS[0]));
              return true;
            }),
          (written) => written,
        );
        if (!settled) leases.lost(job.id);
        return settled;
      };
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
          if (!(await reopened(noteAndReopenDone(), ref.conversationId))) return;
        } else {
          if (!job.noteDone) {
            const noted = await call(context, "note", `add a note to ${what}: ${JSON.stringify(job.note)}`, () =>
              client.addNote(ref, job.note),
            );
            if (!(await leases.progress(job.id, noteDone()))) return;
            await follow(noted);
          }
          await follow(await call(context, "reopen", `reopen ${what}`, () => client.reopen(ref)));
          if (!(await reopened(jobDone(), ref.conversationId))) return;
        }
      } catch (error) {
        // skip (or a helpdesk without follow-ups): the closed conversation is a permanent failure, as it says.
        if (!(error instanceof HelpdeskError && error.closed && followsUp)) throw error;
        const key = followUpKey(job);
        const followUpId = await context.send("reopen", () => client.createFollowUp!(ref, job.note, key));
        if (!(await reopened(followUpDone(followUpId), followUpId))) return;
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
