import {
  bearer,
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
 * Front's Core API as closeloop uses it: Bearer token, { _error } bodies, x-ratelimit-* and Retry-After in seconds,
 * comments as notes, PATCH status to reopen, inboxes as teams.
 */
interface Conversation {
  id: string;
  status: "archived" | "assigned" | "unassigned" | "deleted" | "spam";
  inbox: string | null;
  tags: string[];
  contactId: string | null;
  createdAt: Date;
  notes: string[];
  reopened: number;
}

const frontError = (status: number, title: string, message: string): FakeReply => ({
  status,
  body: { _error: { status, title, message } },
});

export class FakeFront implements FakeHelpdeskServer {
  readonly provider = "front" as const;
  readonly token = "front-test-token";
  readonly conversations = new Map<string, Conversation>();
  /** merged conversation → the one it was merged into: every call about it is answered 301 to the same call there */
  readonly merged = new Map<string, string>();

  constructor(readonly http: FakeHelpdesk) {}

  merge(from: string, into: string): void {
    this.conversations.delete(from);
    this.merged.set(from, into);
  }

  env(): Record<string, string> {
    return { FRONT_API_TOKEN: this.token, FRONT_API_URL: this.http.url };
  }

  seed(seed: SeedConversation): void {
    this.conversations.set(seed.id, {
      id: seed.id,
      status: seed.open === false ? "archived" : "unassigned",
      inbox: seed.team ?? null,
      tags: seed.tags ?? [],
      contactId: seed.customerId ?? null,
      createdAt: seed.createdAt ?? new Date("2024-05-01T10:00:00Z"),
      notes: [],
      reopened: 0,
    });
  }

  conversation(id: string): FakeConversationState | undefined {
    const found = this.conversations.get(id);
    return (
      found && {
        open: found.status === "assigned" || found.status === "unassigned",
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
    if (activity.kind === "closed") this.conversations.get(id)!.status = "archived";
  }

  render(conversation: Conversation) {
    const base = this.http.url;
    return {
      _links: {
        self: `${base}/conversations/${conversation.id}`,
        related: { inboxes: `${base}/conversations/${conversation.id}/inboxes` },
      },
      id: conversation.id,
      subject: "Checkout button does nothing",
      status: conversation.status,
      assignee: null,
      recipient:
        conversation.contactId === null
          ? null
          : {
              _links: { related: { contact: `${base}/contacts/${conversation.contactId}` } },
              handle: "customer@example.com",
              role: "from",
            },
      tags: conversation.tags.map((name, index) => ({ id: `tag_${index + 1}`, name })),
      created_at: conversation.createdAt.getTime() / 1000,
      is_private: false,
    };
  }
}

export async function startFakeFront(): Promise<FakeFront> {
  let fake: FakeFront | undefined;
  const self = () => fake!;
  const find = (id: string | undefined) => (id === undefined ? undefined : self().conversations.get(id));
  const notFound = frontError(404, "Not found", "Unknown conversation");
  const missing = (path: string, id: string | undefined): FakeReply => {
    const into = id === undefined ? undefined : self().merged.get(id);
    if (into === undefined) return notFound;
    return {
      status: 301,
      headers: { location: `${self().http.url}${path.replace(`/conversations/${id}`, `/conversations/${into}`)}` },
    };
  };

  const http = await startFakeHelpdesk({
    authorize: (request) =>
      bearer(request.headers.authorization) === self().token
        ? undefined
        : frontError(401, "Unauthenticated", "Invalid token"),
    rateLimited: (seconds, limit) => ({
      ...frontError(429, "Too many requests", "Rate limit exceeded"),
      headers: {
        "retry-after": String(seconds),
        "x-ratelimit-limit": String(limit ?? 50),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Date.now() + seconds * 1000),
      },
    }),
    rateLimitHeaders: ({ limit, remaining, resetAt }) => ({
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(resetAt.getTime()),
    }),
    routes: [
      {
        // https://dev.frontapp.com/reference/api-token-details
        method: "GET",
        path: /^\/me$/,
        handle: () => ({ status: 200, body: { _links: { self: `${self().http.url}/me` }, name: "Acme", id: "cmp_1" } }),
      },
      {
        method: "GET",
        path: /^\/conversations\/([^/]+)$/,
        handle: ({ path }, [, id]) => {
          const conversation = find(id);
          return conversation === undefined ? missing(path, id) : { status: 200, body: self().render(conversation) };
        },
      },
      {
        // https://dev.frontapp.com/reference/list-conversation-messages: newest first; comments are not messages.
        method: "GET",
        path: /^\/conversations\/([^/]+)\/messages$/,
        handle: ({ path }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return missing(path, id);
          const messages = self()
            .activities.of(conversation.id)
            .filter((activity) => activity.kind === "agent_reply" || activity.kind === "customer_reply")
            .map((activity, index) => ({
              id: `msg_${index + 1}`,
              type: "email",
              is_inbound: activity.kind === "customer_reply",
              created_at: activity.at.getTime() / 1000,
              body: activity.kind,
            }))
            .reverse();
          return { status: 200, body: { _pagination: { next: null }, _results: messages } };
        },
      },
      {
        method: "GET",
        path: /^\/conversations\/([^/]+)\/inboxes$/,
        handle: ({ path }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return missing(path, id);
          const results =
            conversation.inbox === null ? [] : [{ id: "inb_1", name: conversation.inbox, is_private: false }];
          return {
            status: 200,
            body: { _links: { self: `${self().http.url}/conversations/${id}/inboxes` }, _results: results },
          };
        },
      },
      {
        method: "PATCH",
        path: /^\/conversations\/([^/]+)$/,
        handle: ({ body, path }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return missing(path, id);
          if (!isRecord(body)) return frontError(400, "Bad request", "Body did not satisfy requirements");
          if ("status" in body) {
            if (!["archived", "open", "deleted", "spam"].includes(String(body.status))) {
              return frontError(
                400,
                "Bad request",
                "Body did not satisfy requirements: status must be archived, open, deleted or spam",
              );
            }
            if (body.status === "open") {
              conversation.status = "unassigned";
              conversation.reopened += 1;
            } else {
              conversation.status = body.status as Conversation["status"];
            }
          }
          return { status: 204 };
        },
      },
      {
        method: "POST",
        path: /^\/conversations\/([^/]+)\/comments$/,
        handle: ({ body, path }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return missing(path, id);
          if (!isRecord(body) || typeof body.body !== "string" || body.body === "") {
            return frontError(400, "Bad request", "Body did not satisfy requirements: body is required");
          }
          conversation.notes.push(body.body);
          return {
            status: 201,
            body: { id: `com_${conversation.notes.length}`, body: body.body, posted_at: Date.now() / 1000 },
          };
        },
      },
    ],
  });
  fake = new FakeFront(http);
  return fake;
}
