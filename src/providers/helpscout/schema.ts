import { z } from "zod";

/*
 * Only the fields closeloop reads, loosely.
 * Conversation: https://developer.helpscout.com/mailbox-api/endpoints/conversations/get/
 */
export const conversationSchema = z.looseObject({
  mailboxId: z.number().nullish(),
  createdAt: z.string().nullish(),
  tags: z.array(z.looseObject({ tag: z.string() })).nullish(),
  primaryCustomer: z.looseObject({ id: z.number().nullish() }).nullish(),
});

// https://developer.helpscout.com/mailbox-api/endpoints/mailboxes/get/
export const mailboxSchema = z.looseObject({ name: z.string() });

// https://developer.helpscout.com/mailbox-api/overview/authentication/ ("Client Credentials flow")
export const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().positive(),
});

// Validation errors: { "message": "...", "_embedded": { "errors": [{ "path": "...", "message": "..." }] } }
export const errorSchema = z.looseObject({
  message: z.string().nullish(),
  error: z.string().nullish(),
  _embedded: z
    .looseObject({ errors: z.array(z.looseObject({ path: z.string().nullish(), message: z.string().nullish() })) })
    .nullish(),
});
