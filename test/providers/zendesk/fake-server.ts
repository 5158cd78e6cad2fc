import {
  basicCredentials,
  isRecord,
  FakeActivities,
  type FakeActivity,
  startFakeHelpdesk,
  type FakeConversationState,
  type FakeHelpdesk,
  type FakeHelpdeskServer,
  type FakeReply,
  type SeedConversation,
} from "../../fakes/fake-helpdesk.js";

/**
 * Zendesk's Support API as closeloop uses it: Basic "{email}/token:{token}", Update Ticket for notes and reopen, 422
 * for a closed ticket, X-Rate-Limit headers and Retry-After in seconds; List Comments; Create Ticket for follow-ups of
 * closed tickets (via_followup_source_id, the source's followup_ids, Idempotency-Key replays) and Show Multiple Tickets.
 */
type Status = "new" | "open" | "pending" | "hold" | "solved" | "closed";
const STATUSES: readonly Status[] = ["new", "open", "pending", "hold", "solved", "closed"];

interface Ticket {
  id: string;
  status: Status;
  groupId: number | null;
  tags: string[];
  requesterId: number | null;
  createdAt: Date;
  notes: string[];
  publicComments: string[];
  reopened: number;
  externalId: string | null;
  subject: string;
  /** follow-up tickets created from this one, oldest first */
  followUps: string[];
  /** the closed ticket this one follows up */
  followUpOf: string | null;
}

const zendeskError = (status: number, error: string, description: string, details?: unknown): FakeReply => ({
  status,
  body: details === undefined ? { error, description } : { error, description, details },
});

export class FakeZendesk implements FakeHelpdeskServer {
  readonly provider = "zendesk" as const;
  readonly subdomain = "acme";
  readonly email = "agent@example.com";
  readonly token = "zendesk-test-token";
  /** the role of the token's user: agents and admins may update tickets, end users may not */
  role: "agent" | "admin" | "end-user" = "agent";
  readonly tickets = new Map<string, Ticket>();
  readonly groups = new Map<number, string>();
  /** Idempotency-Key → the create's body and the ticket it made (Zendesk keeps them two hours) */
  readonly creates = new Map<string, { body: string; ticketId: string }>();
  nextTicketId = 90_000;

  constructor(readonly http: FakeHelpdesk) {}

  env(): Record<string, string> {
    return {
      ZENDESK_SUBDOMAIN: this.subdomain,
      ZENDESK_EMAIL: this.email,
      ZENDESK_API_TOKEN: this.token,
      ZENDESK_API_URL: this.http.url,
    };
  }

  seed(seed: SeedConversation & { status?: Status }): void {
    let groupId: number | null = null;
    if (seed.team !== undefined && seed.team !== null) {
      groupId = 360_000 + this.groups.size;
      this.groups.set(groupId, seed.team);
    }
    this.tickets.set(seed.id, {
      id: seed.id,
      status: seed.status ?? (seed.open === false ? "solved" : "open"),
      groupId,
      tags: seed.tags ?? [],
      requesterId: seed.customerId === undefined || seed.customerId === null ? null : Number(seed.customerId),
      createdAt: seed.createdAt ?? new Date("2024-05-01T10:00:00Z"),
      notes: [],
      publicComments: [],
      reopened: 0,
      externalId: null,
      subject: "Checkout button does nothing",
      followUps: [],
      followUpOf: null,
    });
  }

  /** The follow-up tickets made from a ticket. */
  followUpsOf(id: string): Ticket[] {
    return (this.tickets.get(id)?.followUps ?? []).map((followUp) => this.tickets.get(followUp)!);
  }

  conversation(id: string): FakeConversationState | undefined {
    const found = this.tickets.get(id);
    return (
      found && {
        open: found.status === "open" || found.status === "new",
        notes: [...found.notes],
        reopened: found.reopened,
      }
    );
  }

  close(): Promise<void> {
    return this.http.close();
  }

  readonly activities = new FakeActivities();

  happen(id: string, activity: FakeActivity): void {
    this.activities.add(id, activity);
    if (activity.kind === "closed") this.tickets.get(id)!.status = "solved";
  }

