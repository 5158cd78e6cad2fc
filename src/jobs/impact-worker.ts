import type { Logger } from "probot";
import type { Prisma } from "../store/database.js";
import { refreshImpact } from "../store/impact.js";
import { Worker } from "./worker.js";

export interface ImpactWorkerOptions {
  /** how often it looks for counts that came due (a change marked an issue, a report left a window) */
  idleMs?: number;
  /** issues counted per round: a round is short, so a stop is never held up by a large first count */
  roundSize?: number;
}

/**
 * Keeps the dashboard's counts (IssueImpact, src/store/impact.ts) current in the background, so a page (or
 * `closeloop top`), which brings them up to its own time first, finds little left to count: after an upgrade the
 * first count of every issue happens here, a round at a time, instead of in the first person's page. Every replica
 * runs one; two counting the same issue write the same counts, and a count that raced a change is dropped (the
 * change's mark keeps it due).
 */
export class ImpactWorker {
  readonly #worker: Worker;

  constructor(prisma: Prisma, log: Logger, options: ImpactWorkerOptions = {}) {
    const roundSize = options.roundSize ?? 2_000;
    this.#worker = new Worker({
      name: "impact counts",
      log,
      idleMs: options.idleMs ?? 60_000,
      tick: async () => {
        const counted = await refreshImpact(prisma, new Date(), Math.min(1_000, roundSize), roundSize);
        if (counted > 0) log.debug({ counted }, `impact counts: counted ${counted} issue(s)`);
        return counted >= roundSize;
      },
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
}
