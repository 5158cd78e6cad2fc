import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ProviderId } from "../../src/domain/link.js";
import { HelpdeskError, observingRateLimits, type RateLimitState } from "../../src/providers/helpdesk-http.js";
import type { HelpdeskClient } from "../../src/providers/provider.js";
import { providers } from "../../src/providers/registry.js";
import type { FakeHelpdeskServer, RecordedRequest } from "../fakes/fake-helpdesk.js";
import { conformanceCases } from "./conformance-cases.js";

/** The contract every helpdesk client keeps, run against each provider's fake over real HTTP. */
const cases = [...conformanceCases].map(([provider, scenario]) => ({
  ...scenario,
  provider,
  name: providers.get(provider)!.name,
}));

// Short enough that the slow-response case below stays quick; long enough that every other answer of the fake, on a
// machine loaded by the rest of the suite, comes within it (at 300 ms a 429 timed out at load 8 and the case failed).
const TIMEOUT_MS = 2_000;
const notToken = (request: RecordedRequest) => !request.path.endsWith("/oauth2/token");

function clientFor(provider: ProviderId, env: Record<string, string>): HelpdeskClient {
  const definition = providers.get(provider)!;
  const settings = definition.configure(env) as { timeoutMs: number };
  return definition.createClient({ ...settings, timeoutMs: TIMEOUT_MS });
}

async function failure(promise: Promise<unknown>): Promise<HelpdeskError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(HelpdeskError);
  return error as HelpdeskError;
}

describe.each(cases)("$name client conformance", (scenario) => {
  let fake: FakeHelpdeskServer;
  let client: HelpdeskClient;
  const createdAt = new Date("2024-05-01T10:00:00Z");

  beforeAll(async () => {
    fake = await scenario.start();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.http.calm();
    fake.seed({
      id: scenario.ref.conversationId,
      open: false,
      team: "Billing",
      tags: ["checkout", "vip"],
      customerId: scenario.customerId,
      createdAt,
    });
    client = clientFor(scenario.provider, fake.env());
  });

  it("adds one internal note and reopens the conversation", async () => {
    await client.addNote(
      scenario.ref,
      "The GitHub issue https://github.com/acme/shop/issues/7 linked to this conversation was closed.",
    );
    await client.reopen(scenario.ref);

    const state = fake.conversation(scenario.ref.conversationId)!;
    expect(state.open).toBe(true);
    expect(state.notes).toHaveLength(1);
    expect(state.notes[0]).toContain("https://github.com/acme/shop/issues/7");
    expect(state.reopened).toBe(1);
  });

  it("reads the team, tags, customer and creation time", async () => {
    const details = await client.readConversation(scenario.ref);
    expect(details).toEqual({ team: "Billing", tags: ["checkout", "vip"], customerId: scenario.customerId, createdAt });
  });

  it("reads a conversation without a team as team null", async () => {
    fake.seed({ id: scenario.ref.conversationId, team: null, tags: [], customerId: null, createdAt });
    const details = await client.readConversation(scenario.ref);
    expect(details.team).toBeNull();
    expect(details.tags).toEqual([]);
    expect(details.customerId).toBeNull();
  });

  it("turns a 429 into a retryable error that says how long to wait", async () => {
    fake.http.failNext({ kind: "rate-limited", retryAfterSeconds: 12 }, { match: notToken });
    const error = await failure(client.reopen(scenario.ref));
    expect(error).toMatchObject({
      provider: scenario.provider,
      conversationId: scenario.ref.conversationId,
      status: 429,
      retryable: true,
    });
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(11_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(13_000);
    expect(error.reason).toMatch(/rate limited \(429\), retry in 1[123]s/);
    expect(fake.conversation(scenario.ref.conversationId)!.open).toBe(false);
  });

  it("turns a 500 into a retryable error", async () => {
    fake.http.failNext({ kind: "status", status: 500, body: { message: "oops" } }, { match: notToken });
    const error = await failure(client.addNote(scenario.ref, "note"));
    expect(error).toMatchObject({ status: 500, retryable: true });
    expect(fake.conversation(scenario.ref.conversationId)!.notes).toHaveLength(0);
  });

  it("turns a response slower than the timeout into a retryable error", async () => {
    fake.http.failNext({ kind: "slow", delayMs: TIMEOUT_MS * 2 }, { match: notToken });
    const error = await failure(client.reopen(scenario.ref));
    expect(error).toMatchObject({ retryable: true, status: undefined, reason: `timeout after ${TIMEOUT_MS}ms` });
  });

  it("turns a reset connection into a retryable error", async () => {
    fake.http.failNext({ kind: "reset" }, { match: notToken });
    const error = await failure(client.addNote(scenario.ref, "note"));
    expect(error).toMatchObject({ retryable: true, status: undefined, reason: "connection reset" });
  });

  it("reports an unknown conversation as permanent and not found", async () => {
    const error = await failure(client.reopen(scenario.missing));
    expect(error).toMatchObject({ status: 404, retryable: false, conversationId: scenario.missing.conversationId });
    expect(error.reason).toMatch(/not found/);
  });

  it("reports wrong credentials as permanent, naming the provider and never the secret", async () => {
    const wrong = clientFor(scenario.provider, { ...fake.env(), ...scenario.wrongCredentials });
    const error = await failure(wrong.addNote(scenario.ref, "note"));
    expect(error.retryable).toBe(false);
    expect(error.status).toBe(401);
    expect(error.reason).toContain(`${scenario.name}: bad credentials`);
    for (const secret of [...Object.values(scenario.wrongCredentials), ...Object.values(fake.env())]) {
      if (!secret.startsWith("http") && secret.length > 6) expect(error.message).not.toContain(secret);
    }
    expect(fake.conversation(scenario.ref.conversationId)!.notes).toHaveLength(0);
  });

  it("tells the caller pacing the provider its rate-limit state", async () => {
    fake.http.enforceRateLimit({ requests: 50, windowMs: 60_000 });
    let state: RateLimitState | undefined;
    await observingRateLimits(
      (seen) => (state = seen),
      () => client.reopen(scenario.ref),
    );
    expect(state?.limit).toBe(50);
    expect(state?.remaining).toBeLessThan(50);
  });

  it("sends a conversation id as one path segment, so a crafted id cannot reach another endpoint", async () => {
    const crafted = { ...scenario.ref, conversationId: "../teams/1" };
    const error = await failure(client.reopen(crafted));
    expect(error).toMatchObject({ status: 404, retryable: false });
    const last = fake.http.requests.at(-1)!;
    expect(last.path).toContain("..%2Fteams%2F1");
  });
});
