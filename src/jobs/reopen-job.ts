import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import type { Prisma } from "../store/database.js";
import { REOPEN_JOBS } from "../store/helpdesk-jobs.js";
import type { Merged } from "../providers/provider.js";
import { recordMerge } from "../store/conversation-aliases.js";
import { jobDone, noteDone, readClaimedJobs, type ClaimedJob } from "../store/reopen-jobs.js";
import type { HelpdeskJobKind, JobContext } from "./helpdesk-jobs.js";
import { PRIORITY, queuePacing, type HelpdeskLane } from "./helpdesk-lanes.js";

/**
 * Reopening one linked conversation (docs/reopen.md, Steps): the close's internal note, then the reopen, each step
 * recorded as it succeeds so a retry or a crash never posts the note twice. A dry run logs both instead.
 */
export function reopenJobs(
  prisma: Prisma,
  log: Logger,
  options: { settings: QueueSettings; lookaheadSeconds: number; dryRun: boolean; settled: (closeId: number) => Promise<void> },
): HelpdeskJobKind<ClaimedJob> {
  const call = async (context: JobContext, priority: number, description: string, send: () => Promise<Merged | void>): Promise<Merged | void> => {
    if (options.dryRun) return log.info(`[dry-run] Would ${description}`);
    return context.send(priority, send);
  };
  return {
    name: "reopen",
    table: REOPEN_JOBS,
    settings: options.settings,
    lookahead: (lane) => reopenLookahead(lane, options.lookaheadSeconds),
    read: (ids, owner) => readClaimedJobs(prisma, ids, owner),
    async run(job, context) {
      const { lane, leases } = context;
      let ref = { account: job.account, conversationId: job.conversationId };
      let what = `${lane.name} conversation ${job.conversationId}`;
      // The helpdesk answered for the conversation this one was merged into: the link and its jobs move to it.
      const follow = async (outcome: Merged | void) => {
        if (outcome === undefined || outcome.mergedInto === ref.conversationId) return;
        const merge = { provider: job.provider, account: job.account, from: ref.conversationId, to: outcome.mergedInto };
        const issues = await recordMerge(prisma, merge, { readSurvivor: true });
        log.info({ job: job.id, ...merge }, `reopen: ${what} was merged into ${outcome.mergedInto}; ${issues.length} issue(s) now link that one`);
        ref = { ...ref, conversationId: outcome.mergedInto };
        what = `${lane.name} conversation ${outcome.mergedInto}`;
      };
      if (!job.noteDone) {
        const noted = await call(context, PRIORITY.note, `add a note to ${what}: ${JSON.stringify(job.note)}`, () => lane.client.addNote(ref, job.note));
        if (!(await leases.progress(job.id, noteDone()))) return;
        await follow(noted);
      }
      await follow(await call(context, PRIORITY.reopen, `reopen ${what}`, () => lane.client.reopen(ref)));
      if (!(await leases.settle(job.id, jobDone()))) return;
      log.info({ job: job.id, provider: lane.provider, conversationId: job.conversationId }, `reopen: ${options.dryRun ? "[dry-run] " : ""}reopened ${what} with a note (job ${job.id})`);
      await options.settled(job.closeId);
    },
    onDead: (job) => options.settled(job.closeId),
  };
}

/** Reopen jobs claimed ahead in a lane: its budget's calls for `seconds`, two calls a job, never fewer than it runs at once. */
export function reopenLookahead(lane: HelpdeskLane, seconds: number): number {
  const callsPerSecond = (lane.budget.requests * 1000) / lane.budget.intervalMs;
  return Math.min(500, Math.max(queuePacing(lane.budget).concurrency, Math.ceil((callsPerSecond * seconds) / 2)));
}
