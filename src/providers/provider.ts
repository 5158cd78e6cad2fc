import type { ConversationActivity } from "../domain/answers.js";
import type { ProviderId, UrlMatcher } from "../domain/link.js";
import type { HelpdeskWebhook } from "./helpdesk-webhook.js";

/** Which conversation, as stored on a link. `account` is "" when the provider's URLs carry none. */
export interface ConversationRef {
  account: string;
  conversationId: string;
}

/** What labels need to know about a conversation (the labels issue reads it; reopen does not). */
export interface ConversationDetails {
  /** the assigned team's name: Intercom team, Front inbox, Zendesk group, Help Scout mailbox, Freshdesk group */
  team: string | null;
  tags: string[];
  /** the provider's customer/contact id, hashed before it is stored */
  customerId: string | null;
  createdAt: Date | null;
  /** set when the helpdesk answered for another conversation: this one was merged into it */
  mergedInto?: string;
}

/**
 * A call reached another conversation than the one it named: the helpdesk merged that one into `mergedInto` and
 * redirected the call (Front, Help Scout). The caller records the survivor (src/store/merges.ts).
 */
export interface Merged {
  mergedInto: string;
}

/** The helpdesk operations closeloop performs. Every method throws HelpdeskError on failure. */
export interface HelpdeskClient {
  readonly provider: ProviderId;
  /** adds an internal note (never visible to the customer) written by the app */
  addNote(ref: ConversationRef, body: string): Promise<Merged | void>;
  /** moves the conversation back to open/active */
  reopen(ref: ConversationRef): Promise<Merged | void>;
  /**
   * Optional: the note and the reopen in one call, for an API that takes both at once (Zendesk's Update Ticket, whose
   * per-account limit then counts one update, not two). `retry`: an earlier attempt may have sent it without learning
   * the outcome (a timeout, a 5xx, a crash), so the client first looks whether the note is there and, if it is, only
   * reopens. Without this method the job calls addNote, then reopen.
   */
  addNoteAndReopen?(ref: ConversationRef, body: string, options: { retry: boolean }): Promise<void>;
  /**
   * Optional: for a conversation that can never be reopened (the client threw a HelpdeskError with `closed`), creates
   * a follow-up conversation carrying the note as an internal note and returns its id. Once per `key`: a later call
   * with the same key (a retry, after a crash) returns the follow-up created before instead of a second one.
   */
  createFollowUp?(ref: ConversationRef, body: string, key: string): Promise<string>;
  readConversation(ref: ConversationRef): Promise<ConversationDetails>;
  /**
   * One cheap authenticated read that proves the credentials work (the helpdesk's "who am I" call), for `closeloop
   * status`. Returns who the credentials act as, e.g. "admin 991 (closeloop bot)"; throws HelpdeskError like any call.
   */
  checkConnection(options: { timeoutMs: number }): Promise<string>;
  /**
   * Optional: reads whether an agent answered the customer since `since` (docs/answers.md): the times of agents'
   * public replies after it (never notes, never the customer's messages), and whether the conversation is now
   * resolved or closed (with the time, when the helpdesk gives it; else the time of the read). Used for helpdesks
   * whose webhooks are not set up; a provider without it is learned from webhooks alone.
   */
  readAnswer?(ref: ConversationRef, since: Date): Promise<ConversationActivity>;
}

/** How fast the worker may call a provider until its rate-limit headers say otherwise. */
export interface RateBudget {
  requests: number;
  intervalMs: number;
  /**
   * when the helpdesk's headers name no reset and not the window their limit counts: the longest that window may be
   * (src/domain/rate-pacing.ts); `intervalMs` when unset
   */
  longestWindowMs?: number | undefined;
}

/** A conversation as a link stores it: the ids the provider's URL matcher read, and the URL that was pasted. */
export interface StoredConversation extends ConversationRef {
  url: string;
}

/**
 * What a conversation closed for good means at a helpdesk. "reopens": closing is never final there, a reopen always
 * works. "follow-up": a closed one can never be reopened nor written to; the client throws a HelpdeskError with
 * `closed` and implements createFollowUp, which stands in when `reopen.closed_tickets` asks for it (docs/reopen.md).
 */
export type ClosedConversations = "reopens" | "follow-up";

/**
 * Everything closeloop knows of one helpdesk, in its folder's index.ts. Every fact is required, so a sixth helpdesk
 * cannot compile without saying it, and test/providers/registry.test.ts checks the values.
 */
export interface ProviderDefinition<Settings = unknown> {
  id: ProviderId;
  /** display name for logs, status, the dashboard and the summary comment */
  name: string;
  urls: UrlMatcher;
  /**
   * The address that opens the conversation in the helpdesk's agent interface (the dashboard links to it), built from
   * the ids so a pasted customer-portal address still opens the agent's view; the pasted URL where the ids do not
   * make one.
   */
  agentUrl(conversation: StoredConversation): string;
  /**
   * The helpdesk merges conversations and answers calls about a merged one for its survivor, so a link may name an
   * alias (src/store/conversation-aliases.ts); only these links cost a capture the alias lookup.
   */
  mergesConversations: boolean;
  /**
   * The request headers, lower-case, that carry its webhooks' signature or secret: every log line redacts them
   * (src/log.ts), so a new helpdesk's secret cannot reach the logs.
   */
  webhookSignatureHeaders: readonly string[];
  closedConversations: ClosedConversations;
  /** reads the provider's settings from the environment; null when its credentials are not set (not enabled) */
  configure(env: Record<string, string | undefined>): Settings | null;
  createClient(settings: Settings): HelpdeskClient;
  /** the documented default of the budget every call draws on; the helpdesk's rate-limit headers take over from it */
  rateBudget(settings: Settings): RateBudget;
  /** a budget writes draw on as well, when the helpdesk limits them apart and says nothing of it in headers */
  writeBudget?(settings: Settings): RateBudget;
  /** units of the budget a write takes, when the helpdesk counts a write as more than one call */
  writeCost?: number;
  /** receives the helpdesk's webhooks at /closeloop/webhooks/<id> (its folder's webhook.ts) */
  webhook: HelpdeskWebhook<any>;
}
