import type { RecognisedLink, RejectedUrl, UrlMatcher } from "./link.js";
import { findUrls } from "./markdown-scanner.js";

export interface RecogniseLinksOptions {
  /** `links.max_per_source`: keep the first `max` distinct links. */
  max?: number;
}

export interface RecognisedLinks {
  links: RecognisedLink[];
  rejected: RejectedUrl[];
  /** How many more distinct links there were beyond `max`. */
  truncated: number;
}

/**
 * The helpdesk conversations an issue body or comment links to, in order of first appearance, once each; URLs on a
 * helpdesk's host that cannot be used are reported with why. Which URLs count (prose, not code or quotes) is the
 * markdown scanner's (markdown-scanner.ts).
 */
export function recogniseLinks(
  markdown: string,
  matchers: readonly UrlMatcher[],
  options: RecogniseLinksOptions = {},
): RecognisedLinks {
  const max = options.max ?? Number.POSITIVE_INFINITY;
  if (Number.isNaN(max) || max < 0 || (Number.isFinite(max) && !Number.isInteger(max))) {
    throw new RangeError(`max must be a whole number of links, 0 or more; got ${max}`);
  }
  const links: RecognisedLink[] = [];
  const rejected: RejectedUrl[] = [];
  let truncated = 0;
  const seenLinks = new Set<string>();
  const seenRejected = new Set<string>();

  for (const written of findUrls(markdown, "markdown")) {
    const outcome = recogniseUrl(written, matchers);
    if (outcome === null) continue;
    if ("reason" in outcome) {
      if (!seenRejected.has(outcome.url)) {
        seenRejected.add(outcome.url);
        rejected.push(outcome);
      }
      continue;
    }
    const identity = `${outcome.provider}\u0000${outcome.account}\u0000${outcome.conversationId}`;
    if (seenLinks.has(identity)) continue;
    seenLinks.add(identity);
    if (links.length < max) links.push(outcome);
    else truncated++;
  }
  return { links, rejected, truncated };
}

/** One URL as written: a link, a refusal with its reason, or null when no helpdesk claims it. */
export function recogniseUrl(written: string, matchers: readonly UrlMatcher[]): RecognisedLink | RejectedUrl | null {
  let url: URL;
  try {
    url = new URL(written);
  } catch {
    return null;
  }
  for (const matcher of matchers) {
    const match = matcher.match(url);
    if (match === null) continue;
    const provider = matcher.provider;
    if ("reject" in match) return { provider, url: written, reason: match.reject };
    // Helpdesk links never carry these; one that does was crafted, and copying it into a note would keep the credential.
    if (url.username !== "" || url.password !== "") {
      return { provider, url: written, reason: "conversation links never carry a user name or password" };
    }
    if (url.port !== "")
      return { provider, url: written, reason: `conversation links never carry a port: ${url.port}` };
    const link: RecognisedLink = {
      provider,
      account: match.account,
      conversationId: match.conversationId,
      url: match.url,
    };
    return match.fromAddressBar ? { ...link, fromAddressBar: true } : link;
  }
  return null;
}
