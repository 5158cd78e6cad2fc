import type { SidebarDefinition } from "./sidebar.js";
import { SidebarConfigError } from "./sidebar.js";
import { sameSecret } from "./tokens.js";

interface FreshdeskSidebarSettings {
  secret: string;
  domain: string;
}

/**
 * Freshdesk: a Freshworks app (platform 3.0) that `closeloop sidebar freshdesk` writes. Its ticket-sidebar page lives in
 * the app and calls the JSON API through the platform's request proxy (request templates,
 * https://developers.freshworks.com/docs/app-sdk/v3.0/support_ticket/advanced-interfaces/request-method/), which adds
 * `Authorization: Bearer <secret>` from a secure installation parameter the browser never sees. The secret names no
 * ticket, so every write reads the ticket through Freshdesk's API first.
 */
export const freshdeskSidebar: SidebarDefinition<FreshdeskSidebarSettings> = {
  helpdesk: "freshdesk",
  mechanism: "Freshworks app written by `closeloop sidebar freshdesk` (request templates, secure iparams)",
  secretVariable: "FRESHDESK_SIDEBAR_SECRET",
  proof: "Authorization: Bearer <FRESHDESK_SIDEBAR_SECRET>, added by the Freshworks request proxy",
  path: "",
  configure(env, providers) {
    const secret = env.FRESHDESK_SIDEBAR_SECRET?.trim();
    if (!secret) return null;
    if (secret.length < 24)
      throw new SidebarConfigError(
        "FRESHDESK_SIDEBAR_SECRET",
        "must be at least 24 random characters (it is a bearer secret)",
      );
    const freshdesk = providers.get("freshdesk");
    if (!freshdesk)
      throw new SidebarConfigError(
        "FRESHDESK_SIDEBAR_SECRET",
        "the Freshdesk sidebar reads each ticket through Freshdesk's API before linking it: set FRESHDESK_DOMAIN and FRESHDESK_API_KEY too",
      );
    return { secret, domain: (freshdesk.settings as { domain: string }).domain };
  },
  frameAncestors: () => [],
  vendorScript: null,
  proofCoversConversation: false,
  conversationUrl: (account, conversationId) => `https://${account}.freshdesk.com/a/tickets/${conversationId}`,
  apiBearer: (settings, bearer) =>
    sameSecret(bearer, settings.secret)
      ? {
          helpdesk: "freshdesk",
          account: settings.domain,
          rep: "a Freshdesk agent",
          expiresAt: Number.MAX_SAFE_INTEGER,
        }
      : null,
  mount() {},
};
