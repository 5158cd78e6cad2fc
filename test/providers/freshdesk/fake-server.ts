import {
  basicCredentials,
  FakeActivities,
  isRecord,
  startFakeHelpdesk,
  type FakeActivity,
  type FakeConversationState,
  type FakeHelpdesk,
  type FakeHelpdeskServer,
  type FakeReply,
  type SeedConversation,
} from "../../fakes/fake-helpdesk.js";

/**
 * Freshdesk's API v2 as closeloop uses it: Basic "{api key}:X", numeric ticket statuses (2 open, 3 pending,
 * 4 resolved, 5 closed), private notes, X-RateLimit-Total/-Remaining and Retry-After in seconds.
 */
interface Ticket {
  id: string;
  status: number;
  groupId: number | null;
  tags: string[];
  requesterId: number | null;
  createdAt: Date;
  notes: string[];
  reopened: number;
}

const validation = (field: string, message: string): FakeReply => ({
  status: 400,
  body: { description: "Validation failed", errors: [{ field, message, code: "invalid_value" }] },
});

export class FakeFreshdesk implements FakeHelpdeskServer {
  readonly provider = "freshdesk" as const;
  readonly domain = "acme";
  readonly apiKey = "freshdesk-test-key";
  readonly tickets = new Map<string, Ticket>();
  readonly groups = new Map<number, string>();

  constructor(readonly http: FakeHelpdesk) {}

  env(): Record<string, string> {
    return { FRESHDESK_DOMAIN: this.domain, FRESHDESK_API_KEY: this.apiKey, FRESHDESK_API_URL: this.http.url };
  }

  seed(seed: SeedConversation & { status?: number }): void {
    let groupId: number | null = null;
    if (seed.team !== undefined && seed.team !== null) {
      groupId = 7_000 + this.groups.size;
      this.groups.set(groupId, seed.team);
    }
    this.tickets.set(seed.id, {
      id: seed.id,
      status: seed.status ?? (seed.open === false ? 4 : 2),
      groupId,
      tags: seed.tags ?? [],
      requesterId: seed.customerId === undefined || seed.customerId === null ? null : Number(seed.customerId),
      createdAt: seed.createdAt ?? new Date("2024-05-01T10:00:00Z"),
      notes: [],
      reopened: 0,
    });
  }

  conversation(id: string): FakeConversationState | undefined {
    const found = this.tickets.get(id);
    return found && { open: found.status === 2, notes: [...found.notes], reopened: found.reopened };
  }

