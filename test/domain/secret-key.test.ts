import { describe, expect, it } from "vitest";
import { KEY_PURPOSES, parseSecretKey, SecretKey } from "../../src/domain/secret-key.js";

const BYTES = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));

describe("parseSecretKey", () => {
  it.each([
    ["hex", BYTES.toString("hex")],
    ["upper-case hex", BYTES.toString("hex").toUpperCase()],
    ["base64", BYTES.toString("base64")],
    ["base64url", BYTES.toString("base64url")],
    ["base64 with a trailing newline", `${BYTES.toString("base64")}\n`],
  ])("reads %s", (_, text) => {
    expect(parseSecretKey(text).equals(BYTES)).toBe(true);
  });

  it("reads more than 32 bytes", () => {
    expect(parseSecretKey(Buffer.alloc(48, 9).toString("base64"))).toHaveLength(48);
  });

  it.each([
    ["16 bytes of hex", Buffer.alloc(16, 1).toString("hex"), "must be at least 32 random bytes (got 16)"],
    ["31 bytes of base64", Buffer.alloc(31, 1).toString("base64"), "must be at least 32 random bytes (got 31)"],
    ["a passphrase", "correct horse battery staple", "must be hex or base64"],
    ["a short word", "secret", "must be at least 32 random bytes (got 4)"],
  ])("refuses %s, saying why", (_, text, message) => {
    expect(() => parseSecretKey(text)).toThrow(message);
  });
});

describe("SecretKey.deriveKey", () => {
  const key = new SecretKey(BYTES, "environment");

  it("gives each purpose its own 32-byte key, the same for the same root key", () => {
    const derived = KEY_PURPOSES.map((purpose) => key.deriveKey(purpose).toString("hex"));
    expect(new Set(derived).size).toBe(KEY_PURPOSES.length);
    for (const hex of derived) expect(hex).toHaveLength(64);
    expect(new SecretKey(Buffer.from(BYTES), "database").deriveKey("csrf").equals(key.deriveKey("csrf"))).toBe(true);
  });

  it("gives another root key other keys, and never the root itself", () => {
    const other = new SecretKey(Buffer.alloc(32, 1), "environment");
    for (const purpose of KEY_PURPOSES) {
      expect(other.deriveKey(purpose).equals(key.deriveKey(purpose))).toBe(false);
      expect(key.deriveKey(purpose).equals(BYTES)).toBe(false);
    }
  });
});
