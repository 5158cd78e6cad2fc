import { describe, expect, it } from "vitest";
import type { ProviderId, RecognisedLink } from "../../src/domain/link.js";
import type { HelpdeskWorkerOptions } from "../../src/jobs/helpdesk-worker.js";
import type { Prisma } from "../../src/store/database.js";
import { ENGINES } from "../support/databases.js";
import {
  allSettled,
  closeWithLinks,
  conversation,
  useFakeHelpdesks,
  useWorkerBench,
  type LaneOptions,
} from "../support/reopen.js";
import { waitFor } from "../support/wait.js";
import { FAST, TIMEOUT_MS } from "../support/helpdesk-worker.js";

const HOUR = 3_600_000;

/** Moves every watch's reopen `hours` into the past and makes it due now, as if that much time had passed. */
async function age(prisma: Prisma, hours: number, extra: { remindAfterHours?: number } = {}): Promise<void> {
  const watches = await prisma.answerWatch.findMany();
  for (const watch of watches) {
    const reopenedAt = new Date(Date.now() - hours * HOUR);
    await prisma.answerWatch.update({
      where: { id: watch.id },
      data: {
        reopenedAt,
        nextAttemptAt: new Date(),
        ...(extra.remindAfterHours === undefined
          ? {}
          : { remindAt: new Date(reopenedAt.getTime() + extra.remindAfterHours * HOUR) }),
      },
    });
  }
}

