import {
  heedRateLimited,
  heedSignals,
  startPace,
  takeTurn,
  unitsPerSecond,
  waitUntil,
  type Pace,
  type PaceSignals,
} from "../domain/rate-pacing.js";
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
    return waitUntil(
      await this.#change(key, budget, (pace, now) => heedSignals(pace, signals, ticket, now)),
      Date.now(),
    );
  }

  /** a 429 with the wait it named; returns until when to wait */
  async rateLimited(key: string, budget: RateBudget, retryAfterMs: number | undefined): Promise<number> {
    return waitUntil(
      await this.#change(key, budget, (pace, now) => heedRateLimited(pace, retryAfterMs, now)),
      Date.now(),
    );
  }

  /** the announced (or default) rate, as last seen here: for how much work to claim ahead */
  unitsPerSecond(key: string, budget: RateBudget): number {
    return unitsPerSecond(this.seen(key, budget));
  }

  /** the budget's pace as this process last saw it */
  protected seen(key: string, budget: RateBudget): Pace {
    return this.#seen.get(key) ?? startPace(budget, Date.now());
  }

  protected remember(key: string, pace: Pace): Pace {
    this.#seen.set(key, pace);
    return pace;
  }

  async #change(key: string, budget: RateBudget, change: (pace: Pace, now: number) => Pace): Promise<Pace> {
    return this.remember(key, await this.change(key, budget, change));
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

type PaceChange = (pace: Pace, now: number) => Pace;

/** An answer not yet written waits at most this long for the next turn's transaction to carry it. */
const HEED_FLUSH_MS = 100;

/**
 * The paces every replica shares through the database (PostgreSQL): each turn and 429 is one change of the budget's
 * row (changeSharedPace), so N replicas together keep to one budget and each hears what the others' answers said. An
 * answer's signals ride with the next turn's change (or are written within 100 ms): one write per call, not two.
 */
export class SharedPaces extends PaceKeeper {
  readonly #pending = new Map<string, { budget: RateBudget; changes: PaceChange[]; timer: NodeJS.Timeout }>();
  /** budgets whose row this process has seen */
  readonly #rows = new Set<string>();

  constructor(
    private readonly prisma: Prisma,
    private readonly lock: BudgetLock = "optimistic",
  ) {
    super();
  }

  /** Noted here at once (this process paces by it), written with the next change of the row. */
  override heed(key: string, budget: RateBudget, signals: PaceSignals, ticket: number): Promise<number> {
    const change: PaceChange = (pace, now) => heedSignals(pace, signals, ticket, now);
    const pending = this.#pending.get(key) ?? {
      budget,
      changes: [],
      timer: setTimeout(() => void this.#flush(key), HEED_FLUSH_MS).unref(),
    };
    pending.changes.push(change);
    this.#pending.set(key, pending);
    const now = Date.now();
    return Promise.resolve(waitUntil(this.remember(key, change(this.seen(key, budget), now)), now));
  }

  protected async change(key: string, budget: RateBudget, change: PaceChange): Promise<Pace> {
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    clearTimeout(pending?.timer);
    const heard = pending?.changes ?? [];
    try {
      const pace = await changeSharedPace(
        this.prisma,
        key,
        budget,
        (pace, now) =>
          change(
            heard.reduce((before, apply) => apply(before, now), pace),
            now,
          ),
        {
          lock: this.lock,
          rowExists: this.#rows.has(key),
        },
      );
      this.#rows.add(key);
      return pace;
    } catch (error) {
      // Not written: the answers wait for the next change, which fails in its turn if the database stays away.
      for (const apply of heard.reverse()) this.#requeue(key, budget, apply);
      throw error;
    }
  }

  async #flush(key: string): Promise<void> {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    await this.change(key, pending.budget, (pace) => pace).catch(() => undefined);
  }

  #requeue(key: string, budget: RateBudget, change: PaceChange): void {
    const pending = this.#pending.get(key) ?? {
      budget,
      changes: [],
      timer: setTimeout(() => void this.#flush(key), HEED_FLUSH_MS).unref(),
    };
    pending.changes.unshift(change);
    this.#pending.set(key, pending);
  }
}
