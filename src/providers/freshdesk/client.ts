import { cacheTeamNames, ticketDetails } from "../conversation-details.js";
import type { ConversationDetails, ConversationRef, HelpdeskClient } from "../provider.js";
import { HelpdeskError, headerNumber, requestJson, type HelpdeskProtocol } from "../helpdesk-http.js";
import { noteAsHtml } from "../note-html.js";
import { apiUrl, segment } from "../provider-settings.js";
import { conversationsSchema, errorSchema, groupSchema, meSchema, ticketSchema, ticketStatsSchema } from "./schema.js";

/** Freshdesk ticket statuses are numbers (https://developers.freshdesk.com/api/#tickets). */
export const FRESHDESK_STATUS = { open: 2, pending: 3, resolved: 4, closed: 5 } as const;

export interface FreshdeskSettings {
  /** lower case, e.g. "acme" for acme.freshdesk.com; links to other domains are refused */
  domain: string;
  apiKey: string;
  apiUrl: URL;
  timeoutMs: number;
}

export function freshdeskProtocol(settings: Pick<FreshdeskSettings, "apiKey">): HelpdeskProtocol {
  return {
    provider: "freshdesk",
    name: "Freshdesk",
    // https://developers.freshdesk.com/api/#ratelimit: X-RateLimit-Total and X-RateLimit-Remaining on every response,
    // Retry-After (seconds) on 429. No reset time is sent, nor the window the total counts (a minute, or an hour on
    // accounts not yet moved): the lane never spends more than the remaining count, and with nothing left paces for an
    // hourly window until an answer shows a refill or a 429's Retry-After ends the window (src/domain/rate-pacing.ts).
    readRateLimit: (headers) => ({
      limit: headerNumber(headers, "x-ratelimit-total"),
      remaining: headerNumber(headers, "x-ratelimit-remaining"),
    }),
    readErrorMessage: (body) => {
      const parsed = errorSchema.safeParse(body);
      if (!parsed.success) return undefined;
      const first = parsed.data.errors?.[0];
      const detail =
        first === undefined ? undefined : [first.field, first.message ?? first.code].filter(Boolean).join(": ");
      return (
        [parsed.data.description ?? parsed.data.message ?? parsed.data.code, detail].filter(Boolean).join(": ") ||
        undefined
      );
    },
    secrets: [settings.apiKey],
  };
}

export function createFreshdeskClient(settings: FreshdeskSettings): HelpdeskClient {
  const protocol = freshdeskProtocol(settings);
  // https://developers.freshdesk.com/api/#authentication: the API key as the Basic user name, any password ("X").
  const headers = { authorization: `Basic ${Buffer.from(`${settings.apiKey}:X`).toString("base64")}` };
  const url = (path: string, query: Record<string, string> = {}) => apiUrl(settings.apiUrl, path, query);
  const timeoutMs = settings.timeoutMs;
  const ticketPath = (ref: ConversationRef) => `/api/v2/tickets/${segment(ref.conversationId)}`;
  const groupNames = cacheTeamNames();

  function checkAccount(ref: ConversationRef): void {
    // Ticket ids are per helpdesk: ticket 123 of another domain is some other customer's ticket 123 here.
    if (ref.account !== "" && ref.account.toLowerCase() !== settings.domain) {
      throw new HelpdeskError({
        provider: "freshdesk",
        conversationId: ref.conversationId,
        retryable: false,
        reason: `Freshdesk: ticket is on ${ref.account}.freshdesk.com but closeloop is configured for ${settings.domain}.freshdesk.com`,
      });
    }
  }

  return {
    provider: "freshdesk",

    async checkConnection(options) {
      const agent = await requestJson(protocol, {
        conversationId: "",
        method: "GET",
        url: url("/api/v2/agents/me"),
        headers,
        schema: meSchema,
        timeoutMs: options.timeoutMs,
      });
      return `as agent ${agent.id}${agent.contact?.email ? ` (${agent.contact.email})` : ""}`;
    },

    // https://developers.freshdesk.com/api/#add_note_to_a_ticket: private notes are visible to agents only; the body
    // is HTML. 201 Created.
    async addNote(ref: ConversationRef, body: string) {
      checkAccount(ref);
      await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "POST",
        url: url(`${ticketPath(ref)}/notes`),
        headers,
        json: { body: noteAsHtml(body), private: true },
        timeoutMs,
      });
    },

    // https://developers.freshdesk.com/api/#update_ticket. Freshdesk reopens resolved and closed tickets alike.
    async reopen(ref: ConversationRef) {
      checkAccount(ref);
      await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "PUT",
        url: url(ticketPath(ref)),
        headers,
        json: { status: FRESHDESK_STATUS.open },
        timeoutMs,
      });
    },

    // The ticket's replies and notes, a page of 100 at a time (at most 10 pages), then its status with its stats.
    async readAnswer(ref: ConversationRef, since: Date) {
      checkAccount(ref);
      const agentReplies: Date[] = [];
      for (let page = 1; page <= 10; page++) {
        const entries = await requestJson(protocol, {
          conversationId: ref.conversationId,
          method: "GET",
          url: url(`${ticketPath(ref)}/conversations`, { per_page: "100", page: String(page) }),
          headers,
          schema: conversationsSchema,
          timeoutMs,
        });
        for (const entry of entries) {
          const at = new Date(entry.created_at ?? 0);
          if (entry.incoming === false && entry.private === false && entry.source !== 2 && at >= since)
            agentReplies.push(at);
        }
        if (entries.length < 100) break;
      }
      if (agentReplies.length > 0) return { agentReplies, closedAt: null };
      const ticket = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(ticketPath(ref), { include: "stats" }),
        headers,
        schema: ticketStatsSchema,
        timeoutMs,
      });
      const at = ticket.stats?.closed_at ?? ticket.stats?.resolved_at;
      const done = ticket.status === 4 || ticket.status === 5;
      return { agentReplies, closedAt: done ? new Date(at ?? Date.now()) : null };
    },

    // https://developers.freshdesk.com/api/#view_a_ticket
    async readConversation(ref: ConversationRef): Promise<ConversationDetails> {
      checkAccount(ref);
      const ticket = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(ticketPath(ref)),
        headers,
        schema: ticketSchema,
        timeoutMs,
      });
      const groupId = ticket.group_id;
      const team =
        groupId === undefined || groupId === null ? null : await groupNames(ref, groupId, () => readGroup(groupId));
      return ticketDetails(ticket, team);

      // The ticket names its group by id only. https://developers.freshdesk.com/api/#view_group
      async function readGroup(id: number): Promise<string> {
        const group = await requestJson(protocol, {
          conversationId: ref.conversationId,
          method: "GET",
          url: url(`/api/v2/groups/${segment(id)}`),
          headers,
          schema: groupSchema,
          notFoundReason: `group ${id} not found (404)`,
          timeoutMs,
        });
        return group.name;
      }
    },
  };
}
