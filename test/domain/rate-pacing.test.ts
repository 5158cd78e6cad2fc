import { describe, expect, it } from "vitest";
import {
  edgeOf,
  heedRateLimited,
  heedSignals,
  reserveOf,
  startPace,
  takeTurn,
  unitsPerSecond,
  waitUntil,
  windowReserveOf,
  type Pace,
  type PaceBudget,
  type PaceSignals,
} from "../../src/domain/rate-pacing.js";

const T0 = 1_000_000;

/** Takes `n` turns of `cost` at `now`, returning their times. */
function turns(pace: Pace, n: number, now = T0, cost = 1): { pace: Pace; at: number[] } {
  const at: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const turn = takeTurn(pace, now, cost);
    pace = turn.pace;
    at.push(turn.at);
  }
  return { pace, at };
}

/** The pace after the first turn's answer said `signals`. */
function heard(signals: PaceSignals, budget: PaceBudget = { requests: 100, intervalMs: 60_000 }): Pace {
  const first = takeTurn(startPace(budget, T0), T0);
  return heedSignals(first.pace, signals, first.ticket, T0);
}

describe("takeTurn: when each call may go", () => {
  it.each([
    [
      "the default budget, before any header: evenly, a window over the limit apart",
      {},
      [T0 + 600, T0 + 1_200, T0 + 1_800],
    ],
    [
      "an announced limit replaces the default (no remaining: evenly at it)",
      { limit: 200 },
      [T0 + 600, T0 + 900, T0 + 1_200],
    ],
    [
      "remaining and reset: what is left, less the reserve, spread until the reset, from the window's first answer on",
      { limit: 100, remaining: 11, resetAt: T0 + 10_000 },
      [T0, T0 + 1_000, T0 + 2_000],
    ],
    [
      "nothing to spare: the next call waits for the reset and a little past it (edgeOf), then goes evenly",
      { limit: 100, remaining: 1, resetAt: T0 + 10_000 },
      [T0 + 10_250, T0 + 10_850, T0 + 11_450],
    ],
    [
      "no reset header, nothing to spare: one even gap more for every unit short",
      { limit: 100, remaining: 1 },
      [T0 + 1_200, T0 + 3_000, T0 + 5_400],
    ],
    [
      "a stale answer (its reset passed) speaks no more: evenly at the limit",
      { limit: 100, remaining: 0, resetAt: T0 - 1_000 },
      [T0, T0 + 600, T0 + 1_200],
    ],
  ])("%s", (_, signals, expected) => {
    expect(turns(heard(signals), 3).at.map(Math.round)).toEqual(expected);
  });

  /**
   * A helpdesk counting `limit` units in fixed windows of `windowMs` by its own clock, `skewMs` behind ours, each answer
   * naming what is left and the window's end by that clock (as Intercom's X-RateLimit-Reset does), a call over the
   * limit refused with a Retry-After until the window ends; answers instant. Paced from a default of 100 a minute, for
   * a minute. The share is of the whole windows after the first (which starts at the default).
   */
  function fixedWindows(limit: number, windowMs: number, skewMs: number) {
    let pace = startPace({ requests: 100, intervalMs: 60_000 }, T0);
    const windowOf = (t: number) => Math.floor((t - skewMs) / windowMs);
    const admitted = new Map<number, number>();
    let [refused, now] = [0, T0];
    while (now < T0 + 60_000) {
      const turn = takeTurn(pace, now);
      now = turn.at;
      const window = windowOf(now);
      const count = admitted.get(window) ?? 0;
      const resetAt = (window + 1) * windowMs;
      if (count >= limit) {
        refused += 1;
        pace = heedSignals(turn.pace, { limit, remaining: 0, resetAt }, turn.ticket, now);
        pace = heedRateLimited(pace, Math.ceil((resetAt + skewMs - now) / 1000) * 1000, now);
        continue;
      }
      admitted.set(window, count + 1);
      pace = heedSignals(turn.pace, { limit, remaining: limit - count - 1, resetAt }, turn.ticket, now);
    }
    const whole = [...admitted.keys()].sort((a, b) => a - b).slice(1, -1);
    const share = whole.reduce((sum, window) => sum + admitted.get(window)!, 0) / (limit * whole.length);
    return { refused, share };
  }

  it.each([
    // The 50 of each window, spent to its end: no unit is kept back under a hundred (windowReserveOf).
    ["50 per 10 s, the helpdesk's clock with ours", 50, 10_000, 0, 1],
    // The first call of a window waits past the reset (edgeOf), so a clock this far ahead is not refused.
    ["50 per 10 s, our clock 240 ms ahead", 50, 10_000, 240, 1],
    // Behind: a window's last call reaches the next window, and takes one of its units instead.
    ["50 per 10 s, our clock 240 ms behind", 50, 10_000, -240, 0.98],
    // A hundredth kept back from a limit of a hundred or more: the calls in flight the last answer may not count.
    ["200 per 10 s", 200, 10_000, 0, 0.99],
    ["1666 per 10 s (Intercom's)", 1_666, 10_000, 0, 0.99],
  ])("spends a fixed window's announced limit, whatever the default: %s", (_, limit, windowMs, skewMs, share) => {
    const figures = fixedWindows(limit, windowMs, skewMs);
    expect(figures.refused).toBe(0);
    expect(figures.share).toBeGreaterThanOrEqual(share);
  });

  /**
   * A helpdesk whose headers name a total and what is left, but no reset and no window (Freshdesk): fixed windows of
   * `windowMs` holding `capacity`, a 429 naming the rest of the window as Retry-After; paced with Freshdesk's budget.
   */
  function unknownWindow(windowMs: number, capacity: number, hours: number) {
    let pace = startPace({ requests: 160, intervalMs: 60_000, longestWindowMs: 3_600_000 }, T0);
    const windowOf = (t: number) => Math.floor(t / windowMs);
    const refusedIn = new Map<number, number>();
    let [window, count, used, now] = [windowOf(T0), 0, 0, T0];
    while (now < T0 + hours * 3_600_000) {
      const turn = takeTurn(pace, now);
      now = turn.at;
      if (windowOf(now) !== window) [window, count] = [windowOf(now), 0];
      if (count >= capacity) {
        refusedIn.set(window, (refusedIn.get(window) ?? 0) + 1);
        // A 429 carries the headers too: nothing left.
        pace = heedSignals(turn.pace, { limit: capacity, remaining: 0 }, turn.ticket, now);
        pace = heedRateLimited(pace, (window + 1) * windowMs - now, now);
      } else {
        [count, used] = [count + 1, used + 1];
        pace = heedSignals(turn.pace, { limit: capacity, remaining: capacity - count }, turn.ticket, now);
      }
    }
    return { used, windows: (hours * 3_600_000) / windowMs, refusedIn: [...refusedIn.values()] };
  }

  it("an hourly account (no window in the headers): at most one 429 an hour, and nearly all of each hour spent", () => {
    const { used, refusedIn } = unknownWindow(3_600_000, 1_000, 4);
    expect(refusedIn.every((refused) => refused <= 1)).toBe(true);
    expect(used).toBeGreaterThanOrEqual(0.95 * 4_000);
  });

  it("a per-minute account with the same budget: at most one 429 a minute, and most of each minute spent", () => {
    const { used, windows, refusedIn } = unknownWindow(60_000, 200, 1);
    expect(refusedIn.every((refused) => refused <= 1)).toBe(true);
    expect(used).toBeGreaterThanOrEqual(0.8 * 200 * windows);
  });

  it.each([
    [
      "no reset nor window, nothing to spare: one call at its turn; those sent before its answer, a turn of an hour's pace per unit short",
      [T0 + 600, T0 + 37_200, T0 + 145_200],
    ],
  ])("%s", (_, expected) => {
    const pace = heard({ limit: 100, remaining: 1 }, { requests: 100, intervalMs: 60_000, longestWindowMs: 3_600_000 });
    expect(turns(pace, 3).at.map(Math.round)).toEqual(expected);
  });

  it("no reset nor window: an answer showing more left than expected (a refill) re-paces at once", () => {
    const budget = { requests: 100, intervalMs: 60_000, longestWindowMs: 3_600_000 };
    const slowed = turns(heard({ limit: 100, remaining: 1 }, budget), 3);
    expect(slowed.pace.nextAt).toBeGreaterThan(T0 + 100_000);
    const refilled = heedSignals(slowed.pace, { limit: 100, remaining: 99 }, 3, T0 + 61_000);
    expect(takeTurn(refilled, T0 + 61_000).at).toBe(T0 + 61_000);
  });

  it.each([
    ["a turn asked for 100 ms after its time: the next keeps its place on the grid", 100, [T0 + 700, T0 + 1_200]],
    ["one asked for 500 ms late: the next 100 ms after it", 500, [T0 + 1_100, T0 + 1_200]],
    [
      "one asked for more than a gap late: the lane was idle, not late; evenly from then",
      800,
      [T0 + 1_400, T0 + 2_000],
    ],
    ["a turn on time: evenly", 0, [T0 + 600, T0 + 1_200]],
  ])("even pace, late turns made up: %s", (_, lateMs, expected) => {
    // The first turn at T0; the next is due at T0 + 600 (100 a minute), but asked for `lateMs` after it.
    const first = takeTurn(startPace({ requests: 100, intervalMs: 60_000 }, T0), T0).pace;
    const second = takeTurn(first, T0 + 600 + lateMs);
    expect([second.at, takeTurn(second.pace, second.at).at]).toEqual(expected);
  });

  it("makes up a late turn only where the gap is even: spread until a reset, the spread makes it up", () => {
    const pace = heard({ limit: 100, remaining: 11, resetAt: T0 + 10_000 });
    // 10 units to spread over 10 s from T0: the next turn due at T0 + 1 s, asked for at T0 + 1.5 s.
    const late = takeTurn(takeTurn(pace, T0).pace, T0 + 1_500);
    // 9 units left over 8.5 s.
    expect(late.pace.nextAt - late.at).toBeCloseTo(8_500 / 9, 6);
  });

  it("counts units: a write of two (Help Scout) takes two units of the window", () => {
    expect(turns(heard({ limit: 100 }), 2, T0, 2).at).toEqual([T0 + 600, T0 + 1_800]);
  });

  it("subtracts the turns given out since the answer, so calls in flight are not spent twice", () => {
    let pace = heard({ limit: 100, remaining: 4, resetAt: T0 + 60_000 });
    // 4 remaining, 1 reserve: three turns before the reset, then wait for it.
    const { at } = turns(pace, 4);
    expect(at[3]).toBe(T0 + 60_250);
    // A later answer (ticket 3) replaces the count; an older one (ticket 1) changes nothing.
    const three = turns(pace, 2).pace;
    pace = heedSignals(three, { limit: 100, remaining: 30, resetAt: T0 + 60_000 }, 3, T0);
    expect(pace.heard).toMatchObject({ remaining: 30, ticket: 3 });
    expect(heedSignals(pace, { limit: 100, remaining: 2, resetAt: T0 + 60_000 }, 1, T0).heard).toMatchObject({
      remaining: 30,
      ticket: 3,
    });
  });

  it("keeps the earliest reset heard within a window (resets in whole seconds are upper bounds), and takes a later window's", () => {
    const pace = heard({ limit: 100, remaining: 50, resetAt: T0 + 10_000 });
    expect(heedSignals(pace, { remaining: 49, resetAt: T0 + 9_400 }, 2, T0).heard?.resetAt).toBe(T0 + 9_400);
    expect(heedSignals(pace, { remaining: 48, resetAt: T0 + 10_600 }, 2, T0).heard?.resetAt).toBe(T0 + 10_000);
    expect(heedSignals(pace, { remaining: 99, resetAt: T0 + 20_000 }, 0, T0).heard).toMatchObject({
      remaining: 99,
      resetAt: T0 + 20_000,
    });
  });
});

