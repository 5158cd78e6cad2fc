import { describe, expect, it } from "vitest";
import { adminClaim, readAdminEntry } from "../../src/domain/admins.js";

describe("CLOSELOOP_ADMINS entries", () => {
  it.each([
    ["583231", { id: "583231" }],
    ["00583231", { id: "583231" }],
    ["Octocat", { login: "octocat" }],
    ["@1234", { login: "1234" }],
    ["@Hubot-2", { login: "hubot-2" }],
  ])("%s → %o", (text, entry) => {
    expect(readAdminEntry(text)).toEqual(entry);
  });

  const ADMINS = ["583231", "Octocat", "@1234"];
  it.each([
    [{ login: "anyone", userId: 583231n }, "id"],
    [{ login: "OCTOCAT", userId: 1n }, "login"],
    [{ login: "1234", userId: 99n }, "login"],
    [{ login: "someone", userId: 1234n }, null],
    [{ login: "octocat-2", userId: 2n }, null],
  ] as const)("%o → %s", (person, claim) => {
    expect(adminClaim(ADMINS, person)).toBe(claim);
  });
});
