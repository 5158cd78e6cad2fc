import type { ProviderDefinition } from "../provider.js";
import { DEFAULT_TIMEOUT_MS } from "../helpdesk-http.js";
import { ProviderConfigError, readApiUrl, readCredentials } from "../provider-settings.js";
import { createZendeskClient, type ZendeskSettings } from "./client.js";
import { zendeskAgentUrl, zendeskUrls } from "./urls.js";
import { ZENDESK_SIGNATURE_HEADER, zendeskWebhook } from "./webhook.js";

export const zendeskProvider: ProviderDefinition<ZendeskSettings> = {
  id: "zendesk",
  name: "Zendesk",
  urls: zendeskUrls,
  agentUrl: zendeskAgentUrl,
  mergesConversations: false,
  // A closed ticket can never be updated again; a follow-up stands in (src/providers/zendesk/client.ts).
  closedConversations: "follow-up",
  webhookSignatureHeaders: [ZENDESK_SIGNATURE_HEADER],
  configure(env) {
    const credentials = readCredentials("zendesk", env, ["ZENDESK_SUBDOMAIN", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"]);
    if (credentials === null) return null;
    // "acme" or "acme.zendesk.com"; anything else could point the default API URL at another host.
    const subdomain = credentials.ZENDESK_SUBDOMAIN.toLowerCase().replace(/\.zendesk\.com$/, "");
    if (!/^[a-z0-9][a-z0-9-]*$/.test(subdomain)) {
      throw new ProviderConfigError(
        "zendesk",
        "ZENDESK_SUBDOMAIN",
        `must be the subdomain, e.g. "acme" for acme.zendesk.com`,
      );
    }
    return {
      subdomain,
      email: credentials.ZENDESK_EMAIL,
      apiToken: credentials.ZENDESK_API_TOKEN,
      apiUrl: readApiUrl("zendesk", env, "ZENDESK_API_URL", `https://${subdomain}.zendesk.com`),
      timeoutMs: DEFAULT_TIMEOUT_MS,
    };
  },
  createClient: createZendeskClient,
  // Every call counts against the account-wide limit (200–700 a minute by plan; the lowest until X-Rate-Limit says);
  // the note and the reopen are Update Ticket calls, also limited to 100 a minute per account whatever the plan, with
  // no header of their own. Reads (enrichment) draw on the account-wide limit only, so they never wait for the updates'.
  // https://developer.zendesk.com/api-reference/introduction/rate-limits/ ("Endpoint rate limits")
  rateBudget: () => ({ requests: 200, intervalMs: 60_000 }),
  writeBudget: () => ({ requests: 100, intervalMs: 60_000 }),
  webhook: zendeskWebhook,
};
