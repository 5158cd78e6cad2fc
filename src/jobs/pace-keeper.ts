import { heedRateLimited, heedSignals, startPace, takeTurn, unitsPerSecond, waitUntil, type Pace, type PaceSignals } from "../domain/rate-pacing.js";
import type { RateBudget } from "../providers/provider.js";
import type { Prisma } from "../store/database.js";
import { changeSharedPace, type BudgetLock } from "../store/helpdesk-budgets.js";

/**
 * Where the paces of the helpdesk budgets are kept (docs/jobs.md, "Pacing"): in this process (`LocalPaces`, SQLite), or
 * in a row per budget every replica shares (`SharedPaces`, PostgreSQL). A budget is known by its key,
 * `<provider>:calls` or `<provider>:writes`, and starts from its default budget the first time it is used. The rules
 * are the pure ones of src/domain/rate-pacing.ts; a keeper only says where the pace lives.
 */
export abstract class PaceKeeper {
  /** the pace as this process last saw it */
  readonly #seen = new Map<string, Pace>();

  /** applies `change` to the budget's pace where it is kept; returns the new pace */
  protected abstract change(key: string, budget: RateBudget, change: (pace: Pace, now: number) => Pace): Promise<Pace>;

  /** a turn for `cost` units: the time the call may go and its ticket */
  async take(key: string, budget: RateBudget, cost: number): Promise<{ at: number; ticket: number }> {
    let turn = { at: 0, ticket: 0 };
    await this.#change(key, budget, (pace, now) => {
      const taken = takeTurn(pace, now, cost);
      turn = { at: taken.at, ticket: taken.ticket };
      return taken.pace;
    });
    return turn;
  }

  /** an answer's rate-limit signals, for the turn `ticket`; returns until when to wait (now or earlier: not at all) */
  async heed(key: string, budget: RateBudget, signals: PaceSignals, ticket: number): Promise<number> {
    return waitUntil(await this.#change(key, budget, (pace, now) => heedSignals(pace, signals, ticket, now)), Date.now());
  }

  /** a 429 with the wait it named; returns until when to wait */
  async rateLimited(key: string, budget: RateBudget, retryAfterMs: number | undefined): Promise<number> {
    return waitUntil(await this.#change(key, budget, (pace, now) => heedRateLimited(pace, retryAfterMs, now)), Date.now());
  }

  /** the announced (or default) rate, as last seen here: for how much work to claim ahead */
  unitsPerSecond(key: string, budget: RateBudget): number {
    return unitsPerSecond(this.#seen.get(key) ?? startPace(budget, Date.now()));
  }

  async #change(key: string, budget: RateBudget, change: (pace: Pace, now: number) => Pace): Promise<Pace> {
    const pace = await this.change(key, budget, change);
    this.#seen.set(key, pace);
    return pace;
  }
}

/** The paces of one process: SQLite (one process), and tests. */
export class LocalPaces extends PaceKeeper {
  readonly #paces = new Map<string, Pace>();

  protected change(key: string, budget: RateBudget, change: (pace: Pace, now: number) => Pace): Promise<Pace> {
    const now = Date.now();
    const pace = change(this.#paces.get(key) ?? startPace(budget, now), now);
    this.#paces.set(key, pace);
    return Promise.resolve(pace);
  }
}

/**
 * The paces every replica shares through the database (PostgreSQL): each turn, answer and 429 is one short transaction
 * on the budget's row, so N replicas together keep to one budget and each hears what the others' answers said.
 */
export class SharedPaces extends PaceKeeper {
  constructor(
    private readonly prisma: Prisma,
    private readonly lock: BudgetLock = "row",
  ) {
    super();
  }

  protected change(key: string, budget: RateBudget, change: (pace: Pace, now: number) => Pace): Promise<Pace> {
    return changeSharedPace(this.prisma, key, budget, change, this.lock);
  }
}
