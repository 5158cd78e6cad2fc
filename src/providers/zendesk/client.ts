import { noteLanded } from "../../domain/follow-up.js";
import { cacheTeamNames, ticketDetails } from "../conversation-details.js";
import type { ConversationDetails, ConversationRef, HelpdeskClient } from "../provider.js";
import { HelpdeskError, headerNumber, requestJson, type HelpdeskProtocol } from "../helpdesk-http.js";
import { apiUrl, segment } from "../provider-settings.js";
import {
  commentAuthorsSchema,
  commentsSchema,
  createdTicketSchema,
  errorSchema,
  groupSchema,
  selfSchema,
  ticketSchema,
  ticketStatusSchema,
  ticketsSchema,
} from "./schema.js";

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
      const detail =
        details === undefined || details === null ? undefined : Object.values(details)[0]?.[0]?.description;
      const headline =
        typeof error === "string" ? (description ?? error) : (error?.message ?? error?.title ?? description);
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
  const url = (path: string, query: Record<string, string> = {}) => {
    const address = apiUrl(settings.apiUrl, path);
    for (const [name, value] of Object.entries(query)) address.searchParams.set(name, value);
    return address;
  };
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
        closed: true,
        reason: `Zendesk: ticket ${ref.conversationId} is closed`,
      });
    }
  }

  /*
   * The newest comments, to see whether a note sent by an attempt whose outcome is unknown landed. List Comments
   * (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments) with
   * sort_order=desc: the first page holds the 100 newest, and a retry comes minutes after its note at most, so an
   * older note is not looked for.
   */
  async function hasNote(ref: ConversationRef, body: string): Promise<boolean> {
    const page = await requestJson(protocol, {
      conversationId: ref.conversationId,
      method: "GET",
      url: url(`/api/v2/tickets/${segment(ref.conversationId)}/comments.json`, { sort_order: "desc", per_page: "100" }),
      headers,
      schema: commentsSchema,
      timeoutMs,
    });
    return noteLanded(page.comments, body);
  }

  /*
   * A follow-up of a closed ticket (https://developer.zendesk.com/documentation/ticketing/managing-tickets/creating-and-updating-tickets/,
   * "Creating a follow-up ticket"): Create Ticket with via_followup_source_id, which "only works with closed tickets"
   * (on any other a plain new ticket would be made, so the source's status is checked first). Created once per key:
   * - the source's followup_ids (shown once it is closed) are read, and a follow-up whose external_id is the key is
   *   the one an earlier attempt created (it crashed, or timed out, before recording it);
   * - the create carries the key as Idempotency-Key (https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency:
   *   a repeat within two hours answers with the ticket first created, header x-idempotency-lookup: hit), which
   *   covers a follow-up not yet listed on its source. Its body must be the same on every attempt: it is built
   *   from the close's note and the closed source, which no longer changes.
   * The requester and subject are the source's, so the follow-up reads as the same customer's conversation and the
   * note never becomes a subject the customer could see; the note is a private first comment.
   */
  async function createFollowUp(ref: ConversationRef, body: string, key: string): Promise<string> {
    checkAccount(ref);
    const source = await readTicket(ref);
    if (source.status !== "closed") {
      throw new HelpdeskError({
        provider: "zendesk",
        conversationId: ref.conversationId,
        retryable: true,
        reason: `Zendesk: ticket ${ref.conversationId} is ${source.status ?? "of no status"}, not closed: no follow-up is made for it`,
      });
    }
    const existing = await findFollowUp(ref, source.followup_ids ?? [], key);
    if (existing !== null) return existing;
    const created = await requestJson(protocol, {
      conversationId: ref.conversationId,
      method: "POST",
      url: url("/api/v2/tickets.json"),
      headers: { ...headers, "idempotency-key": key },
      json: {
        ticket: {
          via_followup_source_id: Number(ref.conversationId),
          ...(source.requester_id === undefined || source.requester_id === null
            ? {}
            : { requester_id: source.requester_id }),
          ...(source.subject === undefined || source.subject === null ? {} : { subject: source.subject }),
          external_id: key,
          status: "open",
          comment: { body, public: false },
        },
      },
      schema: createdTicketSchema,
      // A refusal (the source was deleted meanwhile, a required field) is permanent, in Zendesk's words.
      classify: ({ status, body: answer }) =>
        status === 400 || status === 422
          ? {
              retryable: false,
              reason: `Zendesk: follow-up to ticket ${ref.conversationId} refused (${status}): ${protocol.readErrorMessage(answer) ?? "no reason given"}`,
            }
          : undefined,
      timeoutMs,
    });
    return String(created.ticket.id);
  }

  async function findFollowUp(ref: ConversationRef, ids: readonly number[], key: string): Promise<string | null> {
    if (ids.length === 0) return null;
    // Show Multiple Tickets takes up to 100 ids; a ticket with more follow-ups than that is checked on its newest 100.
    const found = await requestJson(protocol, {
      conversationId: ref.conversationId,
      method: "GET",
      url: url("/api/v2/tickets/show_many.json", { ids: ids.slice(-100).join(",") }),
      headers,
      schema: ticketsSchema,
      timeoutMs,
    });
    const mine = found.tickets.find((ticket) => ticket.external_id === key);
    return mine === undefined ? null : String(mine.id);
  }

  return {
    provider: "zendesk",

    // Notes and reopens are ticket updates, which only agents and admins may make: an end user's token reads but
    // cannot write, so it is refused here rather than by the first reopen.
    async checkConnection(options) {
      const { user } = await requestJson(protocol, {
        conversationId: "",
        method: "GET",
        url: url("/api/v2/users/me.json"),
        headers,
        schema: selfSchema,
        timeoutMs: options.timeoutMs,
      });
      const refused = (reason: string) =>
        new HelpdeskError({ provider: "zendesk", conversationId: "", status: 403, retryable: false, reason });
      if (user.id === null || user.id === undefined)
        throw refused("Zendesk: ZENDESK_EMAIL and ZENDESK_API_TOKEN were answered as the anonymous user");
      if (user.role !== "agent" && user.role !== "admin")
        throw refused(
          `Zendesk: ${settings.email} is ${user.role ?? "not an agent"}; the token's user must be an agent or admin`,
        );
      return `as ${settings.email} (${user.role})`;
    },

    // A comment with public: false is an internal note.
    async addNote(ref: ConversationRef, body: string) {
      await updateTicket(ref, { comment: { body, public: false } });
    },

    async reopen(ref: ConversationRef) {
      await updateTicket(ref, { status: "open" });
    },

    // One Update Ticket carries both: Zendesk's ticket-update limit (100 a minute per account) counts it once.
    async addNoteAndReopen(ref: ConversationRef, body: string, options: { retry: boolean }) {
      checkAccount(ref);
      if (options.retry && (await hasNote(ref, body))) return updateTicket(ref, { status: "open" });
      await updateTicket(ref, { comment: { body, public: false }, status: "open" });
    },

    createFollowUp,

    // The newest 100 comments with their authors (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments,
    // sideloads: https://developer.zendesk.com/api-reference/ticketing/users/users/ `role`); then, with no answer, the
    // ticket's status (solved or closed ends it).
    async readAnswer(ref: ConversationRef, since: Date) {
      checkAccount(ref);
      const page = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(`/api/v2/tickets/${segment(ref.conversationId)}/comments.json`, {
          sort_order: "desc",
          per_page: "100",
          include: "users",
        }),
        headers,
        schema: commentAuthorsSchema,
        timeoutMs,
      });
      const agents = new Set(
        page.users.filter((user) => user.role === "agent" || user.role === "admin").map((user) => user.id),
      );
      const agentReplies = page.comments
        .filter((comment) => comment.public === true && comment.author_id != null && agents.has(comment.author_id))
        .map((comment) => new Date(comment.created_at ?? 0))
        .filter((at) => at >= since);
      if (agentReplies.length > 0) return { agentReplies, closedAt: null };
      const { ticket } = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(ticketPath(ref)),
        headers,
        schema: ticketStatusSchema,
        timeoutMs,
      });
      const done = ticket.status === "solved" || ticket.status === "closed";
      return { agentReplies, closedAt: done ? new Date(ticket.updated_at ?? Date.now()) : null };
    },

    async readConversation(ref: ConversationRef): Promise<ConversationDetails> {
      checkAccount(ref);
      const ticket = await readTicket(ref);
      const groupId = ticket.group_id;
      const team =
        groupId === undefined || groupId === null ? null : await groupNames(ref, groupId, () => readGroup(groupId));
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
