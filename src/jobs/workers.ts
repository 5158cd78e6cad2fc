import type { QueueName } from "../config/queues.js";
import type { ProviderId } from "../domain/link.js";
import { HeartbeatWorker } from "./heartbeat-worker.js";
import type { HelpdeskLane } from "./helpdesk-lanes.js";
import { HelpdeskWorker, type HelpdeskWorkerOptions } from "./helpdesk-worker.js";
import { ImpactWorker } from "./impact-worker.js";
import { JOB_KINDS } from "./job-kinds.js";
import type { BackgroundWorker, WorkerDeps } from "./job-runner.js";

/** What the server gives its workers: every kind's, and the helpdesk worker's lanes and options. */
export interface ServerWorkerDeps extends WorkerDeps {
  lanes: readonly HelpdeskLane[];
  helpdesk: HelpdeskWorkerOptions;
}

/**
 * The server process's background workers, built from the job-kind registry (src/jobs/job-kinds.ts): each kind's own
 * worker, one helpdesk worker for the kinds that run in it, and the two that work no kind's rows (the dashboard's
 * impact counts, the server heartbeat). Adding a kind adds no line here.
 */
export class Workers {
  readonly #wakes = new Map<QueueName, (helpdesks?: Iterable<ProviderId>) => void>();
  readonly #all: { start(): void; stop(): Promise<void> }[] = [];

  constructor(deps: ServerWorkerDeps) {
    let helpdesk: HelpdeskWorker | undefined;
    for (const kind of JOB_KINDS) {
      if ("build" in kind.runs) {
        const worker: BackgroundWorker = kind.runs.build(deps);
        this.#all.push(worker);
        this.#wakes.set(kind.id, () => worker.wake());
        continue;
      }
      if (helpdesk === undefined) {
        helpdesk = new HelpdeskWorker(deps.prisma, deps.engine, deps.lanes, deps.github, deps.log, deps.helpdesk);
        this.#all.push(helpdesk);
      }
      const worker = helpdesk;
      // The helpdesk worker's other kinds keep their own schedule.
      this.#wakes.set(kind.id, (helpdesks) => worker.wake(kind.id, helpdesks));
    }
    this.#all.push(
      new ImpactWorker(deps.prisma, deps.engine, deps.log, { ingestActive: deps.ingestActive }),
      new HeartbeatWorker(deps.prisma, deps.log),
    );
  }

  start(): void {
    for (const worker of this.#all) worker.start();
  }

  /**
   * Work of this kind was stored or retried: its worker looks now instead of at its next poll. `helpdesks`: the
   * helpdesks the new jobs are for, when only they can run them (a helpdesk without credentials here runs none).
   */
  wake(kind: QueueName, helpdesks?: Iterable<ProviderId>): void {
    this.#wakes.get(kind)?.(helpdesks);
  }

  /** Stops every worker (each hands back what it had not started). */
  async stop(): Promise<void> {
    await Promise.all(this.#all.map((worker) => worker.stop()));
  }
}
