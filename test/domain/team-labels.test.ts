import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, type RepoConfig } from "../../src/config/repo-config.js";
import { sanitiseLabelName, teamLabels, type ConversationTeam } from "../../src/domain/team-labels.js";

type Teams = RepoConfig["teams"];
const rules = (overrides: Partial<Teams> = {}): Teams => ({ ...DEFAULT_CONFIG.teams, ...overrides });
const conversation = (team: string | null, ...tags: string[]): ConversationTeam => ({ team, tags });

describe("teamLabels", () => {
  const table: [string, ConversationTeam[], Teams, string[]][] = [
    ["no conversations", [], rules(), []],
    ["the assigned team, prefixed and lower-cased", [conversation("Billing")], rules(), ["team: billing"]],
    ["no team known yet (not enriched)", [conversation(null, "vip")], rules(), []],
    ["tags are ignored by default", [conversation("Billing", "vip", "export")], rules(), ["team: billing"]],
    [
      "tags count with from: [team, tags]",
      [conversation("Billing", "VIP")],
      rules({ from: ["team", "tags"] }),
      ["team: billing", "team: vip"],
    ],
    ["teams are ignored with from: [tags]", [conversation("Billing", "vip")], rules({ from: ["tags"] }), ["team: vip"]],
    [
      "a mapped team uses its label",
      [conversation("Team Messenger")],
      rules({ map: { "Team Messenger": "team: messenger" } }),
      ["team: messenger"],
    ],
    [
      "a mapped tag counts even without tags in from",
      [conversation("Billing", "mobile-app")],
      rules({ map: { "mobile-app": "team: mobile" } }),
      ["team: billing", "team: mobile"],
    ],
    [
      "a mapped team does not count without team in from",
      [conversation("Billing")],
      rules({ from: ["tags"], map: { Billing: "team: billing" } }),
      [],
    ],
    [
      "map keys match ignoring case and spaces",
      [conversation(" billing ")],
      rules({ map: { Billing: "Team: Billing" } }),
      ["Team: Billing"],
    ],
    [
      "an exact map key wins over a case-insensitive one",
      [conversation("billing")],
      rules({ map: { Billing: "team: a", billing: "team: b" } }),
      ["team: b"],
    ],
    [
      "two teams mapped to one label give one label",
      [conversation("Billing"), conversation("Invoices")],
      rules({ map: { Billing: "team: money", Invoices: "team: money" } }),
      ["team: money"],
    ],
    [
      "only_mapped ignores what is not in map",
      [conversation("Billing", "x"), conversation("Support")],
      rules({ only_mapped: true, from: ["team", "tags"], map: { Support: "team: support" } }),
      ["team: support"],
    ],
    [
      "the same team on many conversations is one label",
      [conversation("Billing"), conversation("billing"), conversation("BILLING")],
      rules(),
      ["team: billing"],
    ],
    [
      "labels differing only in case are one label (GitHub ignores case)",
      [conversation(null, "x")],
      rules({ from: ["tags"], map: { x: "Team: X" }, prefix: "team: " }),
      ["Team: X"],
    ],
    ["a custom prefix", [conversation("Billing")], rules({ prefix: "squad/" }), ["squad/billing"]],
    ["an empty prefix", [conversation("Billing")], rules({ prefix: "" }), ["billing"]],
    ["blank team and tags are ignored", [conversation("  ", " ", "")], rules({ from: ["team", "tags"] }), []],
    ["a name that sanitises to nothing is dropped", [conversation("🔥🔥")], rules({ prefix: "" }), []],
    ["a long team name is cut to 50 characters", [conversation("A".repeat(60))], rules(), [`team: ${"a".repeat(44)}`]],
  ];
  it.each(table)("%s", (_, conversations, teams, expected) => {
    expect(teamLabels(conversations, teams)).toEqual(expected);
  });

  it("drops a team label spelled like a frequency label", () => {
    expect(
      teamLabels([conversation(null, "Reported: Daily", "ok")], rules({ from: ["tags"], prefix: "" }), [
        "reported: daily",
        "reported: weekly",
      ]),
    ).toEqual(["ok"]);
  });
});

describe("sanitiseLabelName", () => {
  const table: [string, string, string | null][] = [
    ["a plain name", "team: billing", "team: billing"],
    ["surrounding spaces", "  team: billing  ", "team: billing"],
    ["line breaks and tabs become one space", "team:\n\tbilling\r\nEU", "team: billing EU"],
    ["runs of spaces (including no-break spaces) collapse", "team:\u00a0\u00a0 billing", "team: billing"],
    ["commas become spaces", "team: billing,eu", "team: billing eu"],
    ["control and invisible characters go", "team\u0000: bil\u200bling\u202e", "team : bil ling"],
    ["NFC normalisation", "team: cafe\u0301", "team: caf\u00e9"],
    ["emoji with text are kept", "team: 🔥 on call", "team: 🔥 on call"],
    ["a zero-width-joiner emoji is kept whole", "team: 👩‍💻", "team: 👩‍💻"],
    ["only emoji is rejected by GitHub: dropped", "🔥 👩‍💻 🇪🇺", null],
    ["empty", "", null],
    ["only spaces", " \n\t ", null],
    ["only commas", ",,,", null],
    ["exactly 50 characters", "x".repeat(50), "x".repeat(50)],
    ["51 characters are cut to 50", "x".repeat(51), "x".repeat(50)],
    [
      "the cut counts characters, not UTF-16 units, and never splits a surrogate pair",
      `${"x".repeat(48)}🔥🔥🔥`,
      `${"x".repeat(48)}🔥🔥`,
    ],
    ["a cut that ends in a space is trimmed", `${"x".repeat(49)} yz`, "x".repeat(49)],
    ["accents and other scripts are kept", "équipe: 支付", "équipe: 支付"],
  ];
  it.each(table)("%s", (_, input, expected) => {
    expect(sanitiseLabelName(input)).toBe(expected);
  });
});
