import {
  bearer,
  FakeActivities,
  isRecord,
  type FakeActivity,
  startFakeHelpdesk,
  type FakeConversationState,
  type FakeHelpdesk,
  type FakeHelpdeskServer,
  type FakeReply,
  type SeedConversation,
} from "../../fakes/fake-helpdesk.js";

/**
 * Intercom's REST API as closeloop uses it: Bearer token, error.list bodies, X-RateLimit-* with a UNIX reset and no
 * Retry-After, notes as admin replies, reopen as a conversation part.
 */
interface Conversation {
  id: string;
  state: "open" | "closed" | "snoozed";
  teamId: string | null;
  tags: string[];
  contactId: string | null;
  createdAt: Date;
  notes: string[];
  reopened: number;
}

const errorList = (status: number, code: string, message: string): FakeReply => ({
  status,
  body: { type: "error.list", request_id: "fake-request", errors: [{ code, message }] },
});

export class FakeIntercom implements FakeHelpdeskServer {
  readonly provider = "intercom" as const;
  readonly token = "intercom-test-token";
  readonly adminId = "991";
  readonly conversations = new Map<string, Conversation>();
  readonly teams = new Map<string, string>();
  readonly activities = new FakeActivities();

  constructor(readonly http: FakeHelpdesk) {}

  env(): Record<string, string> {
    return { INTERCOM_ACCESS_TOKEN: this.token, INTERCOM_ADMIN_ID: this.adminId, INTERCOM_API_URL: this.http.url };
  }

  seed(seed: SeedConversation): void {
    let teamId: string | null = null;
    if (seed.team !== undefined && seed.team !== null) {
      teamId = String(5000 + this.teams.size);
      this.teams.set(teamId, seed.team);
    }
    this.conversations.set(seed.id, {
      id: seed.id,
      state: seed.open === false ? "closed" : "open",
      teamId,
      tags: seed.tags ?? [],
      contactId: seed.customerId ?? null,
      createdAt: seed.createdAt ?? new Date("2024-05-01T10:00:00Z"),
      notes: [],
      reopened: 0,
    });
  }

  conversation(id: string): FakeConversationState | undefined {
    const found = this.conversations.get(id);
    return found && { open: found.state === "open", notes: [...found.notes], reopened: found.reopened };
  }

  close(): Promise<void> {
    return this.http.close();
  }

  happen(id: string, activity: FakeActivity): void {
    this.activities.add(id, activity);
    if (activity.kind === "closed") this.conversations.get(id)!.state = "closed";
  }

  render(conversation: Conversation) {
    // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/conversation
    const part = (activity: FakeActivity) => ({
      type: "conversation_part",
      part_type: { agent_reply: "comment", customer_reply: "comment", note: "note", closed: "close" }[activity.kind],
      created_at: Math.floor(activity.at.getTime() / 1000),
      author: { type: activity.kind === "customer_reply" ? "user" : "admin", id: "1" },
    });
    return {
      conversation_parts: {
        type: "conversation_part.list",
        conversation_parts: this.activities.of(conversation.id).map(part),
      },
      type: "conversation",
      id: conversation.id,
      created_at: Math.floor(conversation.createdAt.getTime() / 1000),
      updated_at: Math.floor(Date.now() / 1000),
      open: conversation.state === "open",
      state: conversation.state,
      admin_assignee_id: null,
      team_assignee_id: conversation.teamId,
      tags: {
        type: "tag.list",
        tags: conversation.tags.map((name, index) => ({ type: "tag", id: String(index + 1), name })),
      },
      contacts: {
        type: "contact.list",
        contacts: conversation.contactId === null ? [] : [{ type: "contact", id: conversation.contactId }],
      },
    };
  }
}

export async function startFakeIntercom(): Promise<FakeIntercom> {
  let fake: FakeIntercom | undefined;
  const self = () => fake!;
  const find = (id: string | undefined) => (id === undefined ? undefined : self().conversations.get(id));
  const notFound = errorList(404, "not_found", "Resource Not Found");

  const http = await startFakeHelpdesk({
    authorize: (request) => {
      if (bearer(request.headers.authorization) !== self().token)
        return errorList(401, "unauthorized", "Access Token Invalid");
      const version = request.headers["intercom-version"];
      if (version !== undefined && !/^(\d+\.\d+|Unstable)$/.test(String(version))) {
        return errorList(400, "intercom_version_invalid", "Requested version is invalid");
      }
      return undefined;
    },
    rateLimited: (seconds, limit) => ({
      ...errorList(429, "rate_limit_exceeded", `Exceeded rate limit of ${limit ?? 1666} in 10_seconds`),
      headers: {
        "x-ratelimit-limit": String(limit ?? 1666),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + seconds),
      },
    }),
    rateLimitHeaders: ({ limit, remaining, resetAt }) => ({
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(Math.ceil(resetAt.getTime() / 1000)),
    }),
    routes: [
      {
        // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/admins/retrieveadmin
        method: "GET",
        path: /^\/admins\/([^/]+)$/,
        handle: (_request, [, id]) =>
          id === self().adminId
            ? { status: 200, body: { type: "admin", id, name: "closeloop bot", email: "bot@acme.example" } }
            : errorList(404, "admin_not_found", "Admin Not Found"),
      },
      {
        method: "GET",
        path: /^\/conversations\/([^/]+)$/,
        handle: (_request, [, id]) => {
          const conversation = find(id);
          return conversation === undefined ? notFound : { status: 200, body: self().render(conversation) };
        },
      },
      {
        // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/replyconversation
        method: "POST",
        path: /^\/conversations\/([^/]+)\/reply$/,
        handle: ({ body }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return notFound;
          if (!isRecord(body) || !["comment", "note", "quick_reply"].includes(String(body.message_type))) {
            return errorList(400, "parameter_invalid", "message_type must be comment, note or quick_reply");
          }
          if (body.type !== "admin" && body.type !== "user")
            return errorList(400, "parameter_invalid", "type must be admin or user");
          if (body.type === "admin" && body.admin_id !== self().adminId)
            return errorList(400, "parameter_invalid", "Admin not found");
          if (typeof body.body !== "string" || body.body === "")
            return errorList(400, "parameter_not_found", "Body is required");
          if (body.message_type === "note") conversation.notes.push(body.body);
          return { status: 200, body: self().render(conversation) };
        },
      },
      {
        // https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/conversations/manageconversation
        method: "POST",
        path: /^\/conversations\/([^/]+)\/parts$/,
        handle: ({ body }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return notFound;
          if (!isRecord(body) || !["open", "close", "snoozed", "assignment"].includes(String(body.message_type))) {
            return errorList(400, "parameter_invalid", "message_type is invalid");
          }
          if (body.admin_id !== self().adminId) return errorList(400, "parameter_invalid", "Admin not found");
          if (body.message_type === "open") {
            conversation.state = "open";
            conversation.reopened += 1;
          }
          if (body.message_type === "close") conversation.state = "closed";
          return { status: 200, body: self().render(conversation) };
        },
      },
      {
        method: "GET",
        path: /^\/teams\/([^/]+)$/,
        handle: (_request, [, id]) => {
          const name = id === undefined ? undefined : self().teams.get(id);
          return name === undefined ? notFound : { status: 200, body: { type: "team", id, name, admin_ids: [] } };
        },
      },
    ],
  });
  fake = new FakeIntercom(http);
  return fake;
}
