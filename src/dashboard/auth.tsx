import { exchangeSignInCode, readTokenUser, signInUrl } from "../github/user-token.js";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { Logger } from "probot";
import { githubStatus } from "../github/errors.js";
import type { Prisma } from "../store/database.js";
import { deleteSession, findSession, recordSession, resealSession } from "../store/dashboard-sessions.js";
import { adminPin, isAdmin } from "./admins.js";
import { TokenRefused, type ReadableRepositories, type RepositoryAccess } from "./access.js";
import { randomToken, tokenHash, type SessionKeys } from "./session-keys.js";
import { codeChallenge, readSignIn, SIGN_IN_MS, startSignIn, writeSignIn } from "./sign-in.js";
import { MessagePage } from "./views/layout.js";

export const SESSION_COOKIE = "closeloop_session";
export const SIGN_IN_COOKIE = "closeloop_sign_in";
/** A GitHub App's user token lives 8 hours (when token expiry is on, GitHub's default): a session no longer. */
export const SESSION_MS = 8 * 3_600_000;
export const CALLBACK_PATH = "/closeloop/auth/callback";

/** What the dashboard's routes need. */
export interface DashboardDeps {
  prisma: Prisma;
  /** the GitHub App's OAuth client */
  client: { clientId: string; clientSecret: string };
  /** CLOSELOOP_PUBLIC_URL: the callback GitHub sends people back to is `${publicUrl}/closeloop/auth/callback` */
  publicUrl: string;
  /** GitHub's REST API base (GHE_HOST aware); its web flow is at the same host without /api/v3 */
  apiUrl: string;
  /** CLOSELOOP_ADMINS: user ids (digits) and logins (pinned to the first account that signs in with them) */
  admins: readonly string[];
  keys: SessionKeys;
  access: RepositoryAccess;
  log: Pick<Logger, "info" | "warn" | "error">;
  now?: () => Date;
}

/** The signed-in person a request is for, with what GitHub says they can read. */
export interface Viewer {
  sessionId: string;
  login: string;
  /** the person's GitHub account id: what their API tokens are tied to (logins can be renamed and taken) */
  userId: bigint;
  admin: boolean;
  /** the CSRF token every POST of this session carries */
  csrf: string;
  readable: ReadableRepositories;
}

export type DashboardEnv = { Variables: { viewer: Viewer } };

/**
 * Behind https the cookies are `__Host-` cookies (Secure, Path=/, no Domain): a sibling subdomain or a plain-http page
 * of the same host cannot set or overwrite them. Over plain http (a laptop's localhost) browsers refuse that prefix, so
 * they keep their plain names and narrower paths.
 */
function cookiePrefix(deps: DashboardDeps): "host" | undefined {
  return deps.publicUrl.startsWith("https://") ? "host" : undefined;
}

function cookieOptions(deps: DashboardDeps, path: string, maxAgeMs: number) {
  const prefix = cookiePrefix(deps);
  return {
    path,
    httpOnly: true,
    sameSite: "Lax" as const,
    secure: prefix === "host",
    maxAge: Math.floor(maxAgeMs / 1000),
    ...(prefix ? { prefix } : {}),
  };
}

function deleteCookies(c: Context, deps: DashboardDeps, name: string, path: string) {
  const prefix = cookiePrefix(deps);
  if (prefix) deleteCookie(c, name, { path, prefix, secure: true });
  deleteCookie(c, name, { path, ...(prefix ? { secure: true } : {}) });
}

/** A path inside the dashboard to return to after signing in; anything else (another site, `//host`, `\\host`) is the impact page. */
export function returnPath(given: string | undefined): string {
  // Printable ASCII without a backslash: what a browser sends as a path and query, and nothing a Location header chokes on.
  return given !== undefined && /^\/closeloop\/[!-[\]-~]*$/.test(given) ? given : "/closeloop/";
}

/**
 * GET /auth/login, GET /auth/callback, POST /auth/logout, GET /auth/signed-out. The OAuth `state` and the PKCE verifier
 * are random and kept only in a signed cookie of the browser that started the sign-in (`sign-in.ts`): a callback
 * carried to another browser, or after 10 minutes, is refused, and nothing is written before GitHub answers. A replayed
 * callback is refused by GitHub, which takes a code once; the cookie is deleted by the first callback anyway.
 */
