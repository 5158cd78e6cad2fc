import { hkdfSync } from "node:crypto";

/**
 * What each key derived from CLOSELOOP_SECRET_KEY is for. One root key, and a key of its own per use (HKDF-SHA256 with
 * the purpose as its info), so a key that leaks through one use (a sidebar token's signature, say) says nothing of the
 * others, and adding a use never changes an existing one.
 */
export const KEY_PURPOSES = [
  "sessions",
  "csrf",
  "user-tokens",
  "customer-hash",
  "sidebar-tokens",
  "api-tokens",
] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** The fewest random bytes CLOSELOOP_SECRET_KEY may carry: HMAC-SHA256 and AES-256 keys are 32 bytes. */
export const SECRET_KEY_BYTES = 32;

/**
 * CLOSELOOP_SECRET_KEY's bytes: hex (only hex digits: 64 or more) or base64 / base64url (`openssl rand -base64 32`).
 * Throws with what is wrong, never with the value.
 */
export function parseSecretKey(text: string): Buffer {
  const given = text.trim();
  let bytes: Buffer;
  if (/^(?:[0-9a-f]{2})+$/i.test(given)) bytes = Buffer.from(given, "hex");
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(given)) bytes = Buffer.from(given, "base64");
  else throw new Error("must be hex or base64 (for example the output of `openssl rand -base64 32`)");
  if (bytes.length < SECRET_KEY_BYTES)
    throw new Error(
      `must be at least ${SECRET_KEY_BYTES} random bytes (got ${bytes.length}); make one with \`openssl rand -base64 32\``,
    );
  return bytes;
}

/** The root key and where it came from; the keys closeloop uses are derived from it, one per purpose. */
export class SecretKey {
  readonly #root: Buffer;

  constructor(
    root: Buffer,
    /** environment: CLOSELOOP_SECRET_KEY; database: generated and stored because it is unset */
    readonly source: "environment" | "database",
  ) {
    this.#root = root;
  }

  /** 32 bytes for `purpose`, the same on every replica and restart given the same root key. */
  deriveKey(purpose: KeyPurpose): Buffer {
    return Buffer.from(hkdfSync("sha256", this.#root, "closeloop", `closeloop ${purpose}`, 32));
  }
}
