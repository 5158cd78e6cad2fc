import { z } from "zod";

/*
 * Only the fields closeloop reads, loosely.
 * Ticket: https://developers.freshdesk.com/api/#view_a_ticket. Status is a number: 2 open, 3 pending, 4 resolved,
 * 5 closed (https://developers.freshdesk.com/api/#tickets, "Ticket properties").
 */
export const ticketSchema = z.looseObject({
  status: z.number().nullish(),
  group_id: z.number().nullish(),
  tags: z.array(z.string()).nullish(),
  requester_id: z.number().nullish(),
  created_at: z.string().nullish(),
});

// A ticket's status with its stats (?include=stats: resolved_at, closed_at), for its answer.
export const ticketStatsSchema = z.looseObject({
  status: z.number().nullish(),
  stats: z.looseObject({ resolved_at: z.string().nullish(), closed_at: z.string().nullish() }).nullish(),
});

// https://developers.freshdesk.com/api/#list_all_ticket_notes: replies and notes, oldest first. An agent's reply is
// not incoming, not private, and not a note (source 2).
export const conversationsSchema = z.array(
  z.looseObject({
    incoming: z.boolean().nullish(),
    private: z.boolean().nullish(),
    source: z.number().nullish(),
    created_at: z.string().nullish(),
  }),
);

// https://developers.freshdesk.com/api/#view_group
/** https://developers.freshdesk.com/api/#me (View Me): the agent whose API key is used */
export const meSchema = z.looseObject({
  id: z.number(),
  contact: z.looseObject({ email: z.string().nullish() }).nullish(),
});
export const groupSchema = z.looseObject({ name: z.string() });

/*
 * https://developers.freshdesk.com/api/#error: { "description": "Validation failed", "errors": [{ "field", "message",
 * "code" }] }, or { "code": "...", "message": "..." } for authentication and access errors.
 */
export const errorSchema = z.looseObject({
  description: z.string().nullish(),
  message: z.string().nullish(),
  code: z.string().nullish(),
  errors: z
    .array(z.looseObject({ field: z.string().nullish(), message: z.string().nullish(), code: z.string().nullish() }))
    .nullish(),
});
