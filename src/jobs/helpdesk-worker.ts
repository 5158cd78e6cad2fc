import type { Logger } from "probot";
import { PROVIDERS, type ProviderId } from "../domain/link.js";
import type { QueueName } from "../config/queues.js";
import { NOT_CONFIGURED } from "../domain/failure-category.js";
import { providers } from "../providers/registry.js";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import { purgeDoneEnrichment } from "../store/enrich-jobs.js";
import { killUnrunnableJobs, markSummaryDue } from "../store/reopen-jobs.js";
import { hourly } from "./hourly.js";
import { HelpdeskLanes, type HelpdeskLane } from "./helpdesk-lanes.js";
import { JOB_KINDS } from "./job-kinds.js";
import type { HelpdeskKindOptions, HelpdeskPart, HelpdeskPartDeps, InstallationOctokit } from "./job-runner.js";
import { LocalPaces, SharedPaces, type PaceKeeper } from "./pace-keeper.js";
import { Worker, workerOwner } from "./worker.js";

export type { InstallationOctokit } from "./job-runner.js";

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
  readonly #parts: { kind: QueueName; part: HelpdeskPart }[];
  readonly #idleMs: number;
  /** the kinds woken since the last round began; every kind when the whole worker was (`wake()`) */
  #woken: Set<QueueName> | "all" = "all";
  /** when the last round of every kind began: each kind keeps its own schedule of one such round a poll */
  #everyKindAt = 0;
  /**
   * Done enrichment jobs are deleted a day after they finished (their result is on the links), so the table follows
   * the work in hand rather than every conversation ever linked; at most once an hour per process.
   */
  readonly #purgeFinished = hourly(async (now) => {
    const purged = await purgeDoneEnrichment(this.prisma, now);
    if (purged > 0) this.log.info(`enrichment: deleted ${purged} jobs done more than a day ago`);
  });

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
        this.wake("summary");
      },
      wake,
    };
    this.#parts = JOB_KINDS.flatMap((kind) => {
      if (!("helpdesk" in kind.runs)) return [];
      // A kind's own jobs settling with its claim full look for more of that kind, not of every kind.
      const part = kind.runs.helpdesk({ ...deps, wake: () => this.wake(kind.id) });
      return part === null ? [] : [{ kind: kind.id, part }];
    });
    const parts = this.#parts.map(({ part }) => part);
    this.#idleMs = options.idlePollMs ?? 1_000;
    this.#worker = new Worker({
      name: "helpdesk worker",
      log,
      idleMs: this.#idleMs,
      tick: () => this.#tick(),
      heartbeat: {
        // Every third of the shortest lease held: each kind keeps two renewals of margin.
        leaseMs: Math.min(...parts.map((part) => part.leaseMs)),
        renew: async () => {
          for (const part of parts) await part.renew();
        },
      },
      stopping: () => this.#lanes.stop(),
      inFlight: () => Promise.all(parts.map((part) => part.inFlight())),
      stopTimeoutMs: options.stopTimeoutMs ?? 15_000,
      afterStop: async () => {
        for (const part of parts) await part.release();
      },
    });
  }

  start(): void {
    this.#lanes.restart();
    this.#worker.start();
  }

  /**
   * Jobs were enqueued or retried: look now instead of at the next poll. With a kind, only that kind looks now, and
   * with the helpdesks its new jobs are for, only when one of them has a lane here (the others' jobs wait for
   * credentials: nothing here could run them); the other kinds keep their poll. A delivery that links a conversation
   * wakes its link note's kind alone, not a round of every kind (P8, #25).
   */
  wake(kind?: QueueName, helpdesks?: Iterable<ProviderId>): void {
    if (kind === undefined) this.#woken = "all";
    else {
      if (helpdesks !== undefined && ![...helpdesks].some((provider) => this.#lanes.has(provider))) return;
      this.#runNext(kind);
    }
    this.#worker.wake();
  }

  /** The kind runs in the next round. */
  #runNext(kind: QueueName): void {
    if (this.#woken !== "all") this.#woken.add(kind);
  }

  /**
   * Stops claiming, drops the calls still waiting in the lanes, lets the calls in flight finish (for a while), and
   * hands the jobs it holds but has not started back at once (a replica, or the next start, takes them without waiting
   * for the lease to run out).
   */
  async stop(): Promise<void> {
    await this.#worker.stop();
  }

  /**
   * One round: dead-letter what cannot run here, then each kind claims and starts what fits. Every kind runs once a
   * poll (`idlePollMs`), woken or not; between those, a round runs only the kinds woken or with more waiting.
   */
  async #tick(): Promise<boolean> {
    const now = Date.now();
    const woken = this.#woken;
    this.#woken = new Set();
    const due = woken === "all" || now - this.#everyKindAt >= this.#idleMs ? "all" : woken;
    const runs = (kind: QueueName) => due === "all" || due.has(kind);
    // Reopen jobs of a helpdesk without credentials die here, as part of the reopen kind's round.
    if (runs("reopen") && (await this.#killUnrunnable()) && due !== "all") due.add("summary");
    if (due === "all") {
      this.#everyKindAt = now;
      await this.#purgeFinished();
    }
    let more = false;
    for (const { kind, part } of this.#parts) {
      if (!runs(kind) || (await part.fill(() => this.#worker.running)) !== true) continue;
      more = true;
      // The next round, at once, is this kind's again.
      this.#runNext(kind);
    }
    return more;
  }

  /**
   * Jobs of helpdesks without credentials here are dead at once with the reason, and their summaries are due. True
   * when some died.
   */
  async #killUnrunnable(): Promise<boolean> {
    const names = new Map<string, string>();
    for (const provider of PROVIDERS)
      if (!this.#lanes.has(provider)) names.set(provider, providers.get(provider)?.name ?? provider);
    const reasons = new Map([...names].map(([provider, name]) => [provider, `${name}: ${NOT_CONFIGURED}`]));
    const killed = await killUnrunnableJobs(this.prisma, reasons);
    for (const [provider, closes] of killed) {
      const name = names.get(provider)!;
      this.log.error(
        { provider, closes },
        `reopen: ${name} is not configured; its jobs are dead ("provider not configured"). Set its credentials, then \`closeloop retry --dead\``,
      );
      await markSummaryDue(this.prisma, closes);
    }
    return killed.size > 0;
  }
}
