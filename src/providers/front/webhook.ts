import { z } from "zod";
import {
  answerFields,
  bodyHash,
  header,
  hmacMatches,
  isoTime,
  timestampFresh,
  type HelpdeskEvent,
  type HelpdeskWebhook,
} from "../helpdesk-webhook.js";

/*
 * Front application webhooks (https://dev.frontapp.com/docs/application-webhooks): the signature is
 * `X-Front-Signature: base64(HMAC-SHA256(app secret, X-Front-Request-Timestamp + ":" + raw body))`, the timestamp in
 * milliseconds; Front recommends refusing requests older than 5 minutes (https://dev.frontapp.com/docs/security-1).
 * Saving the webhook in Front sends a signed `{type: "sync"}` request with an `X-Front-Challenge` header, answered by
 * echoing the challenge.
 * Rule webhooks (https://dev.frontapp.com/docs/rule-webhooks) are signed differently (SHA-1, no timestamp) and are
 * not accepted: application webhooks are the ones with replay protection.
 * Body: { type, authorization: { id: "cmp_…" }, payload: <event> }, the event as in
 * https://dev.frontapp.com/reference/events: { id, type, emitted_at, conversation: { id: "cnv_…", tags: [{ name }] },
 * target: { _meta: { type: "comment" | "message" }, data: { body, posted_at | created_at } } }.
 */
const id = z.union([z.string(), z.number()]).transform(String);

const deliverySchema = z.looseObject({
  type: z.string(),
  payload: z
    .looseObject({
      id: id.nullish(),
      type: z.string().nullish(),
      emitted_at: z.number().nullish(),
      conversation: z
        .looseObject({ id: z.string(), tags: z.array(z.looseObject({ name: z.string() })).nullish() })
        .nullish(),
      target: z
        .looseObject({
          _meta: z.looseObject({ type: z.string().nullish() }).nullish(),
          data: z.unknown(),
        })
        .nullish(),
    })
    .nullish(),
});

const textSchema = z.looseObject({
  body: z.string().nullish(),
  posted_at: z.number().nullish(),
  created_at: z.number().nullish(),
  is_inbound: z.boolean().nullish(),
});

// Event targets that are text someone wrote: a comment (internal note) or a message (inbound, outbound, reply).
const TEXT_TARGETS = new Set(["comment", "message"]);

/**
 * A teammate wrote it: every comment (internal discussion, only teammates can comment:
 * https://dev.frontapp.com/reference/comments), and an outbound message (a reply; `is_inbound: false`,
 * https://dev.frontapp.com/reference/messages). An inbound message is the customer's.
 */
function byTeammate(target: string, message: z.infer<typeof textSchema>): boolean {
  return target === "comment" || (target === "message" && message.is_inbound === false);
}

/** Where Front sends the signature (above); redacted from the logs through the definition. */
export const FRONT_SIGNATURE_HEADER = "x-front-signature";

export const frontWebhook: HelpdeskWebhook = {
  secretVariable: "FRONT_WEBHOOK_SECRET",
  configure(env) {
    const secret = env.FRONT_WEBHOOK_SECRET?.trim();
    return secret ? { secret } : null;
  },
  verify(request, settings) {
    const timestamp = header(request, "x-front-request-timestamp");
    if (timestamp === undefined || !/^\d{1,16}$/.test(timestamp))
      return { ok: false, reason: "X-Front-Request-Timestamp header missing or malformed" };
    const fresh = timestampFresh(new Date(Number(timestamp)), request.receivedAt);
    if (!fresh.ok) return fresh;
    return hmacMatches(
      "sha256",
      settings.secret,
      Buffer.concat([Buffer.from(`${timestamp}:`, "utf8"), request.body]),
      header(request, FRONT_SIGNATURE_HEADER),
      "base64",
    );
  },
  handshake(request) {
    const challenge = header(request, "x-front-challenge");
    return challenge === undefined ? undefined : { status: 200, body: { challenge } };
  },
  parse(body, request) {
    const parsed = deliverySchema.safeParse(body);
    if (!parsed.success) return { ignore: "not a Front application webhook" };
    const event = parsed.data.payload;
    const conversationId = event?.conversation?.id;
    if (!event || !conversationId?.startsWith("cnv_")) return { ignore: `${parsed.data.type} carries no conversation` };

    const occurredAt = isoTime(event.emitted_at) ?? request.receivedAt.toISOString();
    const messages: HelpdeskEvent["messages"] = [];
    const target = event.target?._meta?.type ?? "";
    if (TEXT_TARGETS.has(target)) {
      const text = textSchema.safeParse(event.target?.data);
      if (text.success && text.data.body) {
        messages.push({
          text: text.data.body,
          at: isoTime(text.data.posted_at ?? text.data.created_at) ?? occurredAt,
          byAgent: byTeammate(target, text.data),
        });
      }
    }
    const tags = event.conversation?.tags?.map((tag) => tag.name);
    // An answer is a message a teammate sent (`outbound`, `out_reply`: is_inbound false); a comment is internal. A
    // conversation is done when archived (https://dev.frontapp.com/reference/events: `archive`).
    const reply = target === "message" && messages[0]?.byAgent === true ? messages[0].at : undefined;
    const answers = answerFields([reply], event.type === "archive" ? occurredAt : undefined);
    if (messages.length === 0 && tags === undefined && Object.keys(answers).length === 0)
      return { ignore: `${parsed.data.type} carries no text or tags` };
    return {
      event: {
        provider: "front",
        eventId: event.id ?? bodyHash(request.body),
        type: parsed.data.type,
        conversationUrl: `https://app.frontapp.com/open/${encodeURIComponent(conversationId)}`,
        messages,
        // The team of a Front conversation is its inbox, which the event does not name: only an API call (readConversation) does.
        ...(tags === undefined ? {} : { tags }),
        occurredAt,
        ...answers,
      },
    };
  },
};
