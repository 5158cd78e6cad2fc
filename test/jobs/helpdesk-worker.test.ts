import { afterEach, beforeEach, describe, expect, it } from "vitest";
import nock from "nock";
import pino from "pino";
import { PROVIDERS, type ProviderId } from "../../src/domain/link.js";
import { HelpdeskWorker, type HelpdeskWorkerOptions } from "../../src/jobs/helpdesk-worker.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { retryJobs } from "../../src/store/reopen-jobs.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";
import type { FakeZendesk } from "../providers/zendesk/fake-server.js";
import type { FakeIntercom } from "../providers/intercom/fake-server.js";
import type { FakeFront } from "../providers/front/fake-server.js";
import type { FakeHelpScout } from "../providers/helpscout/fake-server.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { TEST_APP_ID } from "../support/app.js";
import { GITHUB_API, testProbot } from "../support/github.js";
import {
  allSettled,
  closeWithLinks,
  conversation,
  REPOSITORY,
  useFakeHelpdesks,
  lanesFor,
  type LaneOptions,
} from "../support/reopen.js";
import { waitFor } from "../support/wait.js";

const FAST: HelpdeskWorkerOptions = { leaseMs: 2_000, idlePollMs: 50, backoffBaseMs: 20, backoffMaxMs: 200 };
// Long enough that a loaded CI machine does not time out a healthy fake (a 300 ms bound did, under load 5+).
const TIMEOUT_MS = 1_000;

