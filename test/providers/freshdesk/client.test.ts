import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FRESHDESK_STATUS } from "../../../src/providers/freshdesk/client.js";
import { freshdeskProvider } from "../../../src/providers/freshdesk/index.js";
import { startFakeFreshdesk, type FakeFreshdesk } from "./fake-server.js";
import { readInTurn } from "../team-reads.js";

const ref = { account: "acme", conversationId: "1207" };

describe("Freshdesk client", () => {
  let fake: FakeFreshdesk;

  beforeAll(async () => {
    fake = await startFakeFreshdesk();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.http.calm();
    fake.http.requests.length = 0;
    fake.seed({
      id: ref.conversationId,
      status: FRESHDESK_STATUS.closed,
      team: "Payments",
      tags: ["card"],
      customerId: "9001",
    });
  });

  const client = () => freshdeskProvider.createClient(freshdeskProvider.configure(fake.env())!);

  it("authenticates with the API key as the Basic user and X as the password", async () => {
    await client().reopen(ref);
    expect(fake.http.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${fake.apiKey}:X`).toString("base64")}`,
    );
  });

  it("reopens with the numeric open status, from closed too", async () => {
    await client().reopen(ref);
    expect(fake.http.requestsTo("PUT", /^\/api\/v2\/tickets\/1207$/)[0]?.body).toEqual({ status: 2 });
    expect(fake.status(ref.conversationId)).toBe(FRESHDESK_STATUS.open);
  });

  it("adds a private note with the text escaped as HTML", async () => {
    await client().addNote(ref, "Issue <7> closed");
    expect(fake.http.requestsTo("POST", /\/notes$/)[0]?.body).toEqual({
      body: "<p>Issue &lt;7&gt; closed</p>",
      private: true,
    });
    expect(fake.conversation(ref.conversationId)?.notes).toHaveLength(1);
  });

  it("reports Freshdesk's validation errors with the field", async () => {
    fake.http.failNext({
      kind: "status",
      status: 400,
      body: {
        description: "Validation failed",
        errors: [{ field: "custom_fields.cf_order", message: "It should not be blank", code: "missing_field" }],
      },
    });
    await expect(client().reopen(ref)).rejects.toMatchObject({
      retryable: false,
      reason: "Freshdesk: request rejected (400): Validation failed: custom_fields.cf_order: It should not be blank",
    });
  });

  it("refuses a ticket of another Freshdesk domain without calling the API", async () => {
    await expect(client().reopen({ account: "globex", conversationId: "1207" })).rejects.toMatchObject({
      retryable: false,
    });
    expect(fake.http.requests).toHaveLength(0);
  });

  it("reads a group's name once for two tickets in that group", async () => {
    fake.seed({ id: "1208", team: null });
    const groupId = fake.tickets.get(ref.conversationId)!.groupId;
    fake.tickets.get("1208")!.groupId = groupId;
    const { teams, reads } = await readInTurn(client(), fake.http, [ref, { ...ref, conversationId: "1208" }]);
    expect(teams).toEqual(["Payments", "Payments"]);
    expect(reads).toEqual(["/api/v2/tickets/1207", `/api/v2/groups/${groupId}`, "/api/v2/tickets/1208"]);
  });

  describe("configure", () => {
    it("names the missing variable when the credentials are only partly set", () => {
      expect(() => freshdeskProvider.configure({ FRESHDESK_DOMAIN: "acme" })).toThrow(
        "invalid environment: FRESHDESK_API_KEY: is required when FRESHDESK_DOMAIN is set",
      );
    });

    it("takes the domain with or without .freshdesk.com and builds the API URL from it", () => {
      const settings = freshdeskProvider.configure({ FRESHDESK_DOMAIN: "acme.freshdesk.com", FRESHDESK_API_KEY: "k" });
      expect(settings?.domain).toBe("acme");
      expect(settings?.apiUrl.href).toBe("https://acme.freshdesk.com/");
    });
  });
});
