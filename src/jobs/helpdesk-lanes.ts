import { setMaxListeners } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import PQueue from "p-queue";
import type { Logger } from "probot";
import type { ProviderId } from "../domain/link.js";
import { HelpdeskError, observingRateLimits, type RateLimitState } from "../providers/helpdesk-http.js";
import type { HelpdeskClient, RateBudget } from "../providers/provider.js";
import type { EnabledProvider } from "../providers/registry.js";
import { LocalPaces, type PaceKeeper } from "./pace-keeper.js";

/** One enabled helpdesk as the workers drive it: a client and the budgets its calls start from. */
export interface HelpdeskLane {
  provider: ProviderId;
  name: string;
  client: HelpdeskClient;
  /** every call draws on it: the documented default, until the helpdesk's headers say otherwise */
  budget: RateBudget;
  /** writes draw on it too, when the helpdesk limits them apart (Zendesk's ticket updates) */
  writeBudget?: RateBudget | undefined;
  /** units of `budget` a write takes (Help Scout counts a write as two); 1 when unset */
  writeCost?: number | undefined;
}

/** A lane per enabled provider; `budgets` replaces a provider's default budget (benchmarks, tests). */
export function helpdeskLanes(
  enabled: ReadonlyMap<ProviderId, EnabledProvider>,
  budgets: Partial<Record<ProviderId, RateBudget>> = {},
): HelpdeskLane[] {
  return [...enabled.entries()].map(([provider, { definition, settings }]) => ({
    provider,
    name: definition.name,
    client: definition.createClient(settings),
    budget: budgets[provider] ?? definition.rateBudget(settings),
    writeBudget: definition.writeBudget?.(settings),
    writeCost: definition.writeCost,
  }));
}

/** Calls sent and not yet answered, per lane: enough to keep the rate with a second of latency each, within reason. */
export function callsInFlight(callsPerSecond: number): number {
  return Math.min(64, Math.max(4, Math.ceil(callsPerSecond)));
}

/**
 * What a call does, which sets its turn within a lane and the budgets it draws on: a reopen finishes a job already half
 * done, then reopen notes, then link notes, then reads. Link notes go before reads: a rep reads a note now, while a read
 * only refines labels (and the decay sweep applies them anyway); a backfill's thousands of reads must not hold up the
 * notes of links made today. A reminder that nobody answered a reopened customer (docs/answers.md) is a note like a
 * link note, and as rare as a reopen. Every kind but a read is a write.
 */
export type CallKind = "reopen" | "note" | "linkNote" | "reminder" | "read";

/** Call priorities within a lane, by kind (above). */
export const PRIORITY: Record<CallKind, number> = { reopen: 2, note: 1, linkNote: 0, reminder: 0, read: -1 };

interface LaneState {
  lane: HelpdeskLane;
  /** calls wait here, by priority, for their turn in the budgets */
  queue: PQueue;
  /** reads wait here instead when writes have a budget of their own, so they never wait for that one */
  reads: PQueue;
  inFlight: number;
  /** told when a call in flight ends */
  waiting: (() => void)[];
  pausedUntil: number;
  resumeTimer: NodeJS.Timeout | undefined;
}

/**
 * The per-helpdesk lanes every helpdesk call goes through (reopen jobs, enrichment reads). Each call waits in its
 * lane's queue (by priority) for a turn in the budgets it draws on, kept by a PaceKeeper and paced by what the
 * helpdesk's headers said (src/domain/rate-pacing.ts); what an answer says is handed back to the keeper. A 429, or
 * nothing left before a reset, pauses the lane: it claims nothing until then.
 */
export class HelpdeskLanes {
  readonly #lanes = new Map<ProviderId, LaneState>();
  #abort = new AbortController();