export function signInRoutes(deps: DashboardDeps): Hono<DashboardEnv> {
  const routes = new Hono<DashboardEnv>();
  const now = () => deps.now?.() ?? new Date();
  const redirectUrl = `${deps.publicUrl}${CALLBACK_PATH}`;

  routes.get("/login", async (c) => {
    const signIn = startSignIn(returnPath(c.req.query("return")), now());
    await setSignedCookie(
      c,
      SIGN_IN_COOKIE,
      writeSignIn(signIn),
      deps.keys.cookieSecret,
      cookieOptions(deps, "/closeloop/auth", SIGN_IN_MS),
    );
    // PKCE: GitHub accepts it for GitHub Apps' web flow, S256 only (github.blog changelog, 2025-07-14).
    const authorize = signInUrl(deps.apiUrl, deps.client.clientId, redirectUrl, signIn.state);
    authorize.searchParams.set("code_challenge", codeChallenge(signIn.verifier));
    authorize.searchParams.set("code_challenge_method", "S256");
    return c.redirect(authorize.href, 302);
  });

  routes.get("/callback", async (c) => {
    const refuse = (status: 400 | 502, title: string, why: string) =>
      c.html(
        <MessagePage title={title} viewer={null}>
          <p>{why}</p>
          <p>
            <a href="/closeloop/auth/login">Sign in again</a>
          </p>
        </MessagePage>,
        status,
      );
    const { code, state, error } = c.req.query();
    const cookie = await getSignedCookie(c, deps.keys.cookieSecret, SIGN_IN_COOKIE, cookiePrefix(deps));
    deleteCookies(c, deps, SIGN_IN_COOKIE, "/closeloop/auth");
    if (error !== undefined)
      return refuse(
        400,
        "Not signed in",
        `GitHub did not sign you in${/^[a-z_]{1,40}$/.test(error) ? ` (${error})` : ""}.`,
      );
    if (!code || !state || typeof cookie !== "string") {
      deps.log.warn("dashboard: sign-in refused: its state is missing or this browser did not start it");
      return refuse(
        400,
        "Sign-in refused",
        "This sign-in was not started in this browser, or its state is missing. Start again from the sign-in link.",
      );
    }
    const signIn = readSignIn(cookie, now());
    if (signIn === null) {
      deps.log.warn("dashboard: sign-in refused: it expired");
      return refuse(400, "Sign-in refused", "This sign-in has expired. Start again from the sign-in link.");
    }
    if (signIn.state !== state) {
      deps.log.warn("dashboard: sign-in refused: its state is not the one this browser started");
      return refuse(
        400,
        "Sign-in refused",
        "This sign-in was not started in this browser, or its state is missing. Start again from the sign-in link.",
      );
    }
    let token: string;
    let expiresAt: Date;
    let user: { login: string; id: number };
    try {
      const exchanged = await exchangeSignInCode(deps.apiUrl, deps.client, {
        code,
        redirectUrl,
        verifier: signIn.verifier,
      });
      token = exchanged.token;
      expiresAt = new Date(Math.min(now().getTime() + SESSION_MS, exchanged.expiresAt ?? Infinity));
      user = await readTokenUser(deps.apiUrl, token);
    } catch (failure) {
      const status = githubStatus(failure);
      deps.log.warn(`dashboard: sign-in failed: GitHub answered ${status ?? "nothing"} to the code exchange or /user`);
      if (status === 400 || status === 401)
        return refuse(
          400,
          "Sign-in refused",
          "GitHub did not accept the sign-in code: it expired or was already used. Start again from the sign-in link.",
        );
      return refuse(502, "GitHub did not answer", "GitHub did not complete the sign-in. Try again in a moment.");
    }
    const session = randomToken();
    await recordSession(
      deps.prisma,
      {
        id: tokenHash(session),
        login: user.login,
        userId: BigInt(user.id),
        token: deps.keys.encrypt(token),
        createdAt: now(),
        expiresAt,
      },
      now(),
    );
    await setSignedCookie(
      c,
      SESSION_COOKIE,
      session,
      deps.keys.cookieSecret,
      cookieOptions(deps, "/closeloop", expiresAt.getTime() - now().getTime()),
    );
    deps.log.info(`dashboard: ${user.login} signed in`);
    const pinned = await adminPin(deps.prisma, deps.admins, { login: user.login, userId: BigInt(user.id) }, now());
    if (pinned !== null && pinned !== BigInt(user.id))
      deps.log.warn(
        `dashboard: ${user.login} (GitHub user id ${user.id}) is not an admin: CLOSELOOP_ADMINS' login "${user.login}" is pinned to user id ${pinned}, the account that first signed in with it (renamed or recycled login); list the new account by its id to make it an admin`,
      );
    return c.redirect(signIn.returnTo, 303);
  });

  routes.post("/logout", async (c) => {
    const session = await currentSession(c, deps, now());
    if (session !== null) {
      const form = await c.req.parseBody();
      if (!deps.keys.csrfMatches(session.id, form._csrf)) return csrfRefused(c);
      const token = deps.keys.decrypt(session.token);
      if (token !== null) deps.access.forget(token);
      await deleteSession(deps.prisma, session.id);
    }
    deleteCookies(c, deps, SESSION_COOKIE, "/closeloop");
    return c.redirect("/closeloop/auth/signed-out", 303);
  });

  routes.get("/signed-out", (c) =>
    c.html(
      <MessagePage title="Signed out" viewer={null}>
        <p>You are signed out of closeloop.</p>
        <p>
          <a href="/closeloop/auth/login">Sign in with GitHub</a>
        </p>
      </MessagePage>,
    ),
  );
  return routes;
}

