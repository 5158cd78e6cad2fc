import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import type { Report } from "../../src/domain/frequency.js";
import { planLabels, type LabelPlanInput, type TrackedLabel } from "../../src/domain/label-plan.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-23T12:00:00.000Z");
const DAILY = "reported: daily";
const WEEKLY = "reported: weekly";
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const reports = (count: number): Report[] =>
  Array.from({ length: count }, (_, n) => ({ at: ago((n + 1) * 60_000), customer: `c${n}` }));
const tracked = (name: string, fields: Partial<TrackedLabel> = {}): TrackedLabel => ({
  name,
  present: true,
  at: ago(DAY),
  applied: true,
  suppressed: false,
  ...fields,
});
const input = (fields: Partial<LabelPlanInput> = {}): LabelPlanInput => ({
  reports: [],
  conversations: [],
  labels: [],
  repositoryHas: () => false,
  config: DEFAULT_CONFIG,
  now: NOW,
  ...fields,
});

describe("planLabels (defaults: daily ≥ 5 in 7 days, weekly ≥ 2 in 14 days)", () => {
  const table: [
    string,
    LabelPlanInput,
    { frequency: string | null; create: string[]; add: string[]; remove: string[] },
  ][] = [
    ["no links, no labels: nothing to do", input(), { frequency: null, create: [], add: [], remove: [] }],
    ["one report: below weekly", input({ reports: reports(1) }), { frequency: null, create: [], add: [], remove: [] }],
    [
      "weekly, new to the repository: created, then added",
      input({ reports: reports(2) }),
      { frequency: "weekly", create: [WEEKLY], add: [WEEKLY], remove: [] },
    ],
    [
      "weekly, the repository has it: added only",
      input({ reports: reports(2), repositoryHas: (name) => name === WEEKLY }),
      { frequency: "weekly", create: [], add: [WEEKLY], remove: [] },
    ],
    [
      "weekly already on the issue: nothing",
      input({ reports: reports(3), labels: [tracked(WEEKLY)] }),
      { frequency: "weekly", create: [], add: [], remove: [] },
    ],
    [
      "weekly becomes daily: one swapped for the other",
      input({ reports: reports(5), labels: [tracked(WEEKLY)] }),
      { frequency: "daily", create: [DAILY], add: [DAILY], remove: [WEEKLY] },
    ],
    [
      "decay: the frequency label goes",
      input({ labels: [tracked(WEEKLY)] }),
      { frequency: null, create: [], add: [], remove: [WEEKLY] },
    ],
    [
      "a suppressed frequency label is neither created nor added",
      input({ reports: reports(2), labels: [tracked(WEEKLY, { present: false, applied: false, suppressed: true })] }),
      { frequency: "weekly", create: [], add: [], remove: [] },
    ],
    [
      "a team label is added, never created (GitHub creates it on the add)",
      input({ conversations: [{ team: "Billing", tags: [] }] }),
      { frequency: null, create: [], add: ["team: billing"], remove: [] },
    ],
    [
      "a team label closeloop added goes with its last link",
      input({ labels: [tracked("team: billing")] }),
      { frequency: null, create: [], add: [], remove: ["team: billing"] },
    ],
    [
      "a team label a person added stays",
      input({ labels: [tracked("team: billing", { applied: false })] }),
      { frequency: null, create: [], add: [], remove: [] },
    ],
    [
      "the payload's labels count: weekly shown there is not added again",
      input({ reports: reports(2), payload: { labels: ["bug", WEEKLY], at: NOW } }),
      { frequency: "weekly", create: [], add: [], remove: [] },
    ],
    [
      "frequency and team together",
      input({
        reports: reports(5),
        conversations: [{ team: "Billing", tags: [] }],
        labels: [tracked(WEEKLY), tracked("team: support")],
      }),
      { frequency: "daily", create: [DAILY], add: [DAILY, "team: billing"], remove: [WEEKLY, "team: support"] },
    ],
  ];
  it.each(table)("%s", (_, given, expected) => {
    const plan = planLabels(given);
    expect({
      frequency: plan.frequency,
      create: plan.create.map((label) => label.name),
      add: plan.add,
      remove: plan.remove,
    }).toEqual(expected);
  });

  it("creates a frequency label with its configured colour and a description of its rule", () => {
    const config = {
      ...DEFAULT_CONFIG,
      frequency: { ...DEFAULT_CONFIG.frequency, daily: { label: "hot", color: "ff0000", reports: 1, days: 1 } },
    };
    expect(planLabels(input({ reports: reports(1), config })).create).toEqual([
      { name: "hot", color: "ff0000", description: "closeloop: 1+ customer reports in the last 1 day" },
    ]);
    expect(planLabels(input({ reports: reports(2) })).create).toEqual([
      { name: WEEKLY, color: "fbca04", description: "closeloop: 2+ customer reports in the last 14 days" },
    ]);
  });

  it("says when the frequency changes next", () => {
    expect(planLabels(input()).dueAt).toBeNull();
    // Two reports, the older one 2 minutes ago: weekly until it is 14 days old.
    expect(planLabels(input({ reports: reports(2) })).dueAt?.getTime()).toBe(ago(2 * 60_000).getTime() + 14 * DAY + 1);
  });

  it("observes what a newer payload shows of the tracked labels, and nothing it already knew", () => {
    const payload = { labels: [WEEKLY, "team: billing"], at: NOW };
    const plan = planLabels(
      input({
        reports: reports(2),
        payload,
        labels: [tracked(WEEKLY, { present: false, applied: false }), tracked("team: billing")],
      }),
    );
    expect(plan.observed).toEqual([{ name: WEEKLY, present: true, at: NOW }]);
    expect(planLabels(input({ reports: reports(2) })).observed).toEqual([]);
  });
});
