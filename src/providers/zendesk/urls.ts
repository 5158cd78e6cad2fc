import { readDecimalId, type UrlMatcher } from "../../domain/link.js";
import type { StoredConversation } from "../provider.js";

/*
 * https://support.zendesk.com/hc/en-us/articles/4408886858138-Zendesk-placeholders-reference: {{ticket.link}} is the
 * "full URL path to ticket", https://<subdomain>.zendesk.com/agent/tickets/<id>, and {{ticket.id}} is a number.
 * https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ ("Tickets and Requests"): a request is the end
 * user's view of the same ticket, so /hc/[<locale>/]requests/<id> (what customers paste) names the same ticket id.
 * Before the 2014 agent interface, ticket links were /agent/#/tickets/<id>; the id then sits in the fragment.
 * Sub-pages of a ticket (/agent/tickets/123/events, /print) still name ticket 123 and are accepted as it.
 * Only <subdomain>.zendesk.com is recognised: host-mapped domains (support.example.com) need per-install config.
 * http:// is accepted (only the id is read, never fetched) and canonicalised to https.
 */
const SUFFIX = ".zendesk.com";

export const zendeskUrls: UrlMatcher = {
  provider: "zendesk",
  match(url) {
    if (!url.hostname.endsWith(SUFFIX) || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
    const subdomain = url.hostname.slice(0, -SUFFIX.length);
    if (!/^[a-z0-9-]+$/.test(subdomain) || subdomain === "www") return null;

    const idSegment = ticketSegment(url);
    if (idSegment === null) return null;
    const id = readDecimalId(idSegment, "Zendesk ticket id");
    if ("reject" in id) return id;
    return { account: subdomain, conversationId: id.id, url: `https://${subdomain}${SUFFIX}/agent/tickets/${id.id}` };
  },
};

/** The path segment that should hold the ticket id ("" when the path stops before it), or null for other pages. */
function ticketSegment(url: URL): string | null {
  const path = url.pathname.split("/").filter((segment) => segment !== "");
  if (path[0] === "agent" && path[1] === "tickets") return path[2] ?? "";
  if (path[0] === "agent" && path.length === 1 && url.hash.startsWith("#/tickets")) {
    return url.hash.split("/").filter((segment) => segment !== "")[2] ?? "";
  }
  if (path[0] === "hc") {
    const requests = path[1] === "requests" ? 1 : path[2] === "requests" ? 2 : -1;
    if (requests !== -1) return path[requests + 1] ?? "";
  }
  return null;
}

/** The agent's view of a ticket, whatever address (a customer-portal /hc/requests one too) was pasted. */
export function zendeskAgentUrl(ticket: StoredConversation): string {
  if (!ticket.account) return ticket.url;
  return `https://${encodeURIComponent(ticket.account)}.zendesk.com/agent/tickets/${encodeURIComponent(ticket.conversationId)}`;
}
