import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HelpdeskError } from "../../../src/providers/helpdesk-http.js";
import { zendeskProvider } from "../../../src/providers/zendesk/index.js";
import { startFakeZendesk, type FakeZendesk } from "./fake-server.js";
import { readInTurn } from "../team-reads.js";

const ref = { account: "acme", conversationId: "4821" };
const CLOSED_REASON = "Zendesk: ticket 4821 is closed; closed tickets cannot be reopened";

describe("Zendesk client", () => {
  let fake: FakeZendesk;

  beforeAll(async () => {
    fake = await startFakeZendesk();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.http.calm();
    fake.http.requests.length = 0;
    fake.seed({ id: ref.conversationId, open: false, team: "Tier 2", tags: ["refund"], customerId: "36100012" });
  });

  const client = () => zendeskProvider.createClient(zendeskProvider.configure(fake.env())!);

  it("authenticates with Basic {email}/token:{token}", async () => {
    await client().reopen(ref);
    const expected = Buffer.from(`${fake.email}/token:${fake.token}`).toString("base64");
    expect(fake.http.requests[0]?.headers.authorization).toBe(`Basic ${expected}`);
  });

  it("adds the note as a private comment and reopens with status open, both through Update Ticket", async () => {
    await client().addNote(ref, "closed upstream");
    await client().reopen(ref);
    expect(fake.http.requestsTo("PUT", /^\/api\/v2\/tickets\/4821\.json$/).map((request) => request.body)).toEqual([
      { ticket: { comment: { body: "closed upstream", public: false } } },
      { ticket: { status: "open" } },
    ]);
    expect(fake.conversation(ref.conversationId)).toEqual({ open: true, notes: ["closed upstream"], reopened: 1 });
  });

  describe("a closed ticket", () => {
    beforeEach(() => {
      fake.seed({ id: ref.conversationId, status: "closed" });
    });

    it("cannot be reopened: a permanent error that says so", async () => {
      const error = await client()
        .reopen(ref)
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HelpdeskError);
      expect(error).toMatchObject({ status: 422, retryable: false, reason: CLOSED_REASON });
    });

    it("cannot take the note either, for the same reason", async () => {
      await expect(client().addNote(ref, "note")).rejects.toMatchObject({ retryable: false, reason: CLOSED_REASON });
      expect(fake.conversation(ref.conversationId)?.notes).toEqual([]);
    });

    it("is confirmed by reading the ticket back after the 422", async () => {
      await client()
        .reopen(ref)
        .catch(() => undefined);
      expect(fake.http.requests.map((request) => `${request.method} ${request.answered}`)).toEqual([
        "PUT 422",
        "GET 200",
      ]);
    });
  });

  describe("the note and the reopen in one Update Ticket", () => {
    const puts = () => fake.http.requestsTo("PUT", /^\/api\/v2\/tickets\/4821\.json$/).map((request) => request.body);

    it("sends one PUT carrying the private comment and status open", async () => {
      await client().addNoteAndReopen!(ref, "closed upstream", { retry: false });
      expect(fake.http.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
        "PUT /api/v2/tickets/4821.json",
      ]);
      expect(puts()).toEqual([{ ticket: { comment: { body: "closed upstream", public: false }, status: "open" } }]);
      expect(fake.conversation(ref.conversationId)).toEqual({ open: true, notes: ["closed upstream"], reopened: 1 });
    });

    it("on a retry, finds the note an earlier attempt landed and only reopens", async () => {
      fake.tickets.get(ref.conversationId)!.notes.push("closed  upstream\n");
      await client().addNoteAndReopen!(ref, "closed upstream", { retry: true });
      const comments = fake.http.requestsTo("GET", /\/comments\.json$/);
      expect(comments.map((request) => `${request.path}?${request.query.toString()}`)).toEqual([
        "/api/v2/tickets/4821/comments.json?sort_order=desc&per_page=100",
      ]);
      expect(puts()).toEqual([{ ticket: { status: "open" } }]);
      expect(fake.conversation(ref.conversationId)).toMatchObject({ open: true, notes: ["closed  upstream\n"] });
    });

    it("on a retry, sends both when the note is not there (a public reply with its text does not count)", async () => {
      fake.tickets.get(ref.conversationId)!.publicComments.push("closed upstream");
      await client().addNoteAndReopen!(ref, "closed upstream", { retry: true });
      expect(puts()).toEqual([{ ticket: { comment: { body: "closed upstream", public: false }, status: "open" } }]);
    });

    it("says a closed ticket is closed, so a follow-up can stand in", async () => {
      fake.seed({ id: ref.conversationId, status: "closed" });
      await expect(client().addNoteAndReopen!(ref, "n", { retry: false })).rejects.toMatchObject({
        status: 422,
        retryable: false,
        closed: true,
        reason: CLOSED_REASON,
      });
    });
  });

  describe("a follow-up of a closed ticket", () => {
    const KEY = "closeloop-reopen-3-17-4821";
    beforeEach(() => {
      fake.seed({ id: ref.conversationId, status: "closed", customerId: "36100012" });
      fake.creates.clear();
      for (const ticket of [...fake.tickets.values()])
        if (ticket.followUpOf !== null || ticket.externalId !== null) fake.tickets.delete(ticket.id);
    });

    it("is created with via_followup_source_id, the source's requester and subject, the key, and the note as a private comment", async () => {
      const id = await client().createFollowUp!(ref, "closed upstream", KEY);
      expect(fake.http.requests.map((request) => `${request.method} ${request.path} ${request.answered}`)).toEqual([
        "GET /api/v2/tickets/4821.json 200",
        "POST /api/v2/tickets.json 201",
      ]);
      const [post] = fake.http.requestsTo("POST", /^\/api\/v2\/tickets\.json$/);
      expect(post!.headers["idempotency-key"]).toBe(KEY);
      expect(post!.body).toEqual({
        ticket: {
          via_followup_source_id: 4821,
          requester_id: 36100012,
          subject: "Checkout button does nothing",
          external_id: KEY,
          status: "open",
          comment: { body: "closed upstream", public: false },
        },
      });
      expect(fake.followUpsOf(ref.conversationId).map((ticket) => ticket.id)).toEqual([id]);
      expect(fake.conversation(id)).toEqual({ open: true, notes: ["closed upstream"], reopened: 0 });
    });

    it("is created once: a second call with the key finds it among the source's follow-ups and creates nothing", async () => {
      // Someone else's follow-up (a customer replying to the closed ticket) is not taken for closeloop's.
      const other = (
        fake.create({ via_followup_source_id: 4821, comment: { body: "customer reply", public: true } }).body as {
          ticket: { id: number };
        }
      ).ticket.id;
      const first = await client().createFollowUp!(ref, "closed upstream", KEY);
      fake.creates.clear(); // more than two hours later: Zendesk has forgotten the key
      fake.http.requests.length = 0;
      expect(await client().createFollowUp!(ref, "closed upstream", KEY)).toBe(first);
      expect(
        fake.http.requests.map((request) => `${request.method} ${request.path}?${request.query.toString()}`),
      ).toEqual(["GET /api/v2/tickets/4821.json?", `GET /api/v2/tickets/show_many.json?ids=${other}%2C${first}`]);
      expect(fake.followUpsOf(ref.conversationId)).toHaveLength(2);
    });

    it("is created once when the source does not list it yet: the Idempotency-Key replay answers with the first", async () => {
      const first = await client().createFollowUp!(ref, "closed upstream", KEY);
      fake.tickets.get(ref.conversationId)!.followUps.length = 0;
      expect(await client().createFollowUp!(ref, "closed upstream", KEY)).toBe(first);
      expect(fake.http.requestsTo("POST", /tickets\.json$/).map((request) => request.answered)).toEqual([201, 201]);
      expect([...fake.tickets.values()].filter((ticket) => ticket.externalId === KEY)).toHaveLength(1);
    });

    it("refused by Zendesk (the source was deleted) is permanent, with Zendesk's reason", async () => {
      fake.http.failNext(
        {
          kind: "status",
          status: 422,
          body: {
            error: "RecordInvalid",
            description: "Record validation errors",
            details: { via_followup_source_id: [{ description: "Follow-up source: ticket deleted" }] },
          },
        },
        { match: (request) => request.method === "POST" },
      );
      await expect(client().createFollowUp!(ref, "n", KEY)).rejects.toMatchObject({
        status: 422,
        retryable: false,
        closed: false,
        reason:
          "Zendesk: follow-up to ticket 4821 refused (422): Record validation errors: Follow-up source: ticket deleted",
      });
      expect(fake.followUpsOf(ref.conversationId)).toEqual([]);
    });

    it("is not made for a ticket that is not closed (Zendesk would make an unrelated ticket): retried instead", async () => {
      fake.seed({ id: ref.conversationId, status: "solved" });
      await expect(client().createFollowUp!(ref, "n", KEY)).rejects.toMatchObject({
        retryable: true,
        reason: "Zendesk: ticket 4821 is solved, not closed: no follow-up is made for it",
      });
      expect(fake.http.requestsTo("POST", /./)).toEqual([]);
    });
  });

  it("keeps Zendesk's own message for a 422 on a ticket that is not closed", async () => {
    fake.http.failNext(
      {
        kind: "status",
        status: 422,
        body: {
          error: "RecordInvalid",
          description: "Record validation errors",
          details: { base: [{ description: "Field Order number is required" }] },
        },
      },
      { match: (request) => request.method === "PUT" },
    );
    await expect(client().reopen(ref)).rejects.toMatchObject({
      retryable: false,
      reason: "Zendesk: request rejected (422): Record validation errors: Field Order number is required",
    });
  });

  it("retries a 409 from two updates of one ticket colliding", async () => {
    fake.http.failNext({ kind: "status", status: 409, body: { error: "Conflict" } });
    await expect(client().reopen(ref)).rejects.toMatchObject({ status: 409, retryable: true });
  });

  it("refuses a ticket of another Zendesk account without calling the API", async () => {
    await expect(client().reopen({ account: "globex", conversationId: "4821" })).rejects.toMatchObject({
      retryable: false,
      reason: "Zendesk: ticket is on globex.zendesk.com but closeloop is configured for acme.zendesk.com",
    });
    expect(fake.http.requests).toHaveLength(0);
  });

  it("reads the group name, tags, requester and creation time", async () => {
    expect(await client().readConversation(ref)).toEqual({
      team: "Tier 2",
      tags: ["refund"],
      customerId: "36100012",
      createdAt: new Date("2024-05-01T10:00:00Z"),
    });
  });

  it("reads a group's name once for two tickets in that group", async () => {
    fake.seed({ id: "4822", team: null });
    const groupId = fake.tickets.get(ref.conversationId)!.groupId;
    fake.tickets.get("4822")!.groupId = groupId;
    const { teams, reads } = await readInTurn(client(), fake.http, [ref, { ...ref, conversationId: "4822" }]);
    expect(teams).toEqual(["Tier 2", "Tier 2"]);
    expect(reads).toEqual(["/api/v2/tickets/4821.json", `/api/v2/groups/${groupId}.json`, "/api/v2/tickets/4822.json"]);
  });

  describe("configure", () => {
    it("names the first missing variable when the credentials are only partly set", () => {
      expect(() => zendeskProvider.configure({ ZENDESK_SUBDOMAIN: "acme" })).toThrow(
        "invalid environment: ZENDESK_EMAIL: is required when ZENDESK_SUBDOMAIN is set",
      );
    });

    it("builds the API URL from the subdomain, accepting the full host too", () => {
      const env = { ZENDESK_SUBDOMAIN: "Acme.zendesk.com", ZENDESK_EMAIL: "a@b.c", ZENDESK_API_TOKEN: "t" };
      expect(zendeskProvider.configure(env)).toMatchObject({ subdomain: "acme" });
      expect(zendeskProvider.configure(env)?.apiUrl.href).toBe("https://acme.zendesk.com/");
    });

    it("refuses a subdomain that would point the API elsewhere", () => {
      const env = { ZENDESK_SUBDOMAIN: "evil.example.com/x", ZENDESK_EMAIL: "a@b.c", ZENDESK_API_TOKEN: "t" };
      expect(() => zendeskProvider.configure(env)).toThrow(/ZENDESK_SUBDOMAIN/);
    });
  });
});
