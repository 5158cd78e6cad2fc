import { queueSettings, type QueueSettings } from "../config/queues.js";
import { BACKFILLS, claimBackfill, failBackfill, releaseBackfill, type ClaimedBackfill } from "../store/backfills.js";
import { renewLeases } from "../store/lease.js";
import { BackfillForbiddenError, BackfillLeaseLost, runBackfill, type BackfillDeps } from "./backfill.js";
import { decideRetry } from "./retry-policy.js";
import { Worker, workerOwner } from "./worker.js";

export interface BackfillWorkerOptions extends Partial<QueueSettings> {
  idlePollMs?: number;
}

/**
 * Runs requested backfills one at a time (they are GitHub-bound, and GitHub's limits are per installation, so running
 * several at once would only make them wait for each other), under the one lease, renewed while it runs. A failed run
 * is retried from its page by the one retry policy; a repository GitHub will not let closeloop read, or one that
 * failed `maxAttempts` times, is marked failed with the reason (`closeloop backfill` shows it).
 */
export class BackfillWorker {
  readonly #settings: QueueSettings;
  readonly #owner = workerOwner();
  readonly #worker: Worker;
  /** the backfill being run, for the heartbeat */
  #current: ClaimedBackfill | undefined;

  constructor(
    private readonly deps: BackfillDeps,
    options: BackfillWorkerOptions = {},
  ) {
    this.#settings = queueSettings("backfill", options);
    this.#worker = new Worker({
      name: "backfill",
      log: deps.log,
      idleMs: options.idlePollMs ?? 5_000,
      tick: async () => (await this.#drain(() => this.#worker.running), false),
      heartbeat: { leaseMs: this.#settings.leaseMs, renew: () => this.#renew() },
    });
  }

  start(): void {
    this.#worker.start();
  }

  /** A backfill was requested: look now. */
  wake(): void {
    this.#worker.wake();
  }

  /** Stops between two pages; the backfill is handed back at its page. */
  async stop(): Promise<void> {
    await this.#worker.stop();
  }

  /** Runs what is claimable now until nothing is, whole (the CLI's use); returns how many backfills were run. */
  drain(): Promise<number> {
    return this.#drain(() => true);
  }

  async #drain(going: () => boolean): Promise<number> {
    let ran = 0;
    while (going()) {
      const claimed = await claimBackfill(this.deps.prisma, this.deps.engine, {
        owner: this.#owner,
        leaseMs: this.#settings.leaseMs,
      });
      if (!claimed) return ran;
      ran++;
      this.#current = claimed;
      try {
        const outcome = await runBackfill(this.deps, claimed, { stopping: () => !going() });
        if (!outcome.finished) {
          await releaseBackfill(this.deps.prisma, claimed);
          return ran;
        }
      } catch (error) {
        await this.#failed(claimed, error);
      } finally {
        this.#current = undefined;
      }
    }
    return ran;
  }

  async #failed(claimed: ClaimedBackfill, error: unknown): Promise<void> {
    const where = `${claimed.repository.owner}/${claimed.repository.name}`;
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof BackfillLeaseLost) {
      this.deps.log.warn(reason);
      return;
    }
    const decision = decideRetry(
      { retryable: !(error instanceof BackfillForbiddenError) },
      claimed.attempts,
      this.#settings,
    );
    if (decision.retry) {
      this.deps.log.warn(
        `backfill ${where}: stopped at ${claimed.phase} issues page ${claimed.page} or later; retry in ${Math.round(decision.delayMs / 1000)}s: ${reason}`,
      );
      await failBackfill(this.deps.prisma, claimed, reason, { retryAt: decision.at });
    } else {
      this.deps.log.error(`backfill ${where}: failed after ${claimed.attempts} attempt(s): ${reason}`);
      await failBackfill(this.deps.prisma, claimed, reason, { failed: new Date() });
    }
  }

  async #renew(): Promise<void> {
    const current = this.#current;
    if (current === undefined) return;
    const lost = await renewLeases(
      this.deps.prisma,
      BACKFILLS,
      { owner: this.#owner, leaseMs: this.#settings.leaseMs },
      [current.repository.id],
    );
    if (lost.length > 0)
      this.deps.log.warn(
        `backfill ${current.repository.owner}/${current.repository.name}: its lease ran out and another process took it over; this one stops at the next page`,
      );
  }
}
