import { createServer } from "node:net";
import nock from "nock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  HelpdeskError,
  headerEpoch,
  parseRetryAfter,
  observingRateLimits,
  type RateLimitState,
  requestJson,
  MAX_REDIRECTS,
  type HelpdeskProtocol,
} from "../../src/providers/helpdesk-http.js";
import { startFakeHelpdesk, type FakeHelpdesk, type FakeReply } from "../fakes/fake-helpdesk.js";

const SECRET = "s3cret-token-value";

const protocol: HelpdeskProtocol = {
  provider: "zendesk",
  name: "Zendesk",
  readRateLimit: (headers) => ({
    limit: headers.has("x-limit") ? Number(headers.get("x-limit")) : undefined,
    remaining: headers.has("x-remaining") ? Number(headers.get("x-remaining")) : undefined,
  }),
  readErrorMessage: (body) =>
    typeof body === "object" && body !== null && "message" in body ? String(body.message) : undefined,
  secrets: [SECRET],
};

describe("requestJson", () => {
  let fake: FakeHelpdesk;
  let next: FakeReply = { status: 200 };

  beforeAll(async () => {
    fake = await startFakeHelpdesk({
      authorize: () => undefined,
      rateLimited: (seconds) => ({ status: 429, headers: { "retry-after": String(seconds) } }),
      rateLimitHeaders: () => ({}),
      routes: [
        { method: "GET", path: /.*/, handle: () => next },
        { method: "POST", path: /.*/, handle: () => next },
      ],
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    next = { status: 200 };
  });

  const get = () => requestJson(protocol, { conversationId: "42", method: "GET", url: new URL(`${fake.url}/thing`) });
  const read = <T>(schema: z.ZodType<T>) =>
    requestJson(protocol, { conversationId: "42", method: "GET", url: new URL(`${fake.url}/thing`), schema });
  const caught = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error as HelpdeskError,
    );

  it("returns the body parsed by the schema, keeping fields it does not declare out of the type only", async () => {
    next = { status: 200, body: { name: "Billing", extra: true } };
    expect(await read(z.looseObject({ name: z.string() }))).toMatchObject({ name: "Billing" });
  });

  it("calls a body that does not fit the schema a permanent unexpected response, naming the field", async () => {
    next = { status: 200, body: { name: 7 } };
    const error = await caught(read(z.looseObject({ name: z.string() })));
    expect(error).toMatchObject({ retryable: false, status: 200 });
    expect(error?.reason).toMatch(/^Zendesk: unexpected response \(200\): name: /);
  });

  it("tells the caller's observer the rate-limit state of each response, and nobody else", async () => {
    next = { status: 200, headers: { "x-limit": "100", "x-remaining": "97" } };
    const seen: RateLimitState[] = [];
    const other: RateLimitState[] = [];
    await Promise.all([
      observingRateLimits((state) => seen.push(state), get),
      observingRateLimits(
        (state) => other.push(state),
        async () => {},
      ),
    ]);
    expect(seen).toMatchObject([{ limit: 100, remaining: 97 }]);
    expect(other).toEqual([]);
    // Without an observer the signals are simply not kept.
    await get();
    expect(seen).toHaveLength(1);
  });

  it("includes the provider's message for a 403, scrubbed of credentials", async () => {
    next = { status: 403, body: { message: `token ${SECRET} may not do that` } };
    const error = await caught(get());
    expect(error).toMatchObject({
      status: 403,
      retryable: false,
      reason: "Zendesk: forbidden (403): token [redacted] may not do that",
    });
    expect(error?.message).not.toContain(SECRET);
  });

  it("clips a long provider message", async () => {
    next = { status: 400, body: { message: "x".repeat(1_000) } };
    const error = await caught(get());
    expect(error?.reason.length).toBeLessThan(260);
  });

  it("reads Retry-After on a 503 too", async () => {
    next = { status: 503, headers: { "retry-after": "30" } };
    expect(await caught(get())).toMatchObject({ status: 503, retryable: true, retryAfterMs: 30_000 });
  });

  it("calls a refused connection retryable", async () => {
    const port = await closedPort();
    const error = await caught(
      requestJson(protocol, { conversationId: "42", method: "GET", url: new URL(`http://127.0.0.1:${port}/x`) }),
    );
    expect(error).toMatchObject({ retryable: true, status: undefined, reason: "connection refused" });
  });
});

describe("requestJson and redirects (merged conversations)", () => {
  const base = "https://api.helpdesk.test";
  const write = (redirected?: (url: URL) => void) =>
    requestJson(protocol, {
      conversationId: "42",
      method: "POST",
      url: new URL(`${base}/conversations/42/notes`),
      json: { text: "hi" },
      redirected,
    });
  const caught = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error as HelpdeskError,
    );

  it("follows a 301 on the API host with the same method and body, and says where it ended", async () => {
    nock(base)
      .post("/conversations/42/notes", { text: "hi" })
      .reply(301, "", { location: `${base}/conversations/77/notes` });
    nock(base).post("/conversations/77/notes", { text: "hi" }).reply(201);
    const seen: string[] = [];
    await write((url) => seen.push(url.href));
    expect(seen).toEqual([`${base}/conversations/77/notes`]);
  });

  it("follows a relative Location, and says nothing when nothing was redirected", async () => {
    nock(base).patch("/conversations/42", { status: "open" }).reply(308, "", { location: "/conversations/43" });
    nock(base).patch("/conversations/43", { status: "open" }).reply(204);
    nock(base).post("/conversations/42/notes").reply(201);
    const seen: string[] = [];
    await requestJson(protocol, {
      conversationId: "42",
      method: "PATCH",
      url: new URL(`${base}/conversations/42`),
      json: { status: "open" },
      redirected: (url) => seen.push(url.pathname),
    });
    await write((url) => seen.push(url.pathname));
    expect(seen).toEqual(["/conversations/43"]);
  });

  it("refuses a redirect to another host, naming it, and never calls that host", async () => {
    nock(base)
      .post("/conversations/42/notes")
      .reply(301, "", { location: "https://evil.example/conversations/77/notes" });
    const error = await caught(write());
    expect(error).toMatchObject({
      status: 301,
      retryable: false,
      reason: "Zendesk: redirect to another host refused (301 to https://evil.example/conversations/77/notes)",
    });
  });

  it("refuses a redirect loop, naming the redirect", async () => {
    nock(base).post("/conversations/42/notes").reply(301, "", { location: "/conversations/43/notes" });
    nock(base).post("/conversations/43/notes").reply(301, "", { location: "/conversations/42/notes" });
    const error = await caught(write());
    expect(error).toMatchObject({
      status: 301,
      retryable: false,
      reason: "Zendesk: redirect loop (301 to /conversations/42/notes)",
    });
  });

  it(`stops after ${MAX_REDIRECTS} redirects`, async () => {
    for (let id = 42; id < 42 + MAX_REDIRECTS + 1; id += 1)
      nock(base)
        .post(`/conversations/${id}/notes`)
        .reply(301, "", { location: `/conversations/${id + 1}/notes` });
    const error = await caught(write());
    expect(error).toMatchObject({
      status: 301,
      retryable: false,
      reason: `Zendesk: more than ${MAX_REDIRECTS} redirects (301 to /conversations/46/notes)`,
    });
  });

  it("does not follow a 303 (it asks for a GET of something else)", async () => {
    nock(base).post("/conversations/42/notes").reply(303, "", { location: "/conversations/77" });
    expect(await caught(write())).toMatchObject({
      status: 303,
      retryable: false,
      reason: "Zendesk: redirect (303) not followed",
    });
  });
});

describe("Retry-After and reset headers", () => {
  const now = new Date("2024-05-01T10:00:00Z");

  it.each([
    ["12", 12_000],
    ["0", 0],
    ["1.5", 1_500],
    ["Wed, 01 May 2024 10:00:30 GMT", 30_000],
    ["Wed, 01 May 2024 09:00:00 GMT", 0],
    ["soon", undefined],
    [null, undefined],
  ])("Retry-After %s → %s ms", (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it("reads a UNIX reset in seconds or in milliseconds", () => {
    expect(headerEpoch(new Headers({ r: "1714557600" }), "r")?.toISOString()).toBe("2024-05-01T10:00:00.000Z");
    expect(headerEpoch(new Headers({ r: "1714557600000" }), "r")?.toISOString()).toBe("2024-05-01T10:00:00.000Z");
  });
});

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 1));
    });
  });
}
