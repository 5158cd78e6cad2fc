import { createHmac } from "node:crypto";
import type { SidebarDefinition } from "./sidebar.js";
import { sameSecret } from "./tokens.js";

interface HelpScoutSidebarSettings {
  secret: string;
}

export const HELPSCOUT_SIGNATURE = "X-HelpScout-Signature";

/**
 * Help Scout signs the query parameters of its app's callback URL (https://developer.helpscout.com/apps/guides/signature-validation/):
 * `X-HelpScout-Signature` is base64(HMAC-SHA1(JSON of the other parameters, in the order sent, with the app's secret)).
 * Help Scout's example is PHP's json_encode, which escapes "/" as "\/"; both spellings are accepted, so a value with a
 * slash verifies either way. Parameters that were part of the URL the admin pasted are not signed: closeloop's URL has
 * none.
 */
export function helpscoutSignatureMatches(params: URLSearchParams, secret: string): boolean {
  const given = params.get(HELPSCOUT_SIGNATURE);
  if (given === null) return false;
  const signed: Record<string, string> = {};
  for (const [name, value] of params) if (name !== HELPSCOUT_SIGNATURE) signed[name] = value;
  const json = JSON.stringify(signed);
  return [json, json.replace(/\//g, "\\/")].some((text) =>
    sameSecret(given, createHmac("sha1", secret).update(text).digest("base64")),
  );
}

/**
 * Help Scout: an app (Manage › Apps › Create app) whose callback URL is this page, shown in the conversation sidebar's
 * iframe (https://developer.helpscout.com/apps/). The signed query parameters are identifiers only, in kebab case
 * (`conversation-id`, `user-id`, `mailbox-id`, …;
 * https://developer.helpscout.com/apps/guides/getting-data-from-help-scout-without-javascript/), so the page is rendered
 * for the signed conversation and loads no Help Scout script: its adapter speaks the app SDK's window messages itself
 * (src/sidebar/assets.ts) for the iframe's height and the rep's name.
 */
export const helpscoutSidebar: SidebarDefinition<HelpScoutSidebarSettings> = {
  helpdesk: "helpscout",
  mechanism: "app whose callback URL is shown in the sidebar (no vendor script)",
  secretVariable: "HELPSCOUT_SIDEBAR_SECRET",
  proof: "X-HelpScout-Signature over the callback's query parameters (base64 HMAC-SHA1 with the app's secret key)",
  path: "helpscout",
  configure(env) {
    const secret = env.HELPSCOUT_SIDEBAR_SECRET?.trim();
    return secret ? { secret } : null;
  },
  frameAncestors: () => ["https://secure.helpscout.net"],
  vendorScript: null,
  proofCoversConversation: true,
  conversationUrl: (_account, conversationId) => `https://secure.helpscout.net/conversation/${conversationId}/`,
  mount(app, { settings, tokens, now, page }) {
    app.get("/helpscout", (c) => {
      const params = new URL(c.req.url).searchParams;
      if (!helpscoutSignatureMatches(params, settings.secret))
        return page(c, {
          token: null,
          status: 401,
          error: params.has(HELPSCOUT_SIGNATURE)
            ? "Help Scout's signature does not match: HELPSCOUT_SIDEBAR_SECRET must be the app's secret key"
            : "This page opens inside Help Scout's sidebar, which signs its address; it was opened without a signature",
        });
      const conversation = params.get("conversation-id") ?? "";
      if (!/^\d{1,19}$/.test(conversation))
        return page(c, { token: null, status: 200, error: "Open a conversation to see its linked GitHub issues." });
      // The signed parameters are identifiers only: the rep's name reaches the page through Help Scout's app context.
      const user = params.get("user-id");
      const rep = user && /^\d{1,19}$/.test(user) ? `Help Scout user ${user}` : "a Help Scout user";
      return page(c, {
        token: tokens.mint({ helpdesk: "helpscout", account: "", conversation, rep }, now()),
        conversation,
      });
    });
  },
};
