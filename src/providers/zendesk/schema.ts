import { z } from "zod";

/*
 * Only the fields closeloop reads, loosely.
 * Ticket: https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/ ("JSON format")
 */
export const ticketSchema = z.looseObject({
  ticket: z.looseObject({
    status: z.string().nullish(),
    group_id: z.number().nullish(),
    tags: z.array(z.string()).nullish(),
    requester_id: z.number().nullish(),
    created_at: z.string().nullish(),
    subject: z.string().nullish(),
    // "The ids of the followups created from this ticket. Ids are only visible once the ticket is closed"
    followup_ids: z.array(z.number()).nullish(),
  }),
});

// Show Multiple Tickets (GET /api/v2/tickets/show_many?ids=…): the follow-ups of a closed ticket, by their external_id.
export const ticketsSchema = z.looseObject({
  tickets: z.array(z.looseObject({ id: z.number(), external_id: z.string().nullish() })),
});

// Create Ticket answers 201 with the ticket.
export const createdTicketSchema = z.looseObject({
  ticket: z.looseObject({ id: z.number() }),
});

// List Comments (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments).
export const commentsSchema = z.looseObject({
  comments: z.array(z.looseObject({ body: z.string().nullish(), public: z.boolean().nullish() })),
});

// List Comments with the authors sideloaded (include=users): a public comment by an agent or admin answers the customer.
export const commentAuthorsSchema = z.looseObject({
  comments: z.array(
    z.looseObject({ author_id: z.number().nullish(), public: z.boolean().nullish(), created_at: z.string().nullish() }),
  ),
  users: z.array(z.looseObject({ id: z.number(), role: z.string().nullish() })).default([]),
});

// The ticket's status and when it last changed, for a solved or closed ticket (docs/answers.md).
export const ticketStatusSchema = z.looseObject({
  ticket: z.looseObject({ status: z.string().nullish(), updated_at: z.string().nullish() }),
});

// https://developer.zendesk.com/api-reference/ticketing/groups/groups/ ("Show Group")
/**
 * https://developer.zendesk.com/api-reference/ticketing/users/users/#show-self: a request without valid credentials may
 * be answered as the anonymous user, whose id is null.
 */
export const selfSchema = z.looseObject({
  user: z.looseObject({ id: z.number().nullish(), name: z.string().nullish(), role: z.string().nullish() }),
});
export const groupSchema = z.looseObject({
  group: z.looseObject({ name: z.string() }),
});

/*
 * Zendesk's error bodies come in two shapes: { "error": "RecordInvalid", "description": "...", "details": {...} } and
 * { "error": { "title": "...", "message": "..." } }.
 * https://developer.zendesk.com/api-reference/introduction/requests/ ("Response format")
 */
export const errorSchema = z.looseObject({
  error: z.union([z.string(), z.looseObject({ title: z.string().nullish(), message: z.string().nullish() })]).nullish(),
  description: z.string().nullish(),
  details: z.record(z.string(), z.array(z.looseObject({ description: z.string().nullish() }))).nullish(),
});
