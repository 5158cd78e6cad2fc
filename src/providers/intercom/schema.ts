import { z } from "zod";

/*
 * Only the fields closeloop reads, loosely: Intercom adds fields in every version and some are null in older
 * workspaces. Conversation model: https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/conversation
 */
const id = z.union([z.string(), z.number()]).transform(String);

export const conversationSchema = z.looseObject({
  created_at: z.number().nullish(),
  // A string in the reference, a number in some responses, 0 or null when no team is assigned.
  team_assignee_id: id.nullish(),
  tags: z.looseObject({ tags: z.array(z.looseObject({ name: z.string() })).default([]) }).nullish(),
  contacts: z.looseObject({ contacts: z.array(z.looseObject({ id })).default([]) }).nullish(),
});

// The conversation's parts and state, for its answer (docs/answers.md): part_type comment | note | close | open …, author.type
// admin | user | lead | bot. Retrieve Conversation returns up to 500 parts, oldest first.
export const conversationPartsSchema = z.looseObject({
  state: z.string().nullish(),
  conversation_parts: z
    .looseObject({
      conversation_parts: z
        .array(
          z.looseObject({
            part_type: z.string().nullish(),
            created_at: z.number().nullish(),
            author: z.looseObject({ type: z.string().nullish() }).nullish(),
          }),
        )
        .default([]),
    })
    .nullish(),
});

// https://developers.intercom.com/docs/references/2.12/rest-api/api.intercom.io/teams/retrieveteam
export const teamSchema = z.looseObject({ name: z.string() });

/** https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/admins/retrieveadmin */
export const adminSchema = z.looseObject({ id, name: z.string().nullish() });

// https://developers.intercom.com/docs/references/2.17/rest-api/errors/error-objects
export const errorListSchema = z.looseObject({
  errors: z.array(z.looseObject({ code: z.string().nullish(), message: z.string().nullish() })),
});
