import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { enabledProviders } from "../src/providers/registry.js";
import { enabledSidebars } from "../src/sidebar/registry.js";
import { sidebarApp } from "../src/sidebar/routes.js";
import { SidebarTokens } from "../src/sidebar/tokens.js";
import type { DatabaseHandle } from "../src/store/database.js";

// P7 (README Development): a Zendesk sidebar load over P4's seed (100,000 issues, 1,000,000 live links): the page ZAF
// posts (its RS256 JWT verified, a sidebar token minted), then the panel's GET /closeloop/sidebar/api/links for one
// ticket (its links, their issues, labels, counts, closes and reopen jobs). Both requests go through the sidebar's
// Hono app in this process: server time without sockets. Zendesk is the costliest proof (an RSA signature); the
// repository's reopen rules come from the config cache in service, so a constant stands in for it here.
export const P7_MS = 100;

export interface SidebarLoadFigures {
  p50Ms: number;
  p95Ms: number;
  /** the two halves' medians: the page (the proof verified, a token minted) and the panel's links */
  pageP50Ms: number;
  panelP50Ms: number;
  loads: number;
  /** links the loaded panels listed, in all */
  linksShown: number;
}

/** Times `loads` sidebar loads (after 10 warm-up ones) of tickets picked across the seeded conversations. */
export async function benchSidebarLoad(
  database: DatabaseHandle,
  conversations: number,
  loads: number,
): Promise<SidebarLoadFigures> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const env = {
    ZENDESK_SUBDOMAIN: "acme",
    ZENDESK_EMAIL: "bench@example.com",
    ZENDESK_API_TOKEN: "bench",
    // Never called: reading a panel asks Zendesk nothing (only a write checks the ticket).
    ZENDESK_API_URL: "http://127.0.0.1:9",
    ZENDESK_APP_PUBLIC_KEY: await exportSPKI(publicKey),
  };
  const providers = enabledProviders(env);
  const app = sidebarApp({
    prisma: database.prisma,
    repositoryRows: database.repositoryRows,
    github: {
      app: () => Promise.reject(new Error("a sidebar load calls no GitHub API")),
      installation: () => Promise.reject(new Error("a sidebar load calls no GitHub API")),
    },
    githubUrl: "https://github.com",
    githubHost: "github.com",
    repositories: null,
    checkConversation: async () => {},
    reopenRules: async () => ({ on: ["completed", "not_planned"], by: "triage" }),
    canReopen: (helpdesk) => providers.has(helpdesk),
    labelsWanted: () => {},
    log: { info: () => {}, warn: () => {} },
    sidebars: enabledSidebars(env, providers),
    tokens: new SidebarTokens("bench-sidebar-key"),
  });
  const jwts = await Promise.all(
    Array.from({ length: loads + 10 }, () =>
      new SignJWT({})
        .setProtectedHeader({ alg: "RS256", typ: "JWT" })
        .setIssuer("acme.zendesk.com")
        .setAudience("https://acme.zendesk.com/api/v2/apps/installations/1.json")
        .setSubject("7001")
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(privateKey),
    ),
  );
  const times: number[] = [];
  const pageTimes: number[] = [];
  const panelTimes: number[] = [];
  let linksShown = 0;
  for (let load = 0; load < loads + 10; load++) {
    // The seed's conversation ids are 0 … links − 1 (Zendesk has no ticket 0); spread the loads over them.
    const ticket = String(1 + ((load * 7_919) % (conversations - 1)));
    const started = performance.now();
    const page = await app.request("/closeloop/sidebar/zendesk", {
      method: "POST",
      body: new URLSearchParams({ token: jwts[load]! }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    const token = /data-token="([^"]+)"/.exec(await page.text())?.[1];
    if (page.status !== 200 || !token) throw new Error(`P7: the Zendesk page answered ${page.status} without a token`);
    const paged = performance.now();
    const panel = await app.request(`/closeloop/sidebar/api/links?helpdesk=zendesk&conversation=${ticket}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await panel.json()) as { links?: unknown[]; error?: string };
    if (panel.status !== 200 || !body.links)
      throw new Error(`P7: the panel answered ${panel.status}: ${body.error ?? "no links"}`);
    if (load >= 10) {
      const ended = performance.now();
      times.push(ended - started);
      pageTimes.push(paged - started);
      panelTimes.push(ended - paged);
      linksShown += body.links.length;
    }
  }
  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  };
  return {
    p50Ms: percentile(times, 0.5),
    p95Ms: percentile(times, 0.95),
    pageP50Ms: percentile(pageTimes, 0.5),
    panelP50Ms: percentile(panelTimes, 0.5),
    loads,
    linksShown,
  };
}
