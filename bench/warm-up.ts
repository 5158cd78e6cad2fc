/**
 * How long a P8 process is warmed up before it is measured. A freshly started process spends about twice the CPU on a
 * delivery that it spends once V8 has optimised its hot code (the app's, Prisma's runtime, pg's, Node's own): measured
 * one process at a time, in rounds of 100 deliveries on PostgreSQL 1 ms away (2026-12-07, load 2–4), 5.7 ms of app CPU
 * a delivery in the first round, 4.4 in the second, then 3.5, 3.5, 4.5, 3.3, 2.7, 2.6 and 2.3 to 2.9 from the ninth to
 * the fifteenth. With V8's optimising compiler off (`--no-opt`) it was 4.2 from the second round on: the slope is
 * TurboFan reaching the hot functions, which it was still doing 700 deliveries in (`--trace-opt`: 142 functions
 * optimised in the first round, 48 in the sixth, 16 to 36 a round after the eighth, as some are deoptimised and
 * optimised again). PostgreSQL's CPU for the app's connections was level from the second round (2.0–2.4 ms, 2.8 in
 * the first, preparing): its warm-up is small beside the app's.
 *
 * So each process is given rounds of deliveries until it has done `min` and its CPU a delivery has levelled off
 * (`steady`), or until `max`. Three processes on two cores were still falling after 800 each (5.5 ms a delivery, then
 * 4.2 to 4.5 at 900, and 3.3 over the 400 each measured next): `min` is 1,000. A fixed number (BENCH_P8_WARM_UP) overrides the rule: 0 measures the
 * processes cold.
 */
export interface WarmUpPlan {
  /** deliveries each process is given at a time */
  round: number;
  /** deliveries each process is given at least, and at most */
  min: number;
  max: number;
  /** between min and max, rounds go on until `steady` */
  untilSteady: boolean;
}

/** How close the CPU a delivery of successive rounds is, to call a process warm. */
export const TOLERANCE = 0.1;

/** The plan BENCH_P8_WARM_UP asks for: unset or empty, warm until steady; else that many deliveries per process. */
export function warmUpPlan(setting: string | undefined): WarmUpPlan {
  if (setting === undefined || setting.trim() === "") return { round: 100, min: 1_000, max: 2_000, untilSteady: true };
  const deliveries = Number(setting);
  if (!Number.isInteger(deliveries) || deliveries < 0)
    throw new Error(`BENCH_P8_WARM_UP must be a whole number of deliveries (0 or more), not "${setting}"`);
  return { round: 100, min: deliveries, max: deliveries, untilSteady: false };
}

/**
 * Deliveries each process is given in the next round, after `warmed` each; 0 once warmed up. `rounds` holds, for each
 * round done, the app CPU in ms a delivery over all the processes.
 */
export function nextRound(plan: WarmUpPlan, warmed: number, rounds: readonly number[]): number {
  if (warmed >= plan.max || (warmed >= plan.min && (!plan.untilSteady || steady(rounds)))) return 0;
  return Math.min(plan.round, plan.max - warmed);
}

/**
 * The last two rounds' CPU a delivery, together, within TOLERANCE of the two before. A round of 100 deliveries is
 * 5–15 % off the next by chance: two single rounds that happened to agree stopped a warm-up still falling from 5.5 to
 * 3.5 ms (three processes, 2026-12-07), where pairs of rounds did not.
 */
export function steady(rounds: readonly number[]): boolean {
  if (rounds.length < 4) return false;
  const [a, b, c, d] = rounds.slice(-4) as [number, number, number, number];
  const [before, last] = [a + b, c + d];
  return Math.abs(last - before) <= TOLERANCE * Math.max(last, before);
}
