import { describe, expect, it } from "vitest";
import { cacheLookups, cacheTeamNames, type LookupCacheOptions } from "../../src/providers/conversation-details.js";
import { HelpdeskError } from "../../src/providers/helpdesk-http.js";

const HOUR = 60 * 60_000;

/** A cache on a clock the test moves, and a load that counts its calls per key. */
function cacheOnClock(options: LookupCacheOptions = {}) {
  let time = 0;
  const loads: string[] = [];
  const lookup = cacheLookups<string, string>({ ...options, now: () => time });
  const read = (key: string) =>
    lookup(key, async () => {
      loads.push(key);
      return `${key} #${loads.filter((loaded) => loaded === key).length}`;
    });
  return { read, loads, advance: (ms: number) => (time += ms) };
}

const helpdeskError = (conversationId: string, status: number) =>
  new HelpdeskError({
    provider: "zendesk",
    conversationId,
    status,
    retryable: status >= 500,
    reason: `Zendesk: failed (${status})`,
  });

describe("cacheLookups", () => {
  it.each([
    { after: 0, loads: 1, answer: "team #1" },
    { after: HOUR - 1, loads: 1, answer: "team #1" },
    { after: HOUR, loads: 2, answer: "team #2" },
    { after: 3 * HOUR, loads: 2, answer: "team #2" },
  ])("asked again $after ms after the first answer: $loads load(s)", async ({ after, loads, answer }) => {
    const cache = cacheOnClock();
    await cache.read("team");
    cache.advance(after);
    expect(await cache.read("team")).toBe(answer);
    expect(cache.loads).toHaveLength(loads);
  });

  it("takes the TTL from the options", async () => {
    const cache = cacheOnClock({ ttlMs: 1_000 });
    await cache.read("team");
    cache.advance(1_000);
    await cache.read("team");
    expect(cache.loads).toEqual(["team", "team"]);
  });

  it("keeps each key apart", async () => {
    const cache = cacheOnClock();
    expect([await cache.read("a"), await cache.read("b"), await cache.read("a")]).toEqual(["a #1", "b #1", "a #1"]);
    expect(cache.loads).toEqual(["a", "b"]);
  });

  it("shares one load between callers that ask while it runs", async () => {
    const lookup = cacheLookups<string, string>();
    let loads = 0;
    let finish: (name: string) => void = () => undefined;
    const load = () => {
      loads += 1;
      return new Promise<string>((resolve) => (finish = resolve));
    };
    const first = lookup("team", load);
    const second = lookup("team", load);
    await Promise.resolve();
    finish("Billing");
    expect(await Promise.all([first, second])).toEqual(["Billing", "Billing"]);
    expect(loads).toBe(1);
  });

  it("does not keep a failure: the next caller loads again", async () => {
    const lookup = cacheLookups<string, string>();
    let calls = 0;
    const load = async () => {
      calls += 1;
      if (calls === 1) throw new Error("helpdesk down");
      return "Billing";
    };
    await expect(lookup("team", load)).rejects.toThrow("helpdesk down");
    expect(await lookup("team", load)).toBe("Billing");
    expect(await lookup("team", load)).toBe("Billing");
    expect(calls).toBe(2);
  });

  it("turns a load that throws at once into a rejection", async () => {
    const lookup = cacheLookups<string, string>();
    await expect(
      lookup("team", () => {
        throw new Error("bad id");
      }),
    ).rejects.toThrow("bad id");
  });

  it("drops the oldest entry when full", async () => {
    const cache = cacheOnClock({ maxEntries: 2 });
    for (const key of ["a", "b", "c"]) await cache.read(key);
    await cache.read("c");
    await cache.read("b");
    await cache.read("a");
    expect(cache.loads).toEqual(["a", "b", "c", "a"]);
  });

  it("counts a re-read entry as new, so an expired key does not stay the oldest", async () => {
    const cache = cacheOnClock({ maxEntries: 2, ttlMs: 10 });
    await cache.read("a");
    await cache.read("b");
    cache.advance(10);
    await cache.read("a"); // expired: loaded again, now the newest
    await cache.read("c"); // drops b, not a
    await cache.read("a");
    expect(cache.loads).toEqual(["a", "b", "a", "c"]);
  });
});

describe("cacheTeamNames", () => {
  const ref = (conversationId: string) => ({ account: "acme", conversationId });

  it("keeps a deleted team (404) as no team", async () => {
    const teamNames = cacheTeamNames();
    let reads = 0;
    const read = async () => {
      reads += 1;
      throw helpdeskError("1", 404);
    };
    expect(await teamNames(ref("1"), 7, read)).toBeNull();
    expect(await teamNames(ref("2"), 7, read)).toBeNull();
    expect(reads).toBe(1);
  });

  it("passes other errors on, not kept", async () => {
    const teamNames = cacheTeamNames();
    const failed = await teamNames(ref("1"), 7, () => Promise.reject(helpdeskError("1", 503))).catch(
      (error: unknown) => error,
    );
    expect(failed).toMatchObject({ status: 503, retryable: true, conversationId: "1" });
    expect(await teamNames(ref("1"), 7, async () => "Billing")).toBe("Billing");
  });

  it("names each waiting reader's own conversation in a shared failure", async () => {
    const teamNames = cacheTeamNames();
    let fail: (error: Error) => void = () => undefined;
    const read = () => new Promise<string>((_resolve, reject) => (fail = reject));
    const first = teamNames(ref("1"), 7, read).catch((error: unknown) => error);
    const second = teamNames(ref("2"), 7, read).catch((error: unknown) => error);
    await Promise.resolve();
    fail(helpdeskError("1", 503));
    const errors = await Promise.all([first, second]);
    expect(errors.map((error) => (error as HelpdeskError).conversationId)).toEqual(["1", "2"]);
    expect(errors[1]).toBeInstanceOf(HelpdeskError);
    expect(errors[1]).toMatchObject({
      status: 503,
      retryable: true,
      reason: "Zendesk: failed (503)",
      message: "Zendesk: failed (503) (zendesk conversation 2)",
    });
  });
});
