import { z } from "zod";
import {
  answerFields,
  bodyHash,
  header,
  hmacMatches,
  isoTime,
  type HelpdeskEvent,
  type HelpdeskWebhook,
} from "../helpdesk-webhook.js";

/*
 * Help Scout webhooks (https://developer.helpscout.com/webhooks/): `X-HelpScout-Signature: base64(HMAC-SHA1(secret key,
 * body))` and `X-HelpScout-Event: convo.note.created` (the event name). No timestamp and no event id are sent, so a
 * replay is recognised by the hash of the event name and body.
 * Body: the conversation (https://developer.helpscout.com/webhooks/objects/conversation/): id, number, tags, and its
 * threads with their HTML bodies: in the legacy object `threads: [...]`, `tags: ["…"]`, `mailbox: { name }`; in the
 * v2 object (Mailbox API 2.0 shape) `_embedded.threads`, `tags: [{ tag }]`, `mailboxId`. Both are read.
 */
const thread = z.looseObject({
  type: z.string().nullish(),
  body: z.string().nullish(),
  createdAt: z.string().nullish(),
  createdBy: z.looseObject({ type: z.string().nullish() }).nullish(),
});

// https://developer.helpscout.com/webhooks/objects/thread/: a "note" or a "message" (an agent's reply) is written by a
// user (a teammate); a "customer" thread by the customer. createdBy.type says "user" or "customer". A thread that does
// not say it was created by a user is a customer's: links fail closed.
const AGENT_THREADS = new Set(["note", "message"]);
const REPLY_THREADS = new Set(["message", "reply"]);

function byAgent(entry: z.infer<typeof thread>): boolean {
  return AGENT_THREADS.has(entry.type ?? "") && entry.createdBy?.type === "user";
}
const tag = z.union([z.string(), z.looseObject({ tag: z.string() }).transform((value) => value.tag)]);

const conversationSchema = z.looseObject({
  id: z.number(),
  number: z.number().nullish(),
  status: z.string().nullish(),
  closedAt: z.string().nullish(),
  createdAt: z.string().nullish(),
  modifiedAt: z.string().nullish(),
  userModifiedAt: z.string().nullish(),
  userUpdatedAt: z.string().nullish(),
  tags: z.array(tag).nullish(),
  mailbox: z.looseObject({ name: z.string().nullish() }).nullish(),
  threads: z.union([z.array(thread), z.number()]).nullish(),
  _embedded: z.looseObject({ threads: z.array(thread).nullish() }).nullish(),
});

// Events whose body is a conversation and that bring new text or tags.
const READ_EVENTS = new Set([
  "convo.created",
  "convo.customer.reply.created",
  "convo.agent.reply.created",
  "convo.note.created",
  "convo.tags",
  "convo.moved",
  "convo.assigned",
  "convo.status",
]);

/** Where Help Scout sends the signature (above); redacted from the logs through the definition. */
export const HELPSCOUT_SIGNATURE_HEADER = "x-helpscout-signature";

export const helpscoutWebhook: HelpdeskWebhook = {
  secretVariable: "HELPSCOUT_WEBHOOK_SECRET",
  configure(env) {
    const secret = env.HELPSCOUT_WEBHOOK_SECRET?.trim();
    return secret ? { secret } : null;
  },
  verify(request, settings) {
    return hmacMatches("sha1", settings.secret, request.body, header(request, HELPSCOUT_SIGNATURE_HEADER), "base64");
  },
  parse(body, request) {
    const name = header(request, "x-helpscout-event") ?? "";
    if (!READ_EVENTS.has(name)) return { ignore: `event ${name || "(no X-HelpScout-Event)"} is not read` };
    const parsed = conversationSchema.safeParse(body);
    if (!parsed.success) return { ignore: `${name} carries no conversation` };
    const conversation = parsed.data;

    const occurredAt =
      isoTime(conversation.userModifiedAt ?? conversation.userUpdatedAt ?? conversation.modifiedAt) ??
      request.receivedAt.toISOString();
    // Help Scout sends the conversation with all its threads, not only the new one: every thread is read, and a link
    // already made from an earlier thread is left as it is.
    const threads = Array.isArray(conversation.threads)
      ? conversation.threads
      : (conversation._embedded?.threads ?? []);
    const messages: HelpdeskEvent["messages"] = threads
      .filter((entry) => entry.body)
      .map((entry) => ({ text: entry.body!, at: isoTime(entry.createdAt) ?? occurredAt, byAgent: byAgent(entry) }));
    const tags = conversation.tags ?? undefined;
    const team = conversation.mailbox?.name ?? undefined;
    // An answer is a reply thread by a user (an agent): "message" in the webhook object, "reply" in Mailbox API 2.0;
    // a note is internal, a "customer" thread the customer's. The body holds every thread, old ones too: the watch
    // takes the first after its reopen. `status: "closed"` is a closed conversation.
    const agentReplies = threads
      .filter((entry) => REPLY_THREADS.has(entry.type ?? "") && (entry.createdBy?.type ?? "user") === "user")
      .map((entry) => isoTime(entry.createdAt) ?? occurredAt);
    const closedAt = conversation.status === "closed" ? (isoTime(conversation.closedAt) ?? occurredAt) : undefined;
    const number = conversation.number === null || conversation.number === undefined ? "" : `${conversation.number}/`;
    return {
      event: {
        provider: "helpscout",
        eventId: bodyHash(Buffer.concat([Buffer.from(`${name}\n`, "utf8"), request.body])),
        type: name,
        conversationUrl: `https://secure.helpscout.net/conversation/${conversation.id}/${number}`,
        messages,
        // The team of a Help Scout conversation is its mailbox; the v2 object names it by id only, and only an API call (readConversation) gives its name.
        ...(team === undefined ? {} : { team }),
        ...(tags === undefined ? {} : { tags }),
        occurredAt,
        ...answerFields(agentReplies, closedAt),
      },
    };
  },
};
