import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import type { ProviderId } from "../domain/link.js";
import { DEFAULT_TIMEOUT_MS, HelpdeskError } from "../providers/helpdesk-http.js";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import { jobDead, jobRetried, ofProvider } from "../store/helpdesk-jobs.js";
import type { LeasedTable } from "../store/lease.js";
import { errorSummary } from "./error-summary.js";
import type { CallKind, HelpdeskLane, HelpdeskLanes } from "./helpdesk-lanes.js";
import { LeaseHolder } from "./lease-holder.js";
import { decideRetry } from "./retry-policy.js";

/** What the machinery needs of any helpdesk job. */
export interface HelpdeskJob {
  id: number;
  attempts: number;
  conversationId: string;
}

/** The lease on a job ran out before one of its helpdesk calls was sent: the call is not made. */
export class LeaseLost extends Error {
  override name = "LeaseLost";
}

/** A job run's view of its lane and lease: calls to the helpdesk go through `send`, which keeps the fence. */
export interface JobContext {
  lane: HelpdeskLane;
  leases: LeaseHolder<number>;
  /**
   * One call in the lane; refused with LeaseLost unless the job's lease outlasts the call's timeout when its turn
   * comes (a worker starved past its lease must not make a call the new holder makes too).
   */
  send: <T>(kind: CallKind, call: () => Promise<T>) => Promise<T>;
}

/** One kind of job run in the helpdesk lanes: reopen jobs, enrichment reads. */
export interface HelpdeskJobKind<Job extends HelpdeskJob> {
  /** for logs: "reopen", "enrichment" */
  name: string;
  table: LeasedTable;
  settings: QueueSettings;
  /** how many of the lane's jobs to claim ahead, at the rate its calls may go now */
  lookahead(lanes: HelpdeskLanes, lane: HelpdeskLane): number;
  /** the claimed jobs, with what running them needs */
  read(ids: readonly number[], owner: string): Promise<Job[]>;
  /** runs one job to its outcome, settling it through `context.leases`; a throw is its failure */
  run(job: Job, context: JobContext): Promise<void>;
  /** a job became dead (the summary comment of its close is due) */
  onDead?(job: Job): Promise<void>;
}

interface Slots {
  leases: LeaseHolder<number>;
  lookahead: number;
  /** jobs claimed and not yet returned from their run */
  running: Set<number>;
  /** the last claim filled the lookahead: more may be waiting */
  saturated: boolean;
}

/**
 * Claims one kind of helpdesk job per lane under the one lease, runs each (claim → run → settle), and settles its
 * failures by the one retry policy: retried with backoff while retryable and attempts remain, else dead.
 */
export class HelpdeskJobs<Job extends HelpdeskJob> {
  readonly #slots = new Map<ProviderId, Slots>();
  readonly #runs = new Set<Promise<void>>();
  /** jobs whose calls stop() aborted before they were sent, handed back at the end of the stop */
  readonly #unstarted = new Map<ProviderId, number[]>();

