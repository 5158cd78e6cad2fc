import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seededRandom, startFakeHelpdesk, type FakeHelpdesk } from "./fake-helpdesk.js";

describe("fake helpdesk plumbing", () => {
  let fake: FakeHelpdesk;

  beforeAll(async () => {
    fake = await startFakeHelpdesk({
      authorize: (request) => (request.headers.authorization === "Bearer ok" ? undefined : { status: 401 }),
      rateLimited: (seconds) => ({ status: 429, headers: { "retry-after": String(seconds) } }),
      rateLimitHeaders: ({ limit, remaining }) => ({ "x-limit": String(limit), "x-remaining": String(remaining) }),
      routes: [{ method: "GET", path: /^\/ping$/, handle: () => ({ status: 200, body: { pong: true } }) }],
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.calm();
    fake.requests.length = 0;
    fake.rateLimitedCount = 0;
  });

  const ping = () => fetch(`${fake.url}/ping`, { headers: { authorization: "Bearer ok" } });

  it("replays the same random pattern for the same seed", () => {
    const draw = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("injects faults at the configured probability", async () => {
    fake.failRandomly({ probability: 0.5, faults: [{ kind: "status", status: 500 }], seed: 42 });
    const statuses = [];
    for (let i = 0; i < 40; i += 1) statuses.push((await ping()).status);
    const failed = statuses.filter((status) => status === 500).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
  });

  it("refuses requests beyond the enforced rate with 429 and the wait until a request frees up", async () => {
    fake.enforceRateLimit({ requests: 5, windowMs: 60_000 });
    const responses = [];
    for (let i = 0; i < 7; i += 1) responses.push(await ping());
    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(responses[5]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(11);
    expect(responses[4]!.headers.get("x-remaining")).toBe("0");
    expect(fake.rateLimitedCount).toBe(2);
  });

  it("answers 401 to wrong credentials and records what it answered", async () => {
    const response = await fetch(`${fake.url}/ping`);
    expect(response.status).toBe(401);
    expect(fake.requests[0]?.answered).toBe(401);
  });
});
