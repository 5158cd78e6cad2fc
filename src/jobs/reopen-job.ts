import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import type { Prisma } from "../store/database.js";
import { REOPEN_JOBS } from "../store/helpdesk-jobs.js";
import { jobDone, noteDone, readClaimedJobs, type ClaimedJob } from "../store/reopen-jobs.js";
import type { HelpdeskJobKind, JobContext } from "./helpdesk-jobs.js";
import { callsInFlight, type CallKind } from "./helpdesk-lanes.js";

/**
 * Reopening one linked conversation (docs/reopen.md, Steps): the close's internal note, then the reopen, each step
 * recorded as it succeeds so a retry or a crash never posts the note twice. A dry run logs both instead.
 */
export function reopenJobs(
  prisma: Prisma,
  log: Logger,
  options: { settings: QueueSettings; lookaheadSeconds: number; dryRun: boolean; settled: (closeId: number) => Promise<void> },
): HelpdeskJobKind<ClaimedJob> {
  const call = async (context: JobContext, kind: CallKind, description: string, send: () => Promise<void>) => {
    if (options.dryRun) return log.info(`[dry-run] Would ${description}`);
    await context.send(kind, send);
  };
  return {
    name: "reopen",
    table: REOPEN_JOBS,
    settings: options.settings,
    lookahead: (lanes, lane) => reopenLookahead(lanes.callsPerSecond(lane.provider, "reopen"), options.lookaheadSeconds),
    read: (ids, owner) => readClaimedJobs(prisma, ids, owner),
    async run(job, context) {
      const { lane, leases } = context;
      const ref = { account: job.account, conversationId: job.conversationId };
      const what = `${lane.name} conversation ${job.conversationId}`;
      if (!job.noteDone) {
        await call(context, "note", `add a note to ${what}: ${JSON.stringify(job.note)}`, () => lane.client.addNote(ref, job.note));
        if (!(await leases.progress(job.id, noteDone()))) return;
      }
      await call(context, "reopen", `reopen ${what}`, () => lane.client.reopen(ref));
      if (!(await leases.settle(job.id, jobDone()))) return;
      log.info({ job: job.id, provider: lane.provider, conversationId: job.conversationId }, `reopen: ${options.dryRun ? "[dry-run] " : ""}reopened ${what} with a note (job ${job.id})`);
      await options.settled(job.closeId);
    },
    onDead: (job) => options.settled(job.closeId),
  };
}

/** Reopen jobs claimed ahead in a lane: its writes for `seconds` at their pace, two calls a job, never fewer than it sends at once. */
export function reopenLookahead(callsPerSecond: number, seconds: number): number {
  return Math.min(500, Math.max(callsInFlight(callsPerSecond), Math.ceil((callsPerSecond * seconds) / 2)));
}
