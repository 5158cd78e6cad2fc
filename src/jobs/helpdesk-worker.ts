import type { Logger } from "probot";
import { PROVIDERS } from "../domain/link.js";
import { NOT_CONFIGURED } from "../domain/failure-category.js";
import { providers } from "../providers/registry.js";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import { purgeDoneEnrichment } from "../store/enrich-jobs.js";
import { killUnrunnableJobs, markSummaryDue } from "../store/reopen-jobs.js";
import { HelpdeskLanes, type HelpdeskLane } from "./helpdesk-lanes.js";
import { JOB_KINDS } from "./job-kinds.js";
import type { HelpdeskKindOptions, HelpdeskPart, HelpdeskPartDeps, InstallationOctokit } from "./job-runner.js";
import { LocalPaces, SharedPaces, type PaceKeeper } from "./pace-keeper.js";
import { Worker, workerOwner } from "./worker.js";

export type { InstallationOctokit } from "./job-runner.js";

/** how often a process looks for finished jobs past their retention */
const PURGE_INTERVAL_MS = 60 * 60_000;

export interface HelpdeskWorkerOptions extends HelpdeskKindOptions {
  idlePollMs?: number;
  /** jobs claimed ahead per provider, in seconds of its budget */
  lookaheadSeconds?: number;
  /** CLOSELOOP_DRY_RUN: log each note (reopen or link note), reopen and comment instead of sending it */
  dryRun?: boolean;
  /** how long `stop` waits for calls in flight */
  stopTimeoutMs?: number;
  /** where the helpdesk budgets' paces are kept: by default shared through the database on PostgreSQL, in memory on SQLite */
  paces?: PaceKeeper;
}

/**
 * The helpdesk side of closeloop, as one worker (docs/reopen.md, docs/labels.md, docs/answers.md): every kind the
 * registry (src/jobs/job-kinds.ts) runs here, today reopen jobs, the notes on newly linked conversations, the
 * enrichment reads labels need, the answer reads after a reopen, and the summary comment of each close. The helpdesk
 * jobs share the lanes (one paced queue per provider, reopen calls first); each kind is claimed, run and settled on
 * its own, under the one lease and the one retry policy.
 */
export class HelpdeskWorker {
  readonly owner = workerOwner();
  readonly #worker: Worker;
  readonly #lanes: HelpdeskLanes;
  /** the registry's kinds run here, in its order: a lane's queue gets its reopen calls before the notes and reads */
  readonly #parts: HelpdeskPart[];
  /** when this process last deleted the finished jobs past their retention (0: not yet) */
  #purgedAt = 0;

  constructor(
    private readonly prisma: Prisma,
    engine: Engine,
    lanes: readonly HelpdeskLane[],
    github: InstallationOctokit,
    private readonly log: Logger,
    options: HelpdeskWorkerOptions = {},
  ) {
    const wake = () => this.wake();
    // Replicas share one PostgreSQL, and so each helpdesk's budget; on SQLite there is one process.
    const paces = options.paces ?? (engine === "postgresql" ? new SharedPaces(prisma) : new LocalPaces());
    this.#lanes = new HelpdeskLanes(lanes, log, wake, paces);
    const deps: HelpdeskPartDeps = {
      prisma,
      engine,
      log,
      owner: this.owner,
      lanes: this.#lanes,
      github,
      options,
      lookaheadSeconds: options.lookaheadSeconds ?? 2,
      dryRun: options.dryRun ?? false,
      settled: async (closeId) => {
        await markSummaryDue(this.prisma, [closeId]);
        this.wake();
      },
      wake,
    };
    this.#parts = JOB_KINDS.flatMap((kind) => ("helpdesk" in kind.runs ? [kind.runs.helpdesk(deps)] : [])).filter(
      (part) => part !== null,
    );
    this.#worker = new Worker({
      name: "helpdesk worker",
      log,
      idleMs: options.idlePollMs ?? 1_000,
      tick: () => this.#tick(),
      heartbeat: {
        // Every third of the shortest lease held: each kind keeps two renewals of margin.
        leaseMs: Math.min(...this.#parts.map((part) => part.leaseMs)),
        renew: async () => {
          for (const part of this.#parts) await part.renew();
        },
      },
      stopping: () => this.#lanes.stop(),
      inFlight: () => Promise.all(this.#parts.map((part) => part.inFlight())),
      stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
      afterStop: async () => {
        for (const part of this.#parts) await part.release();
      },
    });
  }

  start(): void {
    this.#lanes.restart();
    this.#worker.start();
  }

  /** Jobs were enqueued or retried: look now instead of at the next poll. */
  wake(): void {
    this.#worker.wake();
  }

  /**
   * Stops claiming, drops the calls still waiting in the lanes, lets the calls in flight finish (for a while), and
   * hands the jobs it holds but has not started back at once (a replica, or the next start, takes them without waiting
   * for the lease to run out).
   */
  async stop(): Promise<void> {
    await this.#worker.stop();
  }

  /** One round: dead-letter what cannot run here, then each kind claims and starts what fits. */
  async #tick(): Promise<boolean> {
    await this.#killUnrunnable();
    await this.#purgeFinished();
    let more = false;
    for (const part of this.#parts) if ((await part.fill(() => this.#worker.running)) === true) more = true;
    return more;
  }

  /**
   * Done enrichment jobs are deleted a day after they finished (their result is on the links), so the table follows
   * the work in hand rather than every conversation ever linked; at most once an hour per process.
   */
  async #purgeFinished(): Promise<void> {
    const now = Date.now();
    if (now - this.#purgedAt < PURGE_INTERVAL_MS) return;
    this.#purgedAt = now;
    const purged = await purgeDoneEnrichment(this.prisma, new Date(now));
    if (purged > 0) this.log.info(`enrichment: deleted ${purged} jobs done more than a day ago`);
  }

  /** Jobs of helpdesks without credentials here are dead at once with the reason, and their summaries are due. */
  async #killUnrunnable(): Promise<void> {
    const names = new Map<string, string>();
    for (const provider of PROVIDERS)
      if (!this.#lanes.has(provider)) names.set(provider, providers.get(provider)?.name ?? provider);
    const reasons = new Map([...names].map(([provider, name]) => [provider, `${name}: ${NOT_CONFIGURED}`]));
    for (const [provider, closes] of await killUnrunnableJobs(this.prisma, reasons)) {
      const name = names.get(provider)!;
      this.log.error(
        { provider, closes },
        `reopen: ${name} is not configured; its jobs are dead ("provider not configured"). Set its credentials, then \`closeloop retry --dead\``,
      );
      await markSummaryDue(this.prisma, closes);
    }
  }
}
