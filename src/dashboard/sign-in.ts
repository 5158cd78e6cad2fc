import { createHash } from "node:crypto";
import { z } from "zod";
import { randomToken } from "./session-keys.js";

/** How long a sign-in may take, from the sign-in link to GitHub's callback. */
export const SIGN_IN_MS = 10 * 60_000;

/**
 * A sign-in under way, kept only in the browser that started it: in a short-lived, HttpOnly cookie signed with the
 * session key (HMAC-SHA256), so opening the sign-in page writes nothing to the database (README, Security). The state
 * goes to GitHub and must come back with the code; the PKCE verifier never leaves the browser's cookie and this
 * process, so a code that leaks (a log, a referrer, a proxy) cannot be exchanged by anyone else.
 */
export interface SignIn {
  /** the OAuth `state` sent to GitHub */
  state: string;
  /** the PKCE `code_verifier` (RFC 7636): 43 base64url characters from 32 random bytes */
  verifier: string;
  /** the dashboard path to go to once signed in */
  returnTo: string;
  expiresAt: number;
}

const SIGN_IN = z.object({
  state: z.string().min(1),
  verifier: z.string().min(43),
  returnTo: z.string(),
  expiresAt: z.number(),
});

export function startSignIn(returnTo: string, now: Date): SignIn {
  return { state: randomToken(), verifier: randomToken(), returnTo, expiresAt: now.getTime() + SIGN_IN_MS };
}

/** The cookie's value (it is signed when set). */
export function writeSignIn(signIn: SignIn): string {
  return Buffer.from(JSON.stringify(signIn)).toString("base64url");
}

/** The sign-in a cookie carries, or null when it is not one of ours or has expired (the cookie's own age aside). */
export function readSignIn(value: string, now: Date): SignIn | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const signIn = SIGN_IN.safeParse(parsed);
  return signIn.success && signIn.data.expiresAt > now.getTime() ? signIn.data : null;
}

/** PKCE's S256 `code_challenge`: base64url(SHA-256(verifier)), the only method GitHub accepts. */
export function codeChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}
