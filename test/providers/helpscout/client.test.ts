import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { helpscoutProvider } from "../../../src/providers/helpscout/index.js";
import { startFakeHelpScout, type FakeHelpScout } from "./fake-server.js";
import { readInTurn } from "../team-reads.js";

const ref = { account: "", conversationId: "2391938111" };

describe("Help Scout client", () => {
  let fake: FakeHelpScout;

  beforeAll(async () => {
    fake = await startFakeHelpScout();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.http.calm();
    fake.http.requests.length = 0;
    fake.merged.clear();
    fake.tokenRequests = 0;
    fake.tokenLifetimeSeconds = 172_800;
    fake.seed({ id: ref.conversationId, open: false, team: "Support", tags: ["refund"], customerId: "4711" });
  });

  const client = () => helpscoutProvider.createClient(helpscoutProvider.configure(fake.env())!);
  const unauthorized = () => fake.http.requests.filter((request) => request.answered === 401);

  it("asks for a token with the client credentials grant", async () => {
    await client().reopen(ref);
    const [request] = fake.http.requestsTo("POST", /^\/v2\/oauth2\/token$/);
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.body).toEqual({
      grant_type: "client_credentials",
      client_id: fake.appId,
      client_secret: fake.appSecret,
    });
  });

  it("reuses one token for every call while it is valid", async () => {
    const helpscout = client();
    await helpscout.addNote(ref, "note");
    await helpscout.reopen(ref);
    await helpscout.readConversation(ref);
    expect(fake.tokenRequests).toBe(1);
  });

  it("shares one token request between concurrent calls", async () => {
    const helpscout = client();
    await Promise.all([helpscout.reopen(ref), helpscout.readConversation(ref), helpscout.addNote(ref, "note")]);
    expect(fake.tokenRequests).toBe(1);
  });

  it("gets a new token shortly before the old one expires, without waiting for a 401", async () => {
    fake.tokenLifetimeSeconds = 1;
    const helpscout = client();
    await helpscout.reopen(ref);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await helpscout.reopen(ref);
    expect(fake.tokenRequests).toBe(2);
    expect(unauthorized()).toHaveLength(0);
  });

  it("gets a new token once when the API refuses the current one, and the call goes through", async () => {
    const helpscout = client();
    await helpscout.readConversation(ref);
    fake.expireTokens();
    await helpscout.addNote(ref, "note");
    expect(fake.tokenRequests).toBe(2);
    expect(unauthorized()).toHaveLength(1);
    expect(fake.conversation(ref.conversationId)?.notes).toHaveLength(1);
  });

  it("gives up as bad credentials when a fresh token is refused too", async () => {
    fake.http.failNext(
      { kind: "status", status: 401, body: { error: "invalid_token" } },
      {
        times: 2,
        match: (request) => !request.path.endsWith("/oauth2/token"),
      },
    );
    await expect(client().reopen(ref)).rejects.toMatchObject({
      status: 401,
      retryable: false,
      reason: "Help Scout: bad credentials (401)",
    });
    expect(fake.tokenRequests).toBe(2);
  });

  it("reports a refused app id or secret as bad credentials naming the variables, without the secret", async () => {
    const error = await helpscoutProvider
      .createClient(helpscoutProvider.configure({ ...fake.env(), HELPSCOUT_APP_SECRET: "wrong-secret-value" })!)
      .reopen(ref)
      .catch((caught: unknown) => caught as Error);
    expect(error).toMatchObject({
      retryable: false,
      reason: "Help Scout: bad credentials (401): HELPSCOUT_APP_ID or HELPSCOUT_APP_SECRET was refused",
    });
    expect((error as Error).message).not.toContain("wrong-secret-value");
  });

  it("adds the note as HTML text and reopens with a JSON Patch to active", async () => {
    const helpscout = client();
    await helpscout.addNote(ref, "Issue <7> closed");
    await helpscout.reopen(ref);
    expect(fake.http.requestsTo("POST", /\/notes$/)[0]?.body).toEqual({ text: "<p>Issue &lt;7&gt; closed</p>" });
    expect(fake.http.requestsTo("PATCH", /^\/v2\/conversations\//)[0]?.body).toEqual({
      op: "replace",
      path: "/status",
      value: "active",
    });
    expect(fake.conversation(ref.conversationId)).toMatchObject({ open: true, reopened: 1 });
  });

  it("reads the wait from X-RateLimit-Retry-After", async () => {
    fake.http.failNext(
      { kind: "rate-limited", retryAfterSeconds: 7 },
      { match: (request) => request.method === "PATCH" },
    );
    await expect(client().reopen(ref)).rejects.toMatchObject({ status: 429, retryable: true, retryAfterMs: 7_000 });
  });

  it("reads a mailbox's name once for two conversations in that mailbox", async () => {
    fake.seed({ id: "2391938112", team: null });
    const mailboxId = fake.conversations.get(ref.conversationId)!.mailboxId;
    fake.conversations.get("2391938112")!.mailboxId = mailboxId;
    const { teams, reads } = await readInTurn(client(), fake.http, [ref, { ...ref, conversationId: "2391938112" }]);
    expect(teams).toEqual(["Support", "Support"]);
    expect(reads).toEqual([
      "/v2/conversations/2391938111",
      `/v2/mailboxes/${mailboxId}`,
      "/v2/conversations/2391938112",
    ]);
  });

  it("names the missing variable when the credentials are only partly set", () => {
    expect(() => helpscoutProvider.configure({ HELPSCOUT_APP_ID: "x" })).toThrow(
      "invalid environment: HELPSCOUT_APP_SECRET: is required when HELPSCOUT_APP_ID is set",
    );
  });

  it("finds a merged conversation's survivor through Get Conversation's 301 when a write 404s, and writes there", async () => {
    fake.seed({ id: "2391938222", open: false, team: "Billing", tags: [], customerId: null });
    fake.merge(ref.conversationId, "2391938222");
    const helpscout = client();
    expect(await helpscout.addNote(ref, "Issue closed")).toEqual({ mergedInto: "2391938222" });
    expect(await helpscout.reopen(ref)).toEqual({ mergedInto: "2391938222" });
    expect(await helpscout.readConversation(ref)).toMatchObject({ team: "Billing", mergedInto: "2391938222" });
    expect(
      fake.http.requests
        .filter((request) => !request.path.startsWith("/v2/oauth2") && !request.path.startsWith("/v2/mailboxes"))
        .map((request) => `${request.method} ${request.path} ${request.answered}`),
    ).toEqual([
      "POST /v2/conversations/2391938111/notes 404",
      "GET /v2/conversations/2391938111 301",
      "GET /v2/conversations/2391938222 200",
      "POST /v2/conversations/2391938222/notes 201",
      "PATCH /v2/conversations/2391938111 404",
      "GET /v2/conversations/2391938111 301",
      "GET /v2/conversations/2391938222 200",
      "PATCH /v2/conversations/2391938222 204",
      "GET /v2/conversations/2391938111 301",
      "GET /v2/conversations/2391938222 200",
    ]);
    expect(fake.http.requestsTo("PATCH", /2391938222$/)[0]?.body).toEqual({
      op: "replace",
      path: "/status",
      value: "active",
    });
    expect(fake.conversation("2391938222")).toMatchObject({ open: true, reopened: 1 });
    expect(fake.conversation("2391938222")?.notes).toHaveLength(1);
  });

  it("keeps a 404 a 404 when Get Conversation finds nothing either", async () => {
    fake.conversations.delete(ref.conversationId);
    await expect(client().addNote(ref, "n")).rejects.toMatchObject({
      status: 404,
      retryable: false,
      reason: "Help Scout: conversation not found (404)",
    });
    expect(
      fake.http.requests
        .filter((request) => request.path.startsWith("/v2/conversations"))
        .map((request) => `${request.method} ${request.answered}`),
    ).toEqual(["POST 404", "GET 404"]);
  });
});
