import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import PQueue from "p-queue";
import type { Logger, ProbotOctokit } from "probot";
import { PROVIDERS } from "../domain/link.js";
import { renderReopenSummary, summaryMarker } from "../domain/reopen-summary.js";
import { HelpdeskError, rateLimitState } from "../providers/helpdesk-http.js";
import { providers } from "../providers/registry.js";
import type { Engine } from "../store/database-url.js";
import type { Prisma } from "../store/database.js";
import {
  claimDueSummaries,
  claimJobs,
  completeJob,
  killJob,
  killUnrunnableJobs,
  markSummaryDue,
  recordNoteDone,
  recordSummaryFailed,
  recordSummaryWritten,
  releaseJobs,
  renewLeases,
  renewSummaryLeases,
  retryJobLater,
  type ClaimedJob,
  type DueSummary,
} from "../store/reopen-jobs.js";
import { backoffDelay } from "./backoff.js";
import { queuePacing, type ReopenLane } from "./reopen-lanes.js";

export interface ReopenWorkerOptions {
  /** how long a claimed job is held before another worker may take it over; renewed while held */
  leaseMs?: number;
  idlePollMs?: number;
  /** claims of a job before a retryable failure dead-letters it */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** jobs claimed ahead per provider, in seconds of its budget */
  lookaheadSeconds?: number;
  /** CLOSELOOP_DRY_RUN: log each note, reopen and comment instead of sending it */
  dryRun?: boolean;
  /** attempts at writing a summary comment before giving up on it */
  maxSummaryAttempts?: number;
  /** how long `stop` waits for calls in flight */
  stopTimeoutMs?: number;
}

/** An installation's Octokit, for the summary comment (the server passes Probot's `app.auth`). */
export type InstallationOctokit = (installationId: number) => Promise<ProbotOctokit>;

interface Lane {
  lane: ReopenLane;
  queue: PQueue;
  /** jobs claimed by this worker and not yet settled */
  held: Set<number>;
  lookahead: number;
  pausedUntil: number;
  resumeTimer: NodeJS.Timeout | undefined;
  /** the last claim filled the lookahead: more may be waiting */
  saturated: boolean;
}

const DEFAULT_RATE_LIMIT_PAUSE_MS = 5_000;
const LONGEST_PAUSE_MS = 5 * 60_000;

/**
 * Runs reopen jobs (SPEC §7): claims them under a lease, runs each call through its provider's p-queue (sized to the
 * provider's rate budget, paused by Retry-After and exhausted rate-limit headers), records each step, backs off on
 * retryable failures, dead-letters permanent ones, and writes the summary comment when a close's jobs have settled.
 * See docs/reopen.md.
 */