  constructor(
    private readonly kind: HelpdeskJobKind<Job>,
    private readonly lanes: HelpdeskLanes,
    prisma: Prisma,
    engine: Engine,
    owner: string,
    private readonly log: Logger,
    /** a job settled with the last claim full: look for more now */
    private readonly wake: () => void,
  ) {
    for (const lane of lanes.lanes) {
      const leases = new LeaseHolder<number>(
        prisma,
        engine,
        kind.table,
        { owner, leaseMs: kind.settings.leaseMs },
        log,
      );
      this.#slots.set(lane.provider, {
        leases,
        lookahead: kind.lookahead(lanes, lane),
        running: new Set(),
        saturated: false,
      });
    }
  }

  /** Claims what fits for each lane, once at least half its slots are free and it is not paused, and starts each job. */
  async fill(running: () => boolean): Promise<void> {
    for (const lane of this.lanes.lanes) {
      if (!running()) return;
      const slots = this.#slots.get(lane.provider)!;
      // The pace follows what the helpdesk announces, and the lookahead with it.
      slots.lookahead = this.kind.lookahead(this.lanes, lane);
      const room = slots.lookahead - slots.running.size;
      if (this.lanes.paused(lane.provider) || room < Math.ceil(slots.lookahead / 2)) continue;
      const claimed = await slots.leases.claim(room, { where: ofProvider(lane.provider) });
      slots.saturated = claimed.length === room;
      const jobs = await this.kind.read(
        claimed.map((row) => row.key),
        slots.leases.owner,
      );
      for (const job of jobs) this.#start(lane, slots, job);
    }
  }

  /** Renews the leases of every job claimed and not settled, including those waiting for their turn in a lane. */
  async renew(): Promise<void> {
    for (const slots of this.#slots.values()) await slots.leases.renew();
  }

  /** Settles when every job run started has returned. */
  async inFlight(): Promise<void> {
    await Promise.allSettled([...this.#runs]);
  }

  /** Hands back the jobs whose calls stop() aborted before they were sent. */
  async release(): Promise<void> {
    for (const [provider, ids] of this.#unstarted) await this.#slots.get(provider)!.leases.release(ids.splice(0));
  }

  #start(lane: HelpdeskLane, slots: Slots, job: Job): void {
    slots.running.add(job.id);
    const margin = Math.min(DEFAULT_TIMEOUT_MS, this.kind.settings.leaseMs / 3);
    const context: JobContext = {
      lane,
      leases: slots.leases,
      send: (callKind, call) =>
        this.lanes.send(lane.provider, callKind, () => {
          if (!slots.leases.holds(job.id, margin))
            return Promise.reject(
              new LeaseLost(`the lease on ${this.kind.name} job ${job.id} ran out before its call`),
            );
          return call();
        }),
    };
    const run = this.kind
      .run(job, context)
      .catch((error: unknown) => this.#failed(lane, slots, job, error))
      .finally(() => {
        this.#runs.delete(run);
        slots.running.delete(job.id);
        if (slots.saturated && slots.running.size <= slots.lookahead / 2) this.wake();
      });
    this.#runs.add(run);
  }

  /**
   * A job's run threw. A call stop() aborted before sending: the job is handed back unstarted. A lease that ran out:
   * the job is left to its new holder. Otherwise the failure is settled by the retry policy; if even that write fails,
   * the lease expires and the job runs again.
   */
  async #failed(lane: HelpdeskLane, slots: Slots, job: Job, error: unknown): Promise<void> {
    if (this.lanes.aborted(error)) {
      const unstarted = this.#unstarted.get(lane.provider) ?? [];
      unstarted.push(job.id);
      this.#unstarted.set(lane.provider, unstarted);
      return;
    }
    if (error instanceof LeaseLost) return this.#handBack(slots, job);
    try {
      await this.#settleFailure(lane, slots, job, error);
    } catch (failure) {
      slots.leases.drop(job.id);
      this.log.error(
        { err: failure, job: job.id },
        `${this.kind.name}: could not record the failure of job ${job.id}; its lease will expire and it runs again`,
      );
    }
  }

  /**
   * The job's lease was about to run out when its call's turn came (this process was starved, or its renewals
   * failed): the call is not made, and the job is handed back at once, not counted as an attempt, so any worker
   * (this one included) runs it without waiting for the lease to expire. Fenced: if another worker took it over
   * meanwhile, this changes nothing.
   */
  async #handBack(slots: Slots, job: Job): Promise<void> {
    this.log.warn(
      { job: job.id },
      `${this.kind.name}: the lease on job ${job.id} was about to run out before its call; handed back without calling`,
    );
    try {
      await slots.leases.release([job.id]);
    } catch (error) {
      slots.leases.drop(job.id);
      this.log.warn(
        { err: error, job: job.id },
        `${this.kind.name}: could not hand job ${job.id} back; its lease will expire`,
      );
    }
  }

  /** Errors outside the helpdesk path (a database hiccup) are retried: they say nothing about the conversation. */
  async #settleFailure(lane: HelpdeskLane, slots: Slots, job: Job, error: unknown): Promise<void> {
    const known = error instanceof HelpdeskError ? error : undefined;
    const reason = known?.reason ?? `unexpected error: ${errorSummary(error)}`;
    const failure = { error: reason, status: known?.status };
    const context = {
      job: job.id,
      provider: lane.provider,
      conversationId: job.conversationId,
      status: known?.status,
      attempts: job.attempts,
    };
    const what = `${this.kind.name}: job ${job.id} (${lane.name} conversation ${job.conversationId})`;
    const decision = decideRetry(known ?? { retryable: true }, job.attempts, this.kind.settings);
    if (decision.retry) {
      if (await slots.leases.settle(job.id, jobRetried(failure, decision.at)))
        this.log.warn(context, `${what} failed, retry in ${Math.ceil(decision.delayMs / 1000)}s: ${reason}`);
      return;
    }
    if (!(await slots.leases.settle(job.id, jobDead(failure)))) return;
    this.log.error(
      context,
      `${what} ${decision.why === "attempts" ? `failed ${job.attempts} times` : "cannot be done"}; dead: ${reason}`,
    );
    await this.kind.onDead?.(job);
  }
}
