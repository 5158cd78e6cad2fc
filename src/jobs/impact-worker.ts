import type { Logger } from "probot";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import { refreshImpact } from "../store/impact.js";
import { ensureImpactCounting, IMPACT_COUNTING, IMPACT_COUNTING_ROW } from "../store/impact-counting.js";
import { unlocked } from "../store/lease.js";
import { COSTLY_STEP, IngestHoldBack, type IngestHoldBackOptions } from "./ingest-hold-back.js";
import { LeaseHolder } from "./lease-holder.js";
import { Worker, workerOwner } from "./worker.js";

export interface ImpactWorkerOptions extends Pick<IngestHoldBackOptions, "ingestActive" | "yieldMs" | "maxHoldMs"> {
  /** how often it looks for counts that came due (a change marked an issue, a report left a window) */
  idleMs?: number;
  /** issues counted per round: a round is short, so a stop is never held up by a large first count */
  roundSize?: number;
  /** the lease on counting, renewed while a round runs: a replica that dies mid-round is replaced after this long */
  leaseMs?: number;
}

/**
 * Keeps the dashboard's counts (IssueImpact, src/store/impact.ts) current in the background, so a page (or
 * `closeloop top`), which brings them up to its own time first, finds little left to count: after an upgrade the
 * first count of every issue happens here, a round at a time, instead of in the first person's page. Every replica
 * runs one, and a round is counted under the lease on the one ImpactCounting row, so two replicas never recount the
 * same issues at once; a count that raced a change is dropped (the change's mark keeps it due).
 */
export class ImpactWorker {
  readonly #worker: Worker;
  readonly #leases: LeaseHolder<number>;
  readonly #roundSize: number;
  readonly #holdBack: IngestHoldBack;

  constructor(
    private readonly prisma: Prisma,
    engine: Engine,
    private readonly log: Logger,
    options: ImpactWorkerOptions = {},
  ) {
    this.#roundSize = options.roundSize ?? 10_000;
    // A batch is a write transaction over 2,000 issues: none starts while webhooks arrive, so the requests get the CPU
    // and the database first (#25, P1, while the issues a backfill's pages marked are counted).
    this.#holdBack = new IngestHoldBack({
      ingestActive: options.ingestActive,
      ...COSTLY_STEP,
      yieldMs: options.yieldMs,
      maxHoldMs: options.maxHoldMs,
    });
    const leaseMs = options.leaseMs ?? 60_000;
    this.#leases = new LeaseHolder(prisma, engine, IMPACT_COUNTING, { owner: workerOwner(), leaseMs }, log);
    this.#worker = new Worker({
      name: "impact counts",
      log,
      idleMs: options.idleMs ?? 60_000,
      tick: async () => {
        const counted = await this.countRound();
        return counted !== null && counted >= this.#roundSize;
      },
      heartbeat: { leaseMs, renew: () => this.#leases.renew() },
    });
  }

  start(): void {
    this.#worker.start();
  }

  wake(): void {
    this.#worker.wake();
  }

  stop(): Promise<void> {
    return this.#worker.stop();
  }

  /**
   * One round under the lease: how many issues it counted, or null when another replica holds the lease (it is
   * counting now; this one looks again at its next poll).
   */
  async countRound(now = new Date()): Promise<number | null> {
    await ensureImpactCounting(this.prisma);
    if ((await this.#leases.claim(1)).length === 0) return null;
    try {
      // Batches of 2,000 issues: each is one write transaction, short enough (SQLite has one writer) not to hold up
      // the deliveries committing beside it.
      const counted = await refreshImpact(this.prisma, now, Math.min(2_000, this.#roundSize), this.#roundSize, () =>
        this.#holdBack.wait(() => !this.#worker.running),
      );
      if (counted > 0) this.log.debug({ counted }, `impact counts: counted ${counted} issue(s)`);
      return counted;
    } finally {
      await this.#leases.settle(IMPACT_COUNTING_ROW, unlocked());
    }
  }
}
