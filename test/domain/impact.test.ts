import { describe, expect, it } from "vitest";
import { reportsPerDay } from "../../src/domain/impact.js";

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
    ["a customer counts once a day", [{ at: at(10), customer: "a" }, { at: at(20), customer: "a" }, { at: at(30), customer: "b" }], [0, 0, 2]],
    ["the same customer on two days counts on each", [{ at: at(10), customer: "a" }, { at: at(DAY + 10), customer: "a" }], [0, 1, 1]],
    ["unknown customers each count", [{ at: at(10) }, { at: at(20), customer: null }], [0, 0, 2]],
  ] as const)("%s", (_, reports, expected) => {
    expect(reportsPerDay(reports, NOW, 3)).toEqual(expected);
  });

  it("has one entry per day of the window", () => {
    expect(reportsPerDay([], NOW, 90)).toHaveLength(90);
  });
});
