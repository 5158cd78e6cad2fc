import { cacheTeamNames, readId, readTime } from "../conversation-details.js";
import type { ConversationDetails, ConversationRef, HelpdeskClient, Merged } from "../provider.js";
import { HelpdeskError, headerNumber, requestJson, type HelpdeskProtocol } from "../helpdesk-http.js";
import { noteAsHtml } from "../note-html.js";
import { apiUrl, conversationIdIn, segment } from "../provider-settings.js";
import {
  conversationSchema,
  errorSchema,
  mailboxSchema,
  resourceOwnerSchema,
  threadsSchema,
  tokenSchema,
} from "./schema.js";

export interface HelpScoutSettings {
  appId: string;
  appSecret: string;
  apiUrl: URL;
  timeoutMs: number;
}

/** Refresh this long before expiry (at most a tenth of the lifetime), so a token never lapses between check and call. */
const MAX_REFRESH_MARGIN_MS = 5 * 60_000;

export function helpscoutProtocol(secrets: readonly string[]): HelpdeskProtocol {
  return {
    provider: "helpscout",
    name: "Help Scout",
    // https://developer.helpscout.com/mailbox-api/overview/rate-limiting/: per-minute headers, and on 429
    // X-RateLimit-Retry-After in seconds. Writes count as two requests.
    readRateLimit: (headers) => {
      const retryAfter = headerNumber(headers, "x-ratelimit-retry-after");
      return {
        limit: headerNumber(headers, "x-ratelimit-limit-minute"),
        remaining: headerNumber(headers, "x-ratelimit-remaining-minute"),
        retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000,
      };
    },
    readErrorMessage: (body) => {
      const parsed = errorSchema.safeParse(body);
      if (!parsed.success) return undefined;
      const first = parsed.data._embedded?.errors[0];
      const detail = first === undefined ? undefined : [first.path, first.message].filter(Boolean).join(": ");
      return [parsed.data.message ?? parsed.data.error, detail].filter(Boolean).join(": ") || undefined;
    },
    secrets,
  };
}

