import { describe, expect, it } from "vitest";
import { nextRound, steady, warmUpPlan } from "../../bench/warm-up.js";

// P8 warms each process until its CPU a delivery has levelled off, unless BENCH_P8_WARM_UP gives a number.
describe("P8's warm-up", () => {
  const untilSteady = warmUpPlan(undefined);

  it.each([
    { case: "nothing done yet", warmed: 0, rounds: [], next: 100 },
    { case: "still falling at the minimum", warmed: 1_000, rounds: [4.4, 3.5, 3.5, 4.5, 3.3, 2.7, 2.2], next: 100 },
    { case: "level before the minimum", warmed: 900, rounds: [5.7, 3.5, 3.5, 3.5, 3.5], next: 100 },
    { case: "two rounds level by chance", warmed: 1_000, rounds: [7.6, 6.4, 5.5, 5.3, 6.0, 5.5, 4.2, 4.3], next: 100 },
    { case: "level at the minimum", warmed: 1_000, rounds: [5.7, 4.4, 3.5, 3.5, 3.2, 2.7, 2.6, 2.8], next: 0 },
    { case: "level after it", warmed: 1_100, rounds: [3.2, 2.5, 3.4, 3.0, 2.8], next: 0 },
    { case: "never level, at the maximum", warmed: 2_000, rounds: [2.2, 2.9], next: 0 },
  ])("until steady, $case: $next more each", ({ warmed, rounds, next }) => {
    expect(nextRound(untilSteady, warmed, rounds)).toBe(next);
  });

  it.each([
    { setting: "0", warmed: 0, next: 0 },
    { setting: "150", warmed: 0, next: 100 },
    { setting: "150", warmed: 100, next: 50 },
    { setting: "150", warmed: 150, next: 0 },
    { setting: " ", warmed: 0, next: 100 },
  ])("BENCH_P8_WARM_UP=$setting after $warmed: $next more each, level or not", ({ setting, warmed, next }) => {
    expect(nextRound(warmUpPlan(setting), warmed, [5.7, 2.7])).toBe(next);
  });

  it("says what BENCH_P8_WARM_UP must be", () => {
    for (const setting of ["-1", "1.5", "many"])
      expect(() => warmUpPlan(setting)).toThrow(
        `BENCH_P8_WARM_UP must be a whole number of deliveries (0 or more), not "${setting}"`,
      );
  });

  it("calls a process steady when its last two rounds together are within 10 % of the two before", () => {
    expect(steady([9, 2.7, 2.7, 2.5, 2.4])).toBe(true);
    expect(steady([2.7, 2.7, 2.4, 2.4])).toBe(false);
    expect(steady([2.7, 2.7, 2.7])).toBe(false);
  });
});
