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

// The conversation with its threads (?embed=threads), for its answer: a "reply" thread created by a user is an agent's
// reply (https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/list/); status "closed" with closedAt.
export const threadsSchema = z.looseObject({
  status: z.string().nullish(),
  closedAt: z.string().nullish(),
  _embedded: z
    .looseObject({
      threads: z
        .array(
          z.looseObject({
            type: z.string().nullish(),
            createdAt: z.string().nullish(),
            createdBy: z.looseObject({ type: z.string().nullish() }).nullish(),
          }),
        )
        .default([]),
    })
    .nullish(),
});

// https://developer.helpscout.com/mailbox-api/endpoints/mailboxes/get/
/** https://developer.helpscout.com/mailbox-api/endpoints/users/me/ (Get Resource Owner) */
export const resourceOwnerSchema = z.looseObject({ id: z.number(), email: z.string().nullish() });
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
