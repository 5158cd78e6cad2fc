import { installationConfigReader } from "../github/installation-config.js";
import { DEFAULT_CONFIG, type RepoConfig } from "../config/repo-config.js";
import type { FrequencyRules } from "../domain/frequency.js";
import { sweepDuration } from "../metrics.js";
import { githubRateLimitWait } from "../github/errors.js";
import { applyLabelsWithApp, type InstallationLabelDeps } from "../labels/installation-labels.js";
import { sweepDueIssues, type DecayedIssue, type SweepFigures } from "../labels/sweep.js";
import type { DatabaseTarget } from "../config/database-url.js";
import { openSweepStore } from "../store/label-sweep.js";
import { keepPlannerStatistics } from "./planner-statistics.js";
import { COSTLY_STEP, IngestHoldBack, type IngestActive } from "./ingest-hold-back.js";
import type { RepositoryRef } from "../domain/refs.js";
import {
  dueIfRequested,
  ensureSweep,
  requestSweep,
  SWEEP_ROW,
  SWEEPS,
  sweepFinished,
} from "../store/sweep-schedule.js";
import { markProjectsDue } from "../store/project-fields.js";
import { readRepository } from "../store/repositories.js";
import { QUEUES } from "../config/queues.js";
import { errorSummary } from "./error-summary.js";
import { LeaseHolder } from "./lease-holder.js";
import { Worker, workerOwner } from "./worker.js";

export interface LabelSweepOptions {
  /** time between sweeps (CLOSELOOP_SWEEP_INTERVAL_MINUTES; an hour by default) */
  intervalMs?: number;
  /** how often a replica looks whether a sweep is due (another replica may have run it, or a config change asked) */
  pollMs?: number;
  /** the sweep's lease; renewed while sweeping, so a replica that dies mid-sweep is replaced after this long */
  leaseMs?: number;
  /** the next sweep after one that could not apply every label (GitHub failed, or a rate limit without Retry-After) */
  retryMs?: number;
  /**
   * issues relabelled at most per sweep: a config change across a large repository is spread over several sweeps
   * (`retryMs` apart) instead of spending GitHub's write limits at once and starving the webhooks' own label writes
   */
  maxIssuesPerSweep?: number;
  /** how long `stop` waits for the issue being relabelled (GitHub may be pacing writes); after that the lease expires */
  stopTimeoutMs?: number;
}

export interface LabelSweepWiring {
  /** true while webhooks arrive (the server's DeliveryInbox.receiving): the planner statistics wait for a quiet moment */
  ingestActive?: IngestActive;
}

/** Why the sweep stopped applying labels before the end, and when the next may start. */
class SweepInterrupted extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/**
 * The decay sweep (docs/labels.md, The decay sweep): every `intervalMs`, one replica at a time (a lease on the LabelSweep
 * row), re-evaluates each issue whose labels could have changed without a new link and applies on GitHub those whose
 * frequency changed or whose labels are stale. Labels are written one issue at a time (Probot's Octokit also paces
 * writes); a rate limit stops the sweep until its Retry-After, and whatever it did not apply is due again at the next
 * sweep, so a stopped or crashed sweep loses nothing.
 */
export class LabelSweepWorker {
  readonly #options: Required<LabelSweepOptions>;
  /** the lease on the one LabelSweep row, held while sweeping */
  readonly #leases: LeaseHolder<number>;
  readonly #worker: Worker;
  readonly #holdBack: IngestHoldBack;
  /** a sweep is running here: the heartbeat renews its lease */
  #sweeping = false;
  #started = false;
  /** the lease renewal found another replica holding the sweep: this one ends it between two issues */
  #leaseLost = false;

