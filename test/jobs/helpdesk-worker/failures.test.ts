import { beforeEach, describe, expect, it } from "vitest";
import pino from "pino";
import { PROVIDERS } from "../../../src/domain/link.js";
import { HelpdeskWorker } from "../../../src/jobs/helpdesk-worker.js";
import type { Database } from "../../../src/store/database.js";
import type { FakeHelpdeskServer } from "../../fakes/fake-helpdesk.js";
import type { FakeZendesk } from "../../providers/zendesk/fake-server.js";
import type { FakeIntercom } from "../../providers/intercom/fake-server.js";
import { ENGINES } from "../../support/databases.js";
import { FAST, FAULT_TIMEOUT_MS, TIMEOUT_MS, useHelpdeskWorker } from "../../support/helpdesk-worker.js";
import { allSettled, conversation, lanesFor } from "../../support/reopen.js";

describe.each(ENGINES)(
  "the helpdesk worker on %s, against the fake helpdesks over HTTP: retries, dead-letters and helpdesk failures",
  (engine) => {
    const harness = useHelpdeskWorker(engine);
    const { fakes, workers, fake, startWorker, close, job, callsTo } = harness;
    let database: Database;
    let logs: string[];
    beforeEach(() => {
      ({ database, logs } = harness.state);
    });

    it("honours a 429's Retry-After: the provider's calls wait, the job is retried and ends done", async () => {
      const [link] = [conversation("zendesk", 2)];
      await close(2, [link!]);
      fake("zendesk").http.failNext({ kind: "rate-limited", retryAfterSeconds: 1 });
      const started = Date.now();
      startWorker(["zendesk"]);
      await allSettled(database.prisma);

      expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
      // The retry first looks whether the note landed (a 429 says it did not, but a crash would not have said anything).
      expect(callsTo("zendesk", link!.conversationId)).toEqual(["PUT 429", "GET 200", "PUT 200"]);
      expect(await job(link!.conversationId)).toMatchObject({
        state: "done",
        attempts: 2,
        lastStatus: 429,
        lastError: "Zendesk: rate limited (429), retry in 1s",
      });
      expect(logs).toContain("helpdesk: Zendesk rate limit reached; pausing its calls for 1s");
    });

    it("retries a 500 with backoff and ends done", async () => {
      const link = conversation("freshdesk", 3);
      await close(3, [link]);
      fake("freshdesk").http.failNext({ kind: "status", status: 500 }, { times: 2 });
      startWorker(["freshdesk"]);
      await allSettled(database.prisma);
      expect(await job(link.conversationId)).toMatchObject({
        state: "done",
        attempts: 3,
        lastStatus: 500,
        lastError: "Freshdesk: server error (500)",
      });
      expect(fake("freshdesk").conversation(link.conversationId)).toMatchObject({ open: true, reopened: 1 });
    });

    it("does not post the note twice when the reopen fails and a retry succeeds", async () => {
      const link = conversation("intercom", 4);
      await close(4, [link]);
      fake("intercom").http.failNext(
        { kind: "status", status: 503 },
        { match: (request) => request.path.endsWith("/parts") },
      );
      fake("intercom").http.failNext({ kind: "reset" }, { match: (request) => request.path.endsWith("/parts") });
      startWorker(["intercom"]);
      await allSettled(database.prisma);

      const state = fake<FakeIntercom>("intercom").conversation(link.conversationId)!;
      expect({ notes: state.notes.length, reopened: state.reopened }).toEqual({ notes: 1, reopened: 1 });
      expect(callsTo("intercom", link.conversationId)).toEqual(["POST 200", "POST 503", "POST reset", "POST 200"]);
      expect(await job(link.conversationId)).toMatchObject({
        state: "done",
        attempts: 3,
        lastError: "connection reset",
      });
    });

    it("dead-letters a conversation that does not exist (404) at once, with the reason", async () => {
      const link = conversation("intercom", 5);
      await close(5, [link], { seed: false });
      startWorker(["intercom"]);
      await allSettled(database.prisma);
      expect(await job(link.conversationId)).toMatchObject({
        state: "dead",
        attempts: 1,
        lastStatus: 404,
        lastError: "Intercom: conversation not found (404)",
        noteDoneAt: null,
      });
      expect(logs).toContain(
        `reopen: job ${(await job(link.conversationId)).id} (Intercom conversation ${link.conversationId}) cannot be done; dead: Intercom: conversation not found (404)`,
      );
    });

    it.each([
      [
        "to another host",
        42,
        "https://elsewhere.example/conversations/cnv_x/comments",
        "Front: redirect to another host refused (301 to https://elsewhere.example/conversations/cnv_x/comments)",
      ],
      ["in a loop", 43, "SELF", "Front: redirect loop (301 to SELF)"],
    ] as const)(
      "dead-letters a job whose helpdesk redirects %s, naming the redirect, and sends nothing more",
      async (_what, number, target, reason) => {
        const link = conversation("front", number);
        await close(number, [link]);
        const self = `${fake("front").http.url}/conversations/${link.conversationId}/comments`;
        const location = target === "SELF" ? self : target;
        fake("front").http.failNext({ kind: "status", status: 301, headers: { location } }, { times: 5 });
        startWorker(["front"]);
        await allSettled(database.prisma);
        expect(await job(link.conversationId)).toMatchObject({
          state: "dead",
          attempts: 1,
          lastStatus: 301,
          lastError: reason.replace("SELF", self),
          noteDoneAt: null,
        });
        expect(fake("front").conversation(link.conversationId)).toMatchObject({ open: false, notes: [] });
        expect(await database.prisma.conversationAlias.count()).toBe(0);
      },
    );

    it("dead-letters every job of a provider with bad credentials (401)", async () => {
      const links = [conversation("front", 6), conversation("front", 7)];
      await close(6, links);
      const lanes = lanesFor(
        [{ ...fake("front"), env: () => ({ ...fake("front").env(), FRONT_API_TOKEN: "wrong" }) } as FakeHelpdeskServer],
        { timeoutMs: TIMEOUT_MS },
      );
      const worker = new HelpdeskWorker(
        database.prisma,
        database.engine,
        lanes,
        () => Promise.reject(new Error("no GitHub here")),
        pino({ level: "silent" }),
        FAST,
      );
      workers.push(worker);
      worker.start();
      await allSettled(database.prisma);
      for (const link of links)
        expect(await job(link.conversationId)).toMatchObject({
          state: "dead",
          attempts: 1,
          lastStatus: 401,
          lastError: "Front: bad credentials (401)",
        });
    });

    it("does not post a Zendesk note twice when the note-and-reopen landed but its answer was lost", async () => {
      const link = conversation("zendesk", 64);
      await close(64, [link]);
      fake("zendesk").http.failNext({ kind: "lost", status: 502 }, { match: (request) => request.method === "PUT" });
      startWorker(["zendesk"]);
      await allSettled(database.prisma);
      expect(fake("zendesk").conversation(link.conversationId)).toMatchObject({
        open: true,
        notes: [expect.stringContaining("issues/64") as string],
        reopened: 1,
      });
      expect(callsTo("zendesk", link.conversationId)).toEqual(["PUT 502", "GET 200", "PUT 200"]);
      expect(
        fake<FakeZendesk>("zendesk")
          .http.requestsTo("PUT", /./)
          .map((request) => request.body),
      ).toEqual([
        {
          ticket: { comment: { body: expect.stringContaining("issues/64") as string, public: false }, status: "open" },
        },
        { ticket: { status: "open" } },
      ]);
      expect(await job(link.conversationId)).toMatchObject({ state: "done", attempts: 2, lastStatus: 502 });
    });

    it("dead-letters jobs of a provider that is not configured, as 'provider not configured'", async () => {
      const links = [conversation("helpscout", 9), conversation("intercom", 9)];
      await close(9, links);
      startWorker(["intercom"]);
      await allSettled(database.prisma);
      expect(await job(links[0]!.conversationId)).toMatchObject({
        state: "dead",
        attempts: 0,
        lastError: "Help Scout: provider not configured",
      });
      expect(await job(links[1]!.conversationId)).toMatchObject({ state: "done" });
      expect(fake("helpscout").http.requests).toEqual([]);
    });

    it("dead-letters after the bounded number of attempts, keeping the last error", async () => {
      const link = conversation("freshdesk", 10);
      await close(10, [link]);
      fake("freshdesk").http.failNext({ kind: "slow", delayMs: FAULT_TIMEOUT_MS * 3 }, { times: 100 });
      startWorker(["freshdesk"], { maxAttempts: 3, timeoutMs: FAULT_TIMEOUT_MS });
      await allSettled(database.prisma);
      expect(await job(link.conversationId)).toMatchObject({
        state: "dead",
        attempts: 3,
        lastStatus: null,
        lastError: `timeout after ${FAULT_TIMEOUT_MS}ms`,
      });
      expect(logs).toContain(
        `reopen: job ${(await job(link.conversationId)).id} (Freshdesk conversation ${link.conversationId}) failed 3 times; dead: timeout after ${FAULT_TIMEOUT_MS}ms`,
      );
    });

    it(
      "R2: with 30% of helpdesk calls failing (429, 5xx, timeouts, resets), every job ends done",
      { timeout: 60_000 },
      async () => {
        const perProvider = 12;
        const links = PROVIDERS.flatMap((provider) =>
          Array.from({ length: perProvider }, (_, i) => conversation(provider, 100 + i)),
        );
        await close(100, links);
        for (const [index, server] of [...fakes.values()].entries()) {
          server.http.failRandomly({
            probability: 0.3,
            seed: 42 + index,
            faults: [
              { kind: "rate-limited", retryAfterSeconds: 1 },
              { kind: "status", status: 500 },
              { kind: "status", status: 503 },
              { kind: "slow", delayMs: FAULT_TIMEOUT_MS * 2 },
              { kind: "reset" },
            ],
          });
        }
        startWorker(undefined, { timeoutMs: FAULT_TIMEOUT_MS });
        await allSettled(database.prisma, 50_000);

        const rows = await database.prisma.reopenJob.findMany({
          select: { state: true, attempts: true, provider: true, conversationId: true },
        });
        expect(rows.filter((row) => row.state !== "done")).toEqual([]);
        for (const link of links) expect(fake(link.provider).conversation(link.conversationId)?.open).toBe(true);
        const faults = [...fakes.values()]
          .flatMap((server) => server.http.requests)
          .filter((request) => request.answered === undefined || request.answered >= 429).length;
        expect(faults).toBeGreaterThan(links.length * 0.3);
        expect(rows.some((row) => row.attempts > 1)).toBe(true);
      },
    );
  },
);
