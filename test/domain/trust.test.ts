import { describe, expect, it } from "vitest";
import {
  repositoryRole,
  roleAtLeast,
  textAuthor,
  trustAuthor,
  type AuthoredText,
  type AuthorAssociation,
  type LinkRules,
  type RepositoryRole,
} from "../../src/domain/trust.js";

const DEFAULT_FROM: AuthorAssociation[] = ["owner", "member", "collaborator"];
const DEFAULTS: LinkRules = { from: DEFAULT_FROM, apps: ["*"] };

const person = (association: string | undefined, via?: string): AuthoredText => ({
  author_association: association,
  user: { login: "octocat", type: "User" },
  performed_via_github_app: via === undefined ? null : { slug: via },
});
// As GitHub shows an app writing as itself: its bot account, `<slug>[bot]`, and the app that carried the text.
const bot = (
  login: string,
  slug: string | null = login.replace(/\[bot\]$/, ""),
  association = "NONE",
): AuthoredText => ({
  author_association: association,
  user: { login, type: "Bot" },
  performed_via_github_app: slug === null ? null : { slug },
});

describe("trustAuthor", () => {
  it.each([
    [person("OWNER"), DEFAULTS, true],
    [person("MEMBER"), DEFAULTS, true],
    [person("COLLABORATOR"), DEFAULTS, true],
    [person("CONTRIBUTOR"), DEFAULTS, false],
    [person("FIRST_TIME_CONTRIBUTOR"), DEFAULTS, false],
    [person("FIRST_TIMER"), DEFAULTS, false],
    [person("MANNEQUIN"), DEFAULTS, false],
    [person("NONE"), DEFAULTS, false],
    [person(undefined), DEFAULTS, false],
    [{ author_association: "NONE" }, DEFAULTS, false],
    [person("CONTRIBUTOR"), { from: ["contributor"], apps: [] }, true],
    [person("OWNER"), { from: [], apps: ["*"] }, false],
    // A person writing through an app with their own token is judged as the person, whatever apps are trusted.
    [person("NONE", "triage-bot"), DEFAULTS, false],
    [person("NONE", "triage-bot"), { from: DEFAULT_FROM, apps: ["triage-bot"] }, false],
    [person("MEMBER", "triage-bot"), { from: DEFAULT_FROM, apps: [] }, true],
    // An app writing as itself counts by links.apps, whatever its association.
    [bot("triage-bot[bot]"), DEFAULTS, true],
    [bot("triage-bot[bot]"), { from: DEFAULT_FROM, apps: ["triage-bot"] }, true],
    [bot("Triage-Bot[bot]"), { from: DEFAULT_FROM, apps: ["triage-bot"] }, true],
    [bot("triage-bot[bot]"), { from: DEFAULT_FROM, apps: ["renovate"] }, false],
    [bot("triage-bot[bot]"), { from: DEFAULT_FROM, apps: [] }, false],
    [bot("triage-bot[bot]", "triage-bot", "MEMBER"), { from: DEFAULT_FROM, apps: [] }, false],
    // The login names the app when GitHub does not say which carried the text (REST listings of old comments).
    [bot("renovate[bot]", null), { from: DEFAULT_FROM, apps: ["renovate"] }, true],
    // A bot account GitHub names no app for is not an app closeloop can name.
    [bot("legacy-bot", null), DEFAULTS, false],
    [bot("legacy-bot", "legacy"), { from: DEFAULT_FROM, apps: ["legacy"] }, true],
  ] as [AuthoredText, LinkRules, boolean][])("%j with %j: trusted %s", (text, rules, trusted) => {
    expect(trustAuthor(textAuthor(text), rules).trusted).toBe(trusted);
  });

  it("says why an author is not trusted", () => {
    expect(trustAuthor(textAuthor(person("NONE")), DEFAULTS)).toEqual({
      trusted: false,
      reason:
        "its author's association with the repository is none, not one of links.from (owner, member, collaborator)",
    });
    expect(trustAuthor(textAuthor(person("NONE", "triage-bot")), DEFAULTS)).toEqual({
      trusted: false,
      reason:
        "its author's association with the repository is none, not one of links.from (owner, member, collaborator); it was written through the app triage-bot, which does not make it the app's",
    });
    expect(trustAuthor(textAuthor(bot("triage-bot[bot]")), { from: DEFAULT_FROM, apps: ["renovate"] })).toEqual({
      trusted: false,
      reason: "its author is the app triage-bot, not one of links.apps (renovate)",
    });
    expect(trustAuthor(textAuthor(bot("triage-bot[bot]")), { from: DEFAULT_FROM, apps: [] })).toEqual({
      trusted: false,
      reason: "its author is the app triage-bot, not one of links.apps (empty)",
    });
  });
});

describe("repositoryRole", () => {
  it.each([
    [{ role_name: "triage", permission: "read" }, "triage"],
    [{ role_name: "maintain", permission: "write" }, "maintain"],
    [{ role_name: "admin", permission: "admin" }, "admin"],
    [{ role_name: "write", permission: "write" }, "write"],
    [{ role_name: "read", permission: "read" }, "read"],
    // A custom organisation role: its base role is what `permission` says.
    [{ role_name: "security-reviewer", permission: "write" }, "write"],
    [{ permission: "read" }, "read"],
    [{ role_name: "", permission: "none" }, "none"],
    [{}, "none"],
  ] as [Parameters<typeof repositoryRole>[0], string][])("%j is %s", (answer, role) => {
    expect(repositoryRole(answer)).toBe(role);
  });
});

describe("roleAtLeast", () => {
  const roles: (RepositoryRole | "none")[] = ["none", "read", "triage", "write", "maintain", "admin"];
  const cases = roles.flatMap((role, i) =>
    (["read", "triage", "write", "maintain", "admin"] as RepositoryRole[]).map(
      (least, j) => [role, least, role !== "none" && i >= j + 1] as const,
    ),
  );
  it.each(cases)("%s is at least %s: %s", (role, least, expected) => {
    expect(roleAtLeast(role, least)).toBe(expected);
  });
});
