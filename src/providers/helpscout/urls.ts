import { readDecimalId, type UrlMatcher } from "../../domain/link.js";
import type { StoredConversation } from "../provider.js";

/*
 * https://developer.helpscout.com/webhooks/objects/conversation/ and
 * https://developer.helpscout.com/help-desk-api/objects/abbreviated-conversation/: "number" is the conversation number
 * shown in the UI and, with the id, builds the link https://secure.helpscout.net/conversation/<id>/<number>/.
 * The API addresses conversations by id, so the first number is the identity; the second is kept in the canonical
 * URL only because the web app builds its links with it. ?folderId= (the folder the link was copied from) and any
 * #thread fragment are dropped.
 * http:// is accepted (only the id is read, never fetched) and canonicalised to https.
 */
export const helpscoutUrls: UrlMatcher = {
  provider: "helpscout",
  match(url) {
    if (url.hostname !== "secure.helpscout.net" || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
    const segments = url.pathname.split("/").filter((segment) => segment !== "");
    if (segments[0] !== "conversation") return null;

    const id = readDecimalId(segments[1], "Help Scout conversation id");
    if ("reject" in id) return id;
    const number = readDecimalId(segments[2], "Help Scout conversation number");
    const tail = "id" in number ? `${number.id}/` : "";
    return { account: "", conversationId: id.id, url: `https://secure.helpscout.net/conversation/${id.id}/${tail}` };
  },
};

/** The pasted address: Help Scout's agent URL also needs the conversation number its UI shows, which the id is not. */
export function helpscoutAgentUrl(conversation: StoredConversation): string {
  return conversation.url;
}
