import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { callsInFlight, HelpdeskLanes } from "../../src/jobs/helpdesk-lanes.js";
import { laggingLookahead, reopenLookahead } from "../../src/jobs/reopen-job.js";
import { useFakeHelpdesks, conversation, lanesFor } from "../support/reopen.js";

describe("callsInFlight: enough calls sent at once to keep a lane's rate with a second of latency each", () => {
  it.each([
    ["Intercom, 1,666 per 10 s", 166.6, 64],
    ["Zendesk updates, 100 per minute", 100 / 60, 4],
    ["the P3 bench, 20 per second", 20, 20],
  ])("%s", (_, perSecond, calls) => {
    expect(callsInFlight(perSecond)).toBe(calls);
  });
});

describe("reopenLookahead: jobs claimed ahead, from the calls a job makes at the lane's pace", () => {
  it.each([
    ["two calls a job: 10 calls/s for 2 s", 10, 2, 10],
    ["one call a job (note and reopen together): twice the jobs", 10, 1, 20],
    ["never fewer than the lane sends at once", 100 / 60, 1, 4],
    ["at most 500", 10_000, 1, 500],
  ] as const)("%s", (_, callsPerSecond, callsPerJob, expected) => {
    expect(reopenLookahead(callsPerSecond, 2, callsPerJob)).toBe(expected);
  });

  it("claims half as many of the kinds queued behind reopens (link notes, reads), at least one", () => {
    expect(laggingLookahead(10, 2)).toBe(5);
    expect(laggingLookahead(0, 2)).toBe(2);
  });
});

describe("HelpdeskLanes: pacing by the helpdesk's headers", () => {
  const fakes = useFakeHelpdesks();
  let lanes: HelpdeskLanes | undefined;
  afterEach(() => lanes?.stop());

  it(
    "speeds up to the limit the headers announce, past a slow default, and sends nothing the helpdesk refuses",
    { timeout: 45_000 },
    async () => {
      const fake = fakes.get("intercom")!;
      // 40 per 2 s fixed windows, announced in Intercom's headers; the lane starts from 2 per second.
      fake.http.enforceRateLimit({ requests: 40, windowMs: 2_000, kind: "window" });
      const [lane] = lanesFor([fake], { budgets: { intercom: { requests: 2, intervalMs: 1_000 } } });
      lanes = new HelpdeskLanes([lane!], pino({ level: "silent" }), () => undefined);
      const reads = Array.from({ length: 100 }, (_, i) => conversation("intercom", i + 1));
      for (const read of reads) fake.seed({ id: read.conversationId });
      const started = Date.now();
      await Promise.all(
        reads.map((read) =>
          lanes!.send("intercom", "read", () =>
            lane!.client.readConversation({ account: read.account, conversationId: read.conversationId }),
          ),
        ),
      );
      const seconds = (Date.now() - started) / 1000;
      // At the default, 100 reads take 50 s; at the announced 20 a second, two windows and a half. The bound sits
      // halfway, so a loaded machine cannot fail it and a lane that never speeds up cannot pass it.
      expect(seconds).toBeLessThan(25);
      expect(fake.http.rateLimitedCount).toBe(0);
      expect(fake.http.requests).toHaveLength(100);
    },
  );

  it(
    "Zendesk: reads draw on the account-wide budget only, so they never wait for the ticket-update budget",
    { timeout: 45_000 },
    async () => {
      const fake = fakes.get("zendesk")!;
      const [lane] = lanesFor([fake], { writeBudgets: { zendesk: { requests: 1, intervalMs: 60_000 } } });
      lanes = new HelpdeskLanes([lane!], pino({ level: "silent" }), () => undefined);
      const tickets = Array.from({ length: 10 }, (_, i) => conversation("zendesk", i + 1));
      for (const ticket of tickets) fake.seed({ id: ticket.conversationId, open: false });
      const ref = (n: number) => ({ account: tickets[n]!.account, conversationId: tickets[n]!.conversationId });
      // Two writes: the second waits a minute for the update budget. Eight reads behind them in time.
      const writes = [0, 1].map((n) =>
        lanes!.send("zendesk", "note", () => lane!.client.addNote(ref(n), "note")).catch(() => "stopped"),
      );
      const started = Date.now();
      await Promise.all(
        [2, 3, 4, 5, 6, 7, 8, 9].map((n) =>
          lanes!.send("zendesk", "read", () => lane!.client.readConversation(ref(n))),
        ),
      );
      // Reads waiting for the update budget would take its full minute; half of that is the bound.
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(fake.http.requestsTo("PUT", /tickets/)).toHaveLength(1);
      expect(fake.http.requestsTo("GET", /tickets/)).toHaveLength(8);
      lanes.stop();
      expect(await writes[1]).toBe("stopped");
    },
  );

  it("Freshdesk on an hourly limit: a 429's Retry-After of half an hour pauses the lane that long, not 5 minutes", async () => {
    const fake = fakes.get("freshdesk")!;
    fake.seed({ id: "4242" });
    fake.http.failNext({ kind: "rate-limited", retryAfterSeconds: 1_800 });
    const [lane] = lanesFor([fake]);
    lanes = new HelpdeskLanes([lane!], pino({ level: "silent" }), () => undefined);
    const ref = { account: conversation("freshdesk", 1).account, conversationId: "4242" };
    const sentAt = Date.now();
    await expect(lanes.send("freshdesk", "read", () => lane!.client.readConversation(ref))).rejects.toMatchObject({
      status: 429,
      retryAfterMs: 1_800_000,
    });
    expect(fake.http.requests).toHaveLength(1);
    // The clock moved on 10 minutes (past the old 5-minute cap): still paused; past the half hour, no longer.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(sentAt + 10 * 60_000);
      expect(lanes.paused("freshdesk")).toBe(true);
      vi.setSystemTime(Date.now() + 25 * 60_000);
      expect(lanes.paused("freshdesk")).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
