import type { QueueName } from "../config/queues.js";
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
  readonly #byKind = new Map<QueueName, BackgroundWorker>();
  readonly #all: { start(): void; stop(): Promise<void> }[] = [];

  constructor(deps: ServerWorkerDeps) {
    let helpdesk: HelpdeskWorker | undefined;
    for (const kind of JOB_KINDS) {
      let worker: BackgroundWorker;
      if ("build" in kind.runs) this.#all.push((worker = kind.runs.build(deps)));
      else if (helpdesk === undefined)
        this.#all.push(
          (worker = helpdesk =
            new HelpdeskWorker(deps.prisma, deps.engine, deps.lanes, deps.github, deps.log, deps.helpdesk)),
        );
      else worker = helpdesk;
      this.#byKind.set(kind.id, worker);
    }
    this.#all.push(new ImpactWorker(deps.prisma, deps.engine, deps.log), new HeartbeatWorker(deps.prisma, deps.log));
  }

  start(): void {
    for (const worker of this.#all) worker.start();
  }

  /** Work of this kind was stored or retried: its worker looks now instead of at its next poll. */
  wake(kind: QueueName): void {
    this.#byKind.get(kind)?.wake();
  }

  /** Stops every worker (each hands back what it had not started). */
  async stop(): Promise<void> {
    await Promise.all(this.#all.map((worker) => worker.stop()));
  }
}
