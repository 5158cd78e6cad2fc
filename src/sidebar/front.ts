import type { SidebarDefinition } from "./sidebar.js";
import { SidebarConfigError } from "./sidebar.js";
import { sameSecret } from "./tokens.js";

interface FrontSidebarSettings {
  secret: string;
}

/**
 * Front: a sidebar plugin, an iframe page that reads the open conversation from Front's plugin SDK
 * (https://dev.frontapp.com/docs/plugin-overview). Front adds the plugin's auth secret to the page's URL as `auth_secret`
 * (https://dev.frontapp.com/docs/security, "Token verification"); it names no conversation, so every write reads the
 * conversation through Front's API first, and the page is framed only by Front's own origins (the same page).
 */
export const frontSidebar: SidebarDefinition<FrontSidebarSettings> = {
  helpdesk: "front",
  mechanism: "sidebar plugin (iframe, Front plugin SDK)",
  secretVariable: "FRONT_PLUGIN_SECRET",
  proof: "the plugin's auth secret (auth_secret query parameter)",
  path: "front",
  configure(env, providers) {
    const secret = env.FRONT_PLUGIN_SECRET?.trim();
    if (!secret) return null;
    if (!providers.has("front"))
      throw new SidebarConfigError(
        "FRONT_PLUGIN_SECRET",
        "the Front sidebar reads each conversation through Front's API before linking it: set FRONT_API_TOKEN too",
      );
    return { secret };
  },
  frameAncestors: () => ["https://*.frontapp.com", "https://*.frontapplication.com"],
  vendorScript: "https://dl.frontapp.com/libs/plugin-sdk-1.8.1.min.js",
  proofCoversConversation: false,
  conversationUrl: (_account, conversationId) => `https://app.frontapp.com/open/${conversationId}`,
  mount(app, { settings, tokens, now, page }) {
    app.get("/front", (c) => {
      const given = c.req.query("auth_secret") ?? "";
      if (!sameSecret(given, settings.secret))
        return page(c, {
          token: null,
          status: 401,
          error: "Front's auth secret does not match FRONT_PLUGIN_SECRET: copy the plugin's auth secret into closeloop",
        });
      return page(c, { token: tokens.mint({ helpdesk: "front", account: "", rep: "a Front teammate" }, now()) });
    });
  },
};
