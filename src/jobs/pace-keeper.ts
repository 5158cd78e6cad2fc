import { heedRateLimited, heedSignals, startPace, takeTurn, unitsPerSecond, waitUntil, type Pace, type PaceSignals } from "../domain/rate-pacing.js";
import type { RateBudget } from "../providers/provider.js";

/**
 * Where the paces of the helpdesk budgets are kept (docs/jobs.md, "Pacing"): in this process (`LocalPaces`), or in a
 * row per budget every replica shares (`SharedPaces`, PostgreSQL). A budget is known by its key, `<provider>:calls` or
 * `<provider>:writes`, and starts from its default budget the first time it is used.
 */
export interface PaceKeeper {
  /** a turn for `cost` units: the time the call may go and its ticket */
  take(key: string, budget: RateBudget, cost: number): Promise<{ at: number; ticket: number }>;
  /** an answer's rate-limit signals, for the turn `ticket`; returns until when to wait (now or earlier: not at all) */
  heed(key: string, budget: RateBudget, signals: PaceSignals, ticket: number): Promise<number>;
  /** a 429 with the wait it named; returns until when to wait */
  rateLimited(key: string, budget: RateBudget, retryAfterMs: number | undefined): Promise<number>;
  /** the announced (or default) rate, as last known here: for how much work to claim ahead */
  unitsPerSecond(key: string, budget: RateBudget): number;
}

/** The paces of one process (SQLite, one process; tests). */
export class LocalPaces implements PaceKeeper {
  readonly #paces = new Map<string, Pace>();

  take(key: string, budget: RateBudget, cost: number): Promise<{ at: number; ticket: number }> {
    let turn = { at: 0, ticket: 0 };
    this.#update(key, budget, (pace, now) => {
      const taken = takeTurn(pace, now, cost);
      turn = { at: taken.at, ticket: taken.ticket };
      return taken.pace;
    });
    return Promise.resolve(turn);
  }

  heed(key: string, budget: RateBudget, signals: PaceSignals, ticket: number): Promise<number> {
    return Promise.resolve(this.#update(key, budget, (pace, now) => heedSignals(pace, signals, ticket, now)));
  }

  rateLimited(key: string, budget: RateBudget, retryAfterMs: number | undefined): Promise<number> {
    return Promise.resolve(this.#update(key, budget, (pace, now) => heedRateLimited(pace, retryAfterMs, now)));
  }

  unitsPerSecond(key: string, budget: RateBudget): number {
    return unitsPerSecond(this.#pace(key, budget));
  }

  /** Applies a change to a budget's pace; returns until when the helpdesk said to wait. */
  #update(key: string, budget: RateBudget, change: (pace: Pace, now: number) => Pace): number {
    const now = Date.now();
    const pace = change(this.#pace(key, budget), now);
    this.#paces.set(key, pace);
    return waitUntil(pace, now);
  }

  #pace(key: string, budget: RateBudget): Pace {
    let pace = this.#paces.get(key);
    if (pace === undefined) {
      pace = startPace(budget, Date.now());
      this.#paces.set(key, pace);
    }
    return pace;
  }
}
