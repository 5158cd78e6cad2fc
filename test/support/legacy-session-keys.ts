import { createCipheriv, hkdfSync, randomBytes } from "node:crypto";

/** The dashboard's keys as closeloop derived them from its stored secret before CLOSELOOP_SECRET_KEY. */
function oldKey(stored: string, use: "cookie" | "token"): Buffer {
  return Buffer.from(hkdfSync("sha256", stored, "closeloop", use, 32));
}

export function oldCookieSecret(stored: string): string {
  return oldKey(stored, "cookie").toString("base64url");
}

/** A user token sealed as before CLOSELOOP_SECRET_KEY: AES-256-GCM, iv.tag.ciphertext in base64url. */
export function sealedWithOldKey(stored: string, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", oldKey(stored, "token"), iv);
  const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((part) => part.toString("base64url")).join(".");
}
