import type { RepoConfig } from "../config/repo-config.js";

/**
 * The report-frequency label (docs/labels.md, Frequency): `daily` if its rule holds, else `weekly` if its rule holds, else none.
 *
 * A report is a live linked conversation, dated by when its URL was first posted. Windows are inclusive at
 * their old edge: with `days: 7`, a report posted exactly 7 × 24 h before `now` still counts, one millisecond older
 * does not. A report dated after `now` (GitHub's clock ahead of ours) counts. Days are 24-hour spans of UTC time, not
 * calendar days, so daylight-saving changes do not move the edge.
 *
 * Two reports of the same customer inside one window count once (each window separately); a report whose customer is
 * unknown (not enriched yet, or the helpdesk does not say) counts on its own.
 */

export type Frequency = "daily" | "weekly";

export interface Report {
  at: Date;
  /** the keyed hash of the helpdesk's customer id, when known */
  customer?: string | null;
}

export type FrequencyRules = RepoConfig["frequency"];

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The frequency label the reports call for at `now`, or null for none. */
export function frequencyOf(reports: readonly Report[], now: Date, rules: FrequencyRules): Frequency | null {
  if (countInWindow(reports, now, rules.daily.days) >= rules.daily.reports) return "daily";
  if (countInWindow(reports, now, rules.weekly.days) >= rules.weekly.reports) return "weekly";
  return null;
}

/** Distinct reports posted in the `days` days up to `now` (inclusive at the old edge). */
export function countInWindow(reports: readonly Report[], now: Date, days: number): number {
  const since = now.getTime() - days * DAY_MS;
  const customers = new Set<string>();
  let count = 0;
  for (const report of reports) {
    if (report.at.getTime() < since) continue;
    if (report.customer == null) count++;
    else if (!customers.has(report.customer)) {
      customers.add(report.customer);
      count++;
    }
  }
  return count;
}

const RANK = { daily: 2, weekly: 1 } as const;
const rank = (frequency: Frequency | null) => (frequency === null ? 0 : RANK[frequency]);

/**
 * The first moment after `now` at which `frequencyOf` gives a different answer if no report is added, or null when
 * it never will (no label now). Time only takes reports out of windows, so the answer can only step down
 * (daily → weekly → none), and only at the instant a report leaves a window: one millisecond after
 * `at + days`. The decay sweep re-evaluates an issue at this time instead of on every run.
 */
export function nextFrequencyChange(reports: readonly Report[], now: Date, rules: FrequencyRules): Date | null {
  const current = rank(frequencyOf(reports, now, rules));
  if (current === 0) return null;
  const exits = new Set<number>();
  for (const report of reports) {
    for (const days of [rules.daily.days, rules.weekly.days]) {
      const exit = report.at.getTime() + days * DAY_MS + 1;
      if (exit > now.getTime()) exits.add(exit);
    }
  }
  const candidates = [...exits].sort((a, b) => a - b);
  // The rank is monotone in time, so the first exit at which it drops can be found by bisection.
  let low = 0;
  let high = candidates.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (rank(frequencyOf(reports, new Date(candidates[middle]!), rules)) < current) high = middle;
    else low = middle + 1;
  }
  return low < candidates.length ? new Date(candidates[low]!) : null;
}

/** Two optional instants are the same (both absent, or equal to the millisecond). */
export function sameTime(a: Date | null, b: Date | null): boolean {
  return (a === null && b === null) || (a !== null && b !== null && a.getTime() === b.getTime());
}
