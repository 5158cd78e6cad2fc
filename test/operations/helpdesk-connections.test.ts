import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ProviderId } from "../../src/domain/link.js";
import { checkHelpdeskConnections } from "../../src/operations/helpdesk-connections.js";
import { providers } from "../../src/providers/registry.js";
import type { FakeHelpdeskServer, RecordedRequest } from "../fakes/fake-helpdesk.js";
import { conformanceCases } from "../providers/conformance-cases.js";
import { startFakeIntercom } from "../providers/intercom/fake-server.js";
import { startFakeZendesk } from "../providers/zendesk/fake-server.js";
import { freePort } from "../support/ports.js";

/**
 * `closeloop status` asks each configured helpdesk one authenticated question ("who am I") and says ok, unauthorized,
 * refused, unreachable or rate limited, checked here against each helpdesk's fake.
 */

/** The one read each helpdesk's check makes, and who its fake says the credentials are. Keyed by id: a new helpdesk must say. */
const CHECKS: Record<ProviderId, { path: string; who: string; apiUrl: string }> = {
  intercom: { path: "/admins/991", who: "as admin 991 (closeloop bot)", apiUrl: "INTERCOM_API_URL" },
  front: { path: "/me", who: "as the API token of Acme", apiUrl: "FRONT_API_URL" },
  zendesk: { path: "/api/v2/users/me.json", who: "as agent@example.com (agent)", apiUrl: "ZENDESK_API_URL" },
  helpscout: { path: "/v2/users/me", who: "as user 4 (bot@acme.example)", apiUrl: "HELPSCOUT_API_URL" },
  freshdesk: { path: "/api/v2/agents/me", who: "as agent 77 (bot@acme.example)", apiUrl: "FRESHDESK_API_URL" },
};

const notToken = (request: RecordedRequest) => !request.path.endsWith("/oauth2/token");
const cases = [...conformanceCases].map(([provider, scenario]) => ({
  ...scenario,
  provider,
  name: providers.get(provider)!.name,
}));

describe.each(cases)("checking the $name connection", (scenario) => {
  let fake: FakeHelpdeskServer;
  const check = CHECKS[scenario.provider];
  beforeAll(async () => {
    fake = await scenario.start();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.http.calm();
    fake.http.requests.length = 0;
  });

  const connect = async (env: Record<string, string>, timeoutMs?: number) => {
    const connections = await checkHelpdeskConnections(env, timeoutMs);
    expect(connections.map((connection) => connection.provider)).toEqual([scenario.provider]);
    return connections[0]!;
  };

  it("is ok with the right credentials, after one authenticated GET of who they are", async () => {
    expect(await connect(fake.env())).toEqual({ provider: scenario.provider, state: "ok", detail: check.who });
    expect(fake.http.requests.filter(notToken).map((r) => [r.method, r.path, r.answered])).toEqual([
      ["GET", check.path, 200],
    ]);
  });

  it("is unauthorized with wrong credentials", async () => {
    const connection = await connect({ ...fake.env(), ...scenario.wrongCredentials });
    expect(connection.state).toBe("unauthorized");
    expect(connection.detail).toMatch(new RegExp(`^${scenario.name}: bad credentials \\(40[01]\\)`));
    for (const secret of Object.values(scenario.wrongCredentials)) expect(connection.detail).not.toContain(secret);
  });

  it("is rate limited on a 429", async () => {
    fake.http.failNext({ kind: "rate-limited", retryAfterSeconds: 30 }, { match: notToken });
    const connection = await connect(fake.env());
    expect(connection).toMatchObject({ state: "rate-limited" });
    expect(connection.detail).toMatch(new RegExp(`^${scenario.name}: rate limited \\(429\\)`));
  });

  it("is unreachable when the connection is reset, refused or too slow, or the helpdesk fails", async () => {
    fake.http.failNext({ kind: "reset" });
    expect(await connect(fake.env())).toMatchObject({ state: "unreachable", detail: "connection reset" });

    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await connect({ ...fake.env(), [check.apiUrl]: closed })).toMatchObject({
      state: "unreachable",
      detail: "connection refused",
    });

    fake.http.failNext({ kind: "slow", delayMs: 2_000 });
    expect(await connect(fake.env(), 100)).toMatchObject({ state: "unreachable", detail: "timeout after 100ms" });

    fake.http.failNext({ kind: "status", status: 503 }, { match: notToken });
    const failed = await connect(fake.env());
    expect(failed.state).toBe("unreachable");
    expect(failed.detail).toMatch(new RegExp(`^${scenario.name}: server error \\(503\\)`));
  });
});

describe("what only some helpdesks can get wrong", () => {
  it("Intercom: INTERCOM_ADMIN_ID that is not a teammate of the token's workspace is refused", async () => {
    const fake = await startFakeIntercom();
    try {
      expect(await checkHelpdeskConnections({ ...fake.env(), INTERCOM_ADMIN_ID: "12345" })).toEqual([
        {
          provider: "intercom",
          state: "refused",
          detail: "Intercom: INTERCOM_ADMIN_ID 12345 is not a teammate of this workspace (404)",
        },
      ]);
    } finally {
      await fake.close();
    }
  });

  it("Zendesk: a token of an end user, who cannot update tickets, is unauthorized", async () => {
    const fake = await startFakeZendesk();
    try {
      fake.role = "end-user";
      expect(await checkHelpdeskConnections(fake.env())).toEqual([
        {
          provider: "zendesk",
          state: "unauthorized",
          detail: "Zendesk: agent@example.com is end-user; the token's user must be an agent or admin",
        },
      ]);
    } finally {
      await fake.close();
    }
  });

  it("checks every configured helpdesk at once and none that is not configured", async () => {
    const [intercom, zendesk] = await Promise.all([startFakeIntercom(), startFakeZendesk()]);
    try {
      const connections = await checkHelpdeskConnections({ ...intercom.env(), ...zendesk.env() });
      expect(connections.map(({ provider, state }) => [provider, state])).toEqual([
        ["intercom", "ok"],
        ["zendesk", "ok"],
      ]);
      expect(await checkHelpdeskConnections({})).toEqual([]);
    } finally {
      await Promise.all([intercom.close(), zendesk.close()]);
    }
  });
});
