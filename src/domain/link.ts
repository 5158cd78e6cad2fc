export const PROVIDERS = ["intercom", "front", "zendesk", "helpscout", "freshdesk"] as const;
export type ProviderId = (typeof PROVIDERS)[number];

/**
 * Where a link is carried: an issue body, a comment, a helpdesk note, an issue closed as a duplicate of this one, or a
 * helpdesk's sidebar.
 */
export type SourceKind = "body" | "comment" | "helpdesk" | "duplicate" | "sidebar";

/** The kinds of source a helpdesk makes: an agent's note naming the issue, and the sidebar. Only these unlink there. */
export const HELPDESK_SOURCE_KINDS: readonly SourceKind[] = ["helpdesk", "sidebar"];

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
  /**
   * true when the id was converted from the number in the helpdesk's address bar (Front's `/open/<number>`, turned
   * into `cnv_` + base 36), a conversion the helpdesk does not officially support: `closeloop links` says so, so a
   * person can check the conversation before trusting the reopen. Absent when the URL carried the API id.
   */
  fromAddressBar?: true;
}

/** A URL on a helpdesk's host that looks like a conversation link but cannot be used; `url` is as it was written. */
export interface RejectedUrl {
  provider: ProviderId;
  url: string;
  reason: string;
}

/** `fromAddressBar`: the matcher rewrote the URL from an address-bar number into the API id (see RecognisedLink). */
export type UrlMatch =
  { account: string; conversationId: string; url: string; fromAddressBar?: true } | { reject: string } | null;

export interface UrlMatcher {
  provider: ProviderId;
  /**
   * null: not this provider's URL at all, or a page of it that is not about a conversation (settings, articles);
   * reject: this provider's conversation area but not a conversation URL we can use (reason says why, e.g.
   * "Zendesk ticket id must be digits: abc").
   */
  match(url: URL): UrlMatch;
}

const LONGEST_ID = 19;

/**
 * Reads a decimal conversation id from a URL path segment. Helpdesks store these as 64-bit integers, so leading zeros
 * carry no meaning and are dropped: "007" and "7" are one conversation. Anything longer than a 64-bit integer can
 * print is refused rather than sent to an API that would 404 on it.
 */
export function readDecimalId(segment: string | undefined, what: string): { id: string } | { reject: string } {
  if (segment === undefined || segment === "") return { reject: `${what} is missing` };
  if (!/^[0-9]+$/.test(segment)) return { reject: `${what} must be digits: ${shorten(segment)}` };
  const id = segment.replace(/^0+/, "");
  if (id === "") return { reject: `${what} must be greater than zero: ${shorten(segment)}` };
  if (id.length > LONGEST_ID) return { reject: `${what} is too long to be real: ${shorten(segment)}` };
  return { id };
}

/** Reasons end up in issue comments and logs; a pasted 1 MB path segment must not. */
export function shorten(text: string): string {
  return text.length <= 40 ? text : `${text.slice(0, 40)}…`;
}
