import type { RepoConfig } from "../config/repo-config.js";
import { frequencyOf, nextFrequencyChange, type Frequency, type Report } from "./frequency.js";
import { diffLabels, knownLabels, type LabelObservation } from "./label-diff.js";
import { labelKey, teamLabels, type ConversationTeam } from "./team-labels.js";

/** One label closeloop knows about on one issue (an IssueLabel row). */
export interface TrackedLabel extends LabelObservation {
  /** closeloop added it, so it may remove it */
  applied: boolean;
  /** a person removed it: not added again until a person adds it back */
  suppressed: boolean;
}

export interface LabelPlanInput {
  /** one per live link (a link still carried by a source) */
  reports: readonly Report[];
  conversations: readonly ConversationTeam[];
  labels: readonly TrackedLabel[];
  /** the issue's labels as a webhook payload showed them, true at `at`; none for the decay sweep */
  payload?: { labels: readonly string[]; at: Date } | undefined;
  /** whether the repository is known to have the label (seen on an issue or created by closeloop lately) */
  repositoryHas: (name: string) => boolean;
  config: Pick<RepoConfig, "frequency" | "teams">;
  now: Date;
}

/** A frequency label to create, with its configured colour, before it is added. */
export interface LabelToCreate {
  name: string;
  color: string;
  description: string;
}

/** What one issue's managed labels (docs/labels.md) need, before any GitHub call. */
export interface LabelPlan {
  frequency: Frequency | null;
  /** when the frequency label changes next if no report is added, or null */
  dueAt: Date | null;
  /**
   * Among `add`, the frequency labels the repository is not known to have. Team labels have no colour in the config,
   * so GitHub creates them on the add; a frequency label created that way would be grey.
   */
  create: LabelToCreate[];
  add: string[];
  remove: string[];
  /** what the payload shows of the labels closeloop tracks, where it is newer than and differs from what it knew */
  observed: LabelObservation[];
}

/**
 * Plans an issue's labels from its live links, the labels closeloop knows of and the repository config: the frequency
 * label the reports call for, the team labels the conversations do, and the smallest change to get there (diffLabels).
 */
export function planLabels(input: LabelPlanInput): LabelPlan {
  const rules = input.config.frequency;
  const frequencyRules = [rules.daily, rules.weekly];
  const frequencyLabels = frequencyRules.map((rule) => rule.label);
  const frequency = frequencyOf(input.reports, input.now, rules);
  const desired = [
    ...(frequency ? [rules[frequency].label] : []),
    ...teamLabels(input.conversations, input.config.teams, frequencyLabels),
  ];
  const { add, remove } = diffLabels({
    desired,
    managed: [...frequencyLabels, ...input.labels.filter((label) => label.applied).map((label) => label.name)],
    current: knownLabels(input.payload, input.labels),
    suppressed: input.labels.filter((label) => label.suppressed).map((label) => label.name),
  });
  const create = add.flatMap((name) => {
    const rule = frequencyRules.find((r) => labelKey(r.label) === labelKey(name));
    if (!rule || input.repositoryHas(name)) return [];
    const description = `closeloop: ${rule.reports}+ customer reports in the last ${rule.days} day${rule.days === 1 ? "" : "s"}`;
    return [{ name, color: rule.color, description }];
  });
  return {
    frequency,
    dueAt: nextFrequencyChange(input.reports, input.now, rules),
    create,
    add,
    remove,
    observed: payloadObservations(input.payload, input.labels, [...frequencyLabels, ...desired]),
  };
}

function payloadObservations(
  payload: LabelPlanInput["payload"],
  rows: readonly TrackedLabel[],
  names: readonly string[],
): LabelObservation[] {
  if (!payload) return [];
  const onIssue = new Map(payload.labels.map((name) => [labelKey(name), name]));
  const stored = new Map(rows.map((row) => [labelKey(row.name), row]));
  const observed = new Map<string, LabelObservation>();
  for (const name of [...names, ...rows.map((row) => row.name)]) {
    const key = labelKey(name);
    const row = stored.get(key);
    const present = onIssue.has(key);
    const newer = row ? row.at.getTime() < payload.at.getTime() && row.present !== present : present;
    if (newer && !observed.has(key)) observed.set(key, { name: onIssue.get(key) ?? name, present, at: payload.at });
  }
  return [...observed.values()];
}
