import { existsSync, readFileSync } from "node:fs";
import { importSPKI, jwtVerify, type CryptoKey } from "jose";
import type { SidebarDefinition } from "./sidebar.js";
import { SidebarConfigError } from "./sidebar.js";

interface ZendeskSidebarSettings {
  subdomain: string;
  publicKey: () => Promise<CryptoKey>;
}

/**
 * Zendesk: a ZAF ticket-sidebar app whose location is this page, with `signedUrls` on
 * (https://developer.zendesk.com/documentation/apps/build-an-app/building-a-server-side-app/part-5-secure-the-app/):
 * Zendesk POSTs the first load with a JWT in the form field `token`, signed RS256 with the app's key pair. Its claims
 * name the account (`iss`, the subdomain's host) and the installation (`aud`,
 * https://<subdomain>.zendesk.com/api/v2/apps/installations/<id>.json) and the agent (`sub`), not the ticket: the page
 * reads `ticket.id` from the ZAF client, and every write reads the ticket through Zendesk's API first.
 */
export const zendeskSidebar: SidebarDefinition<ZendeskSidebarSettings> = {
  helpdesk: "zendesk",
  mechanism: "ZAF ticket-sidebar app with signedUrls (ZAF SDK)",
  secretVariable: "ZENDESK_APP_PUBLIC_KEY",
  proof:
    "RS256 JWT in the form field token, verified with the app's public key; issuer and audience are ZENDESK_SUBDOMAIN's; not expired",
  path: "zendesk",
  configure(env, providers) {
    const value = env.ZENDESK_APP_PUBLIC_KEY?.trim();
    if (!value) return null;
    const zendesk = providers.get("zendesk");
    if (!zendesk)
      throw new SidebarConfigError(
        "ZENDESK_APP_PUBLIC_KEY",
        "the Zendesk sidebar checks the token's issuer against ZENDESK_SUBDOMAIN and reads each ticket through Zendesk's API before linking it: set ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN too",
      );
    const pem = readPem(value);
    let key: Promise<CryptoKey> | undefined;
    return {
      subdomain: (zendesk.settings as { subdomain: string }).subdomain,
      publicKey: () => (key ??= importSPKI(pem, "RS256")),
    };
  },
  frameAncestors: (settings) => [`https://${settings.subdomain}.zendesk.com`, "https://*.zdusercontent.com"],
  vendorScript: "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js",
  proofCoversConversation: false,
  conversationUrl: (account, conversationId) => `https://${account}.zendesk.com/agent/tickets/${conversationId}`,
  mount(app, { settings, tokens, now, page }) {
    app.post("/zendesk", async (c) => {
      const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
      const token = form.token;
      if (typeof token !== "string" || token === "")
        return page(c, {
          token: null,
          status: 401,
          error:
            "Zendesk sent no signed token: turn signedUrls on in the app's manifest (closeloop sidebar zendesk writes it)",
        });
      const host = `${settings.subdomain}.zendesk.com`;
      try {
        const { payload } = await jwtVerify(token, await settings.publicKey(), {
          algorithms: ["RS256"],
          currentDate: now(),
        });
        const issuer = String(payload.iss ?? "")
          .replace(/^https:\/\//, "")
          .replace(/\/$/, "");
        const audience = [payload.aud ?? []].flat();
        if (issuer !== host) throw new Error(`the token is from ${issuer || "no account"}, not ${host}`);
        if (!audience.some((aud) => aud.startsWith(`https://${host}/api/v2/apps/installations/`)))
          throw new Error(`the token is for another app installation than one on ${host}`);
        const agent = typeof payload.sub === "string" || typeof payload.sub === "number" ? String(payload.sub) : "";
        return page(c, {
          token: tokens.mint(
            {
              helpdesk: "zendesk",
              account: settings.subdomain,
              rep: agent ? `Zendesk agent ${agent}` : "a Zendesk agent",
            },
            now(),
          ),
        });
      } catch (error) {
        return page(c, {
          token: null,
          status: 401,
          error: `Zendesk's signed token was refused: ${(error as Error).message}`,
        });
      }
    });
  },
};

/** ZENDESK_APP_PUBLIC_KEY: the PEM itself (with real or `\n` line breaks), or the path of a file holding it. */
function readPem(value: string): string {
  if (value.startsWith("-----BEGIN")) return value.replace(/\\n/g, "\n");
  if (!existsSync(value))
    throw new SidebarConfigError(
      "ZENDESK_APP_PUBLIC_KEY",
      "must be the app's public key (PEM) or the path of a file holding it",
    );
  const text = readFileSync(value, "utf8").trim();
  if (!text.startsWith("-----BEGIN"))
    throw new SidebarConfigError("ZENDESK_APP_PUBLIC_KEY", `${value} does not hold a PEM public key`);
  return text;
}
