import type { Logger } from "probot";
import { QUEUES } from "../config/queues.js";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import {
  CLAIMED_DELIVERY,
  DELIVERIES,
  deliveryFailed,
  purgeExpiredDeliveries,
  storedDelivery,
  type StoredDelivery,
} from "../store/deliveries.js";
import { deliveriesProcessed } from "../metrics.js";
import { errorSummary } from "./error-summary.js";
import { hourly } from "./hourly.js";
import { IngestHoldBack, type IngestActive } from "./ingest-hold-back.js";
import { LeaseHolder } from "./lease-holder.js";
import { decideRetry } from "./retry-policy.js";
import { definedOptions, Worker, workerOwner } from "./worker.js";

export interface DeliveryWorkerOptions {
  batch?: number;
  leaseMs?: number;
  idlePollMs?: number;
  maxAttempts?: number;
  /** deliveries processed at once; SQLite writes one at a time anyway */
  concurrency?: number;
  /**
   * True while a burst of webhooks is arriving: the worker then waits (looking again every `yieldMs`), so the burst
   * is answered at full speed and processed right after, instead of both slowing each other down; held back
   * `maxHoldMs` in a row, it runs anyway (IngestHoldBack).
   */
  ingestActive?: IngestActive;
  yieldMs?: number;
  maxHoldMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/**
 * Drains the delivery inbox: claims stored deliveries under a lease and runs the app's handlers on each. A
 * delivery leaves the inbox only once its handlers succeeded; a failure is retried with backoff, and after
 * `maxAttempts` it is kept as dead for `closeloop status`. Crashed workers' leases expire and are taken over.
 */
export class DeliveryWorker {
  readonly #options: Required<DeliveryWorkerOptions>;
  readonly #worker: Worker;
  readonly #leases: LeaseHolder<string>;
  readonly #holdBack: IngestHoldBack;
  /** stop() was called: a burst is no longer waited out, and the batch in hand is finished without claiming more */
  #stopping = false;
  /**
   * Dead deliveries hold comment and message text: those older than 30 days are deleted (README, Retention), at most
   * once an hour per process.
   */
  readonly #purgeExpired = hourly(async (now) => {
    const purged = await purgeExpiredDeliveries(this.prisma, now);
    if (purged > 0) this.log.info(`delivery inbox: purged ${purged} dead deliveries older than 30 days`);
  });

  constructor(
    private readonly prisma: Prisma,
    engine: Engine,
    private readonly dispatch: (delivery: StoredDelivery) => Promise<void>,
    private readonly log: Logger,
    options: DeliveryWorkerOptions = {},
  ) {
    this.#options = {
      ...QUEUES.delivery,
      batch: 20,
      idlePollMs: 1_000,
      concurrency: engine === "sqlite" ? 1 : 4,
      ingestActive: () => false,
      yieldMs: 50,
      maxHoldMs: 10_000,
      ...definedOptions(options),
    };
    this.#holdBack = new IngestHoldBack(this.#options);
    this.#leases = new LeaseHolder(
      prisma,
      engine,
      DELIVERIES,
      { owner: workerOwner(), leaseMs: this.#options.leaseMs },
      log,
    );
    this.#worker = new Worker({
      name: "delivery inbox",
      log,
      idleMs: this.#options.idlePollMs,
      // Woken by each stored batch: during a burst, neither claim nor process (both cost the database CPU the
      // requests need); the burst's deliveries are taken right after it.
      tick: async () => {
        await this.#whileBurst();
        await this.drain();
        return false;
      },
      heartbeat: { leaseMs: this.#options.leaseMs, renew: () => this.#leases.renew() },
    });
  }

  start(): void {
    this.#stopping = false;
    this.#worker.start();
  }

  /** New work was stored: look now instead of at the next poll. */
  wake(): void {
    this.#worker.wake();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#worker.stop();
  }

  /** Processes what is claimable now, until nothing is left; returns how many deliveries were handled. */
  async drain(): Promise<number> {
    await this.#purgeExpired();
    let handled = 0;
    // Stopping: the batch in hand is finished, the rest waits in the inbox for the next start or another replica.
    while (!this.#stopping) {
      const rows = await this.#leases.claim<Parameters<typeof storedDelivery>[0]>(this.#options.batch, {
        returning: CLAIMED_DELIVERY,
      });
      if (rows.length === 0) return handled;
      await this.#processBatch(rows.map(storedDelivery));
      handled += rows.length;
    }
    return handled;
  }

  async #processBatch(batch: StoredDelivery[]): Promise<void> {
    let next = 0;
    const handled: string[] = [];
    const lane = async () => {
      while (next < batch.length) {
        // Webhook requests go first: the inbox absorbs a burst and the worker catches up right after it. A burst
        // lasts 10 s at most (DeliveryInbox.receiving, and the hold-back's backstop): a stream that goes on is processed
        // as it comes.
        await this.#whileBurst();
        if (next >= batch.length) return;
        const delivery = batch[next++]!;
        if (await this.#process(delivery)) handled.push(delivery.id);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, batch.length) }, lane));
    // The handled deliveries leave the inbox together: one statement per batch, not a round trip after each (P8,
    // #25). Until then they stay held under the lease; should the process die first, they are handled again when
    // it runs out, as a delivery handled just before a crash always was (handlers are idempotent).
    const lost = await this.#leases.deleteAll(handled);
    deliveriesProcessed.inc({ outcome: "done" }, handled.length - lost.length);
  }

  #whileBurst(): Promise<void> {
    return this.#holdBack.wait(() => this.#stopping);
  }

  /** Runs the handlers on one delivery; true when they succeeded (the caller deletes it), false when it was settled. */
  async #process(delivery: StoredDelivery): Promise<boolean> {
    try {
      await this.dispatch(delivery);
      return true;
    } catch (error) {
      const reason = errorSummary(error);
      const what = `delivery ${delivery.id} (${delivery.name})`;
      const context = { delivery: delivery.id, event: delivery.name, attempts: delivery.attempts };
      const decision = decideRetry({ retryable: true }, delivery.attempts, this.#options);
      if (decision.retry) {
        this.log.warn(context, `${what} failed; retry in ${Math.round(decision.delayMs / 1000)}s: ${reason}`);
        await this.#leases.settle(delivery.id, deliveryFailed(reason, { retryAt: decision.at }));
        deliveriesProcessed.inc({ outcome: "retry" });
      } else {
        this.log.error(context, `${what} failed ${delivery.attempts} times; kept as dead: ${reason}`);
        await this.#leases.settle(delivery.id, deliveryFailed(reason, { dead: new Date() }));
        deliveriesProcessed.inc({ outcome: "dead" });
      }
      return false;
    }
  }
}
