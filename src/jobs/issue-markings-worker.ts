import PQueue from "p-queue";
import { queueSettings, type QueueSettings } from "../config/queues.js";
import { githubRateLimitWait } from "../github/errors.js";
import { applyIssuesWithApp, type InstallationLabelDeps } from "../labels/installation-labels.js";
import type { Engine } from "../config/database-url.js";
import {
  leaveStale,
  markingsAbandoned,
  markingsApplied,
  markingsDueBy,
  markingsRetried,
  ISSUE_MARKINGS,
  CLAIMED_MARKING,
  claimedMarking,
  type ClaimedMarking,
  type ClaimedMarkingRow,
} from "../store/issue-markings.js";
import { inTransaction } from "../store/transactions.js";
import type { IssueRef } from "../domain/refs.js";
import { errorSummary } from "./error-summary.js";
import { COSTLY_STEP, IngestHoldBack, type IngestActive } from "./ingest-hold-back.js";
import { LeaseHolder } from "./lease-holder.js";
import { decideRetry } from "./retry-policy.js";
import { Worker, workerOwner } from "./worker.js";

export interface IssueMarkingsWorkerOptions extends Partial<QueueSettings> {
  /**
   * how long after an issue's first unapplied change its labels are applied: changes within the window (a burst of
   * comments) make one update
   */
  coalesceMs?: number;
  idlePollMs?: number;
  /** installations labelled at once (one issue at a time within each) */
  concurrency?: number;
  stopTimeoutMs?: number;
  /**
   * True while a burst of webhooks is arriving: the worker claims nothing then (its claims and reads cost the database
   * the requests need), nor starts another claimed issue's labels, until no webhook came for COSTLY_STEP's quiet; it
   * applies the burst's markings right after, or after the hold-back's backstop
   */
  ingestActive?: IngestActive;
}

const BATCH = 20;

/**
 * Applies issues' markings off the delivery path (docs/labels.md, docs/projects.md): the handlers mark an issue's
 * labels wanted in the transaction that changes its links, and this claims each marked issue under the one lease, once
 * its first mark is `coalesceMs` old, applies its frequency and team labels with the same minimum-call economy as
 * before (applyIssueLabels, with the labels the newest payload showed), then, with `project.url` set, its number field
 * in the project. A failure is retried by the one retry policy; given up, the issue is left stale for the decay sweep.
 */
