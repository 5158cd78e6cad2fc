import { shorten, type UrlMatcher } from "../../domain/link.js";

/*
 * https://dev.frontapp.com/reference/conversations ("Opening a conversation in Front"): a conversation opens at
 * https://app.frontapp.com/open/{conversation_id}, where the id is the API id, e.g. cnv_55c8c149.
 * Inbox views that have a conversation open end in the same cnv_ segment (README, Recognised conversation URLs), so a cnv_ segment anywhere in the
 * path is the conversation.
 * https://dev.frontapp.com/docs/resource-aliases-1 ("Converting UI identifiers"): other inbox views carry a decimal UI
 * number instead. Those are refused, not converted: the same views end in an inbox number when no conversation is
 * open, and turning an inbox number into a cnv_ id would reopen some unrelated customer's conversation.
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
        return { reject: `Front conversation id must be cnv_ followed by letters and digits: ${shorten(conversation)}` };
      }
      const id = digits.replace(/^0+/, "");
      if (id === "") return { reject: `Front conversation id must not be zero: ${shorten(conversation)}` };
      const conversationId = `${CONVERSATION_PREFIX}${id}`;
      return { account: "", conversationId, url: `https://app.frontapp.com/open/${conversationId}` };
    }

    const last = segments.at(-1);
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
