import type { ProviderId, RecognisedLink } from "../domain/link.js";
import { HelpdeskError } from "../providers/helpdesk-http.js";
import type { HelpdeskClient } from "../providers/provider.js";
import type { EnabledProvider } from "../providers/registry.js";
import { SidebarError } from "./service.js";

/**
 * Reads the conversation through its helpdesk's API before a sidebar writes a link to it, for helpdesks whose proof
 * does not name the conversation (Zendesk, Front, Freshdesk): the API answers only for conversations of the account
 * closeloop's credentials belong to, so a made-up id, or one of another account, is refused before anything is stored.
 */
export function conversationChecker(
  providers: ReadonlyMap<ProviderId, EnabledProvider>,
): (helpdesk: ProviderId, link: RecognisedLink) => Promise<void> {
  const clients = new Map<ProviderId, HelpdeskClient>();
  return async (helpdesk, link) => {
    const provider = providers.get(helpdesk);
    if (!provider)
      throw new SidebarError(403, `closeloop cannot read ${helpdesk} conversations: its API credentials are not set`);
    let client = clients.get(helpdesk);
    if (!client) clients.set(helpdesk, (client = provider.definition.createClient(provider.settings)));
    try {
      await client.readConversation({ account: link.account, conversationId: link.conversationId });
    } catch (error) {
      if (!(error instanceof HelpdeskError)) throw error;
      const name = provider.definition.name;
      if (error.status === 404 || (!error.retryable && error.status === undefined))
        throw new SidebarError(
          404,
          `${name} has no conversation ${link.conversationId} in closeloop's account: ${error.reason}`,
        );
      throw new SidebarError(
        502,
        `${name} did not confirm conversation ${link.conversationId} (${error.reason}); try again`,
      );
    }
  };
}
