import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { countInWindow, frequencyOf, nextFrequencyChange, type Report } from "../../src/domain/frequency.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-23T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const reports = (...ages: number[]): Report[] => ages.map((age) => ({ at: ago(age) }));
const rules = DEFAULT_CONFIG.frequency; // daily: 5 in 7 days, weekly: 2 in 14 days

describe("countInWindow", () => {
  const table: [string, Report[], number, number][] = [
    ["no reports", [], 7, 0],
    ["exactly at the old edge counts (inclusive)", reports(7 * DAY), 7, 1],
    ["one millisecond past the edge does not", reports(7 * DAY + 1), 7, 0],
    ["one millisecond inside the edge does", reports(7 * DAY - 1), 7, 1],
    ["posted at now", reports(0), 7, 1],
    ["dated after now (GitHub's clock ahead) counts", [{ at: new Date(NOW.getTime() + 5_000) }], 7, 1],
    [
      "same customer twice in the window counts once",
      [
        { at: ago(DAY), customer: "c1" },
        { at: ago(2 * DAY), customer: "c1" },
      ],
      7,
      1,
    ],
    [
      "two customers count twice",
      [
        { at: ago(DAY), customer: "c1" },
        { at: ago(2 * DAY), customer: "c2" },
      ],
      7,
      2,
    ],
    [
      "unknown customers each count",
      [{ at: ago(DAY), customer: null }, { at: ago(2 * DAY) }, { at: ago(3 * DAY), customer: "c1" }],
      7,
      3,
    ],
    [
      "a customer's report outside the window does not hide one inside",
      [
        { at: ago(10 * DAY), customer: "c1" },
        { at: ago(DAY), customer: "c1" },
      ],
      7,
      1,
    ],
    [
      "customers count once per window, not once ever",
      [
        { at: ago(10 * DAY), customer: "c1" },
        { at: ago(DAY), customer: "c1" },
      ],
      14,
      1,
    ],
  ];
  it.each(table)("%s", (_, given, days, expected) => {
    expect(countInWindow(given, NOW, days)).toBe(expected);
  });
});

describe("frequencyOf (defaults: daily ≥ 5 in 7 days, weekly ≥ 2 in 14 days)", () => {
  const table: [string, Report[], "daily" | "weekly" | null][] = [
    ["nothing", [], null],
    ["one report", reports(DAY), null],
    ["two reports this week", reports(DAY, 2 * DAY), "weekly"],
    ["two reports, the older exactly 14 days old", reports(DAY, 14 * DAY), "weekly"],
    ["two reports, the older 14 days and 1 ms old", reports(DAY, 14 * DAY + 1), null],
    ["four reports this week", reports(1, 2, 3, 4), "weekly"],
    ["five reports this week", reports(1, 2, 3, 4, 5), "daily"],
    ["five reports, the oldest exactly 7 days old", reports(0, DAY, 2 * DAY, 3 * DAY, 7 * DAY), "daily"],
    ["five reports, the oldest 7 days and 1 ms old: weekly", reports(0, DAY, 2 * DAY, 3 * DAY, 7 * DAY + 1), "weekly"],
    [
      "five reports from two customers: weekly",
      [1, 2, 3, 4, 5].map((n) => ({ at: ago(n * 1000), customer: n % 2 ? "a" : "b" })),
      "weekly",
    ],
    [
      "five reports of one customer: not even weekly",
      [1, 2, 3, 4, 5].map((n) => ({ at: ago(n * 1000), customer: "a" })),
      null,
    ],
    ["twenty reports a month ago", Array.from({ length: 20 }, (_, n) => ({ at: ago(30 * DAY + n) })), null],
  ];
  it.each(table)("%s", (_, given, expected) => {
    expect(frequencyOf(given, NOW, rules)).toBe(expected);
  });

  it("uses the repository's rules", () => {
    const strict = {
      daily: { ...rules.daily, reports: 1, days: 1 },
      weekly: { ...rules.weekly, reports: 1, days: 30 },
    };
    expect(frequencyOf(reports(DAY), NOW, strict)).toBe("daily");
    expect(frequencyOf(reports(DAY + 1), NOW, strict)).toBe("weekly");
    expect(frequencyOf(reports(30 * DAY + 1), NOW, strict)).toBeNull();
  });

  it("prefers daily when both rules hold", () => {
    expect(frequencyOf(reports(1, 2, 3, 4, 5, 6), NOW, rules)).toBe("daily");
  });
});

describe("nextFrequencyChange", () => {
  it("is null when there is no label to lose", () => {
    expect(nextFrequencyChange(reports(DAY), NOW, rules)).toBeNull();
    expect(nextFrequencyChange([], NOW, rules)).toBeNull();
  });

  it("is the moment the second-newest report leaves the 14-day window, for weekly", () => {
    const change = nextFrequencyChange(reports(DAY, 3 * DAY, 5 * DAY), NOW, rules)!;
    expect(change).toEqual(new Date(ago(3 * DAY).getTime() + 14 * DAY + 1));
    expect(frequencyOf(reports(DAY, 3 * DAY, 5 * DAY), new Date(change.getTime() - 1), rules)).toBe("weekly");
    expect(frequencyOf(reports(DAY, 3 * DAY, 5 * DAY), change, rules)).toBeNull();
  });

  it("is the moment the fifth-newest report leaves the 7-day window, for daily", () => {
    const given = reports(0, DAY, 2 * DAY, 3 * DAY, 4 * DAY, 6 * DAY);
    const change = nextFrequencyChange(given, NOW, rules)!;
    expect(change).toEqual(new Date(ago(4 * DAY).getTime() + 7 * DAY + 1));
    expect(frequencyOf(given, new Date(change.getTime() - 1), rules)).toBe("daily");
    expect(frequencyOf(given, change, rules)).toBe("weekly");
  });

  it("agrees with frequencyOf at every millisecond around each window edge", () => {
    const given: Report[] = [
      { at: ago(0), customer: "a" },
      { at: ago(DAY), customer: "a" },
      { at: ago(2 * DAY) },
      { at: ago(3 * DAY), customer: "b" },
      { at: ago(4 * DAY) },
      { at: ago(6 * DAY), customer: "c" },
      { at: ago(9 * DAY), customer: "b" },
    ];
    let now = NOW;
    let current = frequencyOf(given, now, rules);
    const steps: (string | null)[] = [current];
    for (
      let change = nextFrequencyChange(given, now, rules);
      change !== null;
      change = nextFrequencyChange(given, now, rules)
    ) {
      expect(frequencyOf(given, new Date(change.getTime() - 1), rules)).toBe(current);
      now = change;
      current = frequencyOf(given, now, rules);
      steps.push(current);
    }
    expect(steps).toEqual(["daily", "weekly", null]);
  });
});
