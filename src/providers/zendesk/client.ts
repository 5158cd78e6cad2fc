import { CLOSED_TICKET } from "../../domain/failure-category.js";
import { cacheTeamNames, ticketDetails } from "../conversation-details.js";
import type { ConversationDetails, ConversationRef, HelpdeskClient } from "../provider.js";
import { HelpdeskError, headerNumber, requestJson, type HelpdeskProtocol } from "../helpdesk-http.js";
import { apiUrl, segment } from "../provider-settings.js";
import { errorSchema, groupSchema, ticketSchema } from "./schema.js";

export interface ZendeskSettings {
  /** lower case, e.g. "acme" for acme.zendesk.com; links to other subdomains are refused */
  subdomain: string;
  email: string;
  apiToken: string;
  apiUrl: URL;
  timeoutMs: number;
}

export function zendeskProtocol(settings: Pick<ZendeskSettings, "apiToken">): HelpdeskProtocol {
  return {
    provider: "zendesk",
    name: "Zendesk",
    // https://developer.zendesk.com/api-reference/introduction/rate-limits/: X-Rate-Limit and X-Rate-Limit-Remaining
    // for the account's minute; ticketing endpoints add ratelimit-limit/-remaining/-reset (seconds until reset).
    // A 429 carries Retry-After in seconds, which the shared path reads.
    readRateLimit: (headers, now) => {
      const resetIn = headerNumber(headers, "ratelimit-reset");
      return {
        limit: headerNumber(headers, "x-rate-limit") ?? headerNumber(headers, "ratelimit-limit"),
        remaining: headerNumber(headers, "x-rate-limit-remaining") ?? headerNumber(headers, "ratelimit-remaining"),
        resetAt: resetIn === undefined ? undefined : new Date(now.getTime() + resetIn * 1000),
      };
    },
    readErrorMessage: (body) => {
      const parsed = errorSchema.safeParse(body);
      if (!parsed.success) return typeof body === "string" ? body : undefined;
      const { error, description, details } = parsed.data;
      const detail = details === undefined || details === null ? undefined : Object.values(details)[0]?.[0]?.description;
      const headline = typeof error === "string" ? (description ?? error) : (error?.message ?? error?.title ?? description);
      return [headline, detail].filter((part) => part !== undefined && part !== null).join(": ") || undefined;
    },
    secrets: [settings.apiToken],
  };
}

export function createZendeskClient(settings: ZendeskSettings): HelpdeskClient {
  const protocol = zendeskProtocol(settings);
  // https://developer.zendesk.com/api-reference/introduction/security-and-auth/ ("API token"): Basic auth with
  // "{email_address}/token" as the user name and the token as the password.
  const credentials = Buffer.from(`${settings.email}/token:${settings.apiToken}`).toString("base64");
  const headers = { authorization: `Basic ${credentials}` };
  const url = (path: string) => apiUrl(settings.apiUrl, path);
  const timeoutMs = settings.timeoutMs;
  const groupNames = cacheTeamNames();

  const ticketPath = (ref: ConversationRef) => `/api/v2/tickets/${segment(ref.conversationId)}.json`;

  function checkAccount(ref: ConversationRef): void {
    // Ticket ids are per account: ticket 123 of another subdomain is some other customer's ticket 123 here.
    if (ref.account !== "" && ref.account.toLowerCase() !== settings.subdomain) {
      throw new HelpdeskError({
        provider: "zendesk",
        conversationId: ref.conversationId,
        retryable: false,
        reason: `Zendesk: ticket is on ${ref.account}.zendesk.com but closeloop is configured for ${settings.subdomain}.zendesk.com`,
      });
    }
  }

  async function readTicket(ref: ConversationRef) {
    const found = await requestJson(protocol, {
      conversationId: ref.conversationId,
      method: "GET",
      url: url(ticketPath(ref)),
      headers,
      schema: ticketSchema,
      timeoutMs,
    });
    return found.ticket;
  }

  /*
   * Update Ticket (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket) adds the note
   * and reopens alike. A closed ticket cannot be updated at all ("Tickets with a status set to Closed can't be updated",
   * https://support.zendesk.com/hc/en-us/articles/4408894213018-About-native-system-ticket-rules); Zendesk answers 422.
   * The 422 text is not a documented contract, so on a 422 the ticket is read back and its status decides: closed is
   * reported as such (permanent), anything else keeps Zendesk's own message. The extra read happens only on failure.
   */
  async function updateTicket(ref: ConversationRef, ticket: Record<string, unknown>): Promise<void> {
    checkAccount(ref);
    try {
      await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "PUT",
        url: url(ticketPath(ref)),
        headers,
        json: { ticket },
        timeoutMs,
      });
    } catch (error) {
      if (!(error instanceof HelpdeskError) || error.status !== 422) throw error;
      const status = await readTicket(ref).then(
        (found) => found.status,
        () => undefined,
      );
      if (status !== "closed") throw error;
      throw new HelpdeskError({
        provider: "zendesk",
        conversationId: ref.conversationId,
        status: 422,
        retryable: false,
        reason: `Zendesk: ticket ${ref.conversationId} is closed; ${CLOSED_TICKET}`,
      });
    }
  }

  return {
    provider: "zendesk",

    // A comment with public: false is an internal note.
    async addNote(ref: ConversationRef, body: string) {
      await updateTicket(ref, { comment: { body, public: false } });
    },

    async reopen(ref: ConversationRef) {
      await updateTicket(ref, { status: "open" });
    },

    async readConversation(ref: ConversationRef): Promise<ConversationDetails> {
      checkAccount(ref);
      const ticket = await readTicket(ref);
      const groupId = ticket.group_id;
      const team = groupId === undefined || groupId === null ? null : await groupNames(ref, groupId, () => readGroup(groupId));
      return ticketDetails(ticket, team);

      // The ticket names its group by id only.
      async function readGroup(id: number): Promise<string> {
        const found = await requestJson(protocol, {
          conversationId: ref.conversationId,
          method: "GET",
          url: url(`/api/v2/groups/${segment(id)}.json`),
          headers,
          schema: groupSchema,
          notFoundReason: `group ${id} not found (404)`,
          timeoutMs,
        });
        return found.group.name;
      }
    },
  };
}
