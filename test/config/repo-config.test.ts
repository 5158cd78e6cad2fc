import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, parseRepoConfig } from "../../src/config/repo-config.js";

describe("parseRepoConfig", () => {
  it("has the defaults README, Configuration shows", () => {
    expect(DEFAULT_CONFIG).toEqual({
      frequency: {
        daily: { label: "reported: daily", color: "b60205", reports: 5, days: 7 },
        weekly: { label: "reported: weekly", color: "fbca04", reports: 2, days: 14 },
      },
      teams: { from: ["team"], prefix: "team: ", map: {}, only_mapped: false },
      reopen: {
        on: ["completed", "not_planned"],
        by: "triage",
        closed_tickets: "follow_up",
        remind_after: null,
        note: "The GitHub issue {url} linked to this conversation was closed ({reason}). Follow up with the customer.",
      },
      comment: { summary: true, details: "private" },
      links: { max_per_source: 50, max_per_issue: 500, from: ["owner", "member", "collaborator"], apps: ["*"] },
      notify: {
        linked: true,
        note: "Engineering is tracking this in {url} ({title}). This conversation will be reopened when the issue is closed.",
      },
      project: { url: "", field: "Customer reports", days: 30 },
    });
    expect(parseRepoConfig(null)).toEqual(DEFAULT_CONFIG);
    expect(parseRepoConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it("merges a partial file over the defaults, key by key", () => {
    const config = parseRepoConfig({
      _extends: ".github",
      frequency: { daily: { reports: 3, color: "#00FF00" } },
      teams: { from: ["team", "tags"], map: { Billing: "team: billing", "Team Messenger": "team: messenger" } },
      links: { max_per_source: 10 },
    });
    expect(config.frequency.daily).toEqual({ label: "reported: daily", color: "00ff00", reports: 3, days: 7 });
    expect(config.frequency.weekly).toEqual(DEFAULT_CONFIG.frequency.weekly);
    expect(config.teams).toEqual({
      from: ["team", "tags"],
      prefix: "team: ",
      map: { Billing: "team: billing", "Team Messenger": "team: messenger" },
      only_mapped: false,
    });
    expect(config.links.max_per_source).toBe(10);
  });

  it("reads links.from and reopen.by in any case, as GitHub spells them or as the README does", () => {
    const config = parseRepoConfig({
      links: { from: ["OWNER", "Member", "first_time_contributor"], max_per_issue: 20 },
      reopen: { by: "Write" },
    });
    expect(config.links).toEqual({
      max_per_source: 50,
      max_per_issue: 20,
      from: ["owner", "member", "first_time_contributor"],
      apps: ["*"],
    });
    expect(config.reopen.by).toBe("write");
  });

  it.each([
    [["*"], ["*"]],
    [[], []],
    [
      ["Renovate", " github-actions "],
      ["renovate", "github-actions"],
    ],
    [["my_app.v2"], ["my_app.v2"]],
  ])("reads links.apps %j as %j", (apps, expected) => {
    expect(parseRepoConfig({ links: { apps } }).links.apps).toEqual(expected);
  });

  it("reads a project address of an organisation or a user, on github.com or GitHub Enterprise Server", () => {
    for (const url of [
      "https://github.com/orgs/acme/projects/3",
      "https://github.com/users/octo-cat/projects/12/",
      "https://ghe.example.com/orgs/acme/projects/1",
    ]) {
      expect(parseRepoConfig({ project: { url } }).project.url).toBe(url);
    }
  });

  it("allows two teams mapped to one label", () => {
    expect(parseRepoConfig({ teams: { map: { Billing: "team: money", Payments: "team: money" } } }).teams.map).toEqual({
      Billing: "team: money",
      Payments: "team: money",
    });
  });

  it.each([
    [
      { frequency: { daily: { reports: "five" } } },
      ".github/closeloop.yml: frequency.daily.reports: must be a whole number",
    ],
    [{ frequency: { daily: { reports: 0 } } }, ".github/closeloop.yml: frequency.daily.reports: must be at least 1"],
    [
      { frequency: { weekly: { color: "red" } } },
      '.github/closeloop.yml: frequency.weekly.color: must be a 6-digit hex colour such as "b60205"',
    ],
    [
      { frequency: { daily: { label: "x".repeat(51) } } },
      ".github/closeloop.yml: frequency.daily.label: must be at most 50 characters",
    ],
    [
      { frequency: { weekly: { label: "reported: daily" } } },
      ".github/closeloop.yml: frequency.weekly.label: must differ from frequency.daily.label",
    ],
    [{ teams: { from: ["group"] } }, '.github/closeloop.yml: teams.from.0: must be "team" or "tags"'],
    [
      { teams: { map: { Billing: "y".repeat(60) } } },
      ".github/closeloop.yml: teams.map.Billing: must be at most 50 characters",
    ],
    [{ teams: { only_mapped: "yes" } }, ".github/closeloop.yml: teams.only_mapped: must be true or false"],
    [
      { reopen: { on: ["closed"] } },
      '.github/closeloop.yml: reopen.on.0: must be "completed", "not_planned" or "duplicate"',
    ],
    [
      { reopen: { note: "Closed: {link}" } },
      ".github/closeloop.yml: reopen.note: unknown placeholder {link}; use {url}, {reason}, {repository}, {number}, {title}",
    ],
    [{ comment: { summary: "no" } }, ".github/closeloop.yml: comment.summary: must be true or false"],
    [
      { comment: { details: "public" } },
      '.github/closeloop.yml: comment.details: must be "always", "private" or "never"',
    ],
    [{ links: { max_per_source: -1 } }, ".github/closeloop.yml: links.max_per_source: must be at least 1"],
    [{ links: { max_per_issue: 0 } }, ".github/closeloop.yml: links.max_per_issue: must be at least 1"],
    [
      { links: { from: ["owner", "maintainer"] } },
      ".github/closeloop.yml: links.from.1: must be one of owner, member, collaborator, contributor, first_time_contributor, first_timer, mannequin, none (GitHub's author_association)",
    ],
    [
      { links: { from: "owner" } },
      ".github/closeloop.yml: links.from: must be a list, such as [owner, member, collaborator]",
    ],
    [
      { links: { apps: "*" } },
      '.github/closeloop.yml: links.apps: must be a list, such as ["*"], [renovate, github-actions] or []',
    ],
    [
      { links: { apps: ["renovate[bot]"] } },
      '.github/closeloop.yml: links.apps.0: must be an app\'s slug, as in https://github.com/apps/<slug> (such as renovate, without "[bot]"), or "*" for any app',
    ],
    [
      { links: { apps: ["*", 7] } },
      '.github/closeloop.yml: links.apps.1: must be an app\'s slug, as in https://github.com/apps/<slug> (such as renovate, without "[bot]"), or "*" for any app',
    ],
    [
      { reopen: { by: "triager" } },
      ".github/closeloop.yml: reopen.by: must be one of read, triage, write, maintain, admin",
    ],
    [
      { reopen: { closed_tickets: "reopen" } },
      '.github/closeloop.yml: reopen.closed_tickets: must be "follow_up" or "skip"',
    ],
    [
      { reopen: { remind_after: "tomorrow" } },
      '.github/closeloop.yml: reopen.remind_after: must be "off" or a duration such as "90m", "24h" or "3d"',
    ],
    [{ reopen: { remind_after: "5m" } }, ".github/closeloop.yml: reopen.remind_after: must be at least 10 minutes"],
    [{ reopen: { remind_after: 24 } }, '.github/closeloop.yml: reopen.remind_after: must be "off" or a duration'],
    [{ notify: { linked: "no" } }, ".github/closeloop.yml: notify.linked: must be true or false"],
    [
      { notify: { note: "Linked ({reason})" } },
      ".github/closeloop.yml: notify.note: unknown placeholder {reason}; use {url}, {repository}, {number}, {title}",
    ],
    [
      { project: { url: "https://github.com/acme/projects/3" } },
      ".github/closeloop.yml: project.url: must be a project's address, such as https://github.com/orgs/acme/projects/3",
    ],
    [
      { project: { url: "https://github.com/orgs/acme/projects/0" } },
      ".github/closeloop.yml: project.url: must be a project's address",
    ],
    [{ project: { field: " " } }, ".github/closeloop.yml: project.field: must not be empty"],
    [{ project: { days: 400 } }, ".github/closeloop.yml: project.days: must be at most 365"],
    [{ label: { daily: "x" } }, '.github/closeloop.yml: unknown key "label"'],
    [{ frequency: { hourly: {} } }, '.github/closeloop.yml: frequency: unknown key "hourly"'],
    [["a", "b"], ".github/closeloop.yml: must be a YAML mapping of settings"],
    ["just text", ".github/closeloop.yml: must be a YAML mapping of settings"],
  ])("rejects %j: %s", (raw, message) => {
    expect(() => parseRepoConfig(raw)).toThrow(message);
  });
});

describe("reopen.remind_after", () => {
  it.each([
    ["24h", 86_400],
    ["90m", 5_400],
    ["3d", 259_200],
    [" 36H ", 129_600],
    ["off", null],
    [false, null],
  ])("reads %j as %j seconds", (value, seconds) => {
    expect(parseRepoConfig({ reopen: { remind_after: value } }).reopen.remind_after).toBe(seconds);
  });
});
