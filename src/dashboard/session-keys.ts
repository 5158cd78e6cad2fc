import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/** The Secret row the dashboard's keys derive from (src/store/secrets.ts): every replica signs and reads the same cookies. */
export const DASHBOARD_SESSION_KEY = "dashboard-session";

/**
 * The dashboard's keys, each derived (HKDF-SHA256) from the one stored secret for its own use: signing cookies,
 * CSRF tokens, and encrypting the user tokens kept in DashboardSession.
 */
export class SessionKeys {
  readonly cookieSecret: string;
  readonly #csrf: Buffer;
  readonly #token: Buffer;

  constructor(secret: string) {
    const derive = (use: string) => Buffer.from(hkdfSync("sha256", secret, "closeloop", use, 32));
    this.cookieSecret = derive("cookie").toString("base64url");
    this.#csrf = derive("csrf");
    this.#token = derive("token");
  }

  /** The CSRF token of a session: tied to it, so a token from another session (or a made-up one) is refused. */
  csrfToken(sessionId: string): string {
    return createHmac("sha256", this.#csrf).update(sessionId).digest("base64url");
  }

  csrfMatches(sessionId: string, given: unknown): boolean {
    if (typeof given !== "string") return false;
    const expected = Buffer.from(this.csrfToken(sessionId));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /** AES-256-GCM: iv.tag.ciphertext, base64url. */
  encrypt(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#token, iv);
    const sealed = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return [iv, cipher.getAuthTag(), sealed].map((part) => part.toString("base64url")).join(".");
  }

  /** null when the text was not sealed with this key (another database's, or altered). */
  decrypt(sealed: string): string | null {
    const [iv, tag, data] = sealed.split(".").map((part) => Buffer.from(part, "base64url"));
    if (!iv || !tag || !data) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#token, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
    } catch {
      return null;
    }
  }
}

/** A new random token for a cookie or an OAuth state. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** How a token is stored and looked up: its SHA-256, so the table alone does not hold live tokens. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
