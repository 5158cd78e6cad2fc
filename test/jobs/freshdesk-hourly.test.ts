import { describe, expect, it } from "vitest";
import { ENGINES } from "../support/databases.js";
import { FAST } from "../support/helpdesk-worker.js";
import { allSettled, closeWithLinks, conversation, useFakeHelpdesks, useWorkerBench } from "../support/reopen.js";

/** The account's window, scaled down: an "hour" of 1.8 s holding 8 calls, in fixed windows as Freshdesk counts them. */
const HOUR_MS = 1_800;
const PER_HOUR = 8;

/**
 * Freshdesk names the total and what is left (X-RateLimit-Total, -Remaining) but neither a reset nor the window
 * (https://developers.freshdesk.com/api/#ratelimit); accounts not yet moved count it per hour. The lane is given
 * Freshdesk's budget at the same scale (a "minute" of HOUR_MS / 60 inside an "hour" of HOUR_MS): it must spend what is
 * left, meet at most a 429 or two when an hour runs out (its Retry-After pauses the lane), and still reopen everything.
 */
describe.each(ENGINES)("a Freshdesk account on an hourly limit, on %s", (engine) => {
  const fakes = useFakeHelpdesks();
  const bench = useWorkerBench(engine, fakes, { ...FAST, timeoutMs: 5_000 });

  it("reopens every ticket once with one note, no job lost, without a storm of 429s", { timeout: 60_000 }, async () => {
    const freshdesk = fakes.get("freshdesk")!;
    freshdesk.http.enforceRateLimit({ requests: PER_HOUR, windowMs: HOUR_MS, kind: "window" });
    // Answers take a while, as over the internet: calls sent before the answer that says the hour is spent are at risk.
    freshdesk.http.failNext({ kind: "slow", delayMs: 150 }, { times: 1_000 });
    const links = Array.from({ length: 10 }, (_, i) => conversation("freshdesk", i + 1));
    for (const link of links) freshdesk.seed({ id: link.conversationId, open: false });
    await closeWithLinks(bench.database, 42, links);

    bench.start(["freshdesk"], {
      budgets: { freshdesk: { requests: 160, intervalMs: HOUR_MS / 60, longestWindowMs: HOUR_MS } },
    });
    await allSettled(bench.database.prisma, 50_000);

    const jobs = await bench.database.prisma.reopenJob.findMany({ select: { state: true } });
    expect(jobs.map((job) => job.state)).toEqual(links.map(() => "done"));
    for (const link of links)
      expect(freshdesk.conversation(link.conversationId)).toMatchObject({
        open: true,
        reopened: 1,
        notes: [expect.any(String)],
      });
    // 20 calls, 8 an hour: three hours at least. At most two 429s as each hour runs out: the call sent to learn whether
    // the budget refilled, and one already waiting for its turn.
    const hours = new Set(freshdesk.http.admitted.map((call) => Math.floor(call.at / HOUR_MS))).size;
    expect(freshdesk.http.admitted).toHaveLength(20);
    expect(freshdesk.http.rateLimitedCount).toBeLessThanOrEqual(2 * hours);
  });
});