describe.each(ENGINES)("answers after a reopen on %s, against the fake helpdesks over HTTP", (engine) => {
  const fakes = useFakeHelpdesks();
  const bench = useWorkerBench(engine, fakes, { ...FAST, timeoutMs: TIMEOUT_MS });
  const fake = (provider: ProviderId) => fakes.get(provider)!;
  const watches = () => bench.database.prisma.answerWatch.findMany({ orderBy: { id: "asc" } });
  /** The reminder notes a conversation got (its reopen note may come twice when a slow answer times out, as elsewhere). */
  const reminders = (provider: ProviderId, link: RecognisedLink) =>
    fake(provider)
      .conversation(link.conversationId)!
      .notes.filter((note) => note.includes("Still waiting"));
  const requests = (provider: ProviderId, method: string) =>
    fake(provider).http.requests.filter((request) => request.method === method && !request.path.includes("oauth2"));

  /** Closes issue `number` with these conversations linked and lets the worker reopen them; the worker keeps running. */
  async function reopen(
    number: number,
    links: readonly RecognisedLink[],
    options: HelpdeskWorkerOptions & LaneOptions = {},
  ) {
    for (const link of links) fake(link.provider).seed({ id: link.conversationId, open: false });
    await closeWithLinks(bench.database, number, links);
    const providers = [...new Set(links.map((link) => link.provider))];
    const worker = bench.start(providers, options);
    await allSettled(bench.database.prisma);
    await waitFor(async () => (await watches()).length === links.length, 10_000, "a watch per reopen");
    return worker;
  }

  /** Waits until no watch is due now (each read or reminder that was due has been made). */
  const caughtUp = () =>
    waitFor(
      async () => {
        const rows = await watches();
        return rows.every((row) => row.state === "done" || row.nextAttemptAt.getTime() > Date.now()) && rows;
      },
      15_000,
      "every due watch handled",
    );

  it("watches each reopened conversation from the reopen on: waiting, its first read due an hour later", async () => {
    const links = (["intercom", "zendesk", "freshdesk"] as const).map((provider) => conversation(provider, 1));
    const before = Date.now();
    await reopen(1, links);
    const rows = await watches();
    const byProvider = (a: { provider: string }, b: { provider: string }) => a.provider.localeCompare(b.provider);
    expect(
      rows.sort(byProvider).map((row) => [row.provider, row.conversationId, row.outcome, row.state, row.reads]),
    ).toEqual([...links].sort(byProvider).map((link) => [link.provider, link.conversationId, null, "pending", 0]));
    for (const row of rows) {
      expect(row.reopenedAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(row.nextAttemptAt.getTime() - row.reopenedAt.getTime()).toBe(HOUR);
      expect(row.remindAt).toBeNull();
    }
  });

  it.each(["intercom", "front", "zendesk", "helpscout", "freshdesk"] as const)(
    "%s without webhooks: read at 1 h, 24 h and 72 h; an agent's reply ends it answered",
    async (provider) => {
      const link = conversation(provider, 2);
      const worker = await reopen(2, [link]);
      const reads = () => requests(provider, "GET").length;
      const before = reads();

      // 1 h after the reopen: one read, nothing yet (a customer's reply and a note do not count).
      await age(bench.database.prisma, 1.5);
      fake(provider).happen(link.conversationId, { kind: "customer_reply", at: new Date(Date.now() - HOUR) });
      fake(provider).happen(link.conversationId, { kind: "note", at: new Date(Date.now() - HOUR) });
      worker.wake();
      let [row] = await caughtUp();
      expect({ reads: row!.reads, outcome: row!.outcome, state: row!.state, error: row!.lastError }).toEqual({
        error: null,
        reads: 1,
        outcome: null,
        state: "pending",
      });
      expect(row!.nextAttemptAt.getTime() - row!.reopenedAt.getTime()).toBe(24 * HOUR);
      const firstRead = reads() - before;
      expect(firstRead).toBeGreaterThanOrEqual(1);

      // A day later the agent has answered: the second read finds it, and nothing more is read.
      await age(bench.database.prisma, 30);
      const repliedAt = new Date(Date.now() - 2 * HOUR);
      fake(provider).happen(link.conversationId, { kind: "agent_reply", at: repliedAt });
      worker.wake();
      [row] = await caughtUp();
      expect({ reads: row!.reads, outcome: row!.outcome, learnedBy: row!.learnedBy, state: row!.state }).toEqual({
        reads: 2,
        outcome: "answered",
        learnedBy: "read",
        state: "done",
      });
      expect(Math.abs(row!.outcomeAt!.getTime() - repliedAt.getTime())).toBeLessThan(1_000);
      expect(requests(provider, "POST").length + requests(provider, "PUT").length).toBeLessThanOrEqual(2);
    },
  );

  it("a helpdesk whose webhooks tell is not read: the read times pass without a call", async () => {
    const link = conversation("zendesk", 3);
    const worker = await reopen(3, [link], { webhooks: new Set(["zendesk"]) });
    const before = fake("zendesk").http.requests.length;
    await age(bench.database.prisma, 80);
    worker.wake();
    const [row] = await caughtUp();
    expect({ reads: row!.reads, state: row!.state, outcome: row!.outcome }).toEqual({
      reads: 3,
      state: "done",
      outcome: null,
    });
    expect(fake("zendesk").http.requests.length).toBe(before);
  });

  it("reads stay within the helpdesk's budget: none refused with the fake enforcing the limit", async () => {
    const links = Array.from({ length: 6 }, (_, index) => conversation("intercom", 10 + index));
    const worker = await reopen(4, links, { budgets: { intercom: { requests: 3, intervalMs: 1_000 } } });
    fake("intercom").http.enforceRateLimit({ requests: 3, windowMs: 1_000 });
    await age(bench.database.prisma, 2);
    worker.wake();
    const rows = await caughtUp();
    expect(rows.map((row) => row.reads)).toEqual(links.map(() => 1));
    expect(fake("intercom").http.rateLimitedCount).toBe(0);
  });

  it("reads wait behind the reopen calls of their lane", async () => {
    const watched = [conversation("zendesk", 20), conversation("zendesk", 21)];
    const worker = await reopen(5, watched, { budgets: { zendesk: { requests: 1, intervalMs: 250 } } });
    await worker.stop();
    await age(bench.database.prisma, 2);
    const reopens = [conversation("zendesk", 22), conversation("zendesk", 23)];
    for (const link of reopens) fake("zendesk").seed({ id: link.conversationId, open: false });
    await closeWithLinks(bench.database, 6, reopens);
    fake("zendesk").http.requests.length = 0;
    bench.start(["zendesk"], { budgets: { zendesk: { requests: 1, intervalMs: 250 } } });
    await allSettled(bench.database.prisma);
    await waitFor(async () => (await watches()).filter((row) => row.reads === 1).length === 2, 10_000, "the two reads");
    const order = fake("zendesk").http.requests.map((request) => /tickets\/(\d+)/.exec(request.path)![1]);
    const ids = (links: readonly RecognisedLink[]) => new Set(links.map((link) => link.conversationId));
    // The two reopen calls (Zendesk takes the note and the reopen in one Update Ticket) before any read.
    expect(new Set(order.slice(0, 2))).toEqual(ids(reopens));
    expect(new Set(order.slice(2))).toEqual(ids(watched));
  });

  it("reminds once, with an internal note naming the issue, when nobody answered by remind_after", async () => {
    const link = conversation("front", 30);
    const worker = await reopen(7, [link], { webhooks: new Set(["front"]) });
    await age(bench.database.prisma, 25, { remindAfterHours: 24 });
    worker.wake();
    let [row] = await caughtUp();
    expect(row!.remindedAt).not.toBeNull();
    const notes = reminders("front", link);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^Still waiting: the fix for https:\/\/github\.com\/Codertocat\/Hello-World\/issues\/7 shipped \d+ (hours|days) ago\./,
    );
    // Later rounds send nothing more.
    await bench.database.prisma.answerWatch.updateMany({ data: { nextAttemptAt: new Date(), state: "pending" } });
    worker.wake();
    [row] = await caughtUp();
    expect(reminders("front", link)).toHaveLength(1);
    expect(row!.state).toBe("done");
  });

  it("no reminder once an agent answered", async () => {
    const link = conversation("helpscout", 31);
    const worker = await reopen(8, [link]);
    await age(bench.database.prisma, 25, { remindAfterHours: 24 });
    fake("helpscout").happen(link.conversationId, { kind: "agent_reply", at: new Date(Date.now() - 3 * HOUR) });
    worker.wake();
    const [row] = await caughtUp();
    expect({ outcome: row!.outcome, remindedAt: row!.remindedAt }).toEqual({ outcome: "answered", remindedAt: null });
    expect(reminders("helpscout", link)).toHaveLength(0);
  });

  it("a reminder whose answer was lost (5xx) is not sent again; one refused with a 429 is, once", async () => {
    const lost = conversation("intercom", 32);
    const worker = await reopen(9, [lost], { webhooks: new Set(["intercom"]) });
    await age(bench.database.prisma, 25, { remindAfterHours: 24 });
    fake("intercom").http.failNext({ kind: "lost", status: 502 });
    worker.wake();
    let [row] = await caughtUp();
    expect(row!.remindedAt).not.toBeNull();
    expect(reminders("intercom", lost)).toHaveLength(1);
    await worker.stop();

    await bench.database.prisma.answerWatch.deleteMany();
    const refused = conversation("intercom", 33);
    const again = await reopen(10, [refused], { webhooks: new Set(["intercom"]) });
    await age(bench.database.prisma, 25, { remindAfterHours: 24 });
    fake("intercom").http.failNext({ kind: "rate-limited", retryAfterSeconds: 0 });
    again.wake();
    await waitFor(async () => (await watches())[0]!.state === "done", 15_000, "the reminder, retried");
    [row] = await watches();
    expect(row!.remindedAt).not.toBeNull();
    expect(reminders("intercom", refused)).toHaveLength(1);
    expect(requests("intercom", "POST").filter((request) => request.answered === 429)).toHaveLength(1);
  });
});
