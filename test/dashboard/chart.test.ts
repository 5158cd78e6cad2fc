import { describe, expect, it } from "vitest";
import { chartBars } from "../../src/dashboard/chart.js";

describe("chartBars", () => {
  it.each([
    { values: [], width: 100, height: 20, expected: [] },
    {
      values: [0, 2, 4, 1],
      width: 40,
      height: 20,
      expected: [
        [0, 19, 9, 1],
        [10, 10, 9, 10],
        [20, 0, 9, 20],
        [30, 15, 9, 5],
      ],
    },
    {
      values: [0, 0],
      width: 10,
      height: 10,
      expected: [
        [0, 9, 4, 1],
        [5, 9, 4, 1],
      ],
    },
    {
      values: [1, 100],
      width: 4,
      height: 10,
      expected: [
        [0, 8, 1, 2],
        [2, 0, 1, 10],
      ],
    },
  ])("$values in $width×$height", ({ values, width, height, expected }) => {
    expect(chartBars(values, width, height).map((bar) => [bar.x, bar.y, bar.width, bar.height])).toEqual(expected);
  });
});
