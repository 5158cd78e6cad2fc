import { z } from "zod";
import {
  answerFields,
  header,
  hmacMatches,
  isoTime,
  type HelpdeskEvent,
  type HelpdeskWebhook,
  type WebhookSettings,
} from "../helpdesk-webhook.js";
import { readApiUrl } from "../provider-settings.js";
import { readWorkspaceId } from "./workspace.js";

/*
 * Intercom webhooks (https://developers.intercom.com/docs/webhooks/setting-up-webhooks, signature:
 * https://developers.intercom.com/intercom-api-reference/v1.0/reference/signed-notifications): every notification is
 * signed with `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`, keyed with the app's client secret (Developer Hub →
 * Basic information). Intercom sends no timestamp header, so there is no replay window to check; a replay is stored
 * once by its notification id (`notif_…`).
 * Body: { type: "notification_event", id, topic, app_id, created_at, data: { item: <conversation> } }
 * (https://developers.intercom.com/docs/references/2.14/webhooks/webhook-models). The conversation's new parts are in
 * item.conversation_parts.conversation_parts (HTML bodies); a new conversation's first message is item.source.body.
 */
export interface IntercomWebhookSettings extends WebhookSettings {
  /** the inbox host of the workspace's region, for the conversation URL */
  appHost: string;
  /** INTERCOM_WORKSPACE_ID: when set, notifications of other workspaces are another account's and not read */
  workspaceId?: string;
}

const id = z.union([z.string(), z.number()]).transform(String);

// Who wrote a part or a first message (https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/conversation):
// author.type is "admin" for a teammate, "user" or "lead" for a customer, "bot" for automation.
const author = z.looseObject({ type: z.string().nullish() }).nullish();

const notificationSchema = z.looseObject({
  id: z.string(),
  topic: z.string(),
  app_id: z.string().nullish(),
  created_at: z.number().nullish(),
  data: z
    .looseObject({
      item: z
        .looseObject({
          type: z.string().nullish(),
          id: id.nullish(),
          created_at: z.number().nullish(),
          state: z.string().nullish(),
          source: z.looseObject({ body: z.string().nullish(), author }).nullish(),
          tags: z.looseObject({ tags: z.array(z.looseObject({ name: z.string() })).default([]) }).nullish(),
          conversation_parts: z
            .looseObject({
              conversation_parts: z
                .array(
                  z.looseObject({
                    part_type: z.string().nullish(),
                    body: z.string().nullish(),
                    created_at: z.number().nullish(),
                    author,
                  }),
                )
                .default([]),
            })
            .nullish(),
        })
        .nullish(),
    })
    .nullish(),
});

// Topics whose item is a conversation and that can carry new text or tags.
const ADMIN_STARTED = "conversation.admin.single.created";
const CLOSED = "conversation.admin.closed";
const FIRST_MESSAGE_TOPICS = new Set(["conversation.user.created", ADMIN_STARTED]);

// https://developers.intercom.com/building-apps/docs/rest-apis: one inbox host per hosting region.
const APP_HOSTS: Record<string, string> = {
  "api.eu.intercom.io": "app.eu.intercom.com",
  "api.au.intercom.io": "app.au.intercom.com",
};

/** Where Intercom sends the signature (above); redacted from the logs through the definition. */
export const INTERCOM_SIGNATURE_HEADER = "x-hub-signature";

export const intercomWebhook: HelpdeskWebhook<IntercomWebhookSettings> = {
  secretVariable: "INTERCOM_WEBHOOK_SECRET",
  configure(env) {
    const secret = env.INTERCOM_WEBHOOK_SECRET?.trim();
    if (!secret) return null;
    const apiHost = readApiUrl("intercom", env, "INTERCOM_API_URL", "https://api.intercom.io").hostname;
    const workspaceId = readWorkspaceId(env);
    return {
      secret,
      appHost: APP_HOSTS[apiHost] ?? "app.intercom.com",
      ...(workspaceId === undefined ? {} : { workspaceId }),
    };
  },
  verify(request, settings) {
    const given = header(request, INTERCOM_SIGNATURE_HEADER);
    if (given === undefined) return { ok: false, reason: "X-Hub-Signature header missing" };
    if (!given.startsWith("sha1=")) return { ok: false, reason: "X-Hub-Signature is not sha1=<hex>" };
    return hmacMatches("sha1", settings.secret, request.body, given.slice("sha1=".length), "hex");
  },
  parse(body, request, settings) {
    const parsed = notificationSchema.safeParse(body);
    if (!parsed.success) return { ignore: "not an Intercom notification" };
    const notification = parsed.data;
    const item = notification.data?.item;
    if (item?.type !== "conversation" || !item.id || !notification.app_id)
      return { ignore: `topic ${notification.topic} carries no conversation` };
    if (settings.workspaceId !== undefined && notification.app_id.toLowerCase() !== settings.workspaceId) {
      return {
        ignore: `workspace ${notification.app_id} is another account (INTERCOM_WORKSPACE_ID is ${settings.workspaceId})`,
      };
    }

    const messages: HelpdeskEvent["messages"] = [];
    const occurredAt = isoTime(notification.created_at) ?? request.receivedAt.toISOString();
    if (FIRST_MESSAGE_TOPICS.has(notification.topic) && item.source?.body) {
      messages.push({
        text: item.source.body,
        at: isoTime(item.created_at) ?? occurredAt,
        byAgent: item.source.author?.type === "admin" || notification.topic === ADMIN_STARTED,
      });
    }
    // Admin notes and admin replies are a teammate's; a customer's (user, lead) or a bot's part links nothing.
    for (const part of item.conversation_parts?.conversation_parts ?? []) {
      if (part.body)
        messages.push({
          text: part.body,
          at: isoTime(part.created_at) ?? occurredAt,
          byAgent: part.author?.type === "admin",
        });
    }
    const tags = item.tags ? item.tags.tags.map((tag) => tag.name) : undefined;
    // An answer is a teammate's public reply: part_type "comment" by an admin (a note is "note"; a customer's part is
    // by a user or lead; Fin and workflows are "bot"). A close is a "close" part, or the topic's closed state.
    const parts = item.conversation_parts?.conversation_parts ?? [];
    const agentReplies = parts
      .filter((part) => part.part_type === "comment" && part.author?.type === "admin")
      .map((part) => isoTime(part.created_at) ?? occurredAt);
    const closePart = parts.find((part) => part.part_type === "close");
    const closedAt =
      closePart !== undefined
        ? (isoTime(closePart.created_at) ?? occurredAt)
        : notification.topic === CLOSED || item.state === "closed"
          ? occurredAt
          : undefined;
    const answers = answerFields(agentReplies, closedAt);
    if (messages.length === 0 && tags === undefined && Object.keys(answers).length === 0)
      return { ignore: `topic ${notification.topic} carries no text or tags` };
    return {
      event: {
        provider: "intercom",
        eventId: notification.id,
        type: notification.topic,
        conversationUrl: `https://${settings.appHost}/a/inbox/${encodeURIComponent(notification.app_id)}/inbox/conversation/${encodeURIComponent(item.id)}`,
        messages,
        // Intercom names the team only by id (team_assignee_id); its name needs an API call (readConversation), not made for a webhook.
        ...(tags === undefined ? {} : { tags }),
        occurredAt,
        ...answers,
      },
    };
  },
};
