/** A linked conversation as stored: which helpdesk, workspace and conversation, and the URL that was pasted. */
export interface ConversationRef {
  /** a ProviderId as stored */
  provider: string;
  account: string;
  conversationId: string;
  url: string;
}

const INTERCOM_APP_HOSTS = new Set([
  "app.intercom.com",
  "app.intercom.io",
  "app.eu.intercom.com",
  "app.au.intercom.com",
]);

/**
 * The address that opens the conversation in its helpdesk's agent interface, for the dashboard. Built from the ids in
 * the shape each helpdesk's agent UI uses (the shapes src/providers/<id>/urls.ts recognises), so a pasted customer-portal
 * or numeric address still opens the agent's view; where the ids alone do not make one (Help Scout's also needs
 * the number shown in its UI), the pasted URL, which closeloop only stored because it recognised it.
 */
export function helpdeskUrl(link: ConversationRef): string {
  const id = encodeURIComponent(link.conversationId);
  const account = encodeURIComponent(link.account);
  switch (link.provider) {
    case "zendesk":
      return link.account ? `https://${account}.zendesk.com/agent/tickets/${id}` : link.url;
    case "freshdesk":
      return link.account ? `https://${account}.freshdesk.com/a/tickets/${id}` : link.url;
    case "front":
      return `https://app.frontapp.com/open/${id}`;
    case "intercom": {
      if (!link.account) return link.url;
      const host = hostOf(link.url);
      return `https://${host !== null && INTERCOM_APP_HOSTS.has(host) ? host : "app.intercom.com"}/a/inbox/${account}/inbox/conversation/${id}`;
    }
    default:
      return link.url;
  }
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}
