import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { Logger } from "probot";
import { PollLoop } from "./poll-loop.js";

/** Names this process's workers in the lease columns, so `closeloop status` and the logs can tell replicas apart. */
export function workerOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface WorkerShape {
  /** for logs: "reopen", "delivery inbox" */
  name: string;
  log: Logger;
  /** one round of work; true when more is waiting (the next round starts at once) */
  tick(): Promise<boolean>;
  idleMs: number;
  /** renews what the worker holds, every third of `leaseMs` (so two renewals may be missed before a lease runs out) */
  heartbeat?: { leaseMs: number; renew(): Promise<void> };
  /** once the loop stopped: drop work that has not started (calls waiting in a queue) */
  stopping?(): void;
  /** then the work in flight, waited for (with the round in progress) at most `stopTimeoutMs`; then its leases expire */
  inFlight?(): Promise<unknown>;
  stopTimeoutMs?: number;
  /** last, whether or not the work in flight finished: hand back what was claimed and never started */
  afterStop?(): Promise<void>;
}

/**
 * The shape every worker composes: a poll loop (woken when work arrives), a heartbeat that renews its leases, and a
 * bounded stop (stop claiming, let the work in flight finish for a while, hand back the rest).
 */
export class Worker {
  readonly #shape: WorkerShape;
  readonly #loop: PollLoop;
  #heartbeat: NodeJS.Timeout | undefined;
  #running = false;

  constructor(shape: WorkerShape) {
    this.#shape = shape;
    this.#loop = new PollLoop(
      () => shape.tick(),
      shape.idleMs,
      (error) => shape.log.error({ err: error }, `${shape.name}: a round of work failed; trying again`),
    );
  }

  /** The worker was started and has not been told to stop: loops check this between items. */
  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const heartbeat = this.#shape.heartbeat;
    if (heartbeat !== undefined) {
      this.#heartbeat = setInterval(
        () => {
          heartbeat
            .renew()
            .catch((error: unknown) =>
              this.#shape.log.warn({ err: error }, `${this.#shape.name}: could not renew leases; trying again`),
            );
        },
        Math.max(100, Math.floor(heartbeat.leaseMs / 3)),
      );
    }
    this.#loop.start();
  }

  /** Work arrived: look now instead of at the next poll. */
  wake(): void {
    this.#loop.wake();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    const drained = (async () => {
      await this.#loop.stop();
      this.#shape.stopping?.();
      await this.#shape.inFlight?.();
      return "drained" as const;
    })();
    let bound: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">(
      (resolve) => (bound = setTimeout(() => resolve("timeout"), this.#shape.stopTimeoutMs ?? 15_000)),
    );
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(bound);
    if (outcome === "timeout")
      this.#shape.log.warn(
        `${this.#shape.name}: stopped with work still in flight; its leases expire and another worker takes it over`,
      );
    clearInterval(this.#heartbeat);
    try {
      await this.#shape.afterStop?.();
    } catch (error) {
      this.#shape.log.warn(
        { err: error },
        `${this.#shape.name}: could not hand back unstarted work; its leases will expire`,
      );
    }
  }
}

/** Options with the keys left undefined dropped, so they do not override the defaults spread before them. */
export function definedOptions<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
