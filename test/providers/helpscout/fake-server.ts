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
 * Help Scout's Mailbox API 2.0 as closeloop uses it: OAuth2 client credentials at /v2/oauth2/token, Bearer tokens that
 * expire, JSON Patch for status, notes as threads, X-RateLimit-*-Minute and X-RateLimit-Retry-After.
 */
type Status = "active" | "pending" | "closed" | "spam";

interface Conversation {
  id: string;
  status: Status;
  mailboxId: number | null;
  tags: string[];
  customerId: number | null;
  createdAt: Date;
  notes: string[];
  reopened: number;
}

const validation = (path: string, message: string): FakeReply => ({
  status: 400,
  body: { logRef: "fake-log", message: "Validation error", _embedded: { errors: [{ path, message, source: "JSON" }] } },
});

export class FakeHelpScout implements FakeHelpdeskServer {
  readonly provider = "helpscout" as const;
  readonly appId = "helpscout-test-app";
  readonly appSecret = "helpscout-test-secret";
  readonly conversations = new Map<string, Conversation>();
  readonly mailboxes = new Map<number, string>();
  /** merged conversation → the one it was merged into: Get Conversation answers 301 there, writes 404 */
  readonly merged = new Map<string, string>();
  /** access token → expiry (ms since epoch) */
  readonly tokens = new Map<string, number>();
  /** the expires_in of tokens issued from now on */
  tokenLifetimeSeconds = 172_800;
  tokenRequests = 0;

  constructor(readonly http: FakeHelpdesk) {}

  merge(from: string, into: string): void {
    this.conversations.delete(from);
    this.merged.set(from, into);
  }

  env(): Record<string, string> {
    return { HELPSCOUT_APP_ID: this.appId, HELPSCOUT_APP_SECRET: this.appSecret, HELPSCOUT_API_URL: this.http.url };
  }

  /** Every token issued so far stops working, as after a revocation. */
  expireTokens(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }

  seed(seed: SeedConversation): void {
    let mailboxId: number | null = null;
    if (seed.team !== undefined && seed.team !== null) {
      mailboxId = 1 + this.mailboxes.size;
      this.mailboxes.set(mailboxId, seed.team);
    }
    this.conversations.set(seed.id, {
      id: seed.id,
      status: seed.open === false ? "closed" : "active",
      mailboxId,
      tags: seed.tags ?? [],
      customerId: seed.customerId === undefined || seed.customerId === null ? null : Number(seed.customerId),
      createdAt: seed.createdAt ?? new Date("2024-05-01T10:00:00Z"),
      notes: [],
      reopened: 0,
    });
  }

  conversation(id: string): FakeConversationState | undefined {
    const found = this.conversations.get(id);
    return found && { open: found.status === "active", notes: [...found.notes], reopened: found.reopened };
  }

  close(): Promise<void> {
    return this.http.close();
  }

  readonly activities = new FakeActivities();

  happen(id: string, activity: FakeActivity): void {
    this.activities.add(id, activity);
    if (activity.kind === "closed") this.conversations.get(id)!.status = "closed";
  }

  /** ?embed=threads: https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/list/ shapes */
  threads(conversation: Conversation) {
    const type = { agent_reply: "reply", customer_reply: "customer", note: "note" } as const;
    return this.activities
      .of(conversation.id)
      .filter((activity) => activity.kind !== "closed")
      .map((activity, index) => ({
        id: index + 1,
        type: type[activity.kind as keyof typeof type],
        createdAt: activity.at.toISOString(),
        createdBy: { id: 7, type: activity.kind === "customer_reply" ? "customer" : "user" },
      }))
      .reverse();
  }

  render(conversation: Conversation, embed?: string | null) {
    const closedAt = this.activities.closedAt(conversation.id);
    return {
      ...(closedAt === undefined ? {} : { closedAt: closedAt.toISOString() }),
      ...(embed === "threads" ? { _embedded: { threads: this.threads(conversation) } } : {}),
      id: Number(conversation.id),
      number: 4821,
      type: "email",
      status: conversation.status,
      state: "published",
      mailboxId: conversation.mailboxId,
      createdAt: conversation.createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
      tags: conversation.tags.map((tag, index) => ({ id: index + 1, color: "#929499", tag })),
      primaryCustomer: conversation.customerId === null ? undefined : { id: conversation.customerId, type: "customer" },
    };
  }
}

