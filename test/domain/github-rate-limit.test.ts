import { describe, expect, it } from "vitest";
import {
  backfillCallAt,
  countCall,
  heedAnswer,
  readGithubRateLimit,
  startInstallationPace,
  webhookReserveOf,
  type AnswerHeaders,
} from "../../src/domain/github-rate-limit.js";
import { LONGEST_PAUSE_MS } from "../../src/domain/rate-pacing.js";

/** Now, on a whole second (GitHub's reset is in epoch seconds). */
const T0 = 1_800_000_000_000;
const inSeconds = (seconds: number) => String(T0 / 1000 + seconds);

/** GitHub's headers on an answer of the installation's REST (`core`) budget. */
function core(limit: number, remaining: number, resetInSeconds: number): AnswerHeaders {
  return {
    "x-ratelimit-limit": String(limit),
    "x-ratelimit-remaining": String(remaining),
    "x-ratelimit-reset": inSeconds(resetInSeconds),
    "x-ratelimit-used": String(limit - remaining),
    "x-ratelimit-resource": "core",
  };
}

/** When the backfill's next call may go, after one answer said `headers` and `callsSince` more calls were sent. */
function nextCallAt(headers: AnswerHeaders, callsSince = 0, now = T0): number {
  const first = countCall(startInstallationPace(T0));
  let pace = heedAnswer(first.pace, headers, first.ticket, T0);
  for (let call = 0; call < callsSince; call++) pace = countCall(pace).pace;
  return backfillCallAt(pace, now);
}

describe("backfillCallAt: when a backfill's next call to GitHub may go", () => {
  it.each<[string, AnswerHeaders, number, number]>([
    ["more than the webhooks' reserve left (a tenth of 5,000): at once", core(5_000, 501, 3_000), 0, T0],
    [
      "down to the reserve: after the reset, and a quarter of a second past it for GitHub's clock",
      core(5_000, 500, 3_000),
      0,
      T0 + 3_000_250,
    ],
    ["below the reserve (the webhook path spent some): after the reset", core(5_000, 3, 3_000), 0, T0 + 3_000_250],
    ["the calls since the answer spent what was over the reserve", core(5_000, 502, 3_000), 2, T0 + 3_000_250],
    ["one call over the reserve left after those since: at once", core(5_000, 503, 3_000), 2, T0],
    ["the bench's window of 35 calls keeps 4: 5 left, at once", core(35, 5, 10), 0, T0],
    ["the bench's window of 35 calls keeps 4: 4 left, after its reset", core(35, 4, 10), 0, T0 + 10_250],
    ["a window of one call keeps one: none to spend", core(1, 1, 10), 0, T0 + 10_250],
    ["the reset heard of has passed: a new window, at once", core(5_000, 0, -1), 0, T0],
    ["a reset more than two hours away is taken for a broken header", core(5_000, 0, 86_400), 0, T0 + LONGEST_PAUSE_MS],
    [
      "no reset header: no pacing (a refusal is waited out as before)",
      { "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0" },
      0,
      T0,
    ],
    ["no rate-limit headers at all (GitHub Enterprise Server with limits off): no pacing", {}, 0, T0],
    ["a malformed remaining count: no pacing", { ...core(5_000, 0, 3_000), "x-ratelimit-remaining": "none" }, 0, T0],
    ["a malformed reset: no pacing", { ...core(5_000, 0, 3_000), "x-ratelimit-reset": "in an hour" }, 0, T0],
    ["a limit of 0: no pacing", { ...core(5_000, 0, 3_000), "x-ratelimit-limit": "0" }, 0, T0],
    [
      "the answer of another budget (GraphQL's): says nothing of the REST budget",
      { ...core(5_000, 0, 3_000), "x-ratelimit-resource": "graphql" },
      0,
      T0,
    ],
    [
      "no resource named: taken for the REST budget the listing counts against",
      { ...core(5_000, 0, 3_000), "x-ratelimit-resource": undefined },
      0,
      T0 + 3_000_250,
    ],
  ])("%s", (_, headers, callsSince, expected) => {
    expect(nextCallAt(headers, callsSince)).toBe(expected);
  });

  it("a later answer of a new window lets the next call go at once", () => {
    const first = countCall(startInstallationPace(T0));
    const spent = heedAnswer(first.pace, core(35, 4, 10), first.ticket, T0);
    expect(backfillCallAt(spent, T0)).toBe(T0 + 10_250);
    const second = countCall(spent);
    const refilled = heedAnswer(second.pace, core(35, 34, 20), second.ticket, T0 + 10_300);
    expect(backfillCallAt(refilled, T0 + 10_300)).toBe(T0 + 10_300);
  });
});

describe("readGithubRateLimit and the reserve", () => {
  it("reads the limit, what is left and the reset (epoch seconds) of the core budget", () => {
    expect(readGithubRateLimit(core(12_500, 42, 60))).toEqual({ limit: 12_500, remaining: 42, resetAt: T0 + 60_000 });
  });

  it.each([
    [5_000, 500],
    [12_500, 1_250],
    [15_000, 1_500],
    [35, 4],
    [1, 1],
  ])("a limit of %i keeps %i calls for the webhook path", (limit, reserve) => {
    expect(webhookReserveOf(limit)).toBe(reserve);
  });
});
