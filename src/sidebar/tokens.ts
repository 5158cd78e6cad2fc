import { createHmac, timingSafeEqual } from "node:crypto";
import type { ProviderId } from "../domain/link.js";

/** How long a panel may act after the helpdesk's proof checked out; then the rep reloads the conversation. */
export const SIDEBAR_TOKEN_SECONDS = 3600;

/** What a sidebar token vouches for: minted only after the helpdesk's own proof was checked. */
export interface SidebarClaims {
  helpdesk: ProviderId;
  /** the helpdesk account the proof named (Intercom workspace, Zendesk subdomain, Freshdesk domain), "" when none */
  account: string;
  /** the conversation the proof covered (Intercom, Help Scout); absent when the page reads it from the vendor's SDK */
  conversation?: string;
  /** who is signed in to the helpdesk, as the helpdesk named them: "Reported via <helpdesk> by <rep>" */
  rep: string;
  /** unix seconds */
  expiresAt: number;
}

/**
 * Short-lived bearer tokens for the sidebar pages (no cookies: the pages are third-party iframes). A token is
 * `<payload>.<HMAC-SHA256>`, both base64url; the key is derived from CLOSELOOP_SECRET_KEY for this use alone (`sidebar-tokens`), so only this deployment can mint one.
 */
export class SidebarTokens {
  readonly #key: Buffer;

  constructor(key: Buffer | string) {
    this.#key = Buffer.isBuffer(key) ? key : Buffer.from(key);
  }

  mint(claims: Omit<SidebarClaims, "expiresAt">, now: Date): string {
    const full: SidebarClaims = { ...claims, expiresAt: Math.floor(now.getTime() / 1000) + SIDEBAR_TOKEN_SECONDS };
    const payload = Buffer.from(JSON.stringify(full)).toString("base64url");
    return `${payload}.${this.#sign(payload)}`;
  }

  /** The claims, or why the token is refused. */
  verify(token: string, now: Date): SidebarClaims | { refused: string } {
    const [payload, signature, extra] = token.split(".");
    if (!payload || !signature || extra !== undefined) return { refused: "not a sidebar token" };
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { refused: "the sidebar token's signature does not match" };
    let claims: SidebarClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as SidebarClaims;
    } catch {
      return { refused: "not a sidebar token" };
    }
    if (typeof claims.expiresAt !== "number" || claims.expiresAt * 1000 <= now.getTime())
      return { refused: "the sidebar token has expired: reload the conversation to open the panel again" };
    return claims;
  }

  #sign(payload: string): string {
    return createHmac("sha256", this.#key).update(payload).digest("base64url");
  }
}

/** Compares a secret the request carries with ours in constant time (for equal lengths). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
