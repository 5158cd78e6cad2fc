import { describe, expect, it } from "vitest";
import { returnPath } from "../../src/dashboard/auth.js";

describe("returnPath", () => {
  it.each([
    ["/closeloop/issues/a/b/1?x=1", "/closeloop/issues/a/b/1?x=1"],
    ["/closeloop/", "/closeloop/"],
    [undefined, "/closeloop/"],
    ["https://evil.example/closeloop/", "/closeloop/"],
    ["//evil.example/closeloop/", "/closeloop/"],
    ["/closeloop/\\evil", "/closeloop/"],
    ["/closeloop/\r\nSet-Cookie: x=1", "/closeloop/"],
    ["/closeloop/ a", "/closeloop/"],
    ["/other", "/closeloop/"],
  ])("%j → %s", (given, expected) => {
    expect(returnPath(given)).toBe(expected);
  });
});
