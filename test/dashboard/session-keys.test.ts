import { describe, expect, it } from "vitest";
import { SessionKeys, tokenHash } from "../../src/dashboard/session-keys.js";

describe("SessionKeys", () => {
  const keys = new SessionKeys("secret-one");
  const other = new SessionKeys("secret-two");

  it("encrypts a user token so only the same key reads it, and an altered one reads as null", () => {
    const sealed = keys.encrypt("ghu_token");
    expect(sealed).not.toContain("ghu_token");
    expect(keys.encrypt("ghu_token")).not.toBe(sealed);
    expect(keys.decrypt(sealed)).toBe("ghu_token");
    expect(other.decrypt(sealed)).toBeNull();
    const [iv, tag, data] = sealed.split(".");
    expect(keys.decrypt([iv, tag, `${data!.slice(0, -2)}AA`].join("."))).toBeNull();
    expect(keys.decrypt("not sealed")).toBeNull();
  });

  it.each([
    ["the session's own token", (id: string) => keys.csrfToken(id), true],
    ["another session's token", () => keys.csrfToken("session-b"), false],
    ["another key's token", (id: string) => other.csrfToken(id), false],
    ["an empty token", () => "", false],
    ["no token", () => undefined, false],
    ["a File", () => new File([], "x"), false],
  ])("accepts as CSRF token %s: %s", (_, given, accepted) => {
    expect(keys.csrfMatches("session-a", given("session-a"))).toBe(accepted);
  });

  it("derives distinct keys for cookies, CSRF and tokens, stable for one secret", () => {
    expect(new SessionKeys("secret-one").cookieSecret).toBe(keys.cookieSecret);
    expect(keys.cookieSecret).not.toBe(other.cookieSecret);
    expect(keys.csrfToken("x")).not.toBe(keys.cookieSecret);
    expect(tokenHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});