  constructor(
    private readonly deps: InstallationLabelDeps & { target: DatabaseTarget },
    options: LabelSweepOptions & LabelSweepWiring = {},
  ) {
    this.#holdBack = new IngestHoldBack({ ingestActive: options.ingestActive, ...COSTLY_STEP });
    this.#options = {
      intervalMs: options.intervalMs ?? 60 * 60_000,
      pollMs: options.pollMs ?? 60_000,
      leaseMs: options.leaseMs ?? QUEUES.sweep.leaseMs,
      retryMs: options.retryMs ?? 5 * 60_000,
      maxIssuesPerSweep: options.maxIssuesPerSweep ?? 500,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
    };
    const holder = { owner: workerOwner(), leaseMs: this.#options.leaseMs };
    this.#leases = new LeaseHolder(deps.prisma, deps.target.engine, SWEEPS, holder, deps.log, () => this.#now());
    this.#worker = new Worker({
      name: "label sweep",
      log: deps.log,
      idleMs: this.#options.pollMs,
      tick: async () => (await this.runOnce(), false),
      heartbeat: { leaseMs: this.#options.leaseMs, renew: () => this.#renew() },
      // The issue being relabelled may wait for GitHub's pacing of writes: past the bound, the lease expires instead.
      stopTimeoutMs: this.#options.stopTimeoutMs,
    });
  }

  start(): void {
    this.#started = true;
    this.#worker.start();
  }

  /** Look now whether a sweep is due (one was requested, perhaps by another process). */
  wake(): void {
    this.#worker.wake();
  }

  /** A sweep is wanted now (the config changed): the first replica to look runs it. */
  async request(): Promise<void> {
    await requestSweep(this.deps.prisma, this.#now());
    this.#worker.wake();
  }

  async stop(): Promise<void> {
    await this.#worker.stop();
  }

  /** Sweeps once if a sweep is due and this replica gets the lease; returns its figures, or null when it did not sweep. */
  async runOnce(): Promise<SweepFigures | null> {
    const { prisma, log } = this.deps;
    const startedAt = this.#now();
    await ensureSweep(prisma, startedAt);
    if ((await this.#leases.claim(1)).length === 0) return null;
    this.#leaseLost = false;
    this.#sweeping = true;
    const clock = performance.now();
    let figures: SweepFigures = { issues: 0, links: 0, changed: 0, batches: 0 };
    let error: string | null = null;
    let nextRunAt = new Date(startedAt.getTime() + this.#options.intervalMs);
    const run = new SweepRun(this.deps);
    try {
      // Project values whose count over project.days changed with time alone go to the markings job (docs/projects.md).
      const projects = await markProjectsDue(prisma, startedAt);
      if (projects > 0) log.debug(`label sweep: ${projects} project value(s) due`);
      const store = openSweepStore(this.deps.target, log);
      try {
        figures = await sweepDueIssues(store, startedAt, (id, stale) => run.rules(id, stale), {
          applyChanged: (issues) => this.#apply(issues, run),
          // What was not applied stays due now; the next sweep (brought forward below) takes it up.
          retryAfterMs: 0,
        });
      } finally {
        await store.close();
      }
      if (run.failed > 0) nextRunAt = this.#sooner(nextRunAt, this.#options.retryMs);
    } catch (failure) {
      error = failure instanceof Error ? failure.message : String(failure);
      nextRunAt = this.#sooner(
        nextRunAt,
        failure instanceof SweepInterrupted ? failure.retryAfterMs : this.#options.retryMs,
      );
      log.warn(
        { err: failure },
        `label sweep: stopped before the end (${error}); the rest is swept from ${nextRunAt.toISOString()}`,
      );
    } finally {
      this.#sweeping = false;
    }
    const seconds = (performance.now() - clock) / 1000;
    sweepDuration.observe(seconds);
    const finish = {
      issues: figures.issues,
      links: figures.links,
      changed: figures.changed,
      durationMs: Math.round(seconds * 1000),
      error,
      nextRunAt,
    };
    const finishedAt = this.#now();
    if (await this.#leases.settle(SWEEP_ROW, sweepFinished(finish, finishedAt)))
      await dueIfRequested(prisma, finishedAt);
    const level = figures.changed > 0 ? "info" : "debug";
    log[level](
      `label sweep: ${figures.issues} issue(s) due, ${figures.links} report(s), ${figures.changed} relabelled, in ${seconds.toFixed(2)}s`,
    );
    // SQLite's statistics are looked at hourly too, as its documentation advises (src/store/statistics.ts); when a
    // table is analysed that holds the event loop, so not while webhooks arrive.
    await this.#holdBack.wait(() => this.#started && !this.#worker.running);
    await keepPlannerStatistics(prisma, this.deps.target.engine, log, "label sweep");
    return figures;
  }

  /**
   * Applies the labels of a batch's changed issues, one at a time; an issue that fails stays due for the next sweep.
   * An installation GitHub will not give a token for is skipped for the rest of the sweep, with one log line.
   */
  async #apply(issues: DecayedIssue[], run: SweepRun): Promise<void> {
    for (const decayed of issues) {
      // Another replica (or this one's next start) carries on at once.
      if (this.#stopping()) throw new SweepInterrupted("the process is stopping", 0);
      if (this.#leaseLost)
        throw new SweepInterrupted("another replica took the sweep over (this one's lease ran out)", 0);
      if (run.applied >= this.#options.maxIssuesPerSweep) {
        throw new SweepInterrupted(
          `relabelled ${run.applied} issues, the most one sweep does; the rest follow in the next`,
          this.#options.retryMs,
        );
      }
      const repository = await run.get(decayed.repositoryId);
      if (repository === null || run.skipped(repository)) continue;
      const where = `${repository.owner}/${repository.name}#${decayed.number}`;
      const labels = { ...this.deps, github: (id: number) => run.github(id), now: () => this.#now() };
      try {
        run.applied++;
        if (decayed.stale) await run.freshConfig(repository);
        await applyLabelsWithApp(labels, { repository, number: decayed.number, githubId: 0n, state: "open" });
      } catch (error) {
        run.failed++;
        const retryAfterMs = githubRateLimitWait(error);
        if (retryAfterMs !== undefined) throw new SweepInterrupted(`GitHub rate limit at ${where}`, retryAfterMs);
        if (error instanceof InstallationUnavailable) {
          this.deps.log.warn(
            { err: error.cause },
            `label sweep: no token for installation ${repository.installationId} (${errorSummary(error.cause)}); its issues wait for the next sweep`,
          );
        } else {
          this.deps.log.warn(
            { err: error },
            `label sweep: could not apply the labels of ${where}; trying again at the next sweep`,
          );
        }
      }
    }
  }

  async #renew(): Promise<void> {
    if (!this.#sweeping) return;
    await this.#leases.renew();
    // Taken over (the holder dropped it), or this process could not renew for a whole lease.
    if (!this.#leases.holds(SWEEP_ROW)) this.#leaseLost = true;
  }

  /** Started, and told to stop: a sweep run from a test or the CLI (never started) is not stopping. */
  #stopping(): boolean {
    return this.#started && !this.#worker.running;
  }

  #sooner(next: Date, ms: number): Date {
    const at = new Date(this.#now().getTime() + ms);
    return at < next ? at : next;
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}

/** GitHub would not give an installation token (suspended, uninstalled meanwhile): the installation is skipped. */
class InstallationUnavailable extends Error {
  constructor(override readonly cause: unknown) {
    super("installation unavailable");
  }
}

/** One sweep's state: repositories and their rules read once, installations' Octokits, what was applied and failed. */
class SweepRun {
  readonly #rows = new Map<bigint, Promise<RepositoryRef | null>>();
  readonly #rules = new Map<bigint, Promise<FrequencyRules | null>>();
  /** the repositories whose config this sweep read from GitHub, not from the cache */
  readonly #fresh = new Map<bigint, Promise<unknown>>();
  readonly #octokits = new Map<number, ReturnType<InstallationLabelDeps["github"]>>();
  readonly #unavailable = new Set<bigint>();
  /** issues whose labels were applied, or tried */
  applied = 0;
  /** issues whose labels could not be applied */
  failed = 0;

  constructor(private readonly deps: InstallationLabelDeps) {}

  get(id: bigint): Promise<RepositoryRef | null> {
    let row = this.#rows.get(id);
    if (!row) this.#rows.set(id, (row = readRepository(this.deps.prisma, id)));
    return row;
  }

  skipped(repository: RepositoryRef): boolean {
    return this.#unavailable.has(repository.installationId);
  }

  /** The installation's Octokit, asked for once per sweep; a refusal marks the installation unavailable. */
  async github(installationId: number): ReturnType<InstallationLabelDeps["github"]> {
    let octokit = this.#octokits.get(installationId);
    if (!octokit) this.#octokits.set(installationId, (octokit = this.deps.github(installationId)));
    try {
      return await octokit;
    } catch (error) {
      this.#unavailable.add(BigInt(installationId));
      throw new InstallationUnavailable(error);
    }
  }

  /**
   * The repository's config read from GitHub (not the one kept) once this sweep, into the shared cache, before the
   * labels of its stale issues are applied: the push that marked them may have been handled by another replica, which
   * dropped only its own kept config. Usually done already, by the rules read for a stale issue; this throws when GitHub
   * does not answer, and the issue is left due.
   */
  async freshConfig(repository: RepositoryRef): Promise<void> {
    let read = this.#fresh.get(repository.id);
    if (!read) this.#fresh.set(repository.id, (read = this.#config(repository, true)));
    await read;
  }

  /**
   * The repository's `frequency` rules (an unreadable file gives the last valid config or the defaults, as for
   * webhooks); null when GitHub cannot be asked now (no token, or no answer for a `stale` issue's fresh read): its
   * issues are left due for the next sweep.
   */
  rules(id: bigint, stale = false): Promise<FrequencyRules | null> {
    let rules = this.#rules.get(id);
    if (!rules) this.#rules.set(id, (rules = this.#read(id, stale)));
    return rules;
  }

  #config(repository: RepositoryRef, fresh: boolean): Promise<RepoConfig> {
    return this.github(Number(repository.installationId)).then((octokit) =>
      this.deps.configs.get(repository, installationConfigReader(octokit, repository.owner, repository.name), {
        fresh,
      }),
    );
  }

  async #read(id: bigint, fresh: boolean): Promise<FrequencyRules | null> {
    const repository = await this.get(id);
    // Purged meanwhile: its issues went with it.
    if (repository === null) return DEFAULT_CONFIG.frequency;
    if (this.skipped(repository)) return null;
    try {
      const config = this.#config(repository, fresh);
      if (fresh) this.#fresh.set(id, config);
      return (await config).frequency;
    } catch (error) {
      this.failed++;
      const cause = error instanceof InstallationUnavailable ? error.cause : error;
      this.deps.log.warn(
        { err: cause },
        `label sweep: cannot read the config of ${repository.owner}/${repository.name} (${errorSummary(cause)}); its issues wait for the next sweep`,
      );
      return null;
    }
  }
}
