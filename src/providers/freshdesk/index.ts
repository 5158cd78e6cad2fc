import type { ProviderDefinition } from "../provider.js";
import { DEFAULT_TIMEOUT_MS } from "../helpdesk-http.js";
import { ProviderConfigError, readApiUrl, readCredentials } from "../provider-settings.js";
import { createFreshdeskClient, type FreshdeskSettings } from "./client.js";
import { freshdeskAgentUrl, freshdeskUrls } from "./urls.js";
import { FRESHDESK_SECRET_HEADER, freshdeskWebhook } from "./webhook.js";

export const freshdeskProvider: ProviderDefinition<FreshdeskSettings> = {
  id: "freshdesk",
  name: "Freshdesk",
  urls: freshdeskUrls,
  agentUrl: freshdeskAgentUrl,
  mergesConversations: false,
  // Freshdesk reopens resolved and closed tickets alike (src/providers/freshdesk/client.ts).
  closedConversations: "reopens",
  webhookSignatureHeaders: [FRESHDESK_SECRET_HEADER],
  configure(env) {
    const credentials = readCredentials("freshdesk", env, ["FRESHDESK_DOMAIN", "FRESHDESK_API_KEY"]);
    if (credentials === null) return null;
    // "acme" or "acme.freshdesk.com"; anything else could point the default API URL at another host.
    const domain = credentials.FRESHDESK_DOMAIN.toLowerCase().replace(/\.freshdesk\.com$/, "");
    if (!/^[a-z0-9][a-z0-9-]*$/.test(domain)) {
      throw new ProviderConfigError(
        "freshdesk",
        "FRESHDESK_DOMAIN",
        `must be the helpdesk's name, e.g. "acme" for acme.freshdesk.com`,
      );
    }
    return {
      domain,
      apiKey: credentials.FRESHDESK_API_KEY,
      apiUrl: readApiUrl("freshdesk", env, "FRESHDESK_API_URL", `https://${domain}.freshdesk.com`),
      timeoutMs: DEFAULT_TIMEOUT_MS,
    };
  },
  createClient: createFreshdeskClient,
  // Growth, the smallest paid plan: 200 calls a minute, of which 80 may be ticket updates. Each reopen is one ticket
  // update and one note, so 80 reopens (160 calls) a minute is the most that plan allows.
  // https://support.freshdesk.com/support/solutions/articles/225439-what-are-the-rate-limits-for-the-api-calls-to-freshdesk
  // The headers name neither a reset nor the window (a minute, or an hour on accounts not yet moved): the announced
  // total is never spent past what the last answer left, and with nothing left no faster than the total an hour
  // (src/domain/rate-pacing.ts). https://developers.freshdesk.com/api/#ratelimit
  rateBudget: () => ({ requests: 160, intervalMs: 60_000, longestWindowMs: 3_600_000 }),
  webhook: freshdeskWebhook,
};
