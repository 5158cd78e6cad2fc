import { randomBytes } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import {
  findLiveApiToken,
  markApiTokenUsed,
  recordApiToken,
  refreshApiTokenScope,
  revokeApiToken,
} from "../store/api-tokens.js";
import type { ReadableRepositories } from "./access.js";
import { isAdmin } from "./admins.js";
import type { DashboardDeps, DashboardEnv, Viewer } from "./auth.js";
import { ApiTokenCreatedPage } from "./views/api-tokens.js";

/**
 * Read-only API tokens for the dashboard's JSON and CSV views (README, Product teams). An admin makes one on the
 * operations page; it reads what its creator could read: the repositories GitHub listed for them when they made it,
 * replaced by GitHub's newer answer each time the dashboard asks again for that person (every few minutes while they
 * use it). Not the creator's user token: a GitHub App's user token dies after 8 hours, and a script's token must not.
 */

/** `clt_` and 32 random bytes: the prefix lets a secret scanner (and a person) tell what leaked. */
const TOKEN_PREFIX = "clt_";
const TOKEN_SHAPE = /^clt_[A-Za-z0-9_-]{43}$/;
const NAME_MAX = 100;

export function newApiToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** The token of an `Authorization: Bearer …` header; null when the request has none (it may carry a session cookie). */
export function bearerToken(c: Context): string | null {
  const header = c.req.header("authorization");
  const bearer = header === undefined ? null : /^Bearer +(\S*) *$/i.exec(header);
  return bearer ? bearer[1]! : null;
}

/** What a token may read: the ranking as JSON, and as CSV. No page, no form, no POST. */
function readsRanking(c: Context): boolean {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") return false;
  if (/^\/closeloop\/api\/issues\/?$/.test(c.req.path)) return true;
  // The impact page: Hono gives its path without the slash (`strict: false`).
  return /^\/closeloop\/?$/.test(c.req.path) && c.req.query("format") !== undefined;
}

/**
 * For a request with `Authorization: Bearer`: the viewer its token stands for, on the ranking's JSON and CSV only. A
 * malformed, unknown or revoked token, or one whose creator is no longer an admin, is 401 whatever the path; a good
 * token anywhere else is 403. Such a request never falls back to a session cookie.
 */
export function requireApiToken(deps: DashboardDeps): MiddlewareHandler<DashboardEnv> {
  return async (c, next) => {
    const refuse = (error: string) =>
      c.json({ error }, 401, { "www-authenticate": 'Bearer realm="closeloop", error="invalid_token"' });
    const token = bearerToken(c) ?? "";
    if (!TOKEN_SHAPE.test(token)) return refuse("malformed API token: expected clt_ and 43 characters");
    const found = await findLiveApiToken(deps.prisma, deps.keys.apiTokenHash(token));
    if (found === null) return refuse("unknown or revoked API token");
    // A token works while its creator is still an admin (by id, or by a login pinned to their id), as when they made it.
    if (
      !(await isAdmin(
        deps.prisma,
        deps.admins,
        { login: found.createdBy, userId: found.createdById },
        deps.now?.() ?? new Date(),
      ))
    )
      return refuse("this API token's creator is no longer one of CLOSELOOP_ADMINS");
    if (!readsRanking(c))
      return c.json({ error: "an API token reads only GET /closeloop/api/issues and GET /closeloop/?format=csv" }, 403);
    await markApiTokenUsed(deps.prisma, found.id, deps.now?.());
    const viewer: Viewer = {
      sessionId: `api-token:${found.id}`,
      login: found.createdBy,
      userId: found.createdById,
      admin: false,
      csrf: "",
      readable: { ids: new Set(found.repositoryIds) },
    };
    c.set("viewer", viewer);
    await next();
  };
}

/**
 * Keeps each person's tokens reading what GitHub last said they can read. RepositoryAccess answers from its cache with
 * the same object for a few minutes and a new one once it asked GitHub again, so a new object is a fresh answer: one
 * write per person per refresh, none per page.
 */
export class ApiTokenScopes {
  readonly #seen = new WeakSet<ReadableRepositories>();

  constructor(private readonly deps: Pick<DashboardDeps, "prisma">) {}

  async refresh(viewer: Viewer): Promise<void> {
    if (this.#seen.has(viewer.readable)) return;
    this.#seen.add(viewer.readable);
    await refreshApiTokenScope(this.deps.prisma, viewer.userId, viewer.readable.ids);
  }
}

/** POST /ops/tokens (`name`): makes a token reading what the admin reads now, and shows it this once. */
export async function createApiToken(c: Context<DashboardEnv>, deps: DashboardDeps): Promise<Response | string> {
  const viewer = c.get("viewer");
  const given = (await c.req.parseBody()).name;
  const name = typeof given === "string" ? given.trim() : "";
  if (name === "" || name.length > NAME_MAX || /[\p{Cc}]/u.test(name))
    return `name: give the token a name of 1 to ${NAME_MAX} characters (what it is for), without control characters`;
  const token = newApiToken();
  const id = await recordApiToken(
    deps.prisma,
    {
      hash: deps.keys.apiTokenHash(token),
      name,
      createdBy: viewer.login,
      createdById: viewer.userId,
      repositoryIds: viewer.readable.ids,
    },
    deps.now?.(),
  );
  deps.log.info(`dashboard: ${viewer.login} created API token ${id} (${JSON.stringify(name)})`);
  return c.html(<ApiTokenCreatedPage viewer={viewer} name={name} token={token} publicUrl={deps.publicUrl} />, 201);
}

/** POST /ops/tokens/revoke (`token`: its id): from then on the token is 401. */
export async function revokeApiTokenForm(c: Context<DashboardEnv>, deps: DashboardDeps): Promise<Response | string> {
  const id = (await c.req.parseBody()).token;
  if (typeof id !== "string" || !/^[1-9]\d{0,9}$/.test(id)) return "token: must be an API token's id";
  if (!(await revokeApiToken(deps.prisma, Number(id), deps.now?.())))
    return `token: there is no live API token ${id} (revoked already?)`;
  deps.log.info(`dashboard: ${c.get("viewer").login} revoked API token ${id}`);
  return c.redirect("/closeloop/ops#api-tokens", 303);
}
