import { cacheTeamNames } from "../conversation-details.js";
import type { ConversationDetails, ConversationRef, HelpdeskClient } from "../provider.js";
import { HelpdeskError, headerEpoch, headerNumber, requestJson, type HelpdeskProtocol } from "../helpdesk-http.js";
import { noteAsHtml } from "../note-html.js";
import { apiUrl, segment } from "../provider-settings.js";
import { adminSchema, conversationPartsSchema, conversationSchema, errorListSchema, teamSchema } from "./schema.js";

/**
 * The REST API version this client was written against. Pinned, because without the header Intercom answers with the
 * version set on the app in the Developer Hub, which an admin can change under us.
 * https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/api-changelog (2.14, 2025-08-15)
 */
export const INTERCOM_VERSION = "2.14";

export interface IntercomSettings {
  accessToken: string;
  /** the admin (teammate) the notes and reopen actions are attributed to */
  adminId: string;
  apiUrl: URL;
  timeoutMs: number;
  /** INTERCOM_WORKSPACE_ID (lower case); unset: conversations of any workspace are read and written */
  workspaceId?: string;
}

export function intercomProtocol(settings: Pick<IntercomSettings, "accessToken">): HelpdeskProtocol {
  return {
    provider: "intercom",
    name: "Intercom",
    // https://developers.intercom.com/docs/references/2.17/rest-api/errors/rate-limiting: the limit is spread over
    // 10-second windows and X-RateLimit-Reset is the UNIX time the current window ends. No Retry-After is sent.
    readRateLimit: (headers) => ({
      limit: headerNumber(headers, "x-ratelimit-limit"),
      remaining: headerNumber(headers, "x-ratelimit-remaining"),
      resetAt: headerEpoch(headers, "x-ratelimit-reset"),
    }),
    readErrorMessage: (body) => {
      const parsed = errorListSchema.safeParse(body);
      if (!parsed.success) return undefined;
      const first = parsed.data.errors[0];
      return first?.message ?? first?.code ?? undefined;
    },
    secrets: [settings.accessToken],
  };
}

export function createIntercomClient(settings: IntercomSettings): HelpdeskClient {
  const protocol = intercomProtocol(settings);
  const headers = {
    authorization: `Bearer ${settings.accessToken}`,
    "intercom-version": INTERCOM_VERSION,
  };
  const url = (path: string) => apiUrl(settings.apiUrl, path);
  const timeoutMs = settings.timeoutMs;
  const teamNames = cacheTeamNames();

  function checkAccount(ref: ConversationRef): void {
    // Conversation ids are per workspace: conversation 123 of another workspace is some other company's 123 here.
    if (
      settings.workspaceId !== undefined &&
      ref.account !== "" &&
      ref.account.toLowerCase() !== settings.workspaceId
    ) {
      throw new HelpdeskError({
        provider: "intercom",
        conversationId: ref.conversationId,
        retryable: false,
        reason: `Intercom: conversation is in workspace ${ref.account} but closeloop is configured for workspace ${settings.workspaceId}`,
      });
    }
  }

  return {
    provider: "intercom",

    // The admin the notes are written as, read with the token: both settings are proven at once, since a token of
    // another workspace does not find this admin.
    async checkConnection(options) {
      const admin = await requestJson(protocol, {
        conversationId: "",
        method: "GET",
        url: url(`/admins/${segment(settings.adminId)}`),
        headers,
        schema: adminSchema,
        timeoutMs: options.timeoutMs,
        notFoundReason: `INTERCOM_ADMIN_ID ${settings.adminId} is not a teammate of this workspace (404)`,
      });
      return `as admin ${admin.id}${admin.name ? ` (${admin.name})` : ""}`;
    },

    // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/replyconversation
    // A reply with message_type "note" from an admin is an internal note; the body is HTML.
    async addNote(ref: ConversationRef, body: string) {
      checkAccount(ref);
      await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "POST",
        url: url(`/conversations/${segment(ref.conversationId)}/reply`),
        headers,
        json: { message_type: "note", type: "admin", admin_id: settings.adminId, body: noteAsHtml(body) },
        timeoutMs,
      });
    },

    // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/manageconversation
    // Opening an already open conversation is accepted, so a retried job does no harm.
    async reopen(ref: ConversationRef) {
      checkAccount(ref);
      await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "POST",
        url: url(`/conversations/${segment(ref.conversationId)}/parts`),
        headers,
        json: { message_type: "open", admin_id: settings.adminId },
        timeoutMs,
      });
    },

    // The same Retrieve Conversation: a teammate's reply is a "comment" part by an admin; "close" parts close it.
    async readAnswer(ref: ConversationRef, since: Date) {
      checkAccount(ref);
      const conversation = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(`/conversations/${segment(ref.conversationId)}`),
        headers,
        schema: conversationPartsSchema,
        timeoutMs,
      });
      const parts = (conversation.conversation_parts?.conversation_parts ?? [])
        .map((part) => ({ ...part, at: new Date((part.created_at ?? 0) * 1000) }))
        .filter((part) => part.at >= since);
      const closes = parts.filter((part) => part.part_type === "close");
      return {
        agentReplies: parts
          .filter((part) => part.part_type === "comment" && part.author?.type === "admin")
          .map((part) => part.at),
        closedAt: conversation.state === "closed" ? (closes.at(-1)?.at ?? new Date()) : null,
      };
    },

    // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/retrieveconversation
    async readConversation(ref: ConversationRef): Promise<ConversationDetails> {
      checkAccount(ref);
      const conversation = await requestJson(protocol, {
        conversationId: ref.conversationId,
        method: "GET",
        url: url(`/conversations/${segment(ref.conversationId)}`),
        headers,
        schema: conversationSchema,
        timeoutMs,
      });
      const teamId = conversation.team_assignee_id;
      const assigned = teamId !== undefined && teamId !== null && teamId !== "0" && teamId !== "";
      const team = assigned ? await teamNames(ref, teamId, () => readTeam(teamId)) : null;
      return {
        team,
        tags: conversation.tags?.tags.map((tag) => tag.name) ?? [],
        customerId: conversation.contacts?.contacts[0]?.id ?? null,
        createdAt: typeof conversation.created_at === "number" ? new Date(conversation.created_at * 1000) : null,
      };

      // The conversation names its team by id only.
      // https://developers.intercom.com/docs/references/2.12/rest-api/api.intercom.io/teams/retrieveteam
      async function readTeam(id: string): Promise<string> {
        const found = await requestJson(protocol, {
          conversationId: ref.conversationId,
          method: "GET",
          url: url(`/teams/${segment(id)}`),
          headers,
          schema: teamSchema,
          notFoundReason: `team ${id} not found (404)`,
          timeoutMs,
        });
        return found.name;
      }
    },
  };
}
