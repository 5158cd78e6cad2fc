import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import type { SecretKey } from "../domain/secret-key.js";
import type { Prisma } from "../store/database.js";
import { liveSessionTokens } from "../store/dashboard-sessions.js";
import { readLegacySessionKey, retireLegacySessionKey } from "../store/secrets.js";

/** One set of the dashboard's keys: signing cookies, CSRF tokens, encrypting the user tokens kept in DashboardSession. */
interface KeySet {
  cookieSecret: string;
  csrf: Buffer;
  token: Buffer;
}

/**
 * The dashboard's keys, derived from CLOSELOOP_SECRET_KEY (src/domain/secret-key.ts). A database made before that
 * variable also has its old key (a random secret in the Secret table): sessions sealed with it are still read, and
 * moved to the new key on their first use, until none is left and the old key is deleted (`openSessionKeys`).
 */
export class SessionKeys {
  readonly #current: KeySet;
  readonly #legacy: KeySet | null;
  readonly #apiTokens: Buffer;

  constructor(key: SecretKey, legacySecret: string | null = null) {
    this.#current = {
      cookieSecret: key.deriveKey("sessions").toString("base64url"),
      csrf: key.deriveKey("csrf"),
      token: key.deriveKey("user-tokens"),
    };
    this.#legacy = legacySecret === null ? null : legacyKeySet(legacySecret);
    this.#apiTokens = key.deriveKey("api-tokens");
  }

  /**
   * How an API token is stored and looked up: its HMAC-SHA256 under a key of its own, so neither the table nor a guess
   * checked against it offline reads anything. API tokens postdate the old key: only the current one hashes them.
   */
  apiTokenHash(token: string): string {
    return createHmac("sha256", this.#apiTokens).update(token).digest("hex");
  }

  get cookieSecret(): string {
    return this.#current.cookieSecret;
  }

  /** The old key's cookie secret, to read cookies signed before the move; null once it is retired. */
  get legacyCookieSecret(): string | null {
    return this.#legacy?.cookieSecret ?? null;
  }

  /** The CSRF token of a session: tied to it, so a token from another session (or a made-up one) is refused. */
  csrfToken(sessionId: string): string {
    return csrfOf(this.#current, sessionId);
  }

  csrfMatches(sessionId: string, given: unknown): boolean {
    if (typeof given !== "string") return false;
    const actual = Buffer.from(given);
    return this.#sets().some((set) => {
      const expected = Buffer.from(csrfOf(set, sessionId));
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    });
  }

  /** AES-256-GCM: iv.tag.ciphertext, base64url. */
  encrypt(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#current.token, iv);
    const sealed = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return [iv, cipher.getAuthTag(), sealed].map((part) => part.toString("base64url")).join(".");
  }

  /** null when the text was not sealed with these keys (another database's, or altered). */
  decrypt(sealed: string): string | null {
    return this.open(sealed)?.text ?? null;
  }

  /** The text, and whether it was sealed with the old key (then it should be sealed again with `encrypt`). */
  open(sealed: string): { text: string; legacy: boolean } | null {
    for (const set of this.#sets()) {
      const text = decryptWith(set.token, sealed);
      if (text !== null) return { text, legacy: set !== this.#current };
    }
    return null;
  }

  #sets(): KeySet[] {
    return this.#legacy === null ? [this.#current] : [this.#current, this.#legacy];
  }
}

/** The keys as closeloop derived them from the stored dashboard secret before CLOSELOOP_SECRET_KEY. */
function legacyKeySet(secret: string): KeySet {
  const derive = (use: string) => Buffer.from(hkdfSync("sha256", secret, "closeloop", use, 32));
  return { cookieSecret: derive("cookie").toString("base64url"), csrf: derive("csrf"), token: derive("token") };
}

function csrfOf(set: KeySet, sessionId: string): string {
  return createHmac("sha256", set.csrf).update(sessionId).digest("base64url");
}

function decryptWith(key: Buffer, sealed: string): string | null {
  const [iv, tag, data] = sealed.split(".").map((part) => Buffer.from(part, "base64url"));
  if (!iv || !tag || !data) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/**
 * The dashboard's keys at start. The old key is kept only while a live session still needs it (one whose token it
 * sealed); once every live session was moved to the new key, or ended, it is deleted from the database.
 */
export async function openSessionKeys(prisma: Prisma, key: SecretKey, now = new Date()): Promise<SessionKeys> {
  const legacy = await readLegacySessionKey(prisma);
  if (legacy === null) return new SessionKeys(key);
  const keys = new SessionKeys(key, legacy);
  const tokens = await liveSessionTokens(prisma, now);
  if (tokens.some((sealed) => keys.open(sealed)?.legacy === true)) return keys;
  await retireLegacySessionKey(prisma);
  return new SessionKeys(key);
}

/** A new random token for a cookie or an OAuth state. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** How a token is stored and looked up: its SHA-256, so the table alone does not hold live tokens. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
