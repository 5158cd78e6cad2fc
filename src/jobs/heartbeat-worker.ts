import { hostname } from "node:os";
import type { Logger } from "probot";
import type { Prisma } from "../store/database.js";
import { HEARTBEAT_INTERVAL_MS, recordHeartbeat } from "../store/heartbeats.js";
import { Worker, workerOwner } from "./worker.js";

/**
 * Says every 30 s that this server process is alive (`ServerHeartbeat`), so `closeloop status` run anywhere against the
 * same database can tell an operator that no server is running: the inbox would fill and nothing would be reopened.
 */
export class HeartbeatWorker {
  readonly #worker: Worker;

  constructor(prisma: Prisma, log: Logger, now: () => Date = () => new Date()) {
    const process = { id: workerOwner(), host: hostname(), startedAt: now() };
    this.#worker = new Worker({
      name: "heartbeat",
      log,
      idleMs: HEARTBEAT_INTERVAL_MS,
      tick: async () => {
        await recordHeartbeat(prisma, process, now());
        return false;
      },
    });
  }

  start(): void {
    this.#worker.start();
  }

  stop(): Promise<void> {
    return this.#worker.stop();
  }
}
