import { queueSettings, type QueueSettings } from "../config/queues.js";
import {
  BACKFILLS,
  backfillDone,
  backfillFailed,
  backfillPage,
  readClaimedBackfill,
  type ClaimedBackfill,
} from "../store/backfills.js";
import {
  BackfillForbiddenError,
  BackfillLeaseLost,
  describeCursor,
  runBackfill,
  type BackfillDeps,
} from "./backfill.js";
import { COSTLY_STEP, IngestHoldBack, type IngestActive } from "./ingest-hold-back.js";
import { LeaseHolder } from "./lease-holder.js";
import { decideRetry } from "./retry-policy.js";
import { Worker, workerOwner } from "./worker.js";

export interface BackfillWorkerOptions extends Partial<QueueSettings> {
  idlePollMs?: number;
  /**
   * true while a burst of webhooks is arriving: no page is read or stored then, nor until no webhook came for
   * COSTLY_STEP's quiet (IngestHoldBack), so P1 holds during a backfill
   */
  ingestActive?: IngestActive;
  /** how long to wait before looking again while held back (IngestHoldBack) */
  yieldMs?: number;
}

/**
 * Runs requested backfills one at a time (they are GitHub-bound, and GitHub's limits are per installation, so running
 * several at once would only make them wait for each other), under the one lease, renewed while it runs. A failed run
 * is retried from its page by the one retry policy; a repository GitHub will not let closeloop read, or one that
 * failed `maxAttempts` times, is marked failed with the reason (`closeloop backfill` shows it). It claims, renews,
 * stores each page and settles through a `LeaseHolder`, as every other kind does.
 */
export class BackfillWorker {
  readonly #settings: QueueSettings;
  readonly #leases: LeaseHolder<bigint>;
  readonly #worker: Worker;
  readonly #holdBack: IngestHoldBack;

  constructor(
    private readonly deps: BackfillDeps,
    options: BackfillWorkerOptions = {},
  ) {
    this.#settings = queueSettings("backfill", options);
    this.#holdBack = new IngestHoldBack({
      ingestActive: options.ingestActive,
      ...COSTLY_STEP,
      ...(options.yieldMs !== undefined && { yieldMs: options.yieldMs }),
    });
    const holder = { owner: workerOwner(), leaseMs: this.#settings.leaseMs };
    this.#leases = new LeaseHolder(deps.prisma, deps.engine, BACKFILLS, holder, deps.log);
    this.#worker = new Worker({
      name: "backfill",
      log: deps.log,
      idleMs: options.idlePollMs ?? 5_000,
      tick: async () => (await this.#drain(() => this.#worker.running), false),
      heartbeat: { leaseMs: this.#settings.leaseMs, renew: () => this.#leases.renew() },
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
      const [row] = await this.#leases.claim(1);
      if (row === undefined) return ran;
      const key = BigInt(row.key);
      const claimed = await readClaimedBackfill(this.deps.prisma, key, {
        owner: this.#leases.owner,
        leaseMs: this.#settings.leaseMs,
      });
      // Its repository was purged between the claim and the read: the row went with it.
      if (claimed === null) {
        this.#leases.drop(key);
        continue;
      }
      ran++;
      try {
        const outcome = await runBackfill(this.deps, claimed, {
          stopping: () => !going(),
          beforePage: () => this.#holdBack.wait(() => !going()),
          beforeStore: () => this.#holdBack.wait(() => !going()),
          advance: (next, added, githubWaitUntil) =>
            next === null
              ? this.#leases.settle(key, backfillDone(added))
              : this.#leases.progress(key, backfillPage(next, added, githubWaitUntil ?? null)),
        });
        if (!outcome.finished) {
          await this.#leases.release([key]);
          return ran;
        }
      } catch (error) {
        await this.#failed(claimed, error);
      }
    }
    return ran;
  }

  async #failed(claimed: ClaimedBackfill, error: unknown): Promise<void> {
    const where = `${claimed.repository.owner}/${claimed.repository.name}`;
    const reason = error instanceof Error ? error.message : String(error);
    const key = claimed.repository.id;
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
        `backfill ${where}: stopped at ${describeCursor(claimed)} or later; retry in ${Math.round(decision.delayMs / 1000)}s: ${reason}`,
      );
      await this.#leases.settle(key, backfillFailed(reason, { retryAt: decision.at }));
    } else {
      this.deps.log.error(`backfill ${where}: failed after ${claimed.attempts} attempt(s): ${reason}`);
      await this.#leases.settle(key, backfillFailed(reason, { failed: new Date() }));
    }
  }
}
