import { describe, expect, it } from "vitest";
import { backoffDelay, decideRetry, type FailureKind } from "../../src/jobs/retry-policy.js";

const SETTINGS = { maxAttempts: 5, backoffBaseMs: 1_000, backoffMaxMs: 6_000 };
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
/** random() at its top: the full ceiling. */
const TOP = () => 1;
const RETRYABLE: FailureKind = { retryable: true };

describe("decideRetry: the one retry policy", () => {
  it.each<[string, FailureKind, number, ReturnType<typeof decideRetry>]>([
    [
      "a permanent failure is dead at once, even with attempts left",
      { retryable: false },
      1,
      { retry: false, why: "permanent" },
    ],
    [
      "a permanent failure that named a wait is still dead",
      { retryable: false, retryAfterMs: 5_000 },
      1,
      { retry: false, why: "permanent" },
    ],
    ["the last attempt's retryable failure is dead", RETRYABLE, 5, { retry: false, why: "attempts" }],
    ["past the attempts (a lowered limit) is dead", RETRYABLE, 9, { retry: false, why: "attempts" }],
    ["attempt 1 waits the base", RETRYABLE, 1, { retry: true, delayMs: 1_000, at: new Date(NOW + 1_000) }],
    ["attempt 2 waits twice the base", RETRYABLE, 2, { retry: true, delayMs: 2_000, at: new Date(NOW + 2_000) }],
    ["attempt 3 waits four times the base", RETRYABLE, 3, { retry: true, delayMs: 4_000, at: new Date(NOW + 4_000) }],
    ["attempt 4 is capped at the maximum", RETRYABLE, 4, { retry: true, delayMs: 6_000, at: new Date(NOW + 6_000) }],
    [
      "a named wait longer than the backoff wins",
      { retryable: true, retryAfterMs: 30_000 },
      1,
      { retry: true, delayMs: 30_000, at: new Date(NOW + 30_000) },
    ],
    [
      "a named wait longer than the cap wins too",
      { retryable: true, retryAfterMs: 60_000 },
      4,
      { retry: true, delayMs: 60_000, at: new Date(NOW + 60_000) },
    ],
    [
      "a named wait shorter than the backoff does not bring the retry sooner",
      { retryable: true, retryAfterMs: 100 },
      3,
      { retry: true, delayMs: 4_000, at: new Date(NOW + 4_000) },
    ],
  ])("%s", (_, failure, attempts, decision) => {
    expect(decideRetry(failure, attempts, SETTINGS, NOW, TOP)).toEqual(decision);
  });

  it("a queue allowing one attempt (the sweep) never retries", () => {
    expect(decideRetry(RETRYABLE, 1, { maxAttempts: 1, backoffBaseMs: 0, backoffMaxMs: 0 }, NOW, TOP)).toEqual({
      retry: false,
      why: "attempts",
    });
  });
});

describe("backoffDelay: exponential with equal jitter", () => {
  it.each([
    // attempt, ceiling for base 1 s and cap 6 s
    [0, 1_000],
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [4, 6_000],
    [20, 6_000],
  ])("attempt %i: between half of %i ms and all of it", (attempt, ceiling) => {
    expect(backoffDelay(attempt, 1_000, 6_000, () => 0)).toBe(ceiling / 2);
    expect(backoffDelay(attempt, 1_000, 6_000, () => 0.999_999)).toBe(ceiling);
    expect(backoffDelay(attempt, 1_000, 6_000, () => 0.5)).toBe((ceiling * 3) / 4);
  });

  it("stays within [ceiling / 2, ceiling] for any random draw", () => {
    for (let draw = 0; draw < 1; draw += 0.01) {
      const delay = backoffDelay(3, 1_000, 6_000, () => draw);
      expect(delay).toBeGreaterThanOrEqual(2_000);
      expect(delay).toBeLessThanOrEqual(4_000);
    }
  });

  it("never waits less than half the ceiling, so a retry does not come straight back", () => {
    expect(backoffDelay(1, 2_000, 15 * 60_000, () => 0)).toBe(1_000);
  });
});
