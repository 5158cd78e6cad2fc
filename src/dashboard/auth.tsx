import { Octokit } from "@octokit/rest";
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from "@octokit/oauth-methods";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { Logger } from "probot";
import { githubStatus } from "../github/errors.js";
import type { Prisma } from "../store/database.js";
import {
  deleteSession,
  findSession,
  recordSession,
  recordSignIn,
  resealSession,
  takeSignIn,
} from "../store/dashboard-sessions.js";
import { QUIET, TokenRefused, type ReadableRepositories, type RepositoryAccess } from "./access.js";
import { randomToken, tokenHash, type SessionKeys } from "./session-keys.js";
import { MessagePage } from "./views/layout.js";

export const SESSION_COOKIE = "closeloop_session";
export const SIGN_IN_COOKIE = "closeloop_sign_in";
/** A GitHub App's user token lives 8 hours (when token expiry is on, GitHub's default): a session no longer. */
export const SESSION_MS = 8 * 3_600_000;
const SIGN_IN_MS = 10 * 60_000;
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
  /** CLOSELOOP_ADMINS */
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
  admin: boolean;
  /** the CSRF token every POST of this session carries */
  csrf: string;
  readable: ReadableRepositories;
}

export type DashboardEnv = { Variables: { viewer: Viewer } };

function cookieOptions(deps: DashboardDeps, path: string, maxAgeMs: number) {
  return {
    path,
    httpOnly: true,
    sameSite: "Lax" as const,
    secure: deps.publicUrl.startsWith("https://"),
    maxAge: Math.floor(maxAgeMs / 1000),
  };
}

/** A path inside the dashboard to return to after signing in; anything else (another site, `//host`, `\\host`) is the impact page. */
export function returnPath(given: string | undefined): string {
  // Printable ASCII without a backslash: what a browser sends as a path and query, and nothing a Location header chokes on.
  return given !== undefined && /^\/closeloop\/[!-[\]-~]*$/.test(given) ? given : "/closeloop/";
}

/**
 * GET /auth/login, GET /auth/callback, POST /auth/logout, GET /auth/signed-out. The OAuth `state` is random, sent to
 * GitHub and kept twice: in a signed cookie of the browser that started the sign-in (so a callback carried to another
 * browser is refused) and as a DashboardSignIn row taken once (so a replayed callback is refused, on any replica).
 */
export function signInRoutes(deps: DashboardDeps): Hono<DashboardEnv> {
  const routes = new Hono<DashboardEnv>();
  const now = () => deps.now?.() ?? new Date();
  const request = new Octokit({ baseUrl: deps.apiUrl, log: QUIET }).request;
  const redirectUrl = `${deps.publicUrl}${CALLBACK_PATH}`;

  routes.get("/login", async (c) => {
    const state = randomToken();
    await recordSignIn(
      deps.prisma,
      {
        id: tokenHash(state),
        returnTo: returnPath(c.req.query("return")),
        expiresAt: new Date(now().getTime() + SIGN_IN_MS),
      },
      now(),
    );
    await setSignedCookie(
      c,
      SIGN_IN_COOKIE,
      state,
      deps.keys.cookieSecret,
      cookieOptions(deps, "/closeloop/auth", SIGN_IN_MS),
    );
    const { url } = getWebFlowAuthorizationUrl({
      clientType: "github-app",
      clientId: deps.client.clientId,
      redirectUrl,
      state,
      request,
    });
    return c.redirect(url, 302);
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
    const started = await getSignedCookie(c, deps.keys.cookieSecret, SIGN_IN_COOKIE);
    deleteCookie(c, SIGN_IN_COOKIE, { path: "/closeloop/auth" });
    if (error !== undefined)
      return refuse(
        400,
        "Not signed in",
        `GitHub did not sign you in${/^[a-z_]{1,40}$/.test(error) ? ` (${error})` : ""}.`,
      );
    if (!code || !state || typeof started !== "string" || started !== state) {
      deps.log.warn("dashboard: sign-in refused: its state is missing or not the one this browser started");
      return refuse(
        400,
        "Sign-in refused",
        "This sign-in was not started in this browser, or its state is missing. Start again from the sign-in link.",
      );
    }
    const signIn = await takeSignIn(deps.prisma, tokenHash(state), now());
    if (signIn === null) {
      deps.log.warn("dashboard: sign-in refused: its state expired or was already used");
      return refuse(
        400,
        "Sign-in refused",
        "This sign-in has expired or was already used. Start again from the sign-in link.",
      );
    }
    let token: string;
    let expiresAt: Date;
    let user: { login: string; id: number };
    try {
      const { authentication } = await exchangeWebFlowCode({
        clientType: "github-app",
        clientId: deps.client.clientId,
        clientSecret: deps.client.clientSecret,
        code,
        redirectUrl,
        request,
      });
      token = authentication.token;
      const tokenExpiry =
        "expiresAt" in authentication && authentication.expiresAt
          ? new Date(authentication.expiresAt).getTime()
          : Infinity;
      expiresAt = new Date(Math.min(now().getTime() + SESSION_MS, tokenExpiry));
      user = (await new Octokit({ auth: token, baseUrl: deps.apiUrl, log: QUIET }).rest.users.getAuthenticated()).data;
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
    deleteCookie(c, SESSION_COOKIE, { path: "/closeloop" });
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

/** The session of the request's cookie, and its cookie's token when the old key signed it (to sign it again). */
async function currentSession(c: Context, deps: DashboardDeps, now: Date) {
  const token = await getSignedCookie(c, deps.keys.cookieSecret, SESSION_COOKIE);
  if (typeof token === "string") return findSession(deps.prisma, tokenHash(token), now);
  const legacySecret = deps.keys.legacyCookieSecret;
  const legacy = legacySecret === null ? false : await getSignedCookie(c, legacySecret, SESSION_COOKIE);
  if (typeof legacy !== "string") return null;
  const session = await findSession(deps.prisma, tokenHash(legacy), now);
  return session === null ? null : { ...session, legacyCookie: legacy };
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
      deleteCookie(c, SESSION_COOKIE, { path: "/closeloop" });
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
    if ("legacyCookie" in session)
      await setSignedCookie(
        c,
        SESSION_COOKIE,
        session.legacyCookie,
        deps.keys.cookieSecret,
        cookieOptions(deps, "/closeloop", session.expiresAt.getTime() - now.getTime()),
      );
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
      admin: deps.admins.some((admin) => admin.toLowerCase() === session.login.toLowerCase()),
      csrf: deps.keys.csrfToken(session.id),
      readable,
    };
    if (c.req.method === "POST" && !deps.keys.csrfMatches(session.id, (await c.req.parseBody())._csrf))
      return csrfRefused(c);
    c.set("viewer", viewer);
    await next();
  };
}