export function createHelpScoutClient(settings: HelpScoutSettings): HelpdeskClient {
  const url = (path: string, query: Record<string, string> = {}) => apiUrl(settings.apiUrl, path, query);
  const timeoutMs = settings.timeoutMs;

  /*
   * Client Credentials flow (https://developer.helpscout.com/mailbox-api/overview/authentication/): the app id and
   * secret buy an access token valid for expires_in seconds, with no refresh token. One token serves every call
   * until shortly before it expires; concurrent calls share one token request. The token stays in memory only and
   * is scrubbed from any error reason.
   */
  let token: { value: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const mailboxNames = cacheTeamNames();

  function accessToken(conversationId: string, tokenTimeoutMs: number): Promise<string> {
    if (token !== undefined && Date.now() < token.expiresAt) return Promise.resolve(token.value);
    pending ??= fetchToken(conversationId, tokenTimeoutMs).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  async function fetchToken(conversationId: string, tokenTimeoutMs: number): Promise<string> {
    const issued = await requestJson(helpscoutProtocol([settings.appSecret]), {
      conversationId,
      method: "POST",
      url: url("/v2/oauth2/token"),
      form: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: settings.appId,
        client_secret: settings.appSecret,
      }),
      schema: tokenSchema,
      timeoutMs: tokenTimeoutMs,
      // A wrong app id or secret is answered 400/401; that is a configuration error, not a bad request.
      classify: ({ status }) =>
        status === 400 || status === 401
          ? {
              retryable: false,
              reason: `Help Scout: bad credentials (${status}): HELPSCOUT_APP_ID or HELPSCOUT_APP_SECRET was refused`,
            }
          : undefined,
    });
    const lifetimeMs = issued.expires_in * 1000;
    const margin = Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10);
    token = { value: issued.access_token, expiresAt: Date.now() + lifetimeMs - margin };
    return issued.access_token;
  }

  /** Runs a call with the current token; a 401 means it was revoked or expired early, so one fresh token is tried. */
  async function authorized<R>(
    conversationId: string,
    call: (protocol: HelpdeskProtocol, headers: Record<string, string>) => Promise<R>,
    tokenTimeoutMs = timeoutMs,
  ): Promise<R> {
    for (let attempt = 1; ; attempt += 1) {
      const used = await accessToken(conversationId, tokenTimeoutMs);
      try {
        return await call(helpscoutProtocol([settings.appSecret, used]), { authorization: `Bearer ${used}` });
      } catch (error) {
        if (attempt > 1 || !(error instanceof HelpdeskError) || error.status !== 401) throw error;
        if (token?.value === used) token = undefined;
      }
    }
  }

  /** The conversation a redirect answered for, when it is another one than `conversationId`. */
  const mergedBy = (conversationId: string, to: URL): string | undefined => {
    const id = conversationIdIn(to, settings.apiUrl, /^[0-9]+$/);
    return id === conversationId ? undefined : id;
  };

  /**
   * Help Scout answers 301 only to Get Conversation for a merged conversation; its writes answer 404
   * (https://developer.helpscout.com/mailbox-api/endpoints/conversations/delete/, "Moved or merged conversations").
   * So a write that 404s asks Get Conversation once: if that redirects, the write goes to the survivor.
   */
  async function write(
    ref: ConversationRef,
    send: (conversationId: string, redirected: (to: URL) => void) => Promise<void>,
  ): Promise<Merged | void> {
    let merged: string | undefined;
    const redirected = (to: URL) => (merged = mergedBy(ref.conversationId, to));
    try {
      await send(ref.conversationId, redirected);
      return merged === undefined ? undefined : { mergedInto: merged };
    } catch (error) {
      if (!(error instanceof HelpdeskError) || error.status !== 404) throw error;
      const survivor = await locate(ref.conversationId);
      if (survivor === undefined) throw error;
      await send(survivor, () => undefined);
      return { mergedInto: survivor };
    }
  }

  async function locate(conversationId: string): Promise<string | undefined> {
    let survivor: string | undefined;
    await authorized(conversationId, (protocol, headers) =>
      requestJson(protocol, {
        conversationId,
        method: "GET",
        url: url(`/v2/conversations/${segment(conversationId)}`),
        headers,
        timeoutMs,
        redirected: (to) => (survivor = mergedBy(conversationId, to)),
      }),
    );
    return survivor;
  }

  return {
    provider: "helpscout",

    // The token request proves the app id and secret; Get Resource Owner proves the token reads the Mailbox API.
    async checkConnection(options) {
      try {
        const owner = await authorized(
          "",
          (protocol, headers) =>
            requestJson(protocol, {
              conversationId: "",
              method: "GET",
              url: url("/v2/users/me"),
              headers,
              schema: resourceOwnerSchema,
              timeoutMs: options.timeoutMs,
            }),
          options.timeoutMs,
        );
        return `as user ${owner.id}${owner.email ? ` (${owner.email})` : ""}`;
      } catch (error) {
        // The token endpoint refuses a wrong app id or secret with 400 as well as 401: both are bad credentials.
        if (!(error instanceof HelpdeskError) || error.status !== 400) throw error;
        throw new HelpdeskError({ ...error, status: 401, conversationId: "" });
      }
    },

    // https://developer.helpscout.com/mailbox-api/endpoints/conversations/threads/note/: 201 Created; the text is HTML.
    // No status is sent with it: reopen does that, so each step can be retried on its own.
    async addNote(ref: ConversationRef, body: string) {
      return write(ref, (id, redirected) =>
        authorized(ref.conversationId, (protocol, headers) =>
          requestJson(protocol, {
            conversationId: ref.conversationId,
            method: "POST",
            url: url(`/v2/conversations/${segment(id)}/notes`),
            headers,
            json: { text: noteAsHtml(body) },
            timeoutMs,
            redirected,
          }),
        ),
      );
    },

    // https://developer.helpscout.com/mailbox-api/endpoints/conversations/update/: one JSON Patch operation; "active"
    // is Help Scout's open status. 204 No Content.
    async reopen(ref: ConversationRef) {
      return write(ref, (id, redirected) =>
        authorized(ref.conversationId, (protocol, headers) =>
          requestJson(protocol, {
            conversationId: ref.conversationId,
            method: "PATCH",
            url: url(`/v2/conversations/${segment(id)}`),
            headers,
            json: { op: "replace", path: "/status", value: "active" },
            timeoutMs,
            redirected,
          }),
        ),
      );
    },

    // https://developer.helpscout.com/mailbox-api/endpoints/conversations/get/ with embed=threads.
    async readAnswer(ref: ConversationRef, since: Date) {
      const conversation = await authorized(ref.conversationId, (protocol, headers) =>
        requestJson(protocol, {
          conversationId: ref.conversationId,
          method: "GET",
          url: url(`/v2/conversations/${segment(ref.conversationId)}`, { embed: "threads" }),
          headers,
          schema: threadsSchema,
          timeoutMs,
        }),
      );
      const agentReplies = (conversation._embedded?.threads ?? [])
        .filter((thread) => thread.type === "reply" && (thread.createdBy?.type ?? "user") === "user")
        .map((thread) => new Date(thread.createdAt ?? 0))
        .filter((at) => at >= since);
      const closed = conversation.status === "closed";
      return { agentReplies, closedAt: closed ? new Date(conversation.closedAt ?? Date.now()) : null };
    },

    // https://developer.helpscout.com/mailbox-api/endpoints/conversations/get/
    async readConversation(ref: ConversationRef): Promise<ConversationDetails> {
      let mergedInto: string | undefined;
      const conversation = await authorized(ref.conversationId, (protocol, headers) =>
        requestJson(protocol, {
          conversationId: ref.conversationId,
          method: "GET",
          url: url(`/v2/conversations/${segment(ref.conversationId)}`),
          headers,
          schema: conversationSchema,
          timeoutMs,
          redirected: (to) => (mergedInto = mergedBy(ref.conversationId, to)),
        }),
      );
      const mailboxId = conversation.mailboxId;
      const team =
        mailboxId === undefined || mailboxId === null
          ? null
          : await mailboxNames(ref, mailboxId, () => readMailbox(mailboxId));
      return {
        team,
        tags: conversation.tags?.map((tag) => tag.tag) ?? [],
        customerId: readId(conversation.primaryCustomer?.id),
        createdAt: readTime(conversation.createdAt),
        ...(mergedInto === undefined ? {} : { mergedInto }),
      };

      // Help Scout's team for a conversation is its mailbox (inbox), named by id only.
      // https://developer.helpscout.com/mailbox-api/endpoints/mailboxes/get/
      async function readMailbox(id: number): Promise<string> {
        const mailbox = await authorized(ref.conversationId, (protocol, headers) =>
          requestJson(protocol, {
            conversationId: ref.conversationId,
            method: "GET",
            url: url(`/v2/mailboxes/${segment(id)}`),
            headers,
            schema: mailboxSchema,
            notFoundReason: `mailbox ${id} not found (404)`,
            timeoutMs,
          }),
        );
        return mailbox.name;
      }
    },
  };
}
