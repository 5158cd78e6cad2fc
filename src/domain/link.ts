export const PROVIDERS = ["intercom", "front", "zendesk", "helpscout", "freshdesk"] as const;
export type ProviderId = (typeof PROVIDERS)[number];

/**
 * A conversation URL recognised in text. `account` identifies the helpdesk workspace when the URL carries it
 * (Intercom app id, Zendesk subdomain, Freshdesk domain, lower-cased), else "" (Front, Help Scout).
 * `url` is the canonical URL of the conversation: https, no query or fragment, one shape per provider, so the
 * same conversation pasted in two shapes is stored once and shown the same way.
 */
export interface RecognisedLink {
  provider: ProviderId;
  account: string;
  conversationId: string;
  url: string;
}

/** A URL on a helpdesk's host that looks like a conversation link but cannot be used; `url` is as it was written. */
export interface RejectedUrl {
  provider: ProviderId;
  url: string;
  reason: string;
}

export type UrlMatch = { account: string; conversationId: string; url: string } | { reject: string } | null;

export interface UrlMatcher {
  provider: ProviderId;
  /**
   * null: not this provider's URL at all, or a page of it that is not about a conversation (settings, articles);
   * reject: this provider's conversation area but not a conversation URL we can use (reason says why, e.g.
   * "Zendesk ticket id must be digits: abc").
   */
  match(url: URL): UrlMatch;
}
