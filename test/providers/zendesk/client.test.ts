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
      const error = await client().reopen(ref).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HelpdeskError);
      expect(error).toMatchObject({ status: 422, retryable: false, reason: CLOSED_REASON });
    });

    it("cannot take the note either, for the same reason", async () => {
      await expect(client().addNote(ref, "note")).rejects.toMatchObject({ retryable: false, reason: CLOSED_REASON });
      expect(fake.conversation(ref.conversationId)?.notes).toEqual([]);
    });

    it("is confirmed by reading the ticket back after the 422", async () => {
      await client().reopen(ref).catch(() => undefined);
      expect(fake.http.requests.map((request) => `${request.method} ${request.answered}`)).toEqual(["PUT 422", "GET 200"]);
    });
  });

  it("keeps Zendesk's own message for a 422 on a ticket that is not closed", async () => {
    fake.http.failNext(
      {
        kind: "status",
        status: 422,
        body: { error: "RecordInvalid", description: "Record validation errors", details: { base: [{ description: "Field Order number is required" }] } },
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
