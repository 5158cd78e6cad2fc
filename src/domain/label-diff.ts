import { labelKey } from "./team-labels.js";

/**
 * The smallest change that brings an issue's managed labels to the desired ones (docs/labels.md, What closeloop manages), in the manner of
 * safe-settings' diffable: desired state compared with actual state, only the difference applied.
 *
 * - Only managed labels are removed: the frequency labels of the config (both, so at most one stays) and the labels
 *   closeloop itself added to this issue. A team label a person put on an issue is theirs, even if closeloop would
 *   derive the same name.
 * - A suppressed label (a person removed it while closeloop managed it) is not added until a person adds it back.
 * - Names compare ignoring case, as GitHub does; a removal uses the spelling on the issue, an addition the desired one.
 */

export interface LabelSets {
  /** the labels closeloop wants on the issue: at most one frequency label, then team labels */
  desired: readonly string[];
  /** the labels closeloop may remove from this issue */
  managed: readonly string[];
  /** the labels on the issue now */
  current: readonly string[];
  /** labels a person removed: closeloop does not add them again */
  suppressed: readonly string[];
}

export interface LabelDiff {
  add: string[];
  remove: string[];
}

export function diffLabels(sets: LabelSets): LabelDiff {
  const current = keyed(sets.current);
  const desired = keyed(sets.desired);
  const managed = new Set(sets.managed.map(labelKey));
  const suppressed = new Set(sets.suppressed.map(labelKey));
  const add = [...desired].filter(([key]) => !current.has(key) && !suppressed.has(key)).map(([, name]) => name);
  const remove = [...current].filter(([key]) => managed.has(key) && !desired.has(key)).map(([, name]) => name);
  return { add, remove };
}

function keyed(names: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of names) if (!map.has(labelKey(name))) map.set(labelKey(name), name);
  return map;
}

/** One thing closeloop knows about a label on an issue: present or not at `at`. */
export interface LabelObservation {
  name: string;
  present: boolean;
  at: Date;
}

/**
 * The labels on the issue as best known: the webhook payload's `issue.labels` (true at the payload's `updated_at`),
 * corrected by anything closeloop saw or did after that (its own additions and removals, `labeled` / `unlabeled`
 * events). A webhook processed from the inbox a little late can show labels from before closeloop's last change;
 * without this, closeloop would add the same label again. At a tie (GitHub's timestamps have one-second resolution)
 * the observation wins: a payload from the same second may predate closeloop's change, and a person's change in that
 * second arrives as its own `labeled` / `unlabeled` event. With no payload (the decay sweep), the observations alone.
 */
export function knownLabels(
  payload: { labels: readonly string[]; at: Date } | undefined,
  observations: readonly LabelObservation[],
): string[] {
  const labels = keyed(payload?.labels ?? []);
  for (const observation of observations) {
    if (payload && observation.at.getTime() < payload.at.getTime()) continue;
    if (observation.present) labels.set(labelKey(observation.name), observation.name);
    else labels.delete(labelKey(observation.name));
  }
  return [...labels.values()];
}
