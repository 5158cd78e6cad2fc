import { describe, expect, it } from "vitest";
import type { Report } from "../../src/domain/frequency.js";
import {
  nextProjectChange,
  parseProjectUrl,
  planProjectWrite,
  projectValueOf,
  type ProjectPlan,
  type ProjectWritten,
} from "../../src/domain/project-field.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date("2026-11-23T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const reports = (...ages: number[]): Report[] => ages.map((age) => ({ at: ago(age) }));

describe("parseProjectUrl", () => {
  const table: [string, ReturnType<typeof parseProjectUrl>][] = [
    ["https://github.com/orgs/acme/projects/3", { owner: "organization", login: "acme", number: 3 }],
    ["https://github.com/orgs/acme/projects/3/", { owner: "organization", login: "acme", number: 3 }],
    ["https://github.com/users/octocat/projects/12", { owner: "user", login: "octocat", number: 12 }],
    ["https://ghe.example.com/orgs/Acme-Corp/projects/1", { owner: "organization", login: "Acme-Corp", number: 1 }],
    ["", null],
    ["https://github.com/orgs/acme/projects/0", null],
    ["https://github.com/acme/app/projects/3", null],
    ["https://github.com/orgs/acme/projects/3/views/1", null],
  ];
  it.each(table)("%j", (url, expected) => {
    expect(parseProjectUrl(url)).toEqual(expected);
  });
});

describe("projectValueOf and nextProjectChange (30 days)", () => {
  const table: [string, Report[], number, Date | null][] = [
    ["no reports: 0, never changes", [], 0, null],
    ["one report a day old", reports(DAY), 1, new Date(ago(DAY).getTime() + 30 * DAY + 1)],
    ["exactly 30 days old still counts, and leaves 1 ms later", reports(30 * DAY), 1, new Date(NOW.getTime() + 1)],
    ["30 days and 1 ms old: out, nothing to wait for", reports(30 * DAY + 1), 0, null],
    [
      "the oldest report in the window leaves first",
      reports(DAY, 10 * DAY, 40 * DAY),
      2,
      new Date(ago(10 * DAY).getTime() + 30 * DAY + 1),
    ],
    [
      "one customer twice counts once",
      [
        { at: ago(DAY), customer: "c" },
        { at: ago(2 * DAY), customer: "c" },
      ],
      1,
      new Date(ago(2 * DAY).getTime() + 30 * DAY + 1),
    ],
  ];
  it.each(table)("%s", (_, given, value, next) => {
    expect(projectValueOf(given, NOW, 30)).toBe(value);
    expect(nextProjectChange(given, NOW, 30)).toEqual(next);
  });
});

describe("planProjectWrite", () => {
  const KEY = "https://github.com/orgs/acme/projects/3#Customer reports";
  const none: ProjectWritten = { key: null, itemId: null, value: null };
  const table: [string, ProjectWritten, { value: number; linked: boolean }, ProjectPlan][] = [
    ["never written, linked: add then set", none, { value: 2, linked: true }, { kind: "add-and-set" }],
    ["never written, no live link: stays out of the project", none, { value: 0, linked: false }, { kind: "none" }],
    [
      "same project and value: no call",
      { key: KEY, itemId: "PVTI_1", value: 2 },
      { value: 2, linked: true },
      { kind: "none" },
    ],
    [
      "same project, new value: one set",
      { key: KEY, itemId: "PVTI_1", value: 2 },
      { value: 3, linked: true },
      { kind: "set", itemId: "PVTI_1" },
    ],
    [
      "last link gone: set to 0, the item stays",
      { key: KEY, itemId: "PVTI_1", value: 1 },
      { value: 0, linked: false },
      { kind: "set", itemId: "PVTI_1" },
    ],
    [
      "another project or field configured: added there",
      { key: "https://github.com/orgs/acme/projects/2#Customer reports", itemId: "PVTI_1", value: 2 },
      { value: 2, linked: true },
      { kind: "add-and-set" },
    ],
  ];
  it.each(table)("%s", (_, written, target, expected) => {
    expect(planProjectWrite(written, { key: KEY, ...target })).toEqual(expected);
  });
});
