import { z } from "zod";
import {
  answerFields,
  bodyHash,
  header,
  secretMatches,
  type HelpdeskEvent,
  type HelpdeskWebhook,
  type WebhookSettings,
} from "../helpdesk-webhook.js";
import { ProviderConfigError } from "../provider-settings.js";

/*
 * Freshdesk cannot sign webhooks: they are an action ("Trigger webhook") of an automation rule, whose settings let the
 * operator add custom headers and write the JSON body with placeholders
 * (https://support.freshdesk.com/support/solutions/articles/132589-using-webhooks-in-automation-rules). So the
 * operator puts FRESHDESK_WEBHOOK_SECRET in a custom header, `X-Closeloop-Webhook-Secret`, compared here in constant
 * time, and writes the body README.md prescribes:
 *   { "freshdesk_webhook": { "ticket_id": "{{ticket.id}}", "ticket_latest_public_comment": "…",
 *     "ticket_latest_private_comment": "…", "ticket_tags": "{{ticket.tags}}", "ticket_group_name": "{{ticket.group.name}}",
 *     "latest_private_comment_by": "agent" } }
 * (the keys the rule's "Simple" content mode uses, and one of closeloop's: see parse). A secret in a header has no replay protection beyond HTTPS, and
 * Freshdesk sends no event id or time: a replay is recognised by the body's hash, and the text is dated on arrival.
 */
export const FRESHDESK_SECRET_HEADER = "x-closeloop-webhook-secret";

export interface FreshdeskWebhookSettings extends WebhookSettings {
  domain: string;
}

const text = z
  .string()
  .nullish()
  .transform((value) => (value === null || value === undefined || value.trim() === "" ? undefined : value));

const bodySchema = z.looseObject({
  freshdesk_webhook: z.looseObject({
    ticket_id: z.union([z.number(), z.string().regex(/^\s*\d+\s*$/)]).transform((value) => String(value).trim()),
    ticket_latest_public_comment: text,
    ticket_latest_private_comment: text,
    // "{{ticket.tags}}" renders as "billing, export"; a list written by hand is read too.
    ticket_tags: z.union([z.string(), z.array(z.string())]).nullish(),
    ticket_group_name: z.string().nullish(),
    triggered_event: z.string().nullish(),
    latest_private_comment_by: z.string().nullish(),
    // Written by the operator in the rules README.md prescribes: "agent_reply" in the rule that runs when an agent
    // sends a reply, and "{{ticket.status}}" in the one that runs when the status changes.
    closeloop_event: z.string().nullish(),
    ticket_status: z.string().nullish(),
  }),
});

export const freshdeskWebhook: HelpdeskWebhook<FreshdeskWebhookSettings> = {
  secretVariable: "FRESHDESK_WEBHOOK_SECRET",
  configure(env) {
    const secret = env.FRESHDESK_WEBHOOK_SECRET?.trim();
    if (!secret) return null;
    const domain = env.FRESHDESK_DOMAIN?.trim()
      .toLowerCase()
      .replace(/\.freshdesk\.com$/, "");
    if (!domain || !/^[a-z0-9][a-z0-9-]*$/.test(domain)) {
      throw new ProviderConfigError(
        "freshdesk",
        "FRESHDESK_DOMAIN",
        "is required when FRESHDESK_WEBHOOK_SECRET is set: ticket ids are per helpdesk",
      );
    }
    if (secret.length < 16)
      throw new ProviderConfigError(
        "freshdesk",
        "FRESHDESK_WEBHOOK_SECRET",
        "must be at least 16 characters: it is sent as-is, not used to sign",
      );
    return { secret, domain };
  },
  verify(request, settings) {
    return secretMatches(settings.secret, header(request, FRESHDESK_SECRET_HEADER));
  },
  parse(body, request, settings) {
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success)
      return {
        ignore:
          'not the body closeloop asks for ({"freshdesk_webhook": {"ticket_id": …}}), see src/providers/freshdesk/README.md',
      };
    const ticket = parsed.data.freshdesk_webhook;
    const at = request.receivedAt.toISOString();
    // No placeholder names who wrote `{{ticket.latest_private_comment}}`: it is the ticket's latest private note
    // whoever wrote it, and a private note need not be an agent's (the API takes a contact's user_id; a rule fired
    // by an agent's tag change carries the latest note of anyone). So the private comment is an agent's only when the
    // body says so with the constant that README.md puts in the notes rule alone, a rule that runs when an agent adds
    // a private note. The public one may be the requester's reply: it links nothing.
    const messages: HelpdeskEvent["messages"] = [
      { text: ticket.ticket_latest_public_comment, byAgent: false },
      { text: ticket.ticket_latest_private_comment, byAgent: ticket.latest_private_comment_by?.trim() === "agent" },
    ]
      .filter((comment): comment is { text: string; byAgent: boolean } => comment.text !== undefined)
      .map((comment) => ({ ...comment, at }));
    const tags =
      ticket.ticket_tags === null || ticket.ticket_tags === undefined
        ? undefined
        : (Array.isArray(ticket.ticket_tags) ? ticket.ticket_tags : ticket.ticket_tags.split(","))
            .map((tag) => tag.trim())
            .filter(Boolean);
    // The body cannot say who wrote the public comment, so only a rule that runs on an agent's reply (its performer
    // Agent, its event "Reply is sent") says an agent answered. Resolved and Closed end the conversation.
    const reply = ticket.closeloop_event?.trim().toLowerCase() === "agent_reply" ? at : undefined;
    const status = ticket.ticket_status?.trim().toLowerCase();
    const closedAt = status === "resolved" || status === "closed" ? at : undefined;
    return {
      event: {
        provider: "freshdesk",
        eventId: bodyHash(request.body),
        type: ticket.triggered_event ?? "automation rule",
        conversationUrl: `https://${settings.domain}.freshdesk.com/a/tickets/${ticket.ticket_id}`,
        messages,
        // An empty "{{ticket.group.name}}" is a ticket with no group; a body without the key says nothing about it.
        ...(ticket.ticket_group_name === undefined ? {} : { team: ticket.ticket_group_name?.trim() || null }),
        ...(tags === undefined ? {} : { tags }),
        occurredAt: at,
        ...answerFields([reply], closedAt),
      },
    };
  },
};
