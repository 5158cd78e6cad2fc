import { shorten, type UrlMatcher } from "../../domain/link.js";
import type { StoredConversation } from "../provider.js";

/*
 * https://dev.frontapp.com/reference/conversations ("Opening a conversation in Front"): a conversation opens at
 * https://app.frontapp.com/open/{conversation_id}, where the id is the API id, e.g. cnv_55c8c149.
 * Inbox views that have a conversation open end in the same cnv_ segment (README, Recognised conversation URLs), so a cnv_ segment anywhere in the
 * path is the conversation.
 * https://dev.frontapp.com/docs/resource-aliases-1 ("Convert UI identifiers to system-generated IDs"): the address bar
 * shows ids as decimal numbers; the API id is the resource prefix + that number in base 36, so a conversation open
 * in an inbox view, .../open/26322453318, is cnv_ + (26322453318 in base 36) = cnv_c3bpiyu, the same link as
 * /open/cnv_c3bpiyu.
 * Only a number that is the last segment, right after an "open" segment, is read as a conversation: that is where
 * the address bar puts the open conversation. Any other trailing number is refused, not converted: the same views
 * end in an inbox or folder number when no conversation is open, and turning that into a cnv_ id would reopen some
 * unrelated customer's conversation. After /open/ the number must also look like an id Front prints: digits only,
 * no leading zero (Front never prints one, so "0123" is a mistyped or different number, not 123), not zero, and at
 * most 15 digits (ids today are about 11; 15 stays below 2^53, so any tool converting it with a JS number agrees).
 * A number failing these is refused with the reason and no cnv_ id is made up from it.
 * The id after cnv_ is base 36; Front prints it in lower case without leading zeros, so that is the canonical form.
 * http:// is accepted (only the id is read, never fetched) and canonicalised to https.
 */
const CONVERSATION_PREFIX = "cnv_";

export const frontUrls: UrlMatcher = {
  provider: "front",
  match(url) {
    if (url.hostname !== "app.frontapp.com" || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
    const segments = url.pathname.split("/").filter((segment) => segment !== "");
    const conversation = segments.findLast((segment) => segment.toLowerCase().startsWith(CONVERSATION_PREFIX));

    if (conversation !== undefined) {
      const digits = conversation.slice(CONVERSATION_PREFIX.length).toLowerCase();
      if (!/^[0-9a-z]+$/.test(digits)) {
        return {
          reject: `Front conversation id must be cnv_ followed by letters and digits: ${shorten(conversation)}`,
        };
      }
      const id = digits.replace(/^0+/, "");
      if (id === "") return { reject: `Front conversation id must not be zero: ${shorten(conversation)}` };
      const conversationId = `${CONVERSATION_PREFIX}${id}`;
      return { account: "", conversationId, url: `https://app.frontapp.com/open/${conversationId}` };
    }

    const last = segments.at(-1);
    if (last !== undefined && segments.at(-2) === "open" && /^[0-9]+$/.test(last)) {
      const number = readUiNumber(last);
      if ("reject" in number) return number;
      const conversationId = `${CONVERSATION_PREFIX}${BigInt(number.id).toString(36)}`;
      return {
        account: "",
        conversationId,
        url: `https://app.frontapp.com/open/${conversationId}`,
        fromAddressBar: true,
      };
    }
    if (segments[0] === "open") {
      return { reject: `Front link does not point to a conversation (expected /open/cnv_…): ${shorten(last ?? "")}` };
    }
    if (last !== undefined && /^[0-9]+$/.test(last)) {
      return {
        reject: `Front inbox URL ends in a UI number, not a conversation id; use the conversation's "Copy link" (app.frontapp.com/open/cnv_…): ${shorten(last)}`,
      };
    }
    return null;
  },
};

/** The longest decimal UI number read as a conversation (see the comment at the top). */
const LONGEST_UI_NUMBER = 15;

function readUiNumber(digits: string): { id: string } | { reject: string } {
  if (/^0+$/.test(digits)) return { reject: `Front conversation number must not be zero: ${shorten(digits)}` };
  if (digits.startsWith("0")) {
    return { reject: `Front conversation number must not start with 0 (Front never prints one): ${shorten(digits)}` };
  }
  if (digits.length > LONGEST_UI_NUMBER) {
    return {
      reject: `Front conversation number is too long to be real (over ${LONGEST_UI_NUMBER} digits): ${shorten(digits)}`,
    };
  }
  return { id: digits };
}

/** Front's documented opener for the API id, whichever of its addresses was pasted. */
export function frontAgentUrl(conversation: StoredConversation): string {
  return `https://app.frontapp.com/open/${encodeURIComponent(conversation.conversationId)}`;
}