export class IssueMarkingsWorker {
  readonly #settings: QueueSettings;
  readonly #coalesceMs: number;
  readonly #leases: LeaseHolder<number>;
  readonly #queue: PQueue;
  /** each installation's jobs in flight, run one after another */
  readonly #installations = new Map<string, Promise<void>>();
  readonly #worker: Worker;
  readonly #holdBack: IngestHoldBack;
  /** the wake set for marks made now, when their coalescing window ends (`wake`) */
  #windowWake: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: InstallationLabelDeps & { engine: Engine },
    options: IssueMarkingsWorkerOptions = {},
  ) {
    this.#settings = queueSettings("labels", options);
    this.#coalesceMs = options.coalesceMs ?? 1_000;
    this.#queue = new PQueue({ concurrency: options.concurrency ?? 4 });
    this.#holdBack = new IngestHoldBack({ ingestActive: options.ingestActive, ...COSTLY_STEP });
    this.#leases = new LeaseHolder(
      deps.prisma,
      deps.engine,
      ISSUE_MARKINGS,
      { owner: workerOwner(), leaseMs: this.#settings.leaseMs },
      deps.log,
    );
    this.#worker = new Worker({
      name: "issue markings",
      log: deps.log,
      idleMs: options.idlePollMs ?? 1_000,
      tick: () => this.#fill(),
      heartbeat: { leaseMs: this.#settings.leaseMs, renew: () => this.#leases.renew() },
      inFlight: () => this.#queue.onIdle(),
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    });
  }

  start(): void {
    this.#worker.start();
  }

  /**
   * Labels were marked wanted: look once the mark's coalescing window has passed, when it can be claimed. Woken at
   * once, the worker would claim nothing, or only the one mark that came due just then: under a stream of deliveries
   * that was a claim (and its reads) per issue instead of one per window's worth of issues (P8, #25). Marks made while
   * this wait is set are claimed by the next one (or the idle poll).
   */
  wake(): void {
    if (this.#coalesceMs <= 0) return this.#worker.wake();
    if (this.#windowWake !== undefined) return;
    this.#windowWake = setTimeout(() => {
      this.#windowWake = undefined;
      this.#worker.wake();
    }, this.#coalesceMs);
    this.#windowWake.unref();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#windowWake);
    this.#windowWake = undefined;
    await this.#worker.stop();
  }

  /**
   * Applies every markings job due now (`only`: of these issues), and waits for them; returns how many issues it
   * applied. For tests and the CLI (`closeloop backfill`). An issue another process holds, or whose retry is not due,
   * is left to the job that holds it or to its retry.
   */
  async drain(only?: readonly IssueRef[]): Promise<number> {
    let applied = 0;
    for (;;) {
      const jobs = await this.#claim(BATCH, only);
      if (jobs.length === 0) return applied;
      await Promise.all(byInstallation(jobs).map((group) => this.#run(group)));
      applied += jobs.length;
    }
  }

  /** One round: claims what fits beside the jobs in flight; true when the claim was full (more may be due). */
  async #fill(): Promise<boolean> {
    if (this.#leases.size >= BATCH) return false;
    await this.#whileBurst();
    const jobs = await this.#claim(BATCH - this.#leases.size);
    // A group done leaves room: claim again at once.
    for (const group of byInstallation(jobs)) void this.#run(group).finally(() => this.#worker.wake());
    return jobs.length === BATCH;
  }

  async #claim(limit = BATCH, only?: readonly IssueRef[]): Promise<ClaimedMarking[]> {
    const cutoff = new Date(Date.now() - this.#coalesceMs);
    const claimed = await this.#leases.claim<ClaimedMarkingRow & { key: number }>(limit, {
      where: markingsDueBy(this.deps.engine, cutoff, only),
      returning: CLAIMED_MARKING,
    });
    // By id: an UPDATE answers in no particular order.
    return claimed.map(claimedMarking).sort((a, b) => a.issueId - b.issueId);
  }

  /**
   * Runs one installation's claimed jobs after its jobs already in flight. GitHub paces an installation's writes
   * (about one a second), so running them side by side would gain nothing, and two issues of one repository could each
   * create the same new label. Their labels are applied one issue at a time; their project values together, so the
   * sets share GraphQL documents (docs/projects.md, Batching).
   */
  #run(jobs: ClaimedMarking[]): Promise<void> {
    const installation = String(jobs[0]!.issue.repository.installationId);
    const previous = this.#installations.get(installation) ?? Promise.resolve();
    const next = previous.then(() => this.#queue.add(() => this.#apply(jobs)));
    this.#installations.set(installation, next);
    return next.finally(() => {
      if (this.#installations.get(installation) === next) this.#installations.delete(installation);
    });
  }

  async #apply(jobs: ClaimedMarking[]): Promise<void> {
    let failures: unknown[];
    this.deps.configs.pushedAt(jobs[0]!.configPushedAt);
    try {
      failures = await applyIssuesWithApp(this.deps, jobs[0]!.issue.repository.installationId, jobs, () =>
        this.#whileBurst(),
      );
    } catch (error) {
      failures = jobs.map(() => error);
    }
    // The jobs applied are settled together (one statement a round, not one an issue); failures one by one.
    const applied = jobs.filter((_, i) => (failures[i] ?? null) === null);
    let settling: unknown = null;
    if (applied.length > 0)
      await this.#leases
        .settleAll(
          applied.map((job) => job.issueId),
          markingsApplied(this.deps.engine, ...applied),
        )
        .catch((error: unknown) => (settling = error));
    for (const [i, job] of jobs.entries()) {
      const failure = failures[i] ?? settling;
      if (failure !== null) await this.#settle(job, failure);
    }
  }

  #whileBurst(): Promise<void> {
    return this.#holdBack.wait(() => !this.#worker.running);
  }

  /** Settles a job that failed (or whose settle failed): retried or given up by the retry policy. */
  async #settle(job: ClaimedMarking, error: unknown): Promise<void> {
    const where = `${job.issue.repository.owner}/${job.issue.repository.name}#${job.issue.number}`;
    const decision = decideRetry(
      { retryable: true, retryAfterMs: githubRateLimitWait(error) },
      job.attempts,
      this.#settings,
    );
    const reason = errorSummary(error);
    try {
      if (decision.retry) {
        this.deps.log.warn(
          { err: error },
          `labels: could not apply the labels of ${where}; retry in ${Math.ceil(decision.delayMs / 1000)}s: ${reason}`,
        );
        await this.#leases.settle(job.issueId, markingsRetried(decision.at));
      } else {
        this.deps.log.error(
          { err: error },
          `labels: could not apply the labels of ${where} after ${job.attempts} attempts; the decay sweep tries again: ${reason}`,
        );
        await inTransaction(this.deps.prisma, async (tx) => {
          if (await this.#leases.settle(job.issueId, markingsAbandoned(), tx))
            await leaveStale(tx, job.issueId, new Date());
        });
      }
    } catch (recording) {
      this.#leases.drop(job.issueId);
      this.deps.log.error(
        { err: recording },
        `labels: could not record the failure for ${where}; its lease will expire and it runs again`,
      );
    }
  }
}

/** The claimed jobs by installation, in claim order. */
function byInstallation(jobs: readonly ClaimedMarking[]): ClaimedMarking[][] {
  const groups = new Map<string, ClaimedMarking[]>();
  for (const job of jobs) {
    const key = String(job.issue.repository.installationId);
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  return [...groups.values()];
}