  /** the ticket's numeric status, as Freshdesk stores it */
  status(id: string): number | undefined {
    return this.tickets.get(id)?.status;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  readonly activities = new FakeActivities();

  happen(id: string, activity: FakeActivity): void {
    this.activities.add(id, activity);
    if (activity.kind === "closed") this.tickets.get(id)!.status = 4;
  }

  render(ticket: Ticket, include?: string | null) {
    const resolvedAt = this.activities.closedAt(ticket.id)?.toISOString() ?? null;
    return {
      ...(include === "stats" ? { stats: { resolved_at: resolvedAt, closed_at: null } } : {}),
      id: Number(ticket.id),
      status: ticket.status,
      priority: 1,
      group_id: ticket.groupId,
      tags: ticket.tags,
      requester_id: ticket.requesterId,
      created_at: ticket.createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
      subject: "Checkout button does nothing",
    };
  }
}

export async function startFakeFreshdesk(): Promise<FakeFreshdesk> {
  let fake: FakeFreshdesk | undefined;
  const self = () => fake!;
  const find = (id: string | undefined) => (id === undefined ? undefined : self().tickets.get(id));
  const notFound: FakeReply = { status: 404 };

  const http = await startFakeHelpdesk({
    authorize: (request) =>
      basicCredentials(request.headers.authorization) === `${self().apiKey}:X`
        ? undefined
        : {
            status: 401,
            body: { code: "invalid_credentials", message: "You have to be logged in to perform this action." },
          },
    rateLimited: (seconds, limit) => ({
      status: 429,
      body: { message: "You have exceeded the limit of requests per minute" },
      headers: {
        "retry-after": String(seconds),
        "x-ratelimit-total": String(limit ?? 200),
        "x-ratelimit-remaining": "0",
      },
    }),
    rateLimitHeaders: ({ limit, remaining }) => ({
      "x-ratelimit-total": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-used-currentrequest": "1",
    }),
    routes: [
      {
        // https://developers.freshdesk.com/api/#me (View Me)
        method: "GET",
        path: /^\/api\/v2\/agents\/me$/,
        handle: () => ({
          status: 200,
          body: { id: 77, contact: { name: "closeloop bot", email: "bot@acme.example" } },
        }),
      },
      {
        method: "GET",
        path: /^\/api\/v2\/tickets\/([^/]+)$/,
        handle: ({ query }, [, id]) => {
          const ticket = find(id);
          return ticket === undefined ? notFound : { status: 200, body: self().render(ticket, query.get("include")) };
        },
      },
      {
        // https://developers.freshdesk.com/api/#list_all_ticket_notes: replies and notes, oldest first, paged.
        method: "GET",
        path: /^\/api\/v2\/tickets\/([^/]+)\/conversations$/,
        handle: ({ query }, [, id]) => {
          const ticket = find(id);
          if (ticket === undefined) return notFound;
          const perPage = Number(query.get("per_page") ?? 30);
          const page = Number(query.get("page") ?? 1);
          const entries = self()
            .activities.of(ticket.id)
            .filter((activity) => activity.kind !== "closed")
            .map((activity, index) => ({
              id: index + 1,
              body_text: activity.kind,
              incoming: activity.kind === "customer_reply",
              private: activity.kind === "note",
              source: activity.kind === "note" ? 2 : 0,
              created_at: activity.at.toISOString(),
            }));
          return { status: 200, body: entries.slice((page - 1) * perPage, page * perPage) };
        },
      },
      {
        // https://developers.freshdesk.com/api/#update_ticket
        method: "PUT",
        path: /^\/api\/v2\/tickets\/([^/]+)$/,
        handle: ({ body }, [, id]) => {
          const ticket = find(id);
          if (ticket === undefined) return notFound;
          if (!isRecord(body)) return validation("body", "It should be a/an JSON object");
          if ("status" in body) {
            if (typeof body.status !== "number" || ![2, 3, 4, 5].includes(body.status)) {
              return validation("status", "It should be one of these values: '2,3,4,5'");
            }
            if (body.status === 2 && ticket.status !== 2) ticket.reopened += 1;
            ticket.status = body.status;
          }
          return { status: 200, body: self().render(ticket) };
        },
      },
      {
        // https://developers.freshdesk.com/api/#add_note_to_a_ticket
        method: "POST",
        path: /^\/api\/v2\/tickets\/([^/]+)\/notes$/,
        handle: ({ body }, [, id]) => {
          const ticket = find(id);
          if (ticket === undefined) return notFound;
          if (!isRecord(body) || typeof body.body !== "string" || body.body.trim() === "")
            return validation("body", "It should not be blank");
          if ("private" in body && typeof body.private !== "boolean")
            return validation("private", "It should be a/an Boolean");
          if (body.private !== false) ticket.notes.push(body.body);
          return {
            status: 201,
            body: {
              id: 100 + ticket.notes.length,
              body: body.body,
              private: body.private !== false,
              ticket_id: Number(id),
            },
          };
        },
      },
      {
        method: "GET",
        path: /^\/api\/v2\/groups\/(\d+)$/,
        handle: (_request, [, id]) => {
          const name = self().groups.get(Number(id));
          return name === undefined ? notFound : { status: 200, body: { id: Number(id), name } };
        },
      },
    ],
  });
  fake = new FakeFreshdesk(http);
  return fake;
}
