import { describe, expect, it } from "vitest";
import { reportsPerDay, summariseImpact } from "../../src/domain/impact.js";

const NOW = new Date("2027-01-01T00:00:00Z");
const at = (ms: number) => new Date(NOW.getTime() - ms);
const DAY = 86_400_000;

describe("reportsPerDay", () => {
  it.each([
    ["no reports", [], [0, 0, 0]],
    ["one just now goes to the last day", [{ at: at(0) }], [0, 0, 1]],
    ["one after now (clock skew) goes to the last day", [{ at: at(-5000) }], [0, 0, 1]],
    ["the window's old edge is the first day", [{ at: at(3 * DAY) }], [1, 0, 0]],
    ["one millisecond older is out", [{ at: at(3 * DAY + 1) }], [0, 0, 0]],
    ["a day's boundary starts the next day", [{ at: at(2 * DAY) }, { at: at(2 * DAY + 1) }], [1, 1, 0]],
    [
      "a customer counts once a day",
      [
        { at: at(10), customer: "a" },
        { at: at(20), customer: "a" },
        { at: at(30), customer: "b" },
      ],
      [0, 0, 2],
    ],
    [
      "the same customer on two days counts on each",
      [
        { at: at(10), customer: "a" },
        { at: at(DAY + 10), customer: "a" },
      ],
      [0, 1, 1],
    ],
    ["unknown customers each count", [{ at: at(10) }, { at: at(20), customer: null }], [0, 0, 2]],
  ] as const)("%s", (_, reports, expected) => {
    expect(reportsPerDay(reports, NOW, 3)).toEqual(expected);
  });

  it("has one entry per day of the window", () => {
    expect(reportsPerDay([], NOW, 90)).toHaveLength(90);
  });
});

describe("summariseImpact", () => {
  const reports = [
    { at: at(DAY), customer: "a" },
    { at: at(2 * DAY), customer: "a" },
    { at: at(10 * DAY) },
    { at: at(40 * DAY), customer: "b" },
  ];

  it("counts each window as the frequency label does, with known customers", () => {
    expect(summariseImpact(reports, NOW, [7, 14, 30, 90])).toEqual({
      windows: [
        { days: 7, reports: 1, customers: 1 },
        { days: 14, reports: 2, customers: 1 },
        { days: 30, reports: 2, customers: 1 },
        { days: 90, reports: 3, customers: 2 },
      ],
      lastReportAt: at(DAY),
      // the report of 10 days ago leaves the 14-day window 4 days from now, one millisecond after its edge
      dueAt: new Date(NOW.getTime() + 4 * DAY + 1),
    });
  });

  it.each([
    ["no reports", [], [0, 0], null, null],
    [
      "a report exactly on the window's edge still counts, and leaves 1 ms later",
      [{ at: at(7 * DAY) }],
      [1, 1],
      at(7 * DAY),
      new Date(NOW.getTime() + 1),
    ],
    [
      "a report older than every window changes nothing any more",
      [{ at: at(14 * DAY + 1) }],
      [0, 0],
      at(14 * DAY + 1),
      null,
    ],
    [
      "a report after now (clock skew) counts and leaves later",
      [{ at: at(-DAY) }],
      [1, 1],
      at(-DAY),
      new Date(NOW.getTime() + 8 * DAY + 1),
    ],
  ] as const)("%s", (_, reports, counts, last, due) => {
    const summary = summariseImpact(reports, NOW, [7, 14]);
    expect(summary.windows.map((window) => window.reports)).toEqual(counts);
    expect(summary.lastReportAt).toEqual(last);
    expect(summary.dueAt).toEqual(due);
  });
});