  render(ticket: Ticket) {
    return {
      ticket: {
        id: Number(ticket.id),
        url: `${this.http.url}/api/v2/tickets/${ticket.id}.json`,
        status: ticket.status,
        group_id: ticket.groupId,
        tags: ticket.tags,
        requester_id: ticket.requesterId,
        created_at: ticket.createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
        subject: ticket.subject,
        external_id: ticket.externalId,
        // "Ids are only visible once the ticket is closed"
        followup_ids: ticket.status === "closed" ? ticket.followUps.map(Number) : [],
        updated_at: (this.activities.closedAt(ticket.id) ?? ticket.createdAt).toISOString(),
      },
    };
  }

  /** Create Ticket: a follow-up when via_followup_source_id names a closed ticket (on any other it has no effect). */
  create(ticket: Record<string, unknown>): FakeReply {
    const comment = ticket.comment;
    if (!isRecord(comment) || typeof comment.body !== "string" || comment.body.trim() === "") {
      return zendeskError(422, "RecordInvalid", "Record validation errors", {
        base: [{ description: "Comment: body cannot be blank" }],
      });
    }
    const via = ticket.via_followup_source_id;
    const sourceId = typeof via === "number" || typeof via === "string" ? String(via) : undefined;
    const source = sourceId === undefined ? undefined : this.tickets.get(sourceId);
    if (sourceId !== undefined && source === undefined) {
      return zendeskError(422, "RecordInvalid", "Record validation errors", {
        via_followup_source_id: [{ description: "Follow-up source: is invalid" }],
      });
    }
    const id = String((this.nextTicketId += 1));
    const status = STATUSES.includes(ticket.status as Status) ? (ticket.status as Status) : "new";
    this.seed({ id, status, customerId: typeof ticket.requester_id === "number" ? String(ticket.requester_id) : null });
    const created = this.tickets.get(id)!;
    created.externalId = typeof ticket.external_id === "string" ? ticket.external_id : null;
    if (typeof ticket.subject === "string") created.subject = ticket.subject;
    (comment.public === false ? created.notes : created.publicComments).push(comment.body);
    if (source?.status === "closed") {
      source.followUps.push(id);
      created.followUpOf = source.id;
    }
    return { status: 201, body: this.render(created) };
  }
}

