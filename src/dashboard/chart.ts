/** One bar of a reports-per-day chart, in the SVG's own units. */
export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  value: number;
  /** index of the day, 0 = the oldest */
  day: number;
}

/**
 * Bars for `values` (one per day, oldest first) in a `width` × `height` box: equal slots, a one-unit gap, the tallest
 * bar filling the height, and a day without reports drawn as a one-unit stub so the days stay readable.
 */
export function chartBars(values: readonly number[], width: number, height: number): Bar[] {
  if (values.length === 0) return [];
  const max = Math.max(1, ...values);
  const slot = width / values.length;
  const barWidth = Math.max(1, slot - 1);
  return values.map((value, day) => {
    const barHeight = value === 0 ? 1 : Math.max(2, Math.round((value / max) * height));
    return { x: round(day * slot), y: height - barHeight, width: round(barWidth), height: barHeight, value, day };
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
