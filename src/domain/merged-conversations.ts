import type { ProviderId, RecognisedLink } from "./link.js";
import { linkKey } from "./mentions.js";

/**
 * A link to a conversation its helpdesk merged into another, as a link to the survivor: the same conversation for
 * links, reports and reopens. `survivors` maps linkKey of a merged conversation to its survivor's id. The URL stays
 * as it was pasted (the helpdesk's web app redirects it too).
 */
export function toSurvivor<Link extends RecognisedLink>(link: Link, survivors: ReadonlyMap<string, string>): Link {
  const survivor = survivors.get(linkKey(link));
  return survivor === undefined ? link : { ...link, conversationId: survivor };
}

/**
 * The links that may name a merged conversation: those of the helpdesks that redirect calls about a merged
 * conversation to its survivor (`merging`, from each provider's definition; README, Merged conversations). Looking
 * aliases up for other links would cost every capture a query for nothing.
 */
export function mayBeMerged<Link extends RecognisedLink>(
  links: readonly Link[],
  merging: ReadonlySet<ProviderId>,
): Link[] {
  return links.filter((link) => merging.has(link.provider));
}
