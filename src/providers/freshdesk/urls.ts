import { readDecimalId, type UrlMatcher } from "../../domain/link.js";
import type { StoredConversation } from "../provider.js";

/*
 * https://developer.freshdesk.com/api/v1 : a helpdesk lives at https://<domain>.freshdesk.com, and the v1 API, like the
 * classic agent interface, addresses a ticket at /helpdesk/tickets/<id>. The current agent interface shows
 * /a/tickets/<id> (README, Recognised conversation URLs) for the same id, the one the v2 API takes (https://developers.freshdesk.com/api/#view_a_ticket).
 * The customer portal shows the requester the same ticket, by the same id, at /support/tickets/<id> (issue #12), so it
 * is the same link. Freshdesk documents no page listing its UI paths, so only these three are recognised (not a
 * portal's /<language>/support/… variant, nor a custom portal domain).
 * Sub-pages of a ticket still name that ticket and are accepted as it; lists that share the prefix
 * (/helpdesk/tickets/view/<n>, /a/tickets/filters/…, /helpdesk/tickets/new, /support/tickets/new) are refused with the reason, because
 * taking their number would link a saved view, not a ticket.
 * Only <domain>.freshdesk.com is recognised: custom portal domains need per-install config.
 * http:// is accepted (only the id is read, never fetched) and canonicalised to https.
 */
const SUFFIX = ".freshdesk.com";
/** First path segment before /tickets/<id>: current agent UI, classic agent UI, customer portal. */
const TICKET_AREAS = new Set(["a", "helpdesk", "support"]);

export const freshdeskUrls: UrlMatcher = {
  provider: "freshdesk",
  match(url) {
    if (!url.hostname.endsWith(SUFFIX) || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
    const domain = url.hostname.slice(0, -SUFFIX.length);
    if (!/^[a-z0-9-]+$/.test(domain) || domain === "www") return null;

    const segments = url.pathname.split("/").filter((segment) => segment !== "");
    if (!TICKET_AREAS.has(segments[0] ?? "") || segments[1] !== "tickets") return null;
    const id = readDecimalId(segments[2], "Freshdesk ticket id");
    if ("reject" in id) return id;
    return { account: domain, conversationId: id.id, url: `https://${domain}${SUFFIX}/a/tickets/${id.id}` };
  },
};

/** The current agent interface's view of a ticket, whatever address (a /support or /helpdesk one too) was pasted. */
export function freshdeskAgentUrl(ticket: StoredConversation): string {
  if (!ticket.account) return ticket.url;
  return `https://${encodeURIComponent(ticket.account)}.freshdesk.com/a/tickets/${encodeURIComponent(ticket.conversationId)}`;
}
