import { readDecimalId, shorten, type UrlMatcher } from "../../domain/link.js";
import type { StoredConversation } from "../provider.js";

/*
 * Intercom does not publish the shapes of its inbox URLs; what is documented is:
 * - workspaces live in one of three regions, each with its own host
 *   (https://developers.intercom.com/building-apps/docs/rest-apis: US, EU, Australia);
 * - the workspace ("app") id is the path segment after /a/apps/
 *   (https://www.intercom.com/help/en/articles/9071694-intercom-developer-faqs shows app.intercom.com/a/apps/{workspace-id}/);
 * - a conversation id is a decimal number, e.g. "conversation_id": "36000324324"
 *   (https://developers.intercom.com/docs/references/2.6/rest-api/conversations/create-a-conversation/).
 * The inbox shapes (/a/inbox/<app>/inbox/<view...>/conversation/<id>, the older /a/apps/<app>/.../conversations/<id>)
 * are the ones teammates copy from the address bar, listed in README, Recognised conversation URLs. Any view segments may sit between the app id
 * and "conversation(s)", so the first such segment after the app id is taken and the segment after it is the id.
 * app.intercom.io is the pre-2017 domain and redirects to app.intercom.com, so it is canonicalised there; the EU and
 * AU hosts are kept because a link to the wrong region does not open.
 * http:// is accepted (Intercom redirects it, and only the id is read, never fetched) and canonicalised to https.
 */
const CANONICAL_HOST: ReadonlyMap<string, string> = new Map([
  ["app.intercom.com", "app.intercom.com"],
  ["app.intercom.io", "app.intercom.com"],
  ["app.eu.intercom.com", "app.eu.intercom.com"],
  ["app.au.intercom.com", "app.au.intercom.com"],
]);

export const intercomUrls: UrlMatcher = {
  provider: "intercom",
  match(url) {
    const host = CANONICAL_HOST.get(url.hostname);
    if (host === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
    const segments = url.pathname.split("/").filter((segment) => segment !== "");
    if (segments[0] !== "a" || (segments[1] !== "inbox" && segments[1] !== "apps")) return null;
    const afterApp = segments.slice(3);
    const marker = afterApp.findIndex((segment) => segment === "conversation" || segment === "conversations");
    if (marker === -1) return null;

    const app = (segments[2] ?? "").toLowerCase();
    if (!/^[a-z0-9]+$/.test(app))
      return { reject: `Intercom workspace id must be letters and digits: ${shorten(app)}` };
    const id = readDecimalId(afterApp[marker + 1], "Intercom conversation id");
    if ("reject" in id) return id;
    return { account: app, conversationId: id.id, url: `https://${host}/a/inbox/${app}/inbox/conversation/${id.id}` };
  },
};

/**
 * The inbox view of a conversation in the workspace, on the region's host the pasted address named (a link to the
 * wrong region does not open); the pasted address when no workspace id was read from it.
 */
export function intercomAgentUrl(conversation: StoredConversation): string {
  if (!conversation.account) return conversation.url;
  const host = CANONICAL_HOST.get(hostOf(conversation.url)) ?? "app.intercom.com";
  return `https://${host}/a/inbox/${encodeURIComponent(conversation.account)}/inbox/conversation/${encodeURIComponent(conversation.conversationId)}`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return "";
  }
}
