import type { ConversationDetails } from "./provider.js";

/** A helpdesk's creation time, or null when it is missing or not a date. */
export function readTime(text: string | null | undefined): Date | null {
  if (text === undefined || text === null) return null;
  const time = new Date(text);
  return Number.isNaN(time.getTime()) ? null : time;
}

/** A helpdesk's numeric or string id as the text we store, or null. */
export function readId(id: number | string | null | undefined): string | null {
  return id === undefined || id === null ? null : String(id);
}

/** Zendesk and Freshdesk tickets carry the same fields labels read; the group's name is looked up by the caller. */
export function ticketDetails(
  ticket: { tags?: string[] | null; requester_id?: number | null; created_at?: string | null },
  team: string | null,
): ConversationDetails {
  return { team, tags: ticket.tags ?? [], customerId: readId(ticket.requester_id), createdAt: readTime(ticket.created_at) };
}
