import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import PQueue from "p-queue";
import type { Logger, ProbotOctokit } from "probot";
import { PROVIDERS } from "../domain/link.js";
import { renderReopenSummary, summaryMarker } from "../domain/reopen-summary.js";
import { customerHash } from "../domain/customer-hash.js";
import { HelpdeskError, rateLimitState } from "../providers/helpdesk-http.js";
import { providers } from "../providers/registry.js";
import type { Engine } from "../store/database-url.js";
import type { Prisma } from "../store/database.js";
import { claimEnrichJobs, dropUnlinkedJob, recordEnrichment, type ClaimedEnrichJob } from "../store/enrich-jobs.js";
import { killLeased, releaseLeased, renewLeased, retryLeasedLater, type JobTable } from "../store/leased-jobs.js";
import type { IssueRef } from "../domain/refs.js";
import { githubStatus } from "../github/errors.js";
import {
  claimDueSummaries,
  claimJobs,
  completeJob,
  killUnrunnableJobs,
  markSummaryDue,
  recordNoteDone,
  recordSummaryFailed,
  recordSummaryWritten,
  renewSummaryLeases,
  type ClaimedJob,
  type DueSummary,
} from "../store/reopen-jobs.js";
import { backoffDelay } from "./backoff.js";
import { PollLoop } from "./poll-loop.js";
import { errorSummary } from "./error-summary.js";
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
  /** reads linked conversations' details for the labels (enrichment jobs); without it those jobs wait */
  enrichment?: Enrichment;
}

/** What enrichment needs beyond the helpdesk: the key customer ids are hashed with, and how labels are applied. */
export interface Enrichment {
  /** HMAC key for customer ids (the server uses WEBHOOK_SECRET): ids are stored only as keyed hashes */
  customerKey: string;
  /** applies the labels of issues whose linked conversations' team, tags or customer changed */
  applyLabels(issues: IssueRef[]): Promise<void>;
}

/** An installation's Octokit, for the summary comment (the server passes Probot's `app.auth`). */
export type InstallationOctokit = (installationId: number) => Promise<ProbotOctokit>;

/** One kind of job a lane runs: the jobs claimed by this worker and not yet settled, and how many it claims ahead. */
interface Slots {
  held: Set<number>;
  lookahead: number;
  /** the last claim filled the lookahead: more may be waiting */
  saturated: boolean;
}

interface Lane {
  lane: ReopenLane;
  queue: PQueue;
  /** per table; enrichment jobs queue behind reopen calls, so fewer are claimed ahead */
  slots: Record<JobTable, Slots>;
  pausedUntil: number;
  resumeTimer: NodeJS.Timeout | undefined;
}

const DEFAULT_RATE_LIMIT_PAUSE_MS = 5_000;
const LONGEST_PAUSE_MS = 5 * 60_000;

/**
 * Runs reopen jobs (SPEC §7): claims them under a lease, runs each call through its provider's p-queue (sized to the
 * provider's rate budget, paused by Retry-After and exhausted rate-limit headers), records each step, backs off on
 * retryable failures, dead-letters permanent ones, and writes the summary comment when a close's jobs have settled.
 * See docs/reopen.md. With `enrichment`, the same lanes also run the reads labels need (enrichment jobs, below every
 * reopen call in each queue, so the provider's budget is shared): docs/labels.md.
 */
