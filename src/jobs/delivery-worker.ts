import type { Logger } from "probot";
import type { Engine } from "../store/database-url.js";
import type { Prisma } from "../store/database.js";
import { claimDeliveries, completeDelivery, failDelivery, type StoredDelivery } from "../store/deliveries.js";
import { backoffDelay } from "./backoff.js";
import { PollLoop } from "./poll-loop.js";
import { errorSummary } from "./error-summary.js";

export interface DeliveryWorkerOptions {
  batch?: number;
  leaseMs?: number;
  idlePollMs?: number;
  maxAttempts?: number;
  /** deliveries processed at once; SQLite writes one at a time anyway */
  concurrency?: number;
  /**
   * True while a burst of webhooks is arriving: the worker then waits (looking again every `yieldMs`), so the burst
   * is answered at full speed and processed right after, instead of both slowing each other down. It must turn false
   * within a bounded time (the server's DeliveryInbox.receiving does, after 10 s), or the worker would wait for ever.
   */
  ingestActive?: () => boolean;
  yieldMs?: number;
}

/**
 * Drains the delivery inbox: claims stored deliveries under a lease and runs the app's handlers on each. A
 * delivery leaves the inbox only once its handlers succeeded; a failure is retried with backoff, and after
 * `maxAttempts` it is kept as dead for `closeloop status`. Crashed workers' leases expire and are taken over.
 */
export class DeliveryWorker {
  readonly #options: Required<DeliveryWorkerOptions>;
  readonly #loop: PollLoop;
  /** stop() was called: a burst is no longer waited out */
  #stopping = false;

  constructor(
    private readonly prisma: Prisma,
    private readonly engine: Engine,
    private readonly dispatch: (delivery: StoredDelivery) => Promise<void>,
    private readonly log: Logger,
    options: DeliveryWorkerOptions = {},
  ) {
    this.#options = {
      batch: options.batch ?? 20,
      leaseMs: options.leaseMs ?? 10_000,
      idlePollMs: options.idlePollMs ?? 1_000,
      maxAttempts: options.maxAttempts ?? 8,
      concurrency: options.concurrency ?? (engine === "sqlite" ? 1 : 4),
      ingestActive: options.ingestActive ?? (() => false),
      yieldMs: options.yieldMs ?? 50,
    };
    this.#loop = new PollLoop(
      async () => {
        // Woken by each stored batch: during a burst, neither claim nor process (both cost the database CPU the
        // requests need); the burst's deliveries are taken right after it.
        await this.#whileBurst();
        await this.drain();
        return false;
      },
      this.#options.idlePollMs,
      (error) => this.log.error({ err: error }, "delivery inbox: cannot claim deliveries; retrying"),
    );
  }

  start(): void {
    this.#stopping = false;
    this.#loop.start();
  }

  /** New work was stored: look now instead of at the next poll. */
  wake(): void {
    this.#loop.wake();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#loop.stop();
  }

  /** Processes what is claimable now, until nothing is left; returns how many deliveries were handled. */
  async drain(): Promise<number> {
    let handled = 0;
    // Stopping: the batch in hand is finished, the rest waits in the inbox for the next start or another replica.
    while (!this.#stopping) {
      const batch = await claimDeliveries(this.prisma, this.engine, this.#options.batch, this.#options.leaseMs);
      if (batch.length === 0) return handled;
      await this.#processBatch(batch);
      handled += batch.length;
    }
    return handled;
  }

  async #processBatch(batch: StoredDelivery[]): Promise<void> {
    let next = 0;
    const lane = async () => {
      while (next < batch.length) {
        // Webhook requests go first: the inbox absorbs a burst and the worker catches up right after it. A burst
        // lasts 10 s at most (DeliveryInbox.receiving): a stream that goes on is processed as it comes.
        await this.#whileBurst();
        if (next >= batch.length) return;
        await this.#process(batch[next++]!);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, batch.length) }, lane));
  }

  async #whileBurst(): Promise<void> {
    while (!this.#stopping && this.#options.ingestActive()) await new Promise((resolve) => setTimeout(resolve, this.#options.yieldMs));
  }

  async #process(delivery: StoredDelivery): Promise<void> {
    try {
      await this.dispatch(delivery);
      await completeDelivery(this.prisma, delivery.id);
    } catch (error) {
      const reason = errorSummary(error);
      if (delivery.attempts >= this.#options.maxAttempts) {
        this.log.error({ delivery: delivery.id, event: delivery.name, attempts: delivery.attempts }, `delivery ${delivery.id} (${delivery.name}) failed ${delivery.attempts} times; kept as dead: ${reason}`);
        await failDelivery(this.prisma, delivery.id, reason, { dead: new Date() });
      } else {
        const delay = backoffDelay(delivery.attempts, 1_000, 5 * 60_000);
        this.log.warn({ delivery: delivery.id, event: delivery.name, attempts: delivery.attempts }, `delivery ${delivery.id} (${delivery.name}) failed; retry in ${Math.round(delay / 1000)}s: ${reason}`);
        await failDelivery(this.prisma, delivery.id, reason, { retryAt: new Date(Date.now() + delay) });
      }
    }
  }
}