export async function startFakeHelpScout(): Promise<FakeHelpScout> {
  let fake: FakeHelpScout | undefined;
  const self = () => fake!;
  const find = (id: string | undefined) => (id === undefined ? undefined : self().conversations.get(id));
  const notFound: FakeReply = { status: 404, body: { logRef: "fake-log", message: "Resource not found" } };

  const http = await startFakeHelpdesk({
    authorize: (request) => {
      const token = bearer(request.headers.authorization);
      const expiresAt = token === undefined ? undefined : self().tokens.get(token);
      return expiresAt !== undefined && Date.now() < expiresAt
        ? undefined
        : {
            status: 401,
            body: { error: "invalid_token", error_description: "The access token is invalid or has expired" },
          };
    },
    rateLimited: (seconds, limit) => ({
      status: 429,
      body: { logRef: "fake-log", message: "Rate limit exceeded" },
      headers: {
        "x-ratelimit-limit-minute": String(limit ?? 200),
        "x-ratelimit-remaining-minute": "0",
        "x-ratelimit-retry-after": String(seconds),
      },
    }),
    rateLimitHeaders: ({ limit, remaining }) => ({
      "x-ratelimit-limit-minute": String(limit),
      "x-ratelimit-remaining-minute": String(remaining),
    }),
    // Writes count double; the token endpoint is not the Mailbox API.
    cost: (request) => (request.path === "/v2/oauth2/token" ? 0 : request.method === "GET" ? 1 : 2),
    routes: [
      {
        // https://developer.helpscout.com/mailbox-api/overview/authentication/ ("Client Credentials flow")
        method: "POST",
        path: /^\/v2\/oauth2\/token$/,
        open: true,
        handle: ({ body }) => {
          self().tokenRequests += 1;
          if (!isRecord(body) || body.grant_type !== "client_credentials") {
            return { status: 400, body: { error: "unsupported_grant_type" } };
          }
          if (body.client_id !== self().appId || body.client_secret !== self().appSecret) {
            return { status: 401, body: { error: "invalid_client", error_description: "Bad client credentials" } };
          }
          const token = `helpscout-access-${self().tokenRequests}`;
          self().tokens.set(token, Date.now() + self().tokenLifetimeSeconds * 1000);
          return {
            status: 200,
            body: { token_type: "bearer", access_token: token, expires_in: self().tokenLifetimeSeconds },
          };
        },
      },
      {
        // https://developer.helpscout.com/mailbox-api/endpoints/users/me/ (Get Resource Owner)
        method: "GET",
        path: /^\/v2\/users\/me$/,
        handle: () => ({ status: 200, body: { id: 4, email: "bot@acme.example", type: "user" } }),
      },
      {
        method: "GET",
        path: /^\/v2\/conversations\/([^/]+)$/,
        handle: ({ query }, [, id]) => {
          const conversation = find(id);
          const into = id === undefined ? undefined : self().merged.get(id);
          // https://developer.helpscout.com/mailbox-api/endpoints/conversations/get/: a merged conversation's Location is the survivor's URI
          if (into !== undefined)
            return { status: 301, headers: { location: `${self().http.url}/v2/conversations/${into}` } };
          return conversation === undefined
            ? notFound
            : { status: 200, body: self().render(conversation, query.get("embed")) };
        },
      },
      {
        // https://developer.helpscout.com/mailbox-api/endpoints/conversations/update/
        method: "PATCH",
        path: /^\/v2\/conversations\/([^/]+)$/,
        handle: ({ body }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return notFound;
          if (!isRecord(body) || !["add", "move", "remove", "replace"].includes(String(body.op)))
            return validation("op", "must be one of add, move, remove, replace");
          if (
            !["/assignTo", "/draft", "/mailboxId", "/primaryCustomer.id", "/status", "/subject"].includes(
              String(body.path),
            )
          ) {
            return validation("path", "is not a valid path");
          }
          if (body.path === "/status") {
            if (body.op !== "replace") return validation("op", "must be replace for /status");
            if (!["active", "pending", "closed", "spam"].includes(String(body.value)))
              return validation("value", "is not a valid status");
            if (body.value === "active" && conversation.status !== "active") conversation.reopened += 1;
            conversation.status = body.value as Status;
          }
          return { status: 204 };
        },
      },
      {
        // https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/note/
        method: "POST",
        path: /^\/v2\/conversations\/([^/]+)\/notes$/,
        handle: ({ body }, [, id]) => {
          const conversation = find(id);
          if (conversation === undefined) return notFound;
          if (!isRecord(body) || typeof body.text !== "string" || body.text.trim() === "")
            return validation("text", "may not be empty");
          if (body.status !== undefined) {
            if (
              typeof body.status !== "string" ||
              !["active", "closed", "inbox_predefined", "open", "pending", "spam"].includes(body.status)
            ) {
              return validation("status", "is not a valid status");
            }
            if (body.status === "active" && conversation.status !== "active") conversation.reopened += 1;
            if (
              body.status === "active" ||
              body.status === "pending" ||
              body.status === "closed" ||
              body.status === "spam"
            ) {
              conversation.status = body.status;
            }
          }
          conversation.notes.push(body.text);
          return { status: 201, headers: { "resource-id": String(9000 + conversation.notes.length) } };
        },
      },
      {
        method: "GET",
        path: /^\/v2\/mailboxes\/(\d+)$/,
        handle: (_request, [, id]) => {
          const name = self().mailboxes.get(Number(id));
          return name === undefined
            ? notFound
            : { status: 200, body: { id: Number(id), name, slug: "83ebc5d87292a795", email: "help@example.com" } };
        },
      },
    ],
  });
  fake = new FakeHelpScout(http);
  return fake;
}