describe.each(ENGINES)("the helpdesk worker on %s, against the fake helpdesks over HTTP", (engine) => {
  const fakes = useFakeHelpdesks();
  let database: Database;
  let logs: string[];
  const workers: HelpdeskWorker[] = [];
  const fake = <T extends FakeHelpdeskServer>(provider: ProviderId) => fakes.get(provider)! as T;

  beforeEach(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    logs = [];
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await database.close();
  });

  function startWorker(
    providers: readonly ProviderId[] = PROVIDERS,
    options: HelpdeskWorkerOptions & LaneOptions = {},
  ): HelpdeskWorker {
    const log = pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line).msg) });
    const probot = testProbot();
    const lanes = lanesFor(
      providers.map((provider) => fake(provider)),
      { timeoutMs: TIMEOUT_MS, ...options },
    );
    const worker = new HelpdeskWorker(database.prisma, database.engine, lanes, (id) => probot.auth(id), log, {
      ...FAST,
      appId: TEST_APP_ID,
      ...options,
    });
    workers.push(worker);
    worker.start();
    return worker;
  }

  /** Seeds closed conversations in the fakes and a close with one job per conversation. */
  async function close(
    number: number,
    links: ReturnType<typeof conversation>[],
    options: { summary?: boolean; seed?: boolean } = {},
  ) {
    for (const link of links)
      if (options.seed !== false) fake(link.provider).seed({ id: link.conversationId, open: false });
    return closeWithLinks(database.prisma, number, links, { summary: options.summary ?? false });
  }

  const job = (conversationId: string) => database.prisma.reopenJob.findFirstOrThrow({ where: { conversationId } });
  const callsTo = (provider: ProviderId, id: string) =>
    fake(provider)
      .http.requests.filter((request) => request.path.includes(id))
      .map((request) => `${request.method} ${request.answered ?? "reset"}`);

  it("adds the note, then reopens, on every helpdesk; each job records both steps and ends done", async () => {
    const links = PROVIDERS.map((provider) => conversation(provider, 1));
    await close(1, links);
    startWorker();
    await allSettled(database.prisma);

    for (const link of links) {
      const state = fake(link.provider).conversation(link.conversationId)!;
      expect({
        provider: link.provider,
        open: state.open,
        reopened: state.reopened,
        notes: state.notes.length,
      }).toEqual({ provider: link.provider, open: true, reopened: 1, notes: 1 });
      expect(state.notes[0]).toContain("https://github.com/Codertocat/Hello-World/issues/1");
      const row = await job(link.conversationId);
      expect(row).toMatchObject({ state: "done", attempts: 1, lastError: null, lockedBy: null, lockedUntil: null });
      expect(row.noteDoneAt).toBeInstanceOf(Date);
      expect(row.reopenDoneAt!.getTime()).toBeGreaterThanOrEqual(row.noteDoneAt!.getTime());
    }
    // The note goes first: a reopened conversation without its note would leave the agent guessing why. Zendesk takes
    // both in one Update Ticket, which its ticket-update limit counts once.
    const zendesk = fake<FakeZendesk>("zendesk")
      .http.requestsTo("PUT", /\/tickets\/4001\.json$/)
      .map((request) => Object.keys((request.body as { ticket: object }).ticket));
    expect(zendesk).toEqual([["comment", "status"]]);
    const intercom = fake("intercom").http.requests.map((request) => request.path.split("/").at(-1));
    expect([intercom[0], intercom.at(-1)]).toEqual(["reply", "parts"]);
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
    expect(await job(link.conversationId)).toMatchObject({ state: "done", attempts: 3, lastError: "connection reset" });
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
      "front",
      (old: string, survivor: string) => [
        `POST /conversations/${old}/comments 301`,
        `POST /conversations/${survivor}/comments 201`,
        `PATCH /conversations/${survivor} 204`,
      ],
    ],
    [
      "helpscout",
      (old: string, survivor: string) => [
        `POST /v2/conversations/${old}/notes 404`,
        `GET /v2/conversations/${old} 301`,
        `GET /v2/conversations/${survivor} 200`,
        `POST /v2/conversations/${survivor}/notes 201`,
        `PATCH /v2/conversations/${survivor} 204`,
      ],
    ],
  ] as const)(
    "follows a merged %s conversation: the note and the reopen reach the survivor, and the link and job move to it",
    async (provider, expected) => {
      const [old, survivor] = [conversation(provider, 40), conversation(provider, 41)];
      await close(40, [old]);
      const helpdesk = fake<FakeFront | FakeHelpScout>(provider);
      helpdesk.seed({ id: survivor.conversationId, open: false });
      helpdesk.merge(old.conversationId, survivor.conversationId);
      startWorker([provider]);
      await allSettled(database.prisma);

      const calls = helpdesk.http.requests
        .filter((request) => request.path.includes("/conversations/"))
        .map((request) => `${request.method} ${request.path} ${request.answered}`);
      expect(calls).toEqual(expected(old.conversationId, survivor.conversationId));
      expect(helpdesk.conversation(survivor.conversationId)).toMatchObject({ open: true, reopened: 1 });
      expect(helpdesk.conversation(survivor.conversationId)?.notes).toHaveLength(1);
      expect(await job(survivor.conversationId)).toMatchObject({ state: "done", attempts: 1, lastError: null });
      expect(await database.prisma.link.findMany({ select: { conversationId: true, url: true } })).toEqual([
        { conversationId: survivor.conversationId, url: old.url },
      ]);
      expect(
        await database.prisma.conversationAlias.findMany({ select: { aliasId: true, conversationId: true } }),
      ).toEqual([{ aliasId: old.conversationId, conversationId: survivor.conversationId }]);
    },
  );

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

  it("with reopen.closed_tickets: skip, dead-letters a closed Zendesk ticket with that reason, and adds no note to it", async () => {
    const link = conversation("zendesk", 8);
    await closeWithLinks(database.prisma, 8, [link], { closedTickets: "skip" });
    fake<FakeZendesk>("zendesk").seed({ id: link.conversationId, status: "closed" });
    startWorker(["zendesk"]);
    await allSettled(database.prisma);
    expect(await job(link.conversationId)).toMatchObject({
      state: "dead",
      attempts: 1,
      lastStatus: 422,
      lastError: `Zendesk: ticket ${link.conversationId} is closed; closed tickets cannot be reopened`,
    });
    expect(fake("zendesk").conversation(link.conversationId)).toMatchObject({ notes: [], reopened: 0 });
    expect(callsTo("zendesk", link.conversationId)).toEqual(["PUT 422", "GET 200"]);
    expect(fake<FakeZendesk>("zendesk").http.requestsTo("POST", /./)).toEqual([]);
  });

  describe("a closed Zendesk ticket with reopen.closed_tickets: follow_up (the default)", () => {
    const zendesk = () => fake<FakeZendesk>("zendesk");
    const note = (number: number) =>
      `The GitHub issue https://github.com/Codertocat/Hello-World/issues/${number} linked to this conversation was closed (completed).`;

    async function closedTicket(number: number) {
      const link = conversation("zendesk", number);
      await close(number, [link], { seed: false });
      zendesk().seed({ id: link.conversationId, status: "closed", customerId: "36100012" });
      return link;
    }

    it("gets one follow-up ticket carrying the note; the job records its id and ends done", async () => {
      const link = await closedTicket(60);
      startWorker(["zendesk"]);
      await allSettled(database.prisma);

      const [followUp] = zendesk().followUpsOf(link.conversationId);
      expect(followUp).toMatchObject({
        status: "open",
        notes: [note(60)],
        publicComments: [],
        requesterId: 36100012,
        followUpOf: link.conversationId,
      });
      const row = await job(link.conversationId);
      expect(row).toMatchObject({ state: "done", attempts: 1, followUpId: followUp!.id, lastError: null });
      expect(row.noteDoneAt).toBeInstanceOf(Date);
      expect(callsTo("zendesk", link.conversationId)).toEqual(["PUT 422", "GET 200", "GET 200"]);
      const [post] = zendesk().http.requestsTo("POST", /^\/api\/v2\/tickets\.json$/);
      expect(post).toMatchObject({
        answered: 201,
        headers: { "idempotency-key": `closeloop-reopen-${row.closeId}-${row.id}-${link.conversationId}` },
      });
      expect(post!.body).toMatchObject({
        ticket: { via_followup_source_id: Number(link.conversationId), comment: { body: note(60), public: false } },
      });
      expect(zendesk().conversation(link.conversationId)).toMatchObject({ open: false, notes: [] });
      expect(logs).toContain(
        `reopen: Zendesk conversation ${link.conversationId} is closed for good; created follow-up ${followUp!.id} carrying the note (job ${row.id})`,
      );
    });

    it("after a crash between Zendesk creating the follow-up and closeloop recording it, finds that one and creates no second", async () => {
      const link = await closedTicket(61);
      const row = await job(link.conversationId);
      // The crashed attempt: Zendesk made the follow-up with the job's key; the process died before recording it, and
      // more than two hours passed (Zendesk no longer remembers the key).
      const client = lanesFor([zendesk()], { timeoutMs: TIMEOUT_MS })[0]!.client;
      const first = await client.createFollowUp!(
        { account: "acme", conversationId: link.conversationId },
        note(61),
        `closeloop-reopen-${row.closeId}-${row.id}-${link.conversationId}`,
      );
      zendesk().creates.clear();
      await database.prisma.reopenJob.update({
        where: { id: row.id },
        data: { state: "running", lockedBy: "crashed", lockedUntil: new Date(Date.now() - 1), attempts: 1 },
      });
      zendesk().http.requests.length = 0;

      startWorker(["zendesk"]);
      await allSettled(database.prisma);
      expect(await job(link.conversationId)).toMatchObject({ state: "done", attempts: 2, followUpId: first });
      expect(
        zendesk()
          .followUpsOf(link.conversationId)
          .map((ticket) => ticket.id),
      ).toEqual([first]);
      expect(zendesk().http.requestsTo("POST", /./)).toEqual([]);
      expect(zendesk().http.requests.map((request) => `${request.method} ${request.path} ${request.answered}`)).toEqual(
        [
          `GET /api/v2/tickets/${link.conversationId}/comments.json 200`,
          `PUT /api/v2/tickets/${link.conversationId}.json 422`,
          `GET /api/v2/tickets/${link.conversationId}.json 200`,
          `GET /api/v2/tickets/${link.conversationId}.json 200`,
          `GET /api/v2/tickets/show_many.json 200`,
        ],
      );
    });

    it("when the create's answer is lost and the source does not list the follow-up yet, the Idempotency-Key replay gives the same ticket", async () => {
      const link = await closedTicket(62);
      zendesk().http.failNext({ kind: "lost", status: 502 }, { match: (request) => request.method === "POST" });
      startWorker(["zendesk"]);
      // Hide the follow-up from its source until the retry's create has been answered.
      const hidden = setInterval(() => {
        if (zendesk().http.requestsTo("POST", /./).length < 2)
          zendesk().tickets.get(link.conversationId)!.followUps.length = 0;
      }, 1);
      try {
        await allSettled(database.prisma);
      } finally {
        clearInterval(hidden);
      }
      const created = [...zendesk().tickets.values()].filter((ticket) => ticket.followUpOf === link.conversationId);
      expect(created).toHaveLength(1);
      expect(
        zendesk()
          .http.requestsTo("POST", /./)
          .map((request) => request.answered),
      ).toEqual([502, 201]);
      expect(await job(link.conversationId)).toMatchObject({ state: "done", attempts: 2, followUpId: created[0]!.id });
    });

    it("refused by Zendesk (the ticket was deleted) is dead at once, keeping Zendesk's reason", async () => {
      const link = await closedTicket(63);
      zendesk().http.failNext(
        {
          kind: "status",
          status: 422,
          body: {
            error: "RecordInvalid",
            description: "Record validation errors",
            details: { via_followup_source_id: [{ description: "Ticket deleted" }] },
          },
        },
        { match: (request) => request.method === "POST" },
      );
      startWorker(["zendesk"]);
      await allSettled(database.prisma);
      expect(await job(link.conversationId)).toMatchObject({
        state: "dead",
        attempts: 1,
        followUpId: null,
        lastStatus: 422,
        lastError: `Zendesk: follow-up to ticket ${link.conversationId} refused (422): Record validation errors: Ticket deleted`,
      });
      expect(zendesk().followUpsOf(link.conversationId)).toEqual([]);
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
      { ticket: { comment: { body: expect.stringContaining("issues/64") as string, public: false }, status: "open" } },
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
    fake("freshdesk").http.failNext({ kind: "slow", delayMs: TIMEOUT_MS * 3 }, { times: 100 });
    startWorker(["freshdesk"], { maxAttempts: 3 });
    await allSettled(database.prisma);
    expect(await job(link.conversationId)).toMatchObject({
      state: "dead",
      attempts: 3,
      lastStatus: null,
      lastError: `timeout after ${TIMEOUT_MS}ms`,
    });
    expect(logs).toContain(
      `reopen: job ${(await job(link.conversationId)).id} (Freshdesk conversation ${link.conversationId}) failed 3 times; dead: timeout after ${TIMEOUT_MS}ms`,
    );
  });

  it("takes over a job whose worker died (its lease ran out), and leaves a live lease alone", async () => {
    const links = [conversation("intercom", 11), conversation("intercom", 12)];
    await close(11, links);
    const soon = new Date(Date.now() + 1_500);
    await database.prisma.reopenJob.updateMany({
      where: { conversationId: links[0]!.conversationId },
      data: { state: "running", lockedBy: "crashed", lockedUntil: new Date(Date.now() - 1), attempts: 1 },
    });
    await database.prisma.reopenJob.updateMany({
      where: { conversationId: links[1]!.conversationId },
      data: { state: "running", lockedBy: "alive", lockedUntil: soon, attempts: 1 },
    });
    startWorker(["intercom"]);
    await waitFor(async () => (await job(links[0]!.conversationId)).state === "done", 5_000);
    expect(Date.now()).toBeLessThan(soon.getTime());
    expect(await job(links[1]!.conversationId)).toMatchObject({ state: "running", lockedBy: "alive" });
    await allSettled(database.prisma);
    expect(await job(links[1]!.conversationId)).toMatchObject({ state: "done", attempts: 2 });
  });

  it("does not send the note of a job whose lease was taken over while its call waited in the lane, nor settle it", async () => {
    const [first, second] = [conversation("zendesk", 15), conversation("zendesk", 16)];
    await close(15, [first!, second!]);
    // One call every 1.5 s: the first job's note-and-reopen goes before the second job's, about 1.5 s in.
    const worker = startWorker(["zendesk"], { budgets: { zendesk: { requests: 1, intervalMs: 1_500 } } });
    await waitFor(async () => callsTo("zendesk", first!.conversationId).length === 1, 5_000, "the first job's note");
    const waiting = await job(second!.conversationId);
    expect(waiting).toMatchObject({ state: "running", lockedBy: worker.owner });
    // Another worker takes the second job over (as after this one was starved past its lease).
    const farFuture = new Date("2099-01-01T00:00:00Z");
    await database.prisma.reopenJob.update({
      where: { id: waiting.id },
      data: { lockedBy: "other", lockedUntil: farFuture },
    });

    // Its turn comes: the call is not made, and the hand-back is fenced (the row stays the other worker's).
    await waitFor(
      () =>
        Promise.resolve(
          logs.includes(
            `reopen: the lease on job ${waiting.id} was about to run out before its call; handed back without calling`,
          ),
        ),
      8_000,
      "the hand-back",
    );
    await waitFor(async () => (await job(first!.conversationId)).state === "done", 5_000, "the first job");
    expect(callsTo("zendesk", second!.conversationId)).toEqual([]);
    expect(fake("zendesk").conversation(second!.conversationId)).toMatchObject({ open: false, notes: [] });
    expect(await job(second!.conversationId)).toMatchObject({
      state: "running",
      lockedBy: "other",
      lockedUntil: farFuture,
      attempts: 1,
      noteDoneAt: null,
      lastError: null,
    });
  });

  it("on stop, finishes the calls in flight and hands back the jobs it had not started", async () => {
    const links = Array.from({ length: 6 }, (_, i) => conversation("zendesk", 20 + i));
    await close(20, links);
    // The first call is answered 300 ms after it arrives, so stop() always comes while it is in flight.
    fake("zendesk").http.failNext({ kind: "slow", delayMs: 300 });
    const worker = startWorker(["zendesk"], { budgets: { zendesk: { requests: 1, intervalMs: 60_000 } } });
    await waitFor(async () => fake("zendesk").http.requests.length === 1, 5_000);
    await worker.stop();
    const rows = await database.prisma.reopenJob.findMany({
      orderBy: { id: "asc" },
      select: { state: true, lockedBy: true, attempts: true, noteDoneAt: true },
    });
    // The call in flight (note and reopen in one Update Ticket) is seen through and recorded; the rest go back.
    expect(rows.filter((row) => row.noteDoneAt !== null)).toHaveLength(1);
    expect(rows.map(({ state, lockedBy, attempts }) => ({ state, lockedBy, attempts }))).toEqual(
      rows.map((_, index) =>
        index === 0
          ? { state: "done", lockedBy: null, attempts: 1 }
          : { state: "pending", lockedBy: null, attempts: 0 },
      ),
    );
  });

  it("with CLOSELOOP_DRY_RUN, logs each note and reopen, sends nothing, and ends the jobs done", async () => {
    const links = [conversation("intercom", 30), conversation("zendesk", 30)];
    await close(30, links);
    startWorker(["intercom", "zendesk"], { dryRun: true });
    await allSettled(database.prisma);
    expect(fake("intercom").http.requests).toEqual([]);
    expect(fake("zendesk").http.requests).toEqual([]);
    expect(logs).toContain(
      `[dry-run] Would add a note to Intercom conversation ${links[0]!.conversationId}: "The GitHub issue https://github.com/Codertocat/Hello-World/issues/30 linked to this conversation was closed (completed)."`,
    );
    expect(logs).toContain(
      `[dry-run] Would add a note to and reopen Zendesk conversation ${links[1]!.conversationId} (or, if it is closed, create a follow-up carrying the note): "The GitHub issue https://github.com/Codertocat/Hello-World/issues/30 linked to this conversation was closed (completed)."`,
    );
    expect((await database.prisma.reopenJob.findMany()).map((row) => row.state)).toEqual(["done", "done"]);
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
            { kind: "slow", delayMs: TIMEOUT_MS * 2 },
            { kind: "reset" },
          ],
        });
      }
      startWorker();
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

  describe("the summary comment", () => {
    const comments = `/repos/Codertocat/Hello-World/issues`;

    it("is posted once when every job of the close has settled, with counts and, on a private repository, each failure", async () => {
      const links = [conversation("intercom", 40), conversation("intercom", 41), conversation("zendesk", 40)];
      fake("intercom").seed({ id: links[0]!.conversationId, open: false });
      fake("zendesk").seed({ id: links[2]!.conversationId, open: false });
      const closeId = await closeWithLinks(database.prisma, 41, links, { summary: true, private: true });
      const bodies: string[] = [];
      nock(GITHUB_API)
        .post(`${comments}/41/comments`, (body: { body: string }) => bodies.push(body.body) > 0)
        .reply(201, { id: 9001 });
      startWorker(["intercom", "zendesk"]);
      await waitFor(
        async () =>
          (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId !== null,
        10_000,
      );

      expect(bodies).toHaveLength(1);
      const [body] = bodies;
      expect(body).toContain(`<!-- closeloop:reopen-summary close=${closeId} -->`);
      expect(body).toContain(
        "**closeloop** reopened 2 of 3 linked conversations with an internal note, because this issue was closed as completed.",
      );
      expect(body).toContain("| Intercom | 1 | 1 |\n| Zendesk | 1 | 0 |");
      const deadJob = await job(links[1]!.conversationId);
      // The reason's category, not the helpdesk's text (which `closeloop jobs` shows).
      expect(body).toContain(
        `- Intercom conversation [${links[1]!.conversationId}](${links[1]!.url}): not found (job ${deadJob.id})`,
      );
      expect(deadJob.lastError).toBe("Intercom: conversation not found (404)");
      expect(await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).toMatchObject({
        summaryCommentId: 9001n,
        summaryDueAt: null,
        summaryBody: body,
      });
    });

    it("counts a closed Zendesk ticket reopened as a follow-up, without its id", async () => {
      const links = [conversation("zendesk", 45), conversation("zendesk", 46)];
      fake<FakeZendesk>("zendesk").seed({ id: links[0]!.conversationId, status: "closed" });
      fake("zendesk").seed({ id: links[1]!.conversationId, open: false });
      const closeId = await closeWithLinks(database.prisma, 45, links, { summary: true, private: true });
      const bodies: string[] = [];
      nock(GITHUB_API)
        .post(`${comments}/45/comments`, (body: { body: string }) => bodies.push(body.body) > 0)
        .reply(201, { id: 9005 });
      startWorker(["zendesk"]);
      await waitFor(
        async () =>
          (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId !== null,
        10_000,
      );

      const followUpId = (await job(links[0]!.conversationId)).followUpId;
      expect(followUpId).not.toBeNull();
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toContain("reopened 2 of 2 linked conversations");
      expect(bodies[0]).toContain("| Zendesk | 2 (1 as a follow-up ticket) | 0 |");
      expect(bodies[0]).not.toContain(followUpId!);
    });

    it("is edited in place when a retried job later succeeds", async () => {
      const links = [conversation("intercom", 50), conversation("intercom", 51)];
      fake("intercom").seed({ id: links[0]!.conversationId, open: false });
      const closeId = await closeWithLinks(database.prisma, 50, links, { summary: true });
      const posted: string[] = [];
      nock(GITHUB_API)
        .post(`${comments}/50/comments`, (body: { body: string }) => posted.push(body.body) > 0)
        .reply(201, { id: 9002 });
      startWorker(["intercom"]);
      await waitFor(
        async () =>
          (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId !== null,
        10_000,
      );
      expect(posted[0]).toContain("| Intercom | 1 | 1 |");

      // The operator fixes the cause (here: the conversation exists now) and retries.
      fake("intercom").seed({ id: links[1]!.conversationId, open: false });
      const edited: string[] = [];
      nock(GITHUB_API)
        .patch(`${comments}/comments/9002`, (body: { body: string }) => edited.push(body.body) > 0)
        .reply(200, { id: 9002 });
      const deadJob = await job(links[1]!.conversationId);
      expect(await retryJobs(database.prisma, { id: deadJob.id })).toEqual({ retried: 1 });
      await waitFor(
        async () =>
          edited.length === 1 &&
          (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryDueAt === null,
        10_000,
      );

      expect(edited[0]).toContain("reopened 2 of 2 linked conversations");
      expect(edited[0]).toContain("| Intercom | 2 | 0 |");
      expect(edited[0]).not.toContain("Not reopened");
      expect(await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).toMatchObject({
        summaryCommentId: 9002n,
        summaryBody: edited[0],
      });
    });

    it("on a public repository, or one made public after the close, gives counts: no conversation id, URL or reason", async () => {
      const links = [conversation("intercom", 80), conversation("intercom", 81)];
      const links2 = [conversation("intercom", 82), conversation("intercom", 83)];
      fake("intercom").seed({ id: links[0]!.conversationId, open: false });
      fake("intercom").seed({ id: links2[0]!.conversationId, open: false });
      const bodies = new Map<number, string>();
      nock(GITHUB_API)
        .post(`${comments}/80/comments`, (body: { body: string }) => bodies.set(80, body.body).size > 0)
        .reply(201, { id: 9010 })
        .post(`${comments}/82/comments`, (body: { body: string }) => bodies.set(82, body.body).size > 0)
        .reply(201, { id: 9011 });
      const publicClose = await closeWithLinks(database.prisma, 80, links, { summary: true, private: false });
      // Private when issue 82 closed; a later payload said the repository is public: the summary, written after, follows that.
      const madePublic = await closeWithLinks(database.prisma, 82, links2, { summary: true, private: true });
      expect(await database.prisma.repository.findUniqueOrThrow({ where: { id: REPOSITORY.id } })).toMatchObject({
        private: true,
      });
      await database.prisma.repository.update({ where: { id: REPOSITORY.id }, data: { private: false } });
      startWorker(["intercom"]);
      for (const closeId of [publicClose, madePublic]) {
        await waitFor(
          async () =>
            (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId !== null,
          10_000,
        );
      }

      expect(bodies.size).toBe(2);
      for (const [number, body] of bodies) {
        const [, dead] = number === 80 ? links : links2;
        const deadJob = await job(dead!.conversationId);
        expect(deadJob.state).toBe("dead");
        expect(body).toContain("reopened 1 of 2 linked conversations");
        expect(body).toContain("| Intercom | 1 | 1 |");
        expect(body).toContain("`npx closeloop jobs --state dead`");
        for (const secret of [dead!.conversationId, dead!.url, "not found", "404", `job ${deadJob.id}`])
          expect(body).not.toContain(secret);
      }
    });

    it("finds the comment an earlier attempt posted but could not record, instead of posting twice", async () => {
      const link = conversation("intercom", 60);
      fake("intercom").seed({ id: link.conversationId, open: false });
      const closeId = await closeWithLinks(database.prisma, 60, [link], { summary: true });
      // An earlier worker claimed the summary, posted it, and died before storing the comment id.
      await database.prisma.issueClose.update({ where: { id: closeId }, data: { summaryAttempts: 1 } });
      const marker = `<!-- closeloop:reopen-summary close=${closeId} -->\n**closeloop** reopened 0 of 1`;
      nock(GITHUB_API)
        .get(`${comments}/60/comments`)
        .query(true)
        .reply(200, [
          { id: 1, body: "a person's comment" },
          // Copies of the marker by a person and by another app come first: neither is closeloop's.
          { id: 2, body: marker, performed_via_github_app: null },
          { id: 3, body: marker, performed_via_github_app: { id: TEST_APP_ID + 1 } },
          { id: 9003, body: marker, performed_via_github_app: { id: TEST_APP_ID } },
        ]);
      const edited: string[] = [];
      nock(GITHUB_API)
        .patch(`${comments}/comments/9003`, (body: { body: string }) => edited.push(body.body) > 0)
        .reply(200, { id: 9003 });
      startWorker(["intercom"]);
      await waitFor(
        async () =>
          (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId === 9003n,
        10_000,
      );
      expect(edited[0]).toContain("reopened 1 of 1 linked conversation with");
    });

    it("does not edit a comment that carries its marker but was written by someone else: it posts its own", async () => {
      const link = conversation("intercom", 61);
      fake("intercom").seed({ id: link.conversationId, open: false });
      const closeId = await closeWithLinks(database.prisma, 61, [link], { summary: true });
      await database.prisma.issueClose.update({ where: { id: closeId }, data: { summaryAttempts: 1 } });
      const marker = `<!-- closeloop:reopen-summary close=${closeId} -->\nI typed this`;
      nock(GITHUB_API)
        .get(`${comments}/61/comments`)
        .query(true)
        .reply(200, [
          { id: 4, body: marker },
          { id: 5, body: marker, performed_via_github_app: { id: TEST_APP_ID + 1 } },
        ]);
      const posted: string[] = [];
      nock(GITHUB_API)
        .post(`${comments}/61/comments`, (body: { body: string }) => posted.push(body.body) > 0)
        .reply(201, { id: 9004 });
      startWorker(["intercom"]);
      // A PATCH of comment 4 or 5 would be an unmatched request, which fails the test (test/setup.ts).
      await waitFor(
        async () =>
          (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId === 9004n,
        10_000,
      );
      expect(posted[0]).toContain("reopened 1 of 1 linked conversation with");
    });

    it("is not written when comment.summary is false, nor in a dry run", async () => {
      const first = conversation("intercom", 70);
      fake("intercom").seed({ id: first.conversationId, open: false });
      await closeWithLinks(database.prisma, 70, [first], { summary: false });
      await closeWithLinks(database.prisma, 71, [conversation("intercom", 71)], { summary: true });
      startWorker(["intercom"], { dryRun: true });
      await allSettled(database.prisma);
      await waitFor(async () => (await database.prisma.issueClose.count({ where: { settledAt: null } })) === 0, 5_000);
      expect(logs.find((line) => line.startsWith("[dry-run] Would comment on Codertocat/Hello-World#71:"))).toContain(
        "| Intercom | 1 | 0 |",
      );
      expect(logs.some((line) => line.includes("#70"))).toBe(false);
    });
  });
});
