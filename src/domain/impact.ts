import { DAY_MS, type Report } from "./frequency.js";

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
