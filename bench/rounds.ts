/**
 * P8's rounds: one process, then three, then one again…, all three started and warmed up once. On a shared machine a
 * neighbour's burst of CPU lands on whichever round runs then; alternating the two and comparing each pair, then
 * taking the median of the pairs' ratios, keeps one burst from deciding the figure (as P1 does for its two apps).
 */

/** The processes each round runs with, in order: `pairs` times a round of one, then a round of three. */
export function roundPlan(pairs: number): (1 | 3)[] {
  return Array.from({ length: pairs }, () => [1, 3] as const).flat();
}

/** The pairs BENCH_P8_ROUNDS asks for: unset or empty, 5. */
export function roundPairs(setting: string | undefined): number {
  if (setting === undefined || setting.trim() === "") return 5;
  const pairs = Number(setting);
  if (!Number.isInteger(pairs) || pairs < 1)
    throw new Error(`BENCH_P8_ROUNDS must be a whole number of pairs of rounds (1 or more), not "${setting}"`);
  return pairs;
}

/** The middle value; with an even count, the mean of the two in the middle. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("no values to take the median of");
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
}

/** Each pair's three-process rate over its one-process rate, pair by pair. */
export function pairRatios(one: readonly number[], three: readonly number[]): number[] {
  if (one.length !== three.length) throw new Error(`${one.length} one-process rounds against ${three.length} of three`);
  return one.map((rate, pair) => three[pair]! / rate);
}
