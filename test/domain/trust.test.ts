import { describe, expect, it } from "vitest";
import {
  repositoryRole,
  roleAtLeast,
  trustAuthor,
  type AuthorAssociation,
  type RepositoryRole,
} from "../../src/domain/trust.js";

const DEFAULT_FROM: AuthorAssociation[] = ["owner", "member", "collaborator"];

describe("trustAuthor", () => {
  it.each([
    ["OWNER", false, DEFAULT_FROM, true],
    ["MEMBER", false, DEFAULT_FROM, true],
    ["COLLABORATOR", false, DEFAULT_FROM, true],
    ["CONTRIBUTOR", false, DEFAULT_FROM, false],
    ["FIRST_TIME_CONTRIBUTOR", false, DEFAULT_FROM, false],
    ["FIRST_TIMER", false, DEFAULT_FROM, false],
    ["MANNEQUIN", false, DEFAULT_FROM, false],
    ["NONE", false, DEFAULT_FROM, false],
    [undefined, false, DEFAULT_FROM, false],
    // A comment written by an app installed on the repository counts whatever its association says.
    ["NONE", true, DEFAULT_FROM, true],
    ["CONTRIBUTOR", false, ["contributor"], true],
    ["OWNER", false, [], false],
  ] as [string | undefined, boolean, AuthorAssociation[], boolean][])(
    "%s (app: %s) with links.from %j: trusted %s",
    (association, viaApp, from, trusted) => {
      expect(trustAuthor({ association, viaApp }, from).trusted).toBe(trusted);
    },
  );

  it("says why an author is not trusted", () => {
    expect(trustAuthor({ association: "NONE", viaApp: false }, DEFAULT_FROM)).toEqual({
      trusted: false,
      reason:
        "its author's association with the repository is none, not one of links.from (owner, member, collaborator)",
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
