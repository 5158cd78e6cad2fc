import { describe, expect, it } from "vitest";
import { queuePacing } from "../../src/jobs/helpdesk-lanes.js";
import { reopenLookahead } from "../../src/jobs/reopen-job.js";
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

describe("reopenLookahead: jobs claimed ahead, from the calls a job makes", () => {
  const client = (combined: boolean) => ({
    provider: "zendesk" as const,
    addNote: () => Promise.resolve(),
    reopen: () => Promise.resolve(),
    readConversation: () => Promise.reject(new Error("not read here")),
    ...(combined ? { addNoteAndReopen: () => Promise.resolve() } : {}),
  });
  const lane = (requests: number, intervalMs: number, combined: boolean) => ({ provider: "zendesk" as const, name: "Zendesk", client: client(combined), budget: { requests, intervalMs } });

  it.each([
    ["two calls a job: 10 calls/s for 2 s", lane(100, 10_000, false), 10],
    ["one call a job (note and reopen together): twice the jobs", lane(100, 10_000, true), 20],
    ["never fewer than the lane runs at once", lane(100, 60_000, true), 4],
    ["at most 500", lane(10_000, 1_000, true), 500],
  ])("%s", (_, of, expected) => {
    expect(reopenLookahead(of, 2)).toBe(expected);
  });
});
