import type { Logger } from "probot";
import { queueSettings } from "../config/queues.js";
import { PROVIDERS, type ProviderId } from "../domain/link.js";
import { NOT_CONFIGURED } from "../domain/failure-category.js";
import { providers } from "../providers/registry.js";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import { killUnrunnableJobs, markSummaryDue } from "../store/reopen-jobs.js";
import { answerJobs } from "./answer-job.js";
import { enrichmentJobs, type Enrichment } from "./enrichment-job.js";
import { HelpdeskJobs, type HelpdeskJob, type HelpdeskJobKind } from "./helpdesk-jobs.js";
import { HelpdeskLanes, type HelpdeskLane } from "./helpdesk-lanes.js";
import { linkNoteJobs } from "./link-note-job.js";
import { LocalPaces, SharedPaces, type PaceKeeper } from "./pace-keeper.js";
import { reopenJobs } from "./reopen-job.js";
import { SummaryComments, type InstallationOctokit } from "./summary-comments.js";
import { Worker, workerOwner } from "./worker.js";

export type { Enrichment } from "./enrichment-job.js";
export type { InstallationOctokit } from "./summary-comments.js";

export interface HelpdeskWorkerOptions {
  /** how long a claimed job is held before another worker may take it over; renewed while held */
  leaseMs?: number;
  idlePollMs?: number;
  /** claims of a job before a retryable failure dead-letters it */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** jobs claimed ahead per provider, in seconds of its budget */
  lookaheadSeconds?: number;
  /** CLOSELOOP_DRY_RUN: log each note (reopen or link note), reopen and comment instead of sending it */
  dryRun?: boolean;
  /** attempts at writing a summary comment before giving up on it */
  maxSummaryAttempts?: number;
  /**
   * the GitHub App's id (APP_ID): a summary comment a crashed attempt posted is recognised as this app's by it.
   * Without it none is, and such a summary is posted again rather than a comment of someone else's edited.
   */
  appId?: number;
  /** how long `stop` waits for calls in flight */
  stopTimeoutMs?: number;
  /** reads linked conversations' details for the labels (enrichment jobs); without it those jobs wait */
  enrichment?: Enrichment;
  /** where the helpdesk budgets' paces are kept: by default shared through the database on PostgreSQL, in memory on SQLite */
  paces?: PaceKeeper;
  /**
   * helpdesks whose webhooks closeloop receives (their secret is set): their answers after a reopen come by webhook;
   * the others are read (docs/answers.md)
   */
  webhooks?: ReadonlySet<ProviderId>;
  /** an issue's address on GitHub (GHE_HOST's, or github.com), for reminder notes */
  issueUrl?: (owner: string, repo: string, number: number) => string;
}

/**
 * The helpdesk side of closeloop, as one worker (docs/reopen.md, docs/labels.md): reopen jobs, the notes on newly
 * linked conversations, the enrichment reads labels need, and the summary comment of each close. Reopen jobs, link
 * notes and enrichment reads share the helpdesk lanes (one paced queue per provider, in that order of priority);
 * each kind is claimed, run and settled on its own, under the one lease and the one retry policy.
 */
export class HelpdeskWorker {
  readonly owner = workerOwner();
  readonly #worker: Worker;
  readonly #lanes: HelpdeskLanes;
  readonly #kinds: HelpdeskJobs<{ id: number; attempts: number; conversationId: string }>[];
  readonly #summaries: SummaryComments;

