import { setMaxListeners } from "node:events";
import PQueue from "p-queue";
import type { Logger } from "probot";
import type { ProviderId } from "../domain/link.js";
import { HelpdeskError, observingRateLimits, type RateLimitState } from "../providers/helpdesk-http.js";
import type { HelpdeskClient, RateBudget } from "../providers/provider.js";
import type { EnabledProvider } from "../providers/registry.js";

/** One enabled helpdesk as the workers drive it: a client and the budget its queue is sized to. */
export interface HelpdeskLane {
  provider: ProviderId;
  name: string;
  client: HelpdeskClient;
  budget: RateBudget;
}

/** A lane per enabled provider; `budgets` replaces a provider's default budget (benchmarks, tests). */
export function helpdeskLanes(enabled: ReadonlyMap<ProviderId, EnabledProvider>, budgets: Partial<Record<ProviderId, RateBudget>> = {}): HelpdeskLane[] {
  return [...enabled.entries()].map(([provider, { definition, settings }]) => ({
    provider,
    name: definition.name,
    client: definition.createClient(settings),
    budget: budgets[provider] ?? definition.rateBudget(settings),
  }));
}

/**
 * The p-queue settings for a budget: the window cut into ten slices (at least one request each) over a sliding window,
 * so calls are spread evenly instead of bursting at the start of each window, and the rate stays the budget's.
 */
export function queuePacing(budget: RateBudget): { intervalCap: number; interval: number; concurrency: number } {
  const intervalCap = Math.max(1, Math.floor(budget.requests / 10));
  const interval = Math.ceil((budget.intervalMs * intervalCap) / budget.requests);
  const perSecond = (budget.requests * 1000) / budget.intervalMs;
  // Enough calls in flight to keep the rate with a second of latency each, within reason.
  const concurrency = Math.min(64, Math.max(4, Math.ceil(perSecond)));
  return { intervalCap, interval, concurrency };
}

/**
 * Call priorities within a lane: a reopen finishes a job already half done, then reopen notes, then link notes, then
 * reads. Link notes go before reads: a rep reads a note now, while a read only refines labels (and the decay sweep
 * applies them anyway); a backfill's thousands of reads must not hold up the notes of links made today.
 */
export const PRIORITY = { reopen: 2, note: 1, linkNote: 0, read: -1 } as const;

const DEFAULT_RATE_LIMIT_PAUSE_MS = 5_000;
const LONGEST_PAUSE_MS = 5 * 60_000;

interface LaneState {
  lane: HelpdeskLane;
  queue: PQueue;
  pausedUntil: number;
  resumeTimer: NodeJS.Timeout | undefined;
}

/**
 * The per-helpdesk lanes every helpdesk call goes through (reopen jobs, enrichment reads): one p-queue per provider,
 * paced to its budget, paused by a 429's wait and by rate-limit headers that say nothing is left in the window. What a
 * lane learns of its provider's limits is its own: the HTTP layer reports it to the lane making the call.
 */
export class HelpdeskLanes {
  readonly #lanes = new Map<ProviderId, LaneState>();
  #abort = new AbortController();

  constructor(
    lanes: readonly HelpdeskLane[],
    private readonly log: Logger,
    /** a pause ended: the jobs that waited for it can be claimed */
    private readonly onResume: () => void,
  ) {
    for (const lane of lanes) this.#lanes.set(lane.provider, { lane, queue: new PQueue({ ...queuePacing(lane.budget), strict: true }), pausedUntil: 0, resumeTimer: undefined });
    // Every queued call listens on this one signal.
    setMaxListeners(0, this.#abort.signal);
  }

  get lanes(): HelpdeskLane[] {
    return [...this.#lanes.values()].map((state) => state.lane);
  }

  has(provider: string): boolean {
    return this.#lanes.has(provider as ProviderId);
  }

  /** The provider said to wait (a 429, or no calls left in its window): claim nothing for it until then. */
  paused(provider: ProviderId): boolean {
    return (this.#lanes.get(provider)?.pausedUntil ?? 0) > Date.now();
  }

  /**
   * One helpdesk call through the provider's queue (higher priority first), reading its rate-limit signals. stop()
   * aborts the calls still waiting in the queue (rejecting with an AbortError); a call already sent is seen through,
   * since the helpdesk may have done it (p-queue would reject it at the abort, and its job, handed back as not
   * started, would post its note twice).
   */
  async send<T>(provider: ProviderId, priority: number, call: () => Promise<T>): Promise<T> {
    const state = this.#lanes.get(provider);
    if (state === undefined) throw new Error(`no helpdesk lane for ${provider}`);
    let sent: Promise<T> | undefined;
    const observe = (signals: RateLimitState) => this.#heed(state, signals);
    const run = async () => {
      try {
        return await observingRateLimits(observe, call);
      } catch (error) {
        if (error instanceof HelpdeskError && error.status === 429) this.#pause(state, error.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS);
        throw error;
      }
    };
    try {
      return await state.queue.add(() => (sent = run()), { priority, signal: this.#abort.signal });
    } catch (error) {
      if (sent !== undefined && isAbort(error)) return sent;
      throw error;
    }
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

  /** The provider said nothing is left in this window: wait for its reset rather than collect 429s. */
  #heed(state: LaneState, signals: RateLimitState): void {
    if (signals.remaining !== 0 || signals.resetAt === undefined) return;
    const wait = signals.resetAt.getTime() - Date.now();
    if (wait > 0) this.#pause(state, wait);
  }

  #pause(state: LaneState, ms: number): void {
    const until = Date.now() + Math.min(ms, LONGEST_PAUSE_MS);
    if (until <= state.pausedUntil) return;
    state.pausedUntil = until;
    state.queue.pause();
    clearTimeout(state.resumeTimer);
    this.log.warn({ provider: state.lane.provider }, `helpdesk: ${state.lane.name} rate limit reached; pausing its calls for ${Math.ceil((until - Date.now()) / 1000)}s`);
    state.resumeTimer = setTimeout(() => {
      state.pausedUntil = 0;
      state.queue.start();
      this.onResume();
    }, until - Date.now());
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