export class ReopenWorker {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #options: Required<Omit<ReopenWorkerOptions, "enrichment">>;
  readonly #enrichment: Enrichment | undefined;
  readonly #lanes = new Map<string, Lane>();
  readonly #summaries = new PQueue({ concurrency: 2 });
  readonly #writingSummaries = new Set<number>();
  readonly #runs = new Set<Promise<void>>();
  /** claimed jobs never started, handed back at stop */
  readonly #released: Record<JobTable, number[]> = { ReopenJob: [], EnrichJob: [] };
  #abort = new AbortController();
  #running = false;
  readonly #loop: PollLoop;
  #heartbeat: NodeJS.Timeout | undefined;

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
    this.#enrichment = options.enrichment;
    this.#loop = new PollLoop(() => this.#tick(), this.#options.idlePollMs, (error) => this.log.error({ err: error }, "reopen: cannot claim jobs; retrying"));
    for (const lane of lanes) {
      const pacing = queuePacing(lane.budget);
      const callsPerSecond = (lane.budget.requests * 1000) / lane.budget.intervalMs;
      // Two calls a job; never fewer jobs than can be in flight at once.
      const lookahead = Math.min(500, Math.max(pacing.concurrency, Math.ceil((callsPerSecond * this.#options.lookaheadSeconds) / 2)));
      this.#lanes.set(lane.provider, {
        lane,
        queue: new PQueue({ ...pacing, strict: true }),
        slots: {
          ReopenJob: { held: new Set(), lookahead, saturated: false },
          EnrichJob: { held: new Set(), lookahead: Math.max(1, Math.ceil(lookahead / 2)), saturated: false },
        },
        pausedUntil: 0,
        resumeTimer: undefined,
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
    this.#loop.start();
  }

  /** Jobs were enqueued or retried: look now instead of at the next poll. */
  wake(): void {
    this.#loop.wake();
  }

  /**
   * Stops claiming, lets the calls in flight finish, and hands the jobs it holds but has not started back at once (a
   * replica, or the next start, takes them without waiting for the lease to run out).
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await this.#loop.stop();
    this.#abort.abort();
    // Helpdesk calls time out on their own; a GitHub call may not. Past the bound, the leases expire instead.
    const drained = Promise.allSettled([...this.#runs]).then(() => this.#summaries.onIdle());
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((resolve) => (bound = setTimeout(resolve, this.#options.stopTimeoutMs)))]);
    clearTimeout(bound);
    clearInterval(this.#heartbeat);
    for (const state of this.#lanes.values()) clearTimeout(state.resumeTimer);
    try {
      for (const table of JOB_TABLES) await releaseLeased(this.prisma, table, this.owner, this.#released[table].splice(0));
    } catch (error) {
      this.log.warn({ err: error }, "reopen: could not hand back unstarted jobs; their leases will expire");
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
      const claim = { provider: state.lane.provider, leaseMs: this.#options.leaseMs, owner: this.owner };
      await this.#fill(state, state.slots.ReopenJob, (limit) => claimJobs(this.prisma, this.engine, { ...claim, limit }), (job) => this.#runJob(state, job));
      if (!this.#enrichment || !this.#running) continue;
      await this.#fill(state, state.slots.EnrichJob, (limit) => claimEnrichJobs(this.prisma, this.engine, { ...claim, limit }), (job) => this.#runEnrichment(state, job));
    }
    const due = await claimDueSummaries(this.prisma, this.engine, 10, this.#options.leaseMs);
    for (const summary of due) {
      if (this.#writingSummaries.has(summary.closeId)) continue;
      this.#writingSummaries.add(summary.closeId);
      void this.#summaries.add(() => this.#writeSummary(summary).finally(() => this.#writingSummaries.delete(summary.closeId)));
    }
    return due.length === 10;
  }

  /**
   * Claims what fits in the slots, once at least half are free and the provider is not paused, and starts each job.
   * A job settling wakes the loop when the last claim was full (more may be waiting).
   */
  async #fill<Job extends { id: number }>(state: Lane, slots: Slots, claim: (limit: number) => Promise<Job[]>, run: (job: Job) => Promise<void>): Promise<void> {
    const room = slots.lookahead - slots.held.size;
    if (state.pausedUntil > Date.now() || room < Math.ceil(slots.lookahead / 2)) return;
    const jobs = await claim(room);
    slots.saturated = jobs.length === room;
    for (const job of jobs) {
      // Ours already (a lease renewal failed and we claimed it back): it is running here.
      if (slots.held.has(job.id)) continue;
      slots.held.add(job.id);
      const running = run(job).finally(() => {
        this.#runs.delete(running);
        slots.held.delete(job.id);
        if (slots.saturated && slots.held.size <= slots.lookahead / 2) this.wake();
      });
      this.#runs.add(running);
    }
  }

  /**
   * Reads the conversation's team, tags, customer and creation time (a read: made in a dry run too), stores them on
   * every link to it, then applies the labels of the issues whose team, tags or customer changed. If that fails, the
   * issues stay marked and the next sweep applies them; the job is done either way.
   */
  async #runEnrichment(state: Lane, job: ClaimedEnrichJob): Promise<void> {
    const { lane } = state;
    const enrichment = this.#enrichment!;
    const ref = { account: job.account, conversationId: job.conversationId };
    try {
      // Its links went (edited out, or purged) while it waited: nothing needs its details.
      if (await dropUnlinkedJob(this.prisma, job, this.owner)) return;
      const details = await this.#send(state, -1, () => lane.client.readConversation(ref));
      const issues = await recordEnrichment(this.prisma, job, this.owner, {
        team: details.team,
        tags: details.tags,
        customerHash: customerHash(enrichment.customerKey, job.provider, job.account, details.customerId),
        conversationCreatedAt: details.createdAt,
      });
      if (issues === null) return this.#lostLease("EnrichJob", job.id);
      this.log.debug({ job: job.id, provider: lane.provider, conversationId: job.conversationId }, `enrichment: read ${lane.name} conversation ${job.conversationId}; ${issues.length} issue(s) to relabel`);
      if (issues.length === 0) return;
      await enrichment.applyLabels(issues).catch((error: unknown) =>
        this.log.warn({ err: error }, `enrichment: could not apply the labels after reading ${lane.name} conversation ${job.conversationId}; the next sweep applies them: ${errorSummary(error)}`),
      );
    } catch (error) {
      await this.#failed("EnrichJob", job, lane, error);
    }
  }

  async #runJob(state: Lane, job: ClaimedJob): Promise<void> {
    const { lane } = state;
    const ref = { account: job.account, conversationId: job.conversationId };
    const what = `${lane.name} conversation ${job.conversationId}`;
    try {
      if (!job.noteDone) {
        await this.#call(state, 0, `add a note to ${what}: ${JSON.stringify(job.note)}`, () => lane.client.addNote(ref, job.note));
        if (!(await recordNoteDone(this.prisma, job.id, this.owner, this.#options.leaseMs))) return this.#lostLease("ReopenJob", job.id);
      }
      await this.#call(state, 1, `reopen ${what}`, () => lane.client.reopen(ref));
      if (!(await completeJob(this.prisma, job.id, this.owner))) return this.#lostLease("ReopenJob", job.id);
      this.log.info({ job: job.id, provider: lane.provider, conversationId: job.conversationId }, `reopen: ${this.#options.dryRun ? "[dry-run] " : ""}reopened ${what} with a note (job ${job.id})`);
      await this.#settled(job.closeId);
    } catch (error) {
      await this.#failed("ReopenJob", job, lane, error, () => this.#settled(job.closeId));
    }
  }

  /** A helpdesk write; a dry run logs it instead of sending it. */
  async #call(state: Lane, priority: number, description: string, send: () => Promise<void>): Promise<void> {
    if (this.#options.dryRun) {
      this.log.info(`[dry-run] Would ${description}`);
      return;
    }
    await this.#send(state, priority, send);
  }

  /**
   * One helpdesk call through the provider's queue (higher priority first: reopen 1, note 0, reads -1), reading its
   * rate-limit signals after. stop() aborts the calls still waiting in the queue (their jobs are handed back); a call
   * already sent is seen through, since the helpdesk may have done it (p-queue would reject it at the abort, and the
   * job, handed back as not started, would post its note twice).
   */
  async #send<T>(state: Lane, priority: number, send: () => Promise<T>): Promise<T> {
    let sent: Promise<T> | undefined;
    const call = async () => {
      const startedAt = Date.now();
      try {
        return await send();
      } catch (error) {
        if (error instanceof HelpdeskError && error.status === 429) this.#pause(state, error.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS);
        throw error;
      } finally {
        this.#heedRateLimitHeaders(state, startedAt);
      }
    };
    try {
      return await state.queue.add(() => (sent = call()), { priority, signal: this.#abort.signal });
    } catch (error) {
      if (sent !== undefined && isAbort(error)) return sent;
      throw error;
    }
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

  /**
   * A job's run threw. Its call was aborted by stop(): it is handed back unstarted. Otherwise the failure is recorded
   * (#recordFailure); if even that fails, the lease expires and the job runs again.
   */
  async #failed(table: JobTable, job: FailedJob, lane: ReopenLane, error: unknown, onDead?: () => Promise<void>): Promise<void> {
    if (this.#abort.signal.aborted && isAbort(error)) {
      this.#released[table].push(job.id);
      return;
    }
    await this.#recordFailure(table, job, lane, error, onDead).catch((failure: unknown) =>
      this.log.error({ err: failure, job: job.id }, `${JOB_NAMES[table]}: could not record the failure of job ${job.id}; its lease will expire and it runs again`),
    );
  }

  /**
   * A failed job: retried with backoff while the error is retryable and attempts remain, else dead with the reason
   * (`onDead` then runs). Errors outside the helpdesk path (a database hiccup) are retried: they say nothing about the
   * conversation.
   */
  async #recordFailure(table: JobTable, job: FailedJob, lane: ReopenLane, error: unknown, onDead?: () => Promise<void>): Promise<void> {
    const known = error instanceof HelpdeskError ? error : undefined;
    const reason = known?.reason ?? `unexpected error: ${errorSummary(error)}`;
    const retryable = known?.retryable ?? true;
    const failure = { error: reason, status: known?.status };
    const context = { job: job.id, provider: lane.provider, conversationId: job.conversationId, status: known?.status, attempts: job.attempts };
    const what = `${JOB_NAMES[table]}: job ${job.id} (${lane.name} conversation ${job.conversationId})`;
    if (retryable && job.attempts < this.#options.maxAttempts) {
      const delay = Math.max(known?.retryAfterMs ?? 0, backoffDelay(job.attempts, this.#options.backoffBaseMs, this.#options.backoffMaxMs));
      if (await retryLeasedLater(this.prisma, table, job.id, this.owner, failure, new Date(Date.now() + delay))) {
        this.log.warn(context, `${what} failed, retry in ${Math.ceil(delay / 1000)}s: ${reason}`);
      } else this.#lostLease(table, job.id);
      return;
    }
    if (await killLeased(this.prisma, table, job.id, this.owner, failure)) {
      const why = retryable ? `failed ${job.attempts} times` : "cannot be done";
      this.log.error(context, `${what} ${why}; dead: ${reason}`);
      await onDead?.();
    } else this.#lostLease(table, job.id);
  }

  async #settled(closeId: number): Promise<void> {
    await markSummaryDue(this.prisma, [closeId]);
    this.wake();
  }

  #lostLease(table: JobTable, id: number): void {
    this.log.warn({ job: id }, `${JOB_NAMES[table]}: lost the lease on job ${id} (its lease ran out); another worker runs it`);
  }

  async #renewLeases(): Promise<void> {
    const lanes = [...this.#lanes.values()];
    try {
      for (const table of JOB_TABLES) {
        const lost = await renewLeased(this.prisma, table, this.owner, lanes.flatMap((state) => [...state.slots[table].held]), this.#options.leaseMs);
        if (lost.length > 0) this.log.warn({ jobs: lost }, `${JOB_NAMES[table]}: ${lost.length} job lease(s) ran out before renewal; other workers may run them`);
      }
      await renewSummaryLeases(this.prisma, [...this.#writingSummaries], this.#options.leaseMs);
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
          if (githubStatus(error) !== 404) throw error;
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
      const reason = errorSummary(error);
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

const JOB_NAMES: Record<JobTable, string> = { ReopenJob: "reopen", EnrichJob: "enrichment" };
const JOB_TABLES = Object.keys(JOB_NAMES) as JobTable[];

/** What recording a failure needs of a reopen or enrichment job. */
type FailedJob = { id: number; attempts: number; conversationId: string };

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

