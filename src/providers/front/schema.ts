import { z } from "zod";

/*
 * Only the fields closeloop reads, loosely.
 * Conversation: https://dev.frontapp.com/reference/conversations ("Example Conversation Object"); created_at is a UNIX
 * time in seconds with a fraction, and the recipient links to its contact (crd_…) rather than carrying its id.
 */
export const conversationSchema = z.looseObject({
  created_at: z.number().nullish(),
  tags: z.array(z.looseObject({ name: z.string() })).nullish(),
  recipient: z
    .looseObject({
      _links: z.looseObject({ related: z.looseObject({ contact: z.string().nullish() }).nullish() }).nullish(),
    })
    .nullish(),
});

// https://dev.frontapp.com/reference/list-conversation-inboxes
export const inboxesSchema = z.looseObject({
  _results: z.array(z.looseObject({ name: z.string() })),
});

// The conversation's status ("archived" when done) and its messages, newest first
// (https://dev.frontapp.com/reference/list-conversation-messages): a message a teammate sent has is_inbound false.
/** https://dev.frontapp.com/reference/api-token-details: the company the token belongs to */
export const tokenIdentitySchema = z.looseObject({ id: z.string().nullish(), name: z.string().nullish() });
export const statusSchema = z.looseObject({ status: z.string().nullish() });
export const messagesSchema = z.looseObject({
  _results: z.array(z.looseObject({ is_inbound: z.boolean().nullish(), created_at: z.number().nullish() })),
});

// Front's error envelope: { "_error": { "status", "title", "message" } }
export const errorSchema = z.looseObject({
  _error: z.looseObject({ title: z.string().nullish(), message: z.string().nullish() }),
});