export class ReopenWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #options: Required<ReopenWorkerOptions>;
  readonly #lanes = new Map<string, Lane>();
  readonly #summaries = new PQueue({ concurrency: 2 });
  readonly #writingSummaries = new Set<number>();
  readonly #runs = new Set<Promise<void>>();
  readonly #released: number[] = [];
  #abort = new AbortController();
  #running = false;
  #loop: Promise<void> | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #pendingWake = false;

  constructor(
    private readonly prisma: Prisma,
    private readonly engine: Engine,
    lanes: readonly ReopenLane[],
    private readonly github: InstallationOctokit,
    private readonly log: Logger,
    options: ReopenWorkerOptions = {},
  ) {
    this.#options = {
      leaseMs: options.leaseMs ?? 30_000,
      idlePollMs: options.idlePollMs ?? 1_000,
      maxAttempts: options.maxAttempts ?? 15,
      backoffBaseMs: options.backoffBaseMs ?? 2_000,
      backoffMaxMs: options.backoffMaxMs ?? 15 * 60_000,
      lookaheadSeconds: options.lookaheadSeconds ?? 2,
      dryRun: options.dryRun ?? false,
      maxSummaryAttempts: options.maxSummaryAttempts ?? 8,
      stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
    };
    for (const lane of lanes) {
      const pacing = queuePacing(lane.budget);
      const callsPerSecond = (lane.budget.requests * 1000) / lane.budget.intervalMs;
      this.#lanes.set(lane.provider, {
        lane,
        queue: new PQueue({ ...pacing, strict: true }),
        held: new Set(),
        // Two calls a job; never fewer jobs than can be in flight at once.
        lookahead: Math.min(500, Math.max(pacing.concurrency, Math.ceil((callsPerSecond * this.#options.lookaheadSeconds) / 2))),
        pausedUntil: 0,
        resumeTimer: undefined,
        saturated: false,
      });
    }
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    // Every queued call listens on this one signal.
    setMaxListeners(0, this.#abort.signal);
    this.#heartbeat = setInterval(() => void this.#renewLeases(), Math.max(100, Math.floor(this.#options.leaseMs / 3)));
    this.#loop = this.#run();
  }

  /** Jobs were enqueued or retried: look now instead of at the next poll. */
  wake(): void {
    this.#pendingWake = true;
    this.#wake?.();
  }

  /**
   * Stops claiming, lets the calls in flight finish, and hands the jobs it holds but has not started back at once (a
   * replica, or the next start, takes them without waiting for the lease to run out).
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#abort.abort();
    // Helpdesk calls time out on their own; a GitHub call may not. Past the bound, the leases expire instead.
    const drained = Promise.allSettled([...this.#runs]).then(() => this.#summaries.onIdle());
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (bound = setTimeout(resolve, this.#options.stopTimeoutMs)))]);
    clearTimeout(bound);
    clearInterval(this.#heartbeat);
    for (const state of this.#lanes.values()) clearTimeout(state.resumeTimer);
    try {
      await releaseJobs(this.prisma, this.owner, this.#released.splice(0));
    } catch (error) {
      this.log.warn({ err: error }, "reopen: could not hand back unstarted jobs; their leases will expire");
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let more = false;
      try {
        this.#pendingWake = false;
        more = await this.#tick();
      } catch (error) {
        this.log.error({ err: error }, "reopen: cannot claim jobs; retrying");
      }
      if (!this.#running || this.#pendingWake || more) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.idlePollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** One round: dead-letter what cannot run here, claim for each provider, start due summaries. */
  async #tick(): Promise<boolean> {
    for (const provider of PROVIDERS) {
      if (this.#lanes.has(provider)) continue;
      const name = providers.get(provider)?.name ?? provider;
      const closes = await killUnrunnableJobs(this.prisma, provider, `${name}: provider not configured`);
      if (closes.length > 0) {
        this.log.error({ provider, closes }, `reopen: ${name} is not configured; its jobs are dead ("provider not configured"). Set its credentials, then \`closeloop retry --dead\``);
        await markSummaryDue(this.prisma, closes);
      }
    }
    for (const state of this.#lanes.values()) {
      if (!this.#running) break;
      const room = state.lookahead - state.held.size;
      if (state.pausedUntil > Date.now() || room < Math.ceil(state.lookahead / 2)) continue;
      const jobs = await claimJobs(this.prisma, this.engine, { provider: state.lane.provider, limit: room, leaseMs: this.#options.leaseMs, owner: this.owner });
      state.saturated = jobs.length === room;
      for (const job of jobs) {
        // Ours already (a lease renewal failed and we claimed it back): it is running here.
        if (state.held.has(job.id)) continue;
        state.held.add(job.id);
        const run = this.#runJob(state, job).finally(() => {
          this.#runs.delete(run);
          state.held.delete(job.id);
          if (state.saturated && state.held.size <= state.lookahead / 2) this.wake();
        });
        this.#runs.add(run);
      }
    }
    const due = await claimDueSummaries(this.prisma, this.engine, 10, this.#options.leaseMs);
    for (const summary of due) {
      if (this.#writingSummaries.has(summary.closeId)) continue;
      this.#writingSummaries.add(summary.closeId);
      void this.#summaries.add(() => this.#writeSummary(summary).finally(() => this.#writingSummaries.delete(summary.closeId)));
    }
    return due.length === 10;
  }

  async #runJob(state: Lane, job: ClaimedJob): Promise<void> {
    const { lane } = state;
    const ref = { account: job.account, conversationId: job.conversationId };
    const what = `${lane.name} conversation ${job.conversationId}`;
    try {
      if (!job.noteDone) {
        await this.#call(state, 0, `add a note to ${what}: ${JSON.stringify(job.note)}`, () => lane.client.addNote(ref, job.note));
        if (!(await recordNoteDone(this.prisma, job.id, this.owner, this.#options.leaseMs))) return this.#lostLease(job);
      }
      await this.#call(state, 1, `reopen ${what}`, () => lane.client.reopen(ref));
      if (!(await completeJob(this.prisma, job.id, this.owner))) return this.#lostLease(job);
      this.log.info({ job: job.id, provider: lane.provider, conversationId: job.conversationId }, `reopen: ${this.#options.dryRun ? "[dry-run] " : ""}reopened ${what} with a note (job ${job.id})`);
      await this.#settled(job.closeId);
    } catch (error) {
      if (this.#abort.signal.aborted && isAbort(error)) {
        this.#released.push(job.id);
        return;
      }
      await this.#fail(job, lane, error).catch((failure: unknown) =>
        this.log.error({ err: failure, job: job.id }, `reopen: could not record the failure of job ${job.id}; its lease will expire and it runs again`),
      );
    }
  }

  /** One helpdesk call, through the provider's queue, reading its rate-limit signals after. */
  async #call(state: Lane, priority: number, description: string, send: () => Promise<void>): Promise<void> {
    if (this.#options.dryRun) {
      this.log.info(`[dry-run] Would ${description}`);
      return;
    }
    await state.queue.add(
      async () => {
        const startedAt = Date.now();
        try {
          await send();
        } catch (error) {
          if (error instanceof HelpdeskError && error.status === 429) this.#pause(state, error.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS);
          throw error;
        } finally {
          this.#heedRateLimitHeaders(state, startedAt);
        }
      },
      { priority, signal: this.#abort.signal },
    );
  }

  /** The provider said nothing is left in this window: wait for its reset rather than collect 429s. */
  #heedRateLimitHeaders(state: Lane, since: number): void {
    const signals = rateLimitState(state.lane.provider);
    if (signals === undefined || signals.observedAt.getTime() < since) return;
    if (signals.remaining === 0 && signals.resetAt !== undefined) {
      const wait = signals.resetAt.getTime() - Date.now();
      if (wait > 0) this.#pause(state, wait);
    }
  }

  #pause(state: Lane, ms: number): void {
    const until = Date.now() + Math.min(ms, LONGEST_PAUSE_MS);
    if (until <= state.pausedUntil) return;
    state.pausedUntil = until;
    state.queue.pause();
    clearTimeout(state.resumeTimer);
    this.log.warn({ provider: state.lane.provider }, `reopen: ${state.lane.name} rate limit reached; pausing its calls for ${Math.ceil((until - Date.now()) / 1000)}s`);
    state.resumeTimer = setTimeout(() => {
      state.pausedUntil = 0;
      state.queue.start();
      this.wake();
    }, until - Date.now());
  }

  async #fail(job: ClaimedJob, lane: ReopenLane, error: unknown): Promise<void> {
    const known = error instanceof HelpdeskError ? error : undefined;
    const reason = known?.reason ?? `unexpected error: ${describe(error)}`;
    // Errors outside the helpdesk path (a database hiccup) are retried: they say nothing about the conversation.
    const retryable = known?.retryable ?? true;
    const failure = { error: reason, status: known?.status };
    const context = { job: job.id, provider: lane.provider, conversationId: job.conversationId, status: known?.status, attempts: job.attempts };
    if (retryable && job.attempts < this.#options.maxAttempts) {
      const delay = Math.max(known?.retryAfterMs ?? 0, backoffDelay(job.attempts, this.#options.backoffBaseMs, this.#options.backoffMaxMs));
      if (await retryJobLater(this.prisma, job.id, this.owner, failure, new Date(Date.now() + delay))) {
        this.log.warn(context, `reopen: job ${job.id} (${lane.name} conversation ${job.conversationId}) failed, retry in ${Math.ceil(delay / 1000)}s: ${reason}`);
      } else this.#lostLease(job);
      return;
    }
    if (await killJob(this.prisma, job.id, this.owner, failure)) {
      const why = retryable ? `failed ${job.attempts} times` : "cannot be done";
      this.log.error(context, `reopen: job ${job.id} (${lane.name} conversation ${job.conversationId}) ${why}; dead: ${reason}`);
      await this.#settled(job.closeId);
    } else this.#lostLease(job);
  }

  async #settled(closeId: number): Promise<void> {
    await markSummaryDue(this.prisma, [closeId]);
    this.wake();
  }

  #lostLease(job: ClaimedJob): void {
    this.log.warn({ job: job.id }, `reopen: lost the lease on job ${job.id} (its lease ran out); another worker runs it`);
  }

  async #renewLeases(): Promise<void> {
    const ids = [...this.#lanes.values()].flatMap((state) => [...state.held]);
    try {
      const lost = await renewLeases(this.prisma, this.owner, ids, this.#options.leaseMs);
      await renewSummaryLeases(this.prisma, [...this.#writingSummaries], this.#options.leaseMs);
      if (lost.length > 0) this.log.warn({ jobs: lost }, `reopen: ${lost.length} job lease(s) ran out before renewal; other workers may run them`);
    } catch (error) {
      this.log.warn({ err: error }, "reopen: could not renew job leases");
    }
  }

  async #writeSummary(summary: DueSummary): Promise<void> {
    const where = `${summary.owner}/${summary.repo}#${summary.number}`;
    const names = Object.fromEntries([...providers.values()].map((definition) => [definition.id, definition.name]));
    const body = renderReopenSummary({ closeId: summary.closeId, reason: summary.reason, jobs: summary.jobs, names });
    try {
      if (body === summary.body) {
        await recordSummaryWritten(this.prisma, summary, { commentId: summary.commentId, body });
        return;
      }
      if (this.#options.dryRun) {
        this.log.info(`[dry-run] Would ${summary.commentId === null ? "comment on" : "edit the summary comment on"} ${where}:\n${body}`);
        await recordSummaryWritten(this.prisma, summary, { commentId: summary.commentId, body });
        return;
      }
      const octokit = await this.github(Number(summary.installationId));
      const issue = { owner: summary.owner, repo: summary.repo };
      let commentId = summary.commentId;
      // A previous attempt may have posted and died before recording it: find that comment rather than post twice.
      if (commentId === null && summary.attempts > 1) commentId = await findSummaryComment(octokit, { ...issue, issue_number: summary.number }, summary.closeId);
      if (commentId !== null) {
        try {
          await octokit.rest.issues.updateComment({ ...issue, comment_id: Number(commentId), body });
        } catch (error) {
          // Someone deleted the summary: write a new one.
          if ((error as { status?: number }).status !== 404) throw error;
          commentId = null;
        }
      }
      if (commentId === null) {
        const { data } = await octokit.rest.issues.createComment({ ...issue, issue_number: summary.number, body });
        commentId = BigInt(data.id);
      }
      await recordSummaryWritten(this.prisma, summary, { commentId, body });
      this.log.info({ close: summary.closeId }, `reopen: ${summary.commentId === null ? "posted" : "updated"} the summary comment on ${where}`);
    } catch (error) {
      const reason = describe(error);
      const giveUp = summary.attempts >= this.#options.maxSummaryAttempts;
      const retryAt = giveUp ? null : new Date(Date.now() + backoffDelay(summary.attempts, 5_000, 10 * 60_000));
      this.log.error({ err: error, close: summary.closeId }, `reopen: could not write the summary comment on ${where}${giveUp ? "; giving up" : "; will retry"}: ${reason}`);
      await recordSummaryFailed(this.prisma, summary.closeId, reason, retryAt).catch(() => undefined);
    }
  }
}

async function findSummaryComment(octokit: ProbotOctokit, issue: { owner: string; repo: string; issue_number: number }, closeId: number): Promise<bigint | null> {
  const marker = summaryMarker(closeId);
  const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...issue, per_page: 100 });
  const found = comments.find((comment) => comment.body?.startsWith(marker));
  return found === undefined ? null : BigInt(found.id);
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n").filter(Boolean).at(-1) ?? "unknown error";
}
