import { z } from "zod";
import {
  answerFields,
  header,
  hmacMatches,
  isoTime,
  timestampFresh,
  type HelpdeskEvent,
  type HelpdeskWebhook,
  type WebhookSettings,
} from "../helpdesk-webhook.js";
import { ProviderConfigError } from "../provider-settings.js";

/*
 * Zendesk webhooks (https://developer.zendesk.com/documentation/webhooks/verifying/): the signature is
 * `X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(signing secret, X-Zendesk-Webhook-Signature-Timestamp + body))`,
 * the timestamp an ISO 8601 time ("2021-07-25T10:00:00Z"), refused here when more than 5 minutes off.
 * closeloop reads webhooks subscribed to Zendesk ticket events
 * (https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/): { id, type:
 * "zen:event-type:ticket.comment_added", time, subject: "zen:ticket:<id>", detail: <ticket: id, tags, group_id…>,
 * event: { comment: { body, is_public, author: { id, is_staff, name } } } }. Webhooks connected to triggers send whatever body the trigger defines
 * and are not read.
 * The events name the account by number only, so the ticket's subdomain comes from ZENDESK_SUBDOMAIN.
 */
export interface ZendeskWebhookSettings extends WebhookSettings {
  subdomain: string;
}

const id = z.union([z.string(), z.number()]).transform(String);

const eventSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  time: z.string().nullish(),
  subject: z.string().nullish(),
  detail: z
    .looseObject({ id: id.nullish(), tags: z.array(z.string()).nullish(), description: z.string().nullish() })
    .nullish(),
  event: z
    .looseObject({
      comment: z
        .looseObject({
          body: z.string().nullish(),
          is_public: z.boolean().nullish(),
          author: z.looseObject({ is_staff: z.boolean().nullish() }).nullish(),
        })
        .nullish(),
      // ticket.status_changed: { current: "SOLVED", previous: "OPEN" }
      current: z.unknown().optional(),
    })
    .nullish(),
});

const COMMENT_ADDED = "zen:event-type:ticket.comment_added";
const TAGS_CHANGED = "zen:event-type:ticket.tags_changed";
const TICKET_CREATED = "zen:event-type:ticket.created";
const STATUS_CHANGED = "zen:event-type:ticket.status_changed";
/** Ticket statuses that end the conversation (https://support.zendesk.com/hc/en-us/articles/4408821259930). */
const DONE_STATUSES = new Set(["solved", "closed"]);

/** Where Zendesk sends the signature (above); redacted from the logs through the definition. */
export const ZENDESK_SIGNATURE_HEADER = "x-zendesk-webhook-signature";

export const zendeskWebhook: HelpdeskWebhook<ZendeskWebhookSettings> = {
  secretVariable: "ZENDESK_WEBHOOK_SECRET",
  configure(env) {
    const secret = env.ZENDESK_WEBHOOK_SECRET?.trim();
    if (!secret) return null;
    const subdomain = env.ZENDESK_SUBDOMAIN?.trim()
      .toLowerCase()
      .replace(/\.zendesk\.com$/, "");
    if (!subdomain || !/^[a-z0-9][a-z0-9-]*$/.test(subdomain)) {
      throw new ProviderConfigError(
        "zendesk",
        "ZENDESK_SUBDOMAIN",
        "is required when ZENDESK_WEBHOOK_SECRET is set: Zendesk's events name the account by number only",
      );
    }
    return { secret, subdomain };
  },
  verify(request, settings) {
    const timestamp = header(request, "x-zendesk-webhook-signature-timestamp");
    if (timestamp === undefined) return { ok: false, reason: "X-Zendesk-Webhook-Signature-Timestamp header missing" };
    const fresh = timestampFresh(new Date(timestamp), request.receivedAt);
    if (!fresh.ok) return fresh;
    const signed = Buffer.concat([Buffer.from(timestamp, "utf8"), request.body]);
    return hmacMatches("sha256", settings.secret, signed, header(request, ZENDESK_SIGNATURE_HEADER), "base64");
  },
  parse(body, request, settings) {
    const parsed = eventSchema.safeParse(body);
    if (!parsed.success) return { ignore: "not a Zendesk event (webhooks connected to triggers are not read)" };
    const event = parsed.data;
    const ticketId = event.detail?.id ?? /^zen:ticket:(\d+)$/.exec(event.subject ?? "")?.[1];
    if (!ticketId) return { ignore: `${event.type} names no ticket` };

    const occurredAt = isoTime(event.time) ?? request.receivedAt.toISOString();
    const messages: HelpdeskEvent["messages"] = [];
    // comment.author.is_staff says an agent (or admin) wrote the comment; an end user's comment links nothing. A new
    // ticket's description names no author (the requester is usually the customer), so it links nothing either.
    if (event.type === COMMENT_ADDED && event.event?.comment?.body) {
      messages.push({
        text: event.event.comment.body,
        at: occurredAt,
        byAgent: event.event.comment.author?.is_staff === true,
      });
    } else if (event.type === TICKET_CREATED && event.detail?.description)
      messages.push({ text: event.detail.description, at: occurredAt, byAgent: false });
    else if (event.type !== TAGS_CHANGED && event.type !== STATUS_CHANGED)
      return { ignore: `${event.type} is not read` };
    const tags = event.detail?.tags ?? undefined;
    // An answer is a public comment by staff (is_public and author.is_staff); a private one is an internal note.
    const comment = event.type === COMMENT_ADDED ? event.event?.comment : undefined;
    const reply = comment?.is_public === true && comment.author?.is_staff === true ? occurredAt : undefined;
    const status = event.type === STATUS_CHANGED ? event.event?.current : undefined;
    const done = typeof status === "string" && DONE_STATUSES.has(status.toLowerCase());
    const answers = answerFields([reply], done ? occurredAt : undefined);
    if (messages.length === 0 && tags === undefined && Object.keys(answers).length === 0)
      return { ignore: `${event.type} carries no text or tags` };
    return {
      event: {
        provider: "zendesk",
        eventId: event.id,
        type: event.type,
        conversationUrl: `https://${settings.subdomain}.zendesk.com/agent/tickets/${encodeURIComponent(ticketId)}`,
        messages,
        // The group is named by id only (group_id); its name needs an API call (readConversation), not made for a webhook.
        ...(tags === undefined ? {} : { tags }),
        occurredAt,
        ...answers,
      },
    };
  },
};
