import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import { nextCheck, readsDue, reminderNote } from "../domain/answers.js";
import type { ProviderId } from "../domain/link.js";
import { observeAnswers } from "../metrics.js";
import { HelpdeskError } from "../providers/helpdesk-http.js";
import {
  readClaimedWatches,
  readsDone,
  recordActivity,
  reminderRefused,
  markReminding,
  watchNext,
  type ClaimedWatch,
} from "../store/answers.js";
import type { Prisma } from "../store/database.js";
import { ANSWER_WATCHES } from "../store/helpdesk-jobs.js";
import type { HelpdeskJobKind } from "./helpdesk-jobs.js";
import { laggingLookahead } from "./reopen-job.js";

export interface AnswerOptions {
  settings: QueueSettings;
  lookaheadSeconds: number;
  dryRun: boolean;
  /** helpdesks whose webhooks closeloop receives: their answers come by webhook, so they are not read */
  webhooks: ReadonlySet<ProviderId>;
  /** the issue's GitHub URL, for the reminder */
  issueUrl: (owner: string, repo: string, number: number) => string;
}

/**
 * Watching a reopened conversation for its answer (docs/answers.md): where the helpdesk's webhooks are not set up, a
 * read about 1 h, 24 h and 72 h after the reopen, as a `read` call in its lane (below reopens and notes, within the
 * budget the lane paces); and, with `reopen.remind_after`, one internal note when no agent has answered by then.
 */
export function answerJobs(prisma: Prisma, log: Logger, options: AnswerOptions): HelpdeskJobKind<ClaimedWatch> {
  return {
    name: "answer",
    table: ANSWER_WATCHES,
    settings: options.settings,
    lookahead: (lanes, lane) => laggingLookahead(lanes.callsPerSecond(lane.provider, "read"), options.lookaheadSeconds),
    read: (ids, owner) => readClaimedWatches(prisma, ids, owner, options.issueUrl),
    async run(watch, { lane, leases, send }) {
      const now = new Date();
      const state = { ...watch };
      const ref = { account: watch.account, conversationId: watch.conversationId };
      const what = `${lane.name} conversation ${watch.conversationId}`;
      const fields = { watch: watch.id, provider: lane.provider, conversationId: watch.conversationId };
      const reads = !options.webhooks.has(lane.provider as ProviderId) && lane.client.readAnswer !== undefined;

      const due = readsDue(watch.reopenedAt, now);
      if (state.outcome === null && due > watch.reads) {
        if (reads) {
          const activity = await send("read", () => lane.client.readAnswer!(ref, watch.reopenedAt));
          const conversation = { provider: watch.provider, ...ref };
          const recorded = await recordActivity(prisma, conversation, activity, "read", now, watch.id);
          observeAnswers(recorded);
          const outcome = recorded[0]?.outcome;
          if (outcome !== undefined) {
            state.outcome = outcome;
            log.info(fields, `answer: ${what} was ${outcome === "answered" ? "answered" : "closed without an answer"}`);
          }
        }
        // Reads a process missed while down are not made up one by one: one read covers them.
        if (!(await leases.progress(watch.id, readsDone(due)))) return;
        state.reads = due;
      }

      if (state.outcome === null && state.remindAt !== null && state.remindAt <= now && state.remindedAt === null) {
        const note = reminderNote(watch.issueUrl, now.getTime() - watch.closedAt.getTime());
        if (await remind(watch, note, { lane, leases, send }, what)) state.remindedAt = now;
      }
      await leases.settle(watch.id, watchNext(nextCheck(state, { reads }), new Date()));
    },
  };

  /**
   * The reminder, at most once: `remindedAt` is written (fenced by the lease, and only while no answer is recorded)
   * when the call's turn comes, before it is sent. A crash, a timeout or a 5xx after that leaves it reminded: the
   * helpdesk may have taken it, and a second reminder is worse than none. Only an answer saying the helpdesk did
   * not take it (a 4xx) clears the mark; the failure then goes to the retry policy (a 429 is retried).
   */
  async function remind(
    watch: ClaimedWatch,
    note: string,
    { lane, leases, send }: Parameters<HelpdeskJobKind<ClaimedWatch>["run"]>[1],
    what: string,
  ): Promise<boolean> {
    const ref = { account: watch.account, conversationId: watch.conversationId };
    const fields = { watch: watch.id, provider: lane.provider, conversationId: watch.conversationId };
    const mark = () => markReminding(prisma, leases.owner, watch.id);
    if (options.dryRun) {
      log.info(fields, `[dry-run] Would add a note to ${what}: ${JSON.stringify(note)}`);
      return mark();
    }
    let marked = false;
    try {
      await send("reminder", async () => {
        marked = await mark();
        if (marked) await lane.client.addNote(ref, note);
      });
    } catch (error) {
      if (!marked) throw error;
      const status = error instanceof HelpdeskError ? error.status : undefined;
      if (status !== undefined && status >= 400 && status < 500) {
        await reminderRefused(prisma, watch.id);
        throw error;
      }
      log.warn(
        { ...fields, err: error },
        `answer: the reminder on ${what} may not have reached it (no answer to the call); it is not sent again`,
      );
      return true;
    }
    if (marked) log.info(fields, `answer: reminded the agents on ${what}: nobody has answered since the reopen`);
    return marked;
  }
}