/**
 * The session of the request's cookie, and its cookie's token when the cookie is not as this version sets it (to set it
 * again): signed with the old key, or under its plain name when it is a `__Host-` cookie now (a session from before
 * the prefix is read once, moved to the new name, and not dropped).
 */
async function currentSession(c: Context, deps: DashboardDeps, now: Date) {
  const prefix = cookiePrefix(deps);
  const secrets = [deps.keys.cookieSecret, deps.keys.legacyCookieSecret].filter((secret) => secret !== null);
  const names = prefix ? [prefix, undefined] : [undefined];
  for (const name of names)
    for (const secret of secrets) {
      const token = await getSignedCookie(c, secret, SESSION_COOKIE, name);
      if (typeof token !== "string") continue;
      const session = await findSession(deps.prisma, tokenHash(token), now);
      if (session === null || (name === prefix && secret === deps.keys.cookieSecret)) return session;
      return { ...session, outdatedCookie: token, plainName: name !== prefix };
    }
  return null;
}

export function csrfRefused(c: Context) {
  return c.html(
    <MessagePage title="Request refused" viewer={null}>
      <p>
        This form was not sent from your current closeloop session (its CSRF token is missing or wrong). Go back, reload
        the page and try again.
      </p>
    </MessagePage>,
    403,
  );
}

/**
 * Every page other than sign-in: the session from its signed cookie, the repositories GitHub says its person can read,
 * and for a POST the session's CSRF token. Without a live session a page redirects to sign-in (and back), and the
 * JSON API and CSV answer 401; a token GitHub refuses ends the session the same way.
 */
export function requireViewer(deps: DashboardDeps): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const now = deps.now?.() ?? new Date();
    const session = await currentSession(c, deps, now);
    const signIn = () => {
      deleteCookies(c, deps, SESSION_COOKIE, "/closeloop");
      if (c.req.path.startsWith("/closeloop/api/") || c.req.query("format") !== undefined)
        return c.json({ error: "sign in first: /closeloop/auth/login" }, 401);
      const url = new URL(c.req.url);
      return c.redirect(
        `/closeloop/auth/login?return=${encodeURIComponent(c.req.method === "GET" ? url.pathname + url.search : "/closeloop/")}`,
        302,
      );
    };
    if (session === null) return signIn();
    const opened = deps.keys.open(session.token);
    if (opened === null) {
      await deleteSession(deps.prisma, session.id);
      return signIn();
    }
    const token = opened.text;
    // A session from before CLOSELOOP_SECRET_KEY moves to the new key on its first use (README, Security).
    if (opened.legacy) await resealSession(deps.prisma, session.id, deps.keys.encrypt(token));
    if ("outdatedCookie" in session) {
      if (session.plainName) deleteCookie(c, SESSION_COOKIE, { path: "/closeloop", secure: true });
      await setSignedCookie(
        c,
        SESSION_COOKIE,
        session.outdatedCookie,
        deps.keys.cookieSecret,
        cookieOptions(deps, "/closeloop", session.expiresAt.getTime() - now.getTime()),
      );
    }
    let readable: ReadableRepositories;
    try {
      readable = await deps.access.readable(token);
    } catch (error) {
      if (error instanceof TokenRefused) {
        await deleteSession(deps.prisma, session.id);
        return signIn();
      }
      deps.log.error(
        `dashboard: cannot list ${session.login}'s repositories: GitHub answered ${githubStatus(error) ?? (error as Error).message}`,
      );
      return c.html(
        <MessagePage title="GitHub did not answer" viewer={null}>
          <p>closeloop could not ask GitHub which repositories you can read. Try again in a moment.</p>
        </MessagePage>,
        502,
      );
    }
    const viewer: Viewer = {
      sessionId: session.id,
      login: session.login,
      userId: session.userId,
      admin: await isAdmin(deps.prisma, deps.admins, session, now),
      csrf: deps.keys.csrfToken(session.id),
      readable,
    };
    if (c.req.method === "POST" && !deps.keys.csrfMatches(session.id, (await c.req.parseBody())._csrf))
      return csrfRefused(c);
    c.set("viewer", viewer);
    await next();
  };
}
