import { describe, expect, it } from "vitest";
import { diffLabels, knownLabels, type LabelSets } from "../../src/domain/label-diff.js";

const DAILY = "reported: daily";
const WEEKLY = "reported: weekly";
const FREQUENCY = [DAILY, WEEKLY];

describe("diffLabels", () => {
  const table: [string, LabelSets, { add: string[]; remove: string[] }][] = [
    [
      "nothing wanted, nothing there",
      { desired: [], managed: FREQUENCY, current: [], suppressed: [] },
      { add: [], remove: [] },
    ],
    [
      "unchanged: no change",
      {
        desired: [WEEKLY, "team: billing"],
        managed: FREQUENCY,
        current: ["bug", WEEKLY, "team: billing"],
        suppressed: [],
      },
      { add: [], remove: [] },
    ],
    [
      "a new frequency label",
      { desired: [WEEKLY], managed: FREQUENCY, current: ["bug"], suppressed: [] },
      { add: [WEEKLY], remove: [] },
    ],
    [
      "weekly becomes daily: one label swapped for the other",
      { desired: [DAILY], managed: FREQUENCY, current: [WEEKLY], suppressed: [] },
      { add: [DAILY], remove: [WEEKLY] },
    ],
    [
      "decay: the frequency label goes",
      { desired: [], managed: FREQUENCY, current: [WEEKLY, "bug"], suppressed: [] },
      { add: [], remove: [WEEKLY] },
    ],
    [
      "both frequency labels on the issue (a person added one): at most one stays",
      { desired: [DAILY], managed: FREQUENCY, current: [DAILY, WEEKLY], suppressed: [] },
      { add: [], remove: [WEEKLY] },
    ],
    [
      "labels it does not manage are never removed",
      { desired: [], managed: FREQUENCY, current: ["bug", "team: billing", "reported: monthly"], suppressed: [] },
      { add: [], remove: [] },
    ],
    [
      "a team label closeloop added goes when no link carries the team",
      { desired: [], managed: [...FREQUENCY, "team: billing"], current: ["team: billing"], suppressed: [] },
      { add: [], remove: ["team: billing"] },
    ],
    [
      "a team label a person added stays",
      { desired: [], managed: FREQUENCY, current: ["team: billing"], suppressed: [] },
      { add: [], remove: [] },
    ],
    [
      "a suppressed label is not added again",
      { desired: [DAILY, "team: billing"], managed: FREQUENCY, current: [], suppressed: [DAILY] },
      { add: ["team: billing"], remove: [] },
    ],
    [
      "a suppressed daily still lets weekly go",
      { desired: [DAILY], managed: FREQUENCY, current: [WEEKLY], suppressed: [DAILY] },
      { add: [], remove: [WEEKLY] },
    ],
    [
      "names compare ignoring case; a removal uses the issue's spelling",
      {
        desired: ["Team: Billing"],
        managed: [...FREQUENCY, "team: support"],
        current: ["team: billing", "Team: Support"],
        suppressed: [],
      },
      { add: [], remove: ["Team: Support"] },
    ],
    [
      "suppression ignores case",
      { desired: [WEEKLY], managed: FREQUENCY, current: [], suppressed: ["Reported: Weekly"] },
      { add: [], remove: [] },
    ],
    [
      "several additions and removals",
      {
        desired: [DAILY, "team: a", "team: b"],
        managed: [...FREQUENCY, "team: c"],
        current: [WEEKLY, "team: a", "team: c"],
        suppressed: [],
      },
      { add: [DAILY, "team: b"], remove: [WEEKLY, "team: c"] },
    ],
  ];
  it.each(table)("%s", (_, plan, expected) => {
    expect(diffLabels(plan)).toEqual(expected);
  });
});

describe("knownLabels", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 23, 12, 0, s));
  it("is the payload's labels when nothing newer is known", () => {
    expect(knownLabels({ labels: ["bug", WEEKLY], at: at(10) }, [{ name: DAILY, present: true, at: at(5) }])).toEqual([
      "bug",
      WEEKLY,
    ]);
  });
  it("adds what closeloop added after the payload was sent, and drops what it removed", () => {
    expect(
      knownLabels({ labels: ["bug", WEEKLY], at: at(10) }, [
        { name: WEEKLY, present: false, at: at(11) },
        { name: DAILY, present: true, at: at(11) },
      ]),
    ).toEqual(["bug", DAILY]);
  });
  it("trusts what closeloop saw or did at a tie (GitHub's one-second timestamps)", () => {
    expect(knownLabels({ labels: [WEEKLY], at: at(10) }, [{ name: WEEKLY, present: false, at: at(10) }])).toEqual([]);
    expect(knownLabels({ labels: [], at: at(10) }, [{ name: WEEKLY, present: true, at: at(10) }])).toEqual([WEEKLY]);
  });
  it("ignores what is older than the payload", () => {
    expect(knownLabels({ labels: [], at: at(10) }, [{ name: WEEKLY, present: true, at: at(9) }])).toEqual([]);
  });
  it("is the observations alone without a payload (the sweep)", () => {
    expect(
      knownLabels(undefined, [
        { name: WEEKLY, present: true, at: at(1) },
        { name: DAILY, present: false, at: at(2) },
      ]),
    ).toEqual([WEEKLY]);
  });
});
