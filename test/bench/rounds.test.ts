import { describe, expect, it } from "vitest";
import { combineRounds, type ReplicaFigures } from "../../bench/replicas.js";
import { median, pairRatios, roundPairs, roundPlan } from "../../bench/rounds.js";

// P8 alternates rounds of one process and of three, and judges the target on the median of each pair's ratio.
describe("P8's rounds", () => {
  it("alternates one process and three, a round of one first in each pair", () => {
    expect(roundPlan(1)).toEqual([1, 3]);
    expect(roundPlan(3)).toEqual([1, 3, 1, 3, 1, 3]);
  });

  it.each([
    { setting: undefined, pairs: 5 },
    { setting: "", pairs: 5 },
    { setting: "1", pairs: 1 },
    { setting: "7", pairs: 7 },
  ])("BENCH_P8_ROUNDS=$setting: $pairs pairs", ({ setting, pairs }) => {
    expect(roundPairs(setting)).toBe(pairs);
  });

  it.each(["0", "-2", "2.5", "five"])("says what BENCH_P8_ROUNDS=%s should be", (setting) => {
    expect(() => roundPairs(setting)).toThrow(
      `BENCH_P8_ROUNDS must be a whole number of pairs of rounds (1 or more), not "${setting}"`,
    );
  });

  it.each([
    { values: [2.63], median: 2.63 },
    { values: [1.96, 1.52, 2.63], median: 1.96 },
    { values: [1.96, 1.83, 1.88, 2.63, 1.52], median: 1.88 },
    { values: [1.5, 2.5, 2.0, 1.0], median: 1.75 },
  ])("the median of $values is $median", ({ values, median: middle }) => {
    expect(median(values)).toBeCloseTo(middle, 10);
  });

  it("has no median of nothing", () => {
    expect(() => median([])).toThrow("no values");
  });

  it("divides each pair's three-process rate by its one-process rate, an outlier pair staying one of five", () => {
    const ratios = pairRatios([100, 120, 92, 129, 110], [250, 240, 230, 258, 330]);
    expect(ratios.map((ratio) => ratio.toFixed(2))).toEqual(["2.50", "2.00", "2.50", "2.00", "3.00"]);
    expect(median(ratios)).toBeCloseTo(2.5, 10);
    expect(() => pairRatios([100, 120], [250])).toThrow("2 one-process rounds against 1 of three");
  });

  it("takes a kind's rounds together: the median round's rate, counts summed, figures per delivery over all", () => {
    const round = (perSecond: number, figures: Partial<ReplicaFigures>): ReplicaFigures => ({
      processes: 3,
      deliveries: 300,
      seconds: 300 / perSecond,
      perSecond,
      shares: [100, 100, 100],
      processedOnce: true,
      firstClaimMs: 2,
      failures: 0,
      lockWaits: 0,
      activeSamples: 10,
      roundTrips: 4,
      statementsPerDelivery: 4,
      cpuMsPerDelivery: 3,
      databaseCpuMsPerDelivery: 2,
      benchCpuMsPerDelivery: 1,
      databaseCpuByKind: new Map([["app", 1.5]]),
      kinds: new Map([["BEGIN", 300]]),
      ...figures,
    });
    const together = combineRounds([
      round(300, { shares: [90, 110, 100], failures: 1, cpuMsPerDelivery: 4, kinds: new Map([["BEGIN", 300]]) }),
      round(150, { processedOnce: false, lockWaits: 2, databaseCpuByKind: new Map([["app", 2.5]]) }),
      round(200, {
        firstClaimMs: 8,
        kinds: new Map([
          ["BEGIN", 300],
          ["COMMIT", 30],
        ]),
      }),
    ]);
    expect(together).toMatchObject({
      processes: 3,
      deliveries: 900,
      perSecond: 200,
      seconds: 1.5,
      shares: [290, 310, 300],
      processedOnce: false,
      firstClaimMs: 4,
      failures: 1,
      lockWaits: 2,
      activeSamples: 30,
    });
    expect(together.cpuMsPerDelivery).toBeCloseTo(10 / 3, 10);
    expect(together.databaseCpuByKind.get("app")).toBeCloseTo(11 / 6, 10);
    expect(Object.fromEntries(together.kinds)).toEqual({ BEGIN: 900, COMMIT: 30 });
  });
});