  constructor(
    lanes: readonly HelpdeskLane[],
    private readonly log: Logger,
    /** a pause ended: the jobs that waited for it can be claimed */
    private readonly onResume: () => void,
    private readonly paces: PaceKeeper = new LocalPaces(),
  ) {
    for (const lane of lanes) {
      const queue = new PQueue({ concurrency: 1 });
      const reads = lane.writeBudget === undefined ? queue : new PQueue({ concurrency: 1 });
      this.#lanes.set(lane.provider, {
        lane,
        queue,
        reads,
        inFlight: 0,
        waiting: [],
        pausedUntil: 0,
        resumeTimer: undefined,
      });
    }
    // Every queued call listens on this one signal.
    setMaxListeners(0, this.#abort.signal);
  }

  get lanes(): HelpdeskLane[] {
    return [...this.#lanes.values()].map((state) => state.lane);
  }

  has(provider: string): boolean {
    return this.#lanes.has(provider as ProviderId);
  }

  /** The provider said to wait (a 429, or no calls left before its reset): claim nothing for it until then. */
  paused(provider: ProviderId): boolean {
    return (this.#lanes.get(provider)?.pausedUntil ?? 0) > Date.now();
  }

  /** The rate a kind of call may go at in a lane, as last heard (or the default): for how much work to claim ahead. */
  callsPerSecond(provider: ProviderId, kind: CallKind): number {
    const state = this.#lanes.get(provider);
    if (state === undefined) return 0;
    return Math.min(
      ...this.#draws(state.lane, kind).map(({ key, budget, cost }) => this.paces.unitsPerSecond(key, budget) / cost),
    );
  }

  /**
   * One helpdesk call in the provider's lane: it waits (higher priority first) for its turn in each budget it draws on,
   * then is sent, and its answer's rate-limit signals go to the keeper. stop() aborts the calls still waiting (rejecting
   * with an AbortError); a call already sent is seen through, since the helpdesk may have done it (its job, handed back
   * as not started, would post its note twice).
   */
  async send<T>(provider: ProviderId, kind: CallKind, call: () => Promise<T>): Promise<T> {
    const state = this.#lanes.get(provider);
    if (state === undefined) throw new Error(`no helpdesk lane for ${provider}`);
    const signal = this.#abort.signal;
    const draws = this.#draws(state.lane, kind);
    let sent: Promise<T> | undefined;
    const admit = async () => {
      const tickets: number[] = [];
      for (const { key, budget, cost } of draws) {
        const turn = await this.paces.take(key, budget, cost);
        const wait = turn.at - Date.now();
        if (wait > 0) await sleep(wait, undefined, { signal });
        tickets.push(turn.ticket);
      }
      while (state.inFlight >= callsInFlight(this.callsPerSecond(provider, kind)))
        await new Promise<void>((resolve) => state.waiting.push(resolve));
      state.inFlight += 1;
      sent = this.#run(state, draws, tickets, call);
      // Admitted: the queue moves on while the call is in flight.
    };
    const queue = kind === "read" ? state.reads : state.queue;
    await queue.add(admit, { priority: PRIORITY[kind], signal });
    return sent!;
  }

  /** A call's failure was stop() aborting it before it was sent. */
  aborted(error: unknown): boolean {
    return this.#abort.signal.aborted && isAbort(error);
  }

  /** Drops the calls still waiting (their jobs are handed back); calls already sent finish. */
  stop(): void {
    this.#abort.abort();
    for (const state of this.#lanes.values()) clearTimeout(state.resumeTimer);
  }

  /** Ready for calls again after a stop. */
  restart(): void {
    if (!this.#abort.signal.aborted) return;
    this.#abort = new AbortController();
    setMaxListeners(0, this.#abort.signal);
  }

  /** The budgets a call draws on, under the keys the keeper knows them by: writes also on the write budget. */
  #draws(lane: HelpdeskLane, kind: CallKind): { key: string; budget: RateBudget; cost: number }[] {
    const calls = { key: `${lane.provider}:calls`, budget: lane.budget, cost: 1 };
    if (kind === "read") return [calls];
    const write = { ...calls, cost: lane.writeCost ?? 1 };
    return lane.writeBudget === undefined
      ? [write]
      : [{ key: `${lane.provider}:writes`, budget: lane.writeBudget, cost: 1 }, write];
  }

  async #run<T>(
    state: LaneState,
    draws: { key: string; budget: RateBudget }[],
    tickets: number[],
    call: () => Promise<T>,
  ): Promise<T> {
    // The headers speak of the budget every call draws on (the last one); a write budget has none of its own.
    const calls = draws.at(-1)!;
    let heard: RateLimitState | undefined;
    try {
      return await observingRateLimits((signals) => (heard = signals), call);
    } catch (error) {
      if (error instanceof HelpdeskError && error.status === 429) {
        for (const { key, budget } of draws)
          this.#pauseUntil(state, await this.paces.rateLimited(key, budget, error.retryAfterMs), "warn");
      }
      throw error;
    } finally {
      state.inFlight -= 1;
      for (const resume of state.waiting.splice(0)) resume();
      if (heard !== undefined) {
        // Off the call's path: the job goes on while the keeper notes what the helpdesk said.
        const signals = { limit: heard.limit, remaining: heard.remaining, resetAt: heard.resetAt?.getTime() };
        void this.paces.heed(calls.key, calls.budget, signals, tickets.at(-1)!).then(
          (until) => this.#pauseUntil(state, until, "debug"),
          (error: unknown) => this.#unheard(state, error),
        );
      }
    }
  }

  #unheard(state: LaneState, error: unknown): void {
    this.log.warn(
      { err: error, provider: state.lane.provider },
      `helpdesk: could not record what ${state.lane.name} said of its rate limit; pacing on what was known`,
    );
  }

  /**
   * The provider said to wait until `until`: claim nothing for it until then. A 429 is worth a warning; nothing left
   * before a reset is the pace working (it comes at the end of most windows).
   */
  #pauseUntil(state: LaneState, until: number, level: "warn" | "debug"): void {
    if (until <= Date.now() || until <= state.pausedUntil) return;
    state.pausedUntil = until;
    clearTimeout(state.resumeTimer);
    this.log[level](
      { provider: state.lane.provider },
      `helpdesk: ${state.lane.name} rate limit reached; pausing its calls for ${Math.ceil((until - Date.now()) / 1000)}s`,
    );
    state.resumeTimer = setTimeout(() => {
      state.pausedUntil = 0;
      this.onResume();
    }, until - Date.now());
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
