import type { IncomingMessage, ServerResponse } from "node:http";
import { getRequestListener } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ProviderId } from "../domain/link.js";
import { PROVIDERS } from "../domain/link.js";
import { PAGE_ADAPTERS, PANEL_SCRIPT, PANEL_STYLESHEET } from "./assets.js";
import { sidebarPageCsp, sidebarPageHtml } from "./page.js";
import type { EnabledSidebar } from "./registry.js";
import { SidebarError, SidebarService, type SidebarServiceDeps } from "./service.js";
import type { SidebarClaims, SidebarTokens } from "./tokens.js";

export const SIDEBAR_PREFIX = "/closeloop/sidebar";
const BODY_LIMIT_BYTES = 64 * 1024;

export interface SidebarAppDeps extends SidebarServiceDeps {
  sidebars: ReadonlyMap<ProviderId, EnabledSidebar>;
  tokens: SidebarTokens;
  now?: () => Date;
}

/**
 * The sidebars (README, Sidebars) under /closeloop/sidebar/: each enabled helpdesk's own routes (a page its iframe
 * loads, or Intercom's canvas JSON), the panel's script and styles, and the JSON API the panels call with a short-lived
 * sidebar token (or Freshdesk's bearer secret). Nothing here sets or reads a cookie: the pages live in third-party
 * iframes.
 */
export function sidebarApp(deps: SidebarAppDeps): Hono {
  const app = new Hono({ strict: false }).basePath(SIDEBAR_PREFIX);
  const now = () => deps.now?.() ?? new Date();
  const service = new SidebarService(deps);

  app.use("*", async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
    c.header("x-content-type-options", "nosniff");
    // The pages' URLs carry proofs (Front's auth_secret, Help Scout's signature): they never leave in a Referer.
    c.header("referrer-policy", "no-referrer");
    if (!c.res.headers.has("content-security-policy"))
      c.header("content-security-policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
  });
  app.use(
    "*",
    bodyLimit({ maxSize: BODY_LIMIT_BYTES, onError: (c) => c.json({ error: "request body too large" }, 413) }),
  );
  app.onError((error, c) => {
    if (error instanceof SidebarError) return c.json({ error: error.message }, error.status);
    deps.log.warn({ err: error }, "sidebar: request failed");
    return c.json({ error: "closeloop could not answer; try again" }, 500);
  });

  const script = (body: string) => (c: Context) =>
    c.body(body, 200, { "content-type": "text/javascript; charset=utf-8" });
  app.get("/panel.js", script(PANEL_SCRIPT));
  app.get("/panel.css", (c) => c.body(PANEL_STYLESHEET, 200, { "content-type": "text/css; charset=utf-8" }));
  for (const [helpdesk, adapter] of Object.entries(PAGE_ADAPTERS)) app.get(`/${helpdesk}.js`, script(adapter));

  for (const { definition, settings } of deps.sidebars.values()) {
    definition.mount(app, {
      settings,
      service,
      tokens: deps.tokens,
      now,
      page: (c, page) => {
        c.header("content-security-policy", sidebarPageCsp(definition, definition.frameAncestors(settings)));
        return c.html(sidebarPageHtml(definition, page), page.status ?? 200);
      },
    });
  }

  // Who asks comes before what is asked: a request without a token is 401 whatever its body or query (README, HTTP).
  app.use("/api/*", async (c, next) => {
    bearerOf(c);
    await next();
  });

  /** The sidebar a request names, and what its bearer vouches for. */
  const authorize = (c: Context, helpdesk: unknown): { sidebar: EnabledSidebar; claims: SidebarClaims } => {
    if (typeof helpdesk !== "string" || !(PROVIDERS as readonly string[]).includes(helpdesk))
      throw new SidebarError(400, `helpdesk must be one of ${PROVIDERS.join(", ")}`);
    const sidebar = deps.sidebars.get(helpdesk as ProviderId);
    if (!sidebar) throw new SidebarError(404, `the ${helpdesk} sidebar is off: its secret is not set`);
    const bearer = bearerOf(c);
    const vouched = sidebar.definition.apiBearer?.(sidebar.settings, bearer);
    if (vouched) return { sidebar, claims: vouched };
    const claims = deps.tokens.verify(bearer, now());
    if ("refused" in claims) throw new SidebarError(401, claims.refused);
    return { sidebar, claims };
  };
  const body = async (c: Context): Promise<Record<string, unknown>> => {
    const parsed: unknown = await c.req.json().catch(() => null);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new SidebarError(400, "the body must be a JSON object");
    return parsed as Record<string, unknown>;
  };
  const text = (value: unknown, name: string): string => {
    if (typeof value !== "string") throw new SidebarError(400, `${name} is required`);
    return value;
  };

  app.get("/api/links", async (c) => {
    const { sidebar, claims } = authorize(c, c.req.query("helpdesk"));
    const link = service.conversation(sidebar.definition, claims, text(c.req.query("conversation"), "conversation"));
    return c.json(await service.panel(sidebar.definition, link));
  });
  app.post("/api/links", async (c) => {
    const input = await body(c);
    const { sidebar, claims } = authorize(c, input.helpdesk);
    const link = service.conversation(sidebar.definition, claims, text(input.conversation, "conversation"));
    return c.json(await service.link(sidebar.definition, claims, link, text(input.issue, "issue")));
  });
  app.delete("/api/links", async (c) => {
    const input = await body(c);
    const { sidebar, claims } = authorize(c, input.helpdesk);
    const link = service.conversation(sidebar.definition, claims, text(input.conversation, "conversation"));
    return c.json(await service.unlink(sidebar.definition, claims, link, text(input.issue, "issue")));
  });
  app.get("/api/issues", async (c) => {
    authorize(c, c.req.query("helpdesk") ?? tokenHelpdesk(c, deps.tokens, now()));
    return c.json(await service.search(c.req.query("q") ?? ""));
  });
  app.post("/api/issues", async (c) => {
    const input = await body(c);
    const { sidebar, claims } = authorize(c, input.helpdesk);
    const link = service.conversation(sidebar.definition, claims, text(input.conversation, "conversation"));
    const rep = typeof input.rep === "string" && input.rep.trim() !== "" ? input.rep.trim().slice(0, 100) : claims.rep;
    return c.json(
      await service.create(sidebar.definition, { ...claims, rep }, link, {
        repository: text(input.repository, "repository"),
        title: text(input.title, "title"),
        body: typeof input.body === "string" ? input.body : "",
      }),
      201,
    );
  });

  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}

/** A search names no conversation: the token's own helpdesk is the one asked about (Freshdesk's template names it). */
function tokenHelpdesk(c: Context, tokens: SidebarTokens, now: Date): string | undefined {
  const claims = tokens.verify(bearerOf(c), now);
  if ("refused" in claims) throw new SidebarError(401, claims.refused);
  return claims.helpdesk;
}

/** The request's `Authorization: Bearer` (a sidebar token, or Freshdesk's secret); 401 without one. */
function bearerOf(c: Context): string {
  const bearer = /^Bearer (\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1];
  if (!bearer) throw new SidebarError(401, "no sidebar token: open the panel from the helpdesk");
  return bearer;
}

/** The sidebars as a handler of Probot's server: /closeloop/sidebar and below, nothing else. */
export function sidebarHandler(app: Hono) {
  const listener = getRequestListener(app.fetch);
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const path = request.url?.split("?", 1)[0] ?? "";
    if (path !== SIDEBAR_PREFIX && !path.startsWith(`${SIDEBAR_PREFIX}/`)) return false;
    await listener(request, response);
    return true;
  };
}