export async function startFakeZendesk(): Promise<FakeZendesk> {
  let fake: FakeZendesk | undefined;
  const self = () => fake!;
  const find = (id: string | undefined) => (id === undefined ? undefined : self().tickets.get(id));
  const notFound = zendeskError(404, "RecordNotFound", "Not found");
  const invalid = (field: string, description: string) =>
    zendeskError(422, "RecordInvalid", "Record validation errors", {
      [field]: [{ description, error: "InvalidValue" }],
    });

  const http = await startFakeHelpdesk({
    authorize: (request) =>
      basicCredentials(request.headers.authorization) === `${self().email}/token:${self().token}`
        ? undefined
        : { status: 401, body: { error: "Couldn't authenticate you" } },
    rateLimited: (seconds) => ({
      ...zendeskError(429, "TooManyRequests", "You have exceeded a rate limit"),
      headers: { "retry-after": String(seconds) },
    }),
    rateLimitHeaders: ({ limit, remaining, resetAt }) => ({
      "x-rate-limit": String(limit),
      "x-rate-limit-remaining": String(remaining),
      "ratelimit-reset": String(Math.max(0, Math.ceil((resetAt.getTime() - Date.now()) / 1000))),
    }),
    routes: [
      {
        // https://developer.zendesk.com/api-reference/ticketing/users/users/#show-self
        method: "GET",
        path: /^\/api\/v2\/users\/me\.json$/,
        handle: () => ({ status: 200, body: { user: { id: 3001, name: "closeloop bot", role: self().role } } }),
      },
      {
        // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#show-multiple-tickets
        method: "GET",
        path: /^\/api\/v2\/tickets\/show_many\.json$/,
        handle: ({ query }) => {
          const ids = (query.get("ids") ?? "").split(",").filter((id) => id !== "");
          const tickets = ids.flatMap((id) => {
            const ticket = find(id);
            return ticket === undefined ? [] : [self().render(ticket).ticket];
          });
          return { status: 200, body: { tickets } };
        },
      },
      {
        // https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/#list-comments
        method: "GET",
        path: /^\/api\/v2\/tickets\/([^/]+)\/comments\.json$/,
        handle: ({ query }, [, id]) => {
          const ticket = find(id);
          if (ticket === undefined) return notFound;
          const AGENT = 1001;
          const REQUESTER = 2002;
          const comments = [
            ...ticket.publicComments.map((body) => ({ body, public: true, author_id: AGENT })),
            ...ticket.notes.map((body) => ({ body, public: false, author_id: AGENT })),
            ...self()
              .activities.of(ticket.id)
              .filter((activity) => activity.kind !== "closed")
              .map((activity) => ({
                body: activity.kind,
                public: activity.kind !== "note",
                author_id: activity.kind === "customer_reply" ? REQUESTER : AGENT,
                created_at: activity.at.toISOString(),
              })),
          ];
          // Sideloads: https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/side_loading/
          const users =
            query.get("include") === "users"
              ? {
                  users: [
                    { id: AGENT, role: "agent" },
                    { id: REQUESTER, role: "end-user" },
                  ],
                }
              : {};
          return {
            status: 200,
            body: { comments: query.get("sort_order") === "desc" ? comments.reverse() : comments, ...users },
          };
        },
      },
      {
        // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket, with
        // https://developer.zendesk.com/api-reference/ticketing/introduction/#idempotency
        method: "POST",
        path: /^\/api\/v2\/tickets\.json$/,
        handle: ({ body, headers }) => {
          if (!isRecord(body) || !isRecord(body.ticket))
            return zendeskError(400, "InvalidEndpoint", "Parameter ticket is required");
          const key = headers["idempotency-key"];
          const text = JSON.stringify(body);
          if (typeof key === "string") {
            const earlier = self().creates.get(key);
            if (earlier !== undefined) {
              if (earlier.body !== text)
                return zendeskError(
                  400,
                  "IdempotentRequestError",
                  "Request parameters don't match the given idempotency key",
                );
              return {
                status: 201,
                body: self().render(find(earlier.ticketId)!),
                headers: { "x-idempotency-lookup": "hit" },
              };
            }
          }
          const reply = self().create(body.ticket);
          if (typeof key === "string" && reply.status === 201) {
            const ticketId = String((reply.body as { ticket: { id: number } }).ticket.id);
            self().creates.set(key, { body: text, ticketId });
            return { ...reply, headers: { "x-idempotency-lookup": "miss" } };
          }
          return reply;
        },
      },
      {
        method: "GET",
        path: /^\/api\/v2\/tickets\/([^/]+)\.json$/,
        handle: (_request, [, id]) => {
          const ticket = find(id);
          return ticket === undefined ? notFound : { status: 200, body: self().render(ticket) };
        },
      },
      {
        // https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
        method: "PUT",
        path: /^\/api\/v2\/tickets\/([^/]+)\.json$/,
        handle: ({ body }, [, id]) => {
          const ticket = find(id);
          if (ticket === undefined) return notFound;
          if (!isRecord(body) || !isRecord(body.ticket))
            return zendeskError(400, "InvalidEndpoint", "Parameter ticket is required");
          if (ticket.status === "closed") return invalid("status", "Status: closed prevents ticket update");
          const update = body.ticket;
          if ("status" in update && !STATUSES.includes(update.status as Status))
            return invalid("status", "Status: is invalid");
          if ("comment" in update) {
            const comment = update.comment;
            if (!isRecord(comment) || typeof comment.body !== "string" || comment.body.trim() === "") {
              return invalid("base", "Comment: body cannot be blank");
            }
            (comment.public === false ? ticket.notes : ticket.publicComments).push(comment.body);
          }
          if ("status" in update) {
            if (update.status === "open" && ticket.status !== "open") ticket.reopened += 1;
            ticket.status = update.status as Status;
          }
          return { status: 200, body: { ...self().render(ticket), audit: { id: Date.now() } } };
        },
      },
      {
        method: "GET",
        path: /^\/api\/v2\/groups\/(\d+)\.json$/,
        handle: (_request, [, id]) => {
          const name = self().groups.get(Number(id));
          return name === undefined
            ? notFound
            : { status: 200, body: { group: { id: Number(id), name, deleted: false } } };
        },
      },
    ],
  });
  fake = new FakeZendesk(http);
  return fake;
}
