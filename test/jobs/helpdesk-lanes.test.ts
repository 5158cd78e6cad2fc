import { describe, expect, it } from "vitest";
import { queuePacing } from "../../src/jobs/helpdesk-lanes.js";
import { providers } from "../../src/providers/registry.js";

describe("queuePacing: a provider's budget cut into ten even slices", () => {
  it.each([
    ["Intercom, 1,666 per 10 s", { requests: 1666, intervalMs: 10_000 }, { intervalCap: 166, interval: 997, concurrency: 64 }],
    ["Zendesk, 100 per minute", { requests: 100, intervalMs: 60_000 }, { intervalCap: 10, interval: 6000, concurrency: 4 }],
    ["Front, 50 per minute", { requests: 50, intervalMs: 60_000 }, { intervalCap: 5, interval: 6000, concurrency: 4 }],
    ["a budget under ten: one call a slice", { requests: 3, intervalMs: 60_000 }, { intervalCap: 1, interval: 20_000, concurrency: 4 }],
    ["the P3 bench, 100 per 10 s", { requests: 100, intervalMs: 10_000 }, { intervalCap: 10, interval: 1000, concurrency: 10 }],
  ])("%s", (_, budget, pacing) => {
    expect(queuePacing(budget)).toEqual(pacing);
  });

  it("never runs faster than any provider's default budget", () => {
    for (const definition of providers.values()) {
      const budget = definition.rateBudget(null as never);
      const { intervalCap, interval } = queuePacing(budget);
      expect(intervalCap / interval).toBeLessThanOrEqual(budget.requests / budget.intervalMs);
    }
  });
});
