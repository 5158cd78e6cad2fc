import type { ProviderId } from "../domain/link.js";
import type { HelpdeskClient, RateBudget } from "../providers/provider.js";
import type { EnabledProvider } from "../providers/registry.js";

/** One enabled helpdesk as the reopen worker drives it: a client and the budget its queue is sized to. */
export interface ReopenLane {
  provider: ProviderId;
  name: string;
  client: HelpdeskClient;
  budget: RateBudget;
}

/** A lane per enabled provider; `budgets` replaces a provider's default budget (benchmarks, tests). */
export function reopenLanes(enabled: ReadonlyMap<ProviderId, EnabledProvider>, budgets: Partial<Record<ProviderId, RateBudget>> = {}): ReopenLane[] {
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