describe("heedRateLimited and waitUntil: when the helpdesk said to wait", () => {
  it.each([
    ["a 429 with Retry-After 3 s", 3_000, T0 + 3_000],
    ["a 429 without a wait: 5 s", undefined, T0 + 5_000],
    // Freshdesk accounts on hourly limits name waits of up to an hour: honoured, not cut to a few minutes.
    ["a wait of an hour (an hourly limit)", 3_600_000, T0 + 3_600_000],
    ["a wait of a day is cut to 2 hours (a broken header)", 86_400_000, T0 + 7_200_000],
  ])("%s", (_, retryAfterMs, until) => {
    const pace = heedRateLimited(startPace({ requests: 100, intervalMs: 60_000 }, T0), retryAfterMs, T0);
    expect(waitUntil(pace, T0)).toBe(until);
    expect(takeTurn(pace, T0).at).toBe(until);
  });

  it.each([
    ["nothing left before the reset", { limit: 100, remaining: 1, resetAt: T0 + 7_000 }, T0 + 7_000],
    ["some left", { limit: 100, remaining: 20, resetAt: T0 + 7_000 }, T0],
    ["nothing left and no reset header: no pause, only slower turns", { limit: 100, remaining: 0 }, T0],
  ])("%s", (_, signals, until) => {
    expect(Math.max(T0, waitUntil(heard(signals), T0))).toBe(until);
  });
});

describe("reserveOf, windowReserveOf, edgeOf and unitsPerSecond", () => {
  it.each([
    [1, 1],
    [50, 1],
    [100, 1],
    [700, 7],
    [1666, 17],
  ])("limit %i keeps %i back", (limit, reserve) => {
    expect(reserveOf(limit)).toBe(reserve);
  });

  it.each([
    [50, 0],
    [99, 0],
    [100, 1],
    [700, 7],
    [1666, 16],
  ])("a window with a reset, limit %i, keeps %i back", (limit, reserve) => {
    expect(windowReserveOf(limit)).toBe(reserve);
  });

  it.each([
    [1_000, 50],
    [10_000, 100],
    [60_000, 250],
  ])("a window of %i ms spent to its end: the next call waits %i ms past its reset", (windowMs, edge) => {
    expect(edgeOf(startPace({ requests: 100, intervalMs: windowMs }, T0))).toBe(edge);
  });

  it("is the announced rate once heard", () => {
    expect(unitsPerSecond(startPace({ requests: 100, intervalMs: 60_000 }, T0))).toBeCloseTo(1.667, 3);
    expect(unitsPerSecond(heard({ limit: 600 }))).toBe(10);
  });
});
