import { createHmac } from "node:crypto";
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import type { Hono } from "hono";
import type { Probot } from "probot";
import { readSidebarRepositories, type SidebarRepositories } from "../../src/domain/sidebar-input.js";
import { enabledProviders } from "../../src/providers/registry.js";
import { conversationChecker } from "../../src/sidebar/conversation-check.js";
import { enabledSidebars } from "../../src/sidebar/registry.js";
import { sidebarApp, type SidebarAppDeps } from "../../src/sidebar/routes.js";
import { SidebarTokens } from "../../src/sidebar/tokens.js";
import type { Database } from "../../src/store/database.js";

export const SECRETS = {
  INTERCOM_CLIENT_SECRET: "intercom-client-secret",
  INTERCOM_WORKSPACE_ID: "abc123",
  HELPSCOUT_SIDEBAR_SECRET: "helpscout-app-secret",
  FRONT_PLUGIN_SECRET: "front-plugin-auth-secret",
  FRESHDESK_SIDEBAR_SECRET: "freshdesk-sidebar-secret-0123456789",
};

/** A Zendesk app's key pair: Zendesk signs with the private half; closeloop is given the public one as PEM. */
export async function zendeskAppKeys(): Promise<{ privateKey: CryptoKey; pem: string }> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { privateKey, pem: await exportSPKI(publicKey) };
}

/** The token ZAF posts with signedUrls: RS256, issuer the account's host, audience its app installation. */
export async function zafToken(
  privateKey: CryptoKey,
  options: { subdomain?: string; expiresIn?: string | Date; agent?: string; issuedAt?: Date } = {},
): Promise<string> {
  const host = `${options.subdomain ?? "acme"}.zendesk.com`;
  const jwt = new SignJWT({ qsh: "x", context: { product: "support", location: "ticket_sidebar" } })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuer(host)
    .setAudience(`https://${host}/api/v2/apps/installations/42.json`)
    .setSubject(options.agent ?? "7001")
    .setIssuedAt(options.issuedAt ?? new Date())
    .setExpirationTime(options.expiresIn ?? "5m");
  return jwt.sign(privateKey);
}

/** Help Scout's callback URL query, signed as its docs describe. */
export function helpscoutQuery(params: Record<string, string>, secret = SECRETS.HELPSCOUT_SIDEBAR_SECRET): string {
  const signature = createHmac("sha1", secret).update(JSON.stringify(params)).digest("base64");
  return new URLSearchParams({ ...params, "X-HelpScout-Signature": signature }).toString();
}

/** A Canvas Kit request as Intercom sends it, with its X-Body-Signature. */
export function intercomRequest(body: unknown, secret = SECRETS.INTERCOM_CLIENT_SECRET): RequestInit {
  const raw = JSON.stringify(body);
  return {
    method: "POST",
    body: raw,
    headers: {
      "content-type": "application/json",
      "x-body-signature": createHmac("sha256", secret).update(raw).digest("hex"),
    },
  };
}

export interface SidebarHarness {
  app: Hono;
  tokens: SidebarTokens;
  wakes: () => number;
}

export function sidebarHarness(
  database: Database,
  env: Record<string, string>,
  probot: Probot,
  options: { now?: () => Date; repositories?: string; reopenRules?: SidebarAppDeps["reopenRules"] } = {},
): SidebarHarness {
  const providers = enabledProviders(env);
  const tokens = new SidebarTokens("a-test-sidebar-key");
  let wakes = 0;
  const repositories = readSidebarRepositories(options.repositories) as SidebarRepositories | null;
  const app = sidebarApp({
    prisma: database.prisma,
    repositoryRows: database.repositoryRows,
    github: { app: () => probot.auth(), installation: (id) => probot.auth(id) },
    githubUrl: "https://github.com",
    githubHost: "github.com",
    repositories,
    checkConversation: conversationChecker(providers),
    // The defaults of .github/closeloop.yml, unless a test reads the repository's file (reopenRulesReader).
    reopenRules: options.reopenRules ?? (async () => ({ on: ["completed", "not_planned"], by: "triage" })),
    canReopen: (helpdesk) => providers.has(helpdesk),
    labelsWanted: () => void wakes++,
    log: { info: () => {}, warn: () => {} },
    sidebars: enabledSidebars(env, providers),
    tokens,
    ...(options.now && { now: options.now }),
  });
  return { app, tokens, wakes: () => wakes };
}

/** The bearer a page was rendered with (data-token). */
export function pageToken(html: string): string | null {
  return /data-token="([^"]+)"/.exec(html)?.[1] ?? null;
}
