import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { observingRateLimits, type RateLimitState } from "../../../src/providers/helpdesk-http.js";
import { frontProvider } from "../../../src/providers/front/index.js";
import { startFakeFront, type FakeFront } from "./fake-server.js";

const ref = { account: "", conversationId: "cnv_55c8c149" };

describe("Front client", () => {
  let fake: FakeFront;

  beforeAll(async () => {
    fake = await startFakeFront();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.http.calm();
    fake.http.requests.length = 0;
    fake.merged.clear();
    fake.seed({ id: ref.conversationId, open: false, team: "Support", tags: ["billing"], customerId: "crd_1a2b3c" });
  });

  const client = () => frontProvider.createClient(frontProvider.configure(fake.env())!);

  it("sends a Bearer token", async () => {
    await client().reopen(ref);
    expect(fake.http.requests[0]?.headers.authorization).toBe(`Bearer ${fake.token}`);
  });

  it("adds the note as a comment with the text as given", async () => {
    await client().addNote(ref, "Issue <7> closed");
    const [request] = fake.http.requestsTo("POST", /\/comments$/);
    expect(request?.body).toEqual({ body: "Issue <7> closed" });
  });

  it("reopens an archived conversation with PATCH status open", async () => {
    await client().reopen(ref);
    const [request] = fake.http.requestsTo("PATCH", /^\/conversations\/cnv_55c8c149$/);
    expect(request?.body).toEqual({ status: "open" });
    expect(fake.conversation(ref.conversationId)?.open).toBe(true);
  });

  it("takes the team from the conversation's inbox and the customer from the recipient's contact link", async () => {
    const details = await client().readConversation(ref);
    expect(details).toMatchObject({ team: "Support", customerId: "crd_1a2b3c", tags: ["billing"] });
    expect(fake.http.requestsTo("GET", /\/inboxes$/)).toHaveLength(1);
  });

  it("reads x-ratelimit-reset whether Front sends it in seconds or milliseconds", async () => {
    fake.http.enforceRateLimit({ requests: 50, windowMs: 60_000 });
    let state: RateLimitState | undefined;
    await observingRateLimits(
      (seen) => (state = seen),
      () => client().reopen(ref),
    );
    const resetAt = state?.resetAt?.getTime() ?? 0;
    expect(Math.abs(resetAt - Date.now())).toBeLessThan(120_000);
  });

  it("reports Front's validation message for a rejected request", async () => {
    fake.http.failNext({
      kind: "status",
      status: 400,
      body: { _error: { status: 400, title: "Bad request", message: "Body did not satisfy requirements" } },
    });
    await expect(client().reopen(ref)).rejects.toMatchObject({
      retryable: false,
      reason: "Front: request rejected (400): Body did not satisfy requirements",
    });
  });

  it("follows Front's 301 for a merged conversation on the note, the reopen and the read, and names the survivor", async () => {
    fake.seed({ id: "cnv_2", open: false, team: "Billing", tags: [], customerId: null });
    fake.merge(ref.conversationId, "cnv_2");
    const front = client();
    expect(await front.addNote(ref, "Issue closed")).toEqual({ mergedInto: "cnv_2" });
    expect(await front.reopen(ref)).toEqual({ mergedInto: "cnv_2" });
    expect(await front.readConversation(ref)).toMatchObject({ team: "Billing", mergedInto: "cnv_2" });
    expect(fake.http.requests.map((request) => `${request.method} ${request.path} ${request.answered}`)).toEqual([
      "POST /conversations/cnv_55c8c149/comments 301",
      "POST /conversations/cnv_2/comments 201",
      "PATCH /conversations/cnv_55c8c149 301",
      "PATCH /conversations/cnv_2 204",
      "GET /conversations/cnv_55c8c149 301",
      "GET /conversations/cnv_2 200",
      "GET /conversations/cnv_2/inboxes 200",
    ]);
    expect(fake.http.requestsTo("POST", /cnv_2\/comments$/)[0]?.body).toEqual({ body: "Issue closed" });
    expect(fake.http.requestsTo("PATCH", /cnv_2$/)[0]?.body).toEqual({ status: "open" });
    expect(fake.conversation("cnv_2")).toMatchObject({ open: true, notes: ["Issue closed"], reopened: 1 });
  });

  it("names no survivor when nothing was redirected", async () => {
    const front = client();
    expect(await front.addNote(ref, "n")).toBeUndefined();
    expect(await front.reopen(ref)).toBeUndefined();
    expect((await front.readConversation(ref)).mergedInto).toBeUndefined();
  });

  it("is not enabled without FRONT_API_TOKEN and defaults to api2.frontapp.com", () => {
    expect(frontProvider.configure({ FRONT_API_URL: "https://proxy.example.com" })).toBeNull();
    expect(frontProvider.configure({ FRONT_API_TOKEN: "t" })?.apiUrl.href).toBe("https://api2.frontapp.com/");
  });
});
