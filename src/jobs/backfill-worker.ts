import { claimBackfill, failBackfill, releaseBackfill } from "../store/backfills.js";
import { backoffDelay } from "./backoff.js";
import { PollLoop } from "./poll-loop.js";
import { BackfillForbiddenError, runBackfill, type BackfillDeps } from "./backfill.js";

export interface BackfillWorkerOptions {
  idlePollMs?: number;
  maxAttempts?: number;
}

/**
 * Runs requested backfills one at a time (they are GitHub-bound, and GitHub's limits are per installation, so running
 * several at once would only make them wait for each other), under a lease each stored page extends. A failed run is
 * retried from its page with backoff; a repository GitHub will not let closeloop read, or one that failed
 * `maxAttempts` times, is marked failed with the reason (`closeloop backfill` shows it).
 */
export class BackfillWorker {
  readonly #maxAttempts: number;
  readonly #loop: PollLoop;
  /** the loop was started: stopping it ends a backfill between two pages (a CLI `drain` runs to the end) */
  #started = false;

  constructor(
    private readonly deps: BackfillDeps,
    options: BackfillWorkerOptions = {},
  ) {
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#loop = new PollLoop(
      async () => (await this.drain(), false),
      options.idlePollMs ?? 5_000,
      (error) => this.deps.log.error({ err: error }, "backfill: cannot claim a backfill; retrying"),
    );
  }

  start(): void {
    this.#started = true;
    this.#loop.start();
  }

  /** A backfill was requested: look now. */
  wake(): void {
    this.#loop.wake();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** Runs what is claimable now until nothing is; returns how many backfills were run. */
  async drain(): Promise<number> {
    let ran = 0;
    while (!this.#stopping()) {
      const claimed = await claimBackfill(this.deps.prisma, this.deps.leaseMs ?? 60_000);
      if (!claimed) return ran;
      ran++;
      const where = `${claimed.repository.owner}/${claimed.repository.name}`;
      try {
        const outcome = await runBackfill(this.deps, claimed, { stopping: () => this.#stopping() });
        if (!outcome.finished) {
          await releaseBackfill(this.deps.prisma, claimed.repository.id);
          return ran;
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof BackfillForbiddenError || claimed.attempts >= this.#maxAttempts) {
          this.deps.log.error(`backfill ${where}: failed after ${claimed.attempts} attempt(s): ${reason}`);
          await failBackfill(this.deps.prisma, claimed.repository.id, reason, { failed: new Date() });
        } else {
          const delay = backoffDelay(claimed.attempts, 5_000, 10 * 60_000);
          this.deps.log.warn(`backfill ${where}: stopped at ${claimed.phase} issues page ${claimed.page} or later; retry in ${Math.round(delay / 1000)}s: ${reason}`);
          await failBackfill(this.deps.prisma, claimed.repository.id, reason, { retryAt: new Date(Date.now() + delay) });
        }
      }
    }
    return ran;
  }

  #stopping(): boolean {
    return this.#started && !this.#loop.running;
  }
}
