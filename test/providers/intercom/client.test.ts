import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HelpdeskError } from "../../../src/providers/helpdesk-http.js";
import { INTERCOM_VERSION, createIntercomClient } from "../../../src/providers/intercom/client.js";
import { intercomProvider } from "../../../src/providers/intercom/index.js";
import { ProviderConfigError } from "../../../src/providers/provider-settings.js";
import { startFakeIntercom, type FakeIntercom } from "./fake-server.js";
import { readInTurn } from "../team-reads.js";

const ref = { account: "abc123", conversationId: "215471" };

describe("Intercom client", () => {
  let fake: FakeIntercom;

  beforeAll(async () => {
    fake = await startFakeIntercom();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.http.calm();
    fake.http.requests.length = 0;
    fake.seed({ id: ref.conversationId, open: false, team: "Team Messenger", tags: ["bug"], customerId: "6630a1f0" });
  });

  const client = () => intercomProvider.createClient(intercomProvider.configure(fake.env())!);

  it("pins the Intercom-Version header on every call", async () => {
    const intercom = client();
    await intercom.addNote(ref, "note");
    await intercom.reopen(ref);
    await intercom.readConversation(ref);
    expect(fake.http.requests.length).toBe(4);
    expect(fake.http.requests.every((request) => request.headers["intercom-version"] === INTERCOM_VERSION)).toBe(true);
  });

  it("writes the note as the configured admin, as a note, with the text escaped as HTML", async () => {
    await client().addNote(ref, "Issue <b>#7</b> & co\nclosed");
    const [request] = fake.http.requestsTo("POST", /\/reply$/);
    expect(request?.body).toEqual({
      message_type: "note",
      type: "admin",
      admin_id: fake.adminId,
      body: "<p>Issue &lt;b&gt;#7&lt;/b&gt; &amp; co</p><p>closed</p>",
    });
  });

  it("reopens as the configured admin", async () => {
    await client().reopen(ref);
    const [request] = fake.http.requestsTo("POST", /\/parts$/);
    expect(request?.body).toEqual({ message_type: "open", admin_id: fake.adminId });
    expect(fake.conversation(ref.conversationId)?.open).toBe(true);
  });

  it("resolves the team id to its name with a second call", async () => {
    const details = await client().readConversation(ref);
    expect(details.team).toBe("Team Messenger");
    expect(fake.http.requestsTo("GET", /^\/teams\/\d+$/)).toHaveLength(1);
  });

  it("reads a team's name once for two conversations in that team", async () => {
    fake.seed({ id: "215472", team: null });
    const teamId = fake.conversations.get(ref.conversationId)!.teamId;
    fake.conversations.get("215472")!.teamId = teamId;
    const { teams, reads } = await readInTurn(client(), fake.http, [ref, { ...ref, conversationId: "215472" }]);
    expect(teams).toEqual(["Team Messenger", "Team Messenger"]);
    expect(reads).toEqual(["/conversations/215471", `/teams/${teamId}`, "/conversations/215472"]);
  });

  it("reads a deleted team as no team", async () => {
    fake.teams.clear();
    expect((await client().readConversation(ref)).team).toBeNull();
  });

  it("reads the reset of a 429 from X-RateLimit-Reset, as Intercom sends no Retry-After", async () => {
    fake.http.failNext({ kind: "rate-limited", retryAfterSeconds: 5 });
    const error = await client()
      .reopen(ref)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HelpdeskError);
    expect((error as HelpdeskError).retryAfterMs).toBeGreaterThan(4_000);
    expect((error as HelpdeskError).retryAfterMs).toBeLessThanOrEqual(6_000);
  });

  it("reports a refused admin as a permanent error with Intercom's message", async () => {
    const settings = { ...intercomProvider.configure(fake.env())!, adminId: "12" };
    const error = await createIntercomClient(settings)
      .reopen(ref)
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      status: 400,
      retryable: false,
      reason: "Intercom: request rejected (400): Admin not found",
    });
  });

  it("with INTERCOM_WORKSPACE_ID set, refuses a conversation of another workspace without calling the API, and serves its own", async () => {
    const intercom = intercomProvider.createClient(
      intercomProvider.configure({ ...fake.env(), INTERCOM_WORKSPACE_ID: "ABC123" })!,
    );
    for (const call of [
      () => intercom.reopen({ ...ref, account: "zz99other" }),
      () => intercom.readConversation({ ...ref, account: "zz99other" }),
    ]) {
      await expect(call()).rejects.toMatchObject({
        retryable: false,
        reason: "Intercom: conversation is in workspace zz99other but closeloop is configured for workspace abc123",
      });
    }
    expect(fake.http.requests).toHaveLength(0);
    await intercom.reopen(ref);
    expect(fake.http.requests).toHaveLength(1);
  });

  describe("configure", () => {
    it("is not enabled without credentials", () => {
      expect(intercomProvider.configure({})).toBeNull();
    });

    it("names the missing variable when the credentials are only partly set", () => {
      expect(() => intercomProvider.configure({ INTERCOM_ACCESS_TOKEN: "t" })).toThrow(
        new ProviderConfigError("intercom", "INTERCOM_ADMIN_ID", "is required when INTERCOM_ACCESS_TOKEN is set"),
      );
    });

    it("refuses an admin id that is not a number", () => {
      expect(() => intercomProvider.configure({ INTERCOM_ACCESS_TOKEN: "t", INTERCOM_ADMIN_ID: "me" })).toThrow(
        /INTERCOM_ADMIN_ID/,
      );
    });

    it("defaults to the US API host and takes a regional one from INTERCOM_API_URL", () => {
      const credentials = { INTERCOM_ACCESS_TOKEN: "t", INTERCOM_ADMIN_ID: "1" };
      expect(intercomProvider.configure(credentials)?.apiUrl.href).toBe("https://api.intercom.io/");
      expect(
        intercomProvider.configure({ ...credentials, INTERCOM_API_URL: "https://api.eu.intercom.io" })?.apiUrl.href,
      ).toBe("https://api.eu.intercom.io/");
    });

    it("refuses an API URL that is not http(s)", () => {
      expect(() =>
        intercomProvider.configure({ INTERCOM_ACCESS_TOKEN: "t", INTERCOM_ADMIN_ID: "1", INTERCOM_API_URL: "ftp://x" }),
      ).toThrow(/INTERCOM_API_URL/);
    });
  });
});