  constructor(
    private readonly prisma: Prisma,
    engine: Engine,
    lanes: readonly HelpdeskLane[],
    github: InstallationOctokit,
    private readonly log: Logger,
    options: HelpdeskWorkerOptions = {},
  ) {
    const lookaheadSeconds = options.lookaheadSeconds ?? 2;
    const dryRun = options.dryRun ?? false;
    const wake = () => this.wake();
    // Replicas share one PostgreSQL, and so each helpdesk's budget; on SQLite there is one process.
    const paces = options.paces ?? (engine === "postgresql" ? new SharedPaces(prisma) : new LocalPaces());
    this.#lanes = new HelpdeskLanes(lanes, log, wake, paces);
    const settled = async (closeId: number) => {
      await markSummaryDue(this.prisma, [closeId]);
      this.wake();
    };
    // Every kind shares the lanes (one budget per helpdesk), the lease owner and the wake-up.
    const inLanes = <Job extends HelpdeskJob>(kind: HelpdeskJobKind<Job>) =>
      new HelpdeskJobs(kind, this.#lanes, prisma, engine, this.owner, log, wake);
    const reopen = inLanes(
      reopenJobs(prisma, log, { settings: queueSettings("reopen", options), lookaheadSeconds, dryRun, settled }),
    );
    const notes = inLanes(
      linkNoteJobs(prisma, log, { settings: queueSettings("linkNote", options), lookaheadSeconds, dryRun }),
    );
    const answers = inLanes(
      answerJobs(prisma, log, {
        settings: queueSettings("answer", options),
        lookaheadSeconds,
        dryRun,
        webhooks: options.webhooks ?? new Set(),
        issueUrl: options.issueUrl ?? ((owner, repo, number) => `https://github.com/${owner}/${repo}/issues/${number}`),
      }),
    );
    // Claimed in this order each round, so a lane's queue gets its reopen calls before the notes and reads behind them.
    this.#kinds = [reopen, notes, answers];
    if (options.enrichment !== undefined) {
      const kind = enrichmentJobs(prisma, log, options.enrichment, {
        settings: queueSettings("enrichment", options),
        lookaheadSeconds,
      });
      this.#kinds.push(inLanes(kind));
    }
    const summary = queueSettings("summary", { leaseMs: options.leaseMs, maxAttempts: options.maxSummaryAttempts });
    this.#summaries = new SummaryComments(prisma, engine, github, log, this.owner, {
      settings: summary,
      dryRun,
      appId: options.appId,
    });
    this.#worker = new Worker({
      name: "helpdesk worker",
      log,
      idleMs: options.idlePollMs ?? 1_000,
      tick: () => this.#tick(),
      heartbeat: {
        // Every third of the shortest lease held: each kind keeps two renewals of margin.
        leaseMs: Math.min(
          summary.leaseMs,
          ...(["reopen", "linkNote", "enrichment", "answer"] as const).map(
            (name) => queueSettings(name, options).leaseMs,
          ),
        ),
        renew: async () => {
          for (const kind of this.#kinds) await kind.renew();
          await this.#summaries.renew();
        },
      },
      stopping: () => this.#lanes.stop(),
      inFlight: async () => {
        await Promise.all(this.#kinds.map((kind) => kind.inFlight()));
        await this.#summaries.inFlight();
      },
      stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
      afterStop: async () => {
        for (const kind of this.#kinds) await kind.release();
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

  /** One round: dead-letter what cannot run here, claim for each kind and lane, start due summaries. */
  async #tick(): Promise<boolean> {
    await this.#killUnrunnable();
    for (const kind of this.#kinds) await kind.fill(() => this.#worker.running);
    return this.#summaries.fill();
  }

  /** Jobs of helpdesks without credentials here are dead at once with the reason, and their summaries are due. */
  async #killUnrunnable(): Promise<void> {
    for (const provider of PROVIDERS) {
      if (this.#lanes.has(provider)) continue;
      const name = providers.get(provider)?.name ?? provider;
      const closes = await killUnrunnableJobs(this.prisma, provider, `${name}: ${NOT_CONFIGURED}`);
      if (closes.length === 0) continue;
      this.log.error(
        { provider, closes },
        `reopen: ${name} is not configured; its jobs are dead ("provider not configured"). Set its credentials, then \`closeloop retry --dead\``,
      );
      await markSummaryDue(this.prisma, closes);
    }
  }
}
