import { PROJECT_URL } from "../config/repo-config.js";
import { countInWindow, type Report } from "./frequency.js";

/**
 * The GitHub Project (v2) number field (docs/projects.md): which project `project.url` names, the value an issue's
 * reports call for, when time alone changes it, and which calls bring the project item to it. Pure.
 */

/** A project as GraphQL finds it: `organization(login:)` or `user(login:)`, then `projectV2(number:)`. */
export interface ProjectAddress {
  owner: "organization" | "user";
  login: string;
  number: number;
}

/** The project `project.url` names, or null when it is empty (the feature is off) or not a project's address. */
export function parseProjectUrl(url: string): ProjectAddress | null {
  const match = PROJECT_URL.exec(url);
  if (!match) return null;
  return { owner: match[1] === "orgs" ? "organization" : "user", login: match[2]!, number: Number(match[3]) };
}

/** Where a value was written: the project's address and the field's name, as stored in `Issue.projectKey`. */
export function projectKey(url: string, field: string): string {
  return `${url}#${field}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Distinct reports in the last `days` days, counted as the frequency labels count them (docs/labels.md). */
export function projectValueOf(reports: readonly Report[], now: Date, days: number): number {
  return countInWindow(reports, now, days);
}

/**
 * The first moment after `now` at which `projectValueOf` can give another answer with no new report: one millisecond
 * after a report in the window leaves it. Null when no report is in the window (the value is 0 and stays 0).
 */
export function nextProjectChange(reports: readonly Report[], now: Date, days: number): Date | null {
  let next: number | null = null;
  for (const report of reports) {
    const exit = report.at.getTime() + days * DAY_MS + 1;
    if (exit > now.getTime() && (next === null || exit < next)) next = exit;
  }
  return next === null ? null : new Date(next);
}

/** What closeloop last wrote for an issue (`Issue.projectKey`, `projectItemId`, `projectValue`). */
export interface ProjectWritten {
  key: string | null;
  itemId: string | null;
  value: number | null;
}

export type ProjectPlan =
  /** nothing to write: the value is unchanged, or the issue has no live link and is not in the project */
  | { kind: "none" }
  /** the item is known: one call sets the value */
  | { kind: "set"; itemId: string }
  /** the issue is not known to be in the project: add it (idempotent on GitHub's side), then set the value */
  | { kind: "add-and-set" };

/**
 * The calls that bring the project to `value` for an issue: none when the value written to this project and field
 * is the same; a set when the item is known; else, if the issue has a live link, an add then a set. An issue
 * that has no live link and was never added stays out of the project; one that was added keeps its item, set to 0.
 */
export function planProjectWrite(
  written: ProjectWritten,
  target: { key: string; value: number; linked: boolean },
): ProjectPlan {
  if (written.key === target.key && written.itemId !== null) {
    return written.value === target.value ? { kind: "none" } : { kind: "set", itemId: written.itemId };
  }
  return target.linked ? { kind: "add-and-set" } : { kind: "none" };
}
