import { countInWindow, DAY_MS, type Report } from "./frequency.js";

/** The dashboard's windows, in days. */
export const IMPACT_WINDOWS = [7, 14, 30, 90] as const;

/**
 * Distinct reports per day of the `days`-day window ending at `now`, oldest day first, counted as the frequency label
 * counts a window (src/domain/frequency.ts): a customer's reports count once a day, unknown customers each count.
 * Day i covers [now − (days − i) × 24 h, now − (days − i − 1) × 24 h); the window's old edge belongs to the first day,
 * and `now`, with any report dated after it (GitHub's clock ahead of ours), to the last. Older reports are left out.
 */
export function reportsPerDay(reports: readonly Report[], now: Date, days: number): number[] {
  const since = now.getTime() - days * DAY_MS;
  const counts = Array.from({ length: days }, () => 0);
  const customers = Array.from({ length: days }, () => new Set<string>());
  for (const report of reports) {
    const at = report.at.getTime();
    if (at < since) continue;
    const day = Math.min(days - 1, Math.floor((at - since) / DAY_MS));
    if (report.customer == null) counts[day]!++;
    else if (!customers[day]!.has(report.customer)) {
      customers[day]!.add(report.customer);
      counts[day]!++;
    }
  }
  return counts;
}

/** Distinct known customers among the reports posted in the `days` days up to `now` (the window of `countInWindow`). */
export function customersInWindow(reports: readonly Report[], now: Date, days: number): number {
  const since = now.getTime() - days * DAY_MS;
  const customers = new Set<string>();
  for (const report of reports)
    if (report.customer != null && report.at.getTime() >= since) customers.add(report.customer);
  return customers.size;
}

export interface WindowCounts {
  days: number;
  reports: number;
  customers: number;
}

/** An issue's counts for the dashboard at `now`, and until when they hold. */
export interface ImpactSummary {
  windows: WindowCounts[];
  lastReportAt: Date | null;
  /**
   * The first moment after `now` at which a count changes if no report is added (a report leaves a window one
   * millisecond after `at + days`, as in `nextFrequencyChange`), or null when none will.
   */
  dueAt: Date | null;
}

export function summariseImpact(reports: readonly Report[], now: Date, windows: readonly number[]): ImpactSummary {
  let last: number | null = null;
  let due: number | null = null;
  for (const report of reports) {
    const at = report.at.getTime();
    if (last === null || at > last) last = at;
    for (const days of windows) {
      const exit = at + days * DAY_MS + 1;
      if (exit > now.getTime() && (due === null || exit < due)) due = exit;
    }
  }
  return {
    windows: windows.map((days) => ({
      days,
      reports: countInWindow(reports, now, days),
      customers: customersInWindow(reports, now, days),
    })),
    lastReportAt: last === null ? null : new Date(last),
    dueAt: due === null ? null : new Date(due),
  };
}
