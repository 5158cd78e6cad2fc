import type { ConversationDetails, ConversationRef, HelpdeskClient, Merged } from "../provider.js";
import { headerEpoch, headerNumber, requestJson, type HelpdeskProtocol } from "../helpdesk-http.js";
import { apiUrl, conversationIdIn, segment } from "../provider-settings.js";
import {
  conversationSchema,
  errorSchema,
  inboxesSchema,
  messagesSchema,
  statusSchema,
  tokenIdentitySchema,
} from "./schema.js";

export interface FrontSettings {
  apiToken: string;
  apiUrl: URL;
  timeoutMs: number;
}

export function frontProtocol(settings: Pick<FrontSettings, "apiToken">): HelpdeskProtocol {
  return {
    provider: "front",
    name: "Front",
    // https://dev.frontapp.com/docs/rate-limiting: x-ratelimit-limit/-remaining/-reset on every response, and on 429 a
    // Retry-After in seconds, which also covers the per-resource burst limit (remaining may still be above 0 then).
    readRateLimit: (headers) => ({
      limit: headerNumber(headers, "x-ratelimit-limit"),
      remaining: headerNumber(headers, "x-ratelimit-remaining"),
      resetAt: headerEpoch(headers, "x-ratelimit-reset"),
    }),
    readErrorMessage: (body) => {
      const parsed = errorSchema.safeParse(body);
      return parsed.success ? (parsed.data._error.message ?? parsed.data._error.title ?? undefined) : undefined;
    },
    secrets: [settings.apiToken],
  };
}

export function createFrontClient(settings: FrontSettings): HelpdeskClient {
  const protocol = frontProtocol(settings);
  // https://dev.frontapp.com/docs/authentication: an API token as a Bearer token.
  const headers = { authorization: `Bearer ${settings.apiToken}` };
  const url = (path: string, query: Record<string, string> = {}) => apiUrl(settings.apiUrl, path, query);
  const timeoutMs = settings.timeoutMs;

  /**
   * Front answers 301 for a merged conversation, with the surviving conversation's URL (see README). requestJson
   * follows it; this learns the survivor's id so the link can be moved to it.
   */
  const survivor = (ref: ConversationRef) => {
    const seen: { merged?: Merged } = {};
    const redirected = (to: URL) => {
      const id = conversationIdIn(to, settings.apiUrl, CONVERSATION_ID);
      if (id !== undefined && id !== ref.conversationId) seen.merged = { mergedInto: id };
    };
    return { seen, redirected };
  };

  return {
    provider: "front",

    async checkConnection(options) {
      const identity = await requestJson(protocol, {
        conversationId: "",
        method: "GET",
        url: url("/me"),
        headers,
        schema: tokenIdentitySchema,
        timeoutMs: options.timeoutMs,
      });
      return `as the API token of ${identity.name ?? identity.id ?? "this company"}`;
    },

    // https://dev.frontapp.com/reference/add-comment: without author_id the comment is posted by the API token's bot
    // teammate (https://dev.frontapp.com/changelog/core-api-support-api-owned-comments). Comments are internal.
    async addNote(ref: ConversationRef, body: string) {
      const { seen, redirected } = survivor(ref);
      await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "POST",
        url: url(`/conversations/${segment(ref.conversationId)}/comments`),
        headers,
        json: { body },
        timeoutMs,
        redirected,
      });
      return seen.merged;
    },

    // "Update conversation" under https://dev.frontapp.com/reference/conversations: PATCH with status one of archived,
    // open, deleted, spam; 204 No Content. Companies with ticketing enabled may set status_id instead, which needs a
    // company-specific sts_ id, so closeloop sends status (see README).
    async reopen(ref: ConversationRef) {
      const { seen, redirected } = survivor(ref);
      await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "PATCH",
        url: url(`/conversations/${segment(ref.conversationId)}`),
        headers,
        json: { status: "open" },
        timeoutMs,
        redirected,
      });
      return seen.merged;
    },

    // The conversation's messages (a reply a teammate sent: is_inbound false), then its status (archived: done).
    async readAnswer(ref: ConversationRef, since: Date) {
      const messages = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(`/conversations/${segment(ref.conversationId)}/messages`, { limit: "100" }),
        headers,
        schema: messagesSchema,
        timeoutMs,
      });
      const agentReplies = messages._results
        .filter((message) => message.is_inbound === false)
        .map((message) => new Date((message.created_at ?? 0) * 1000))
        .filter((at) => at >= since);
      if (agentReplies.length > 0) return { agentReplies, closedAt: null };
      const conversation = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(`/conversations/${segment(ref.conversationId)}`),
        headers,
        schema: statusSchema,
        timeoutMs,
      });
      // Front gives no archive time on the conversation: the read's time stands for it.
      return { agentReplies, closedAt: conversation.status === "archived" ? new Date() : null };
    },

    // "Get conversation" under https://dev.frontapp.com/reference/conversations, then the inboxes it is listed in
    // (https://dev.frontapp.com/reference/list-conversation-inboxes): Front's "team" for a conversation is its inbox.
    async readConversation(ref: ConversationRef): Promise<ConversationDetails> {
      const { seen, redirected } = survivor(ref);
      const conversation = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(`/conversations/${segment(ref.conversationId)}`),
        headers,
        schema: conversationSchema,
        timeoutMs,
        redirected,
      });
      const id = seen.merged?.mergedInto ?? ref.conversationId;
      const inboxes = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(`/conversations/${segment(id)}/inboxes`),
        headers,
        schema: inboxesSchema,
        timeoutMs,
      });
      return {
        // A conversation CC'd to two inboxes is listed in both; closeloop takes the first Front lists.
        team: inboxes._results[0]?.name ?? null,
        tags: conversation.tags?.map((tag) => tag.name) ?? [],
        customerId: contactId(conversation.recipient?._links?.related?.contact),
        createdAt:
          typeof conversation.created_at === "number" ? new Date(Math.round(conversation.created_at * 1000)) : null,
        ...seen.merged,
      };
    },
  };
}

/** Front's conversation ids: cnv_ and a base-36 number (src/providers/front/urls.ts). */
const CONVERSATION_ID = /^cnv_[a-z0-9]+$/;

/** The contact id (crd_…) at the end of the recipient's contact link; the handle itself is an email address. */
function contactId(link: string | null | undefined): string | null {
  if (link === undefined || link === null) return null;
  try {
    const last = new URL(link).pathname
      .split("/")
      .filter((part) => part !== "")
      .at(-1);
    return last === undefined ? null : decodeURIComponent(last);
  } catch {
    return null;
  }
}
