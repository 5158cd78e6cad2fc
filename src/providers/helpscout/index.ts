import type { ProviderDefinition } from "../provider.js";
import { DEFAULT_TIMEOUT_MS } from "../helpdesk-http.js";
import { readApiUrl, readCredentials } from "../provider-settings.js";
import { createHelpScoutClient, type HelpScoutSettings } from "./client.js";
import { helpscoutAgentUrl, helpscoutUrls } from "./urls.js";
import { HELPSCOUT_SIGNATURE_HEADER, helpscoutWebhook } from "./webhook.js";

export const helpscoutProvider: ProviderDefinition<HelpScoutSettings> = {
  id: "helpscout",
  name: "Help Scout",
  urls: helpscoutUrls,
  agentUrl: helpscoutAgentUrl,
  // A merged conversation's calls are redirected to the survivor (README, Merged conversations); a closed one reopens.
  mergesConversations: true,
  closedConversations: "reopens",
  webhookSignatureHeaders: [HELPSCOUT_SIGNATURE_HEADER],
  configure(env) {
    const credentials = readCredentials("helpscout", env, ["HELPSCOUT_APP_ID", "HELPSCOUT_APP_SECRET"]);
    if (credentials === null) return null;
    return {
      appId: credentials.HELPSCOUT_APP_ID,
      appSecret: credentials.HELPSCOUT_APP_SECRET,
      apiUrl: readApiUrl("helpscout", env, "HELPSCOUT_API_URL", "https://api.helpscout.net"),
      timeoutMs: DEFAULT_TIMEOUT_MS,
    };
  },
  createClient: createHelpScoutClient,
  // 200 a minute per account, where a write (both of closeloop's calls) counts as two: 100 writes a minute.
  // The limit depends on the plan; the worker reads X-RateLimit-Limit-Minute for the real one.
  // https://developer.helpscout.com/mailbox-api/overview/rate-limiting/
  // In units, as X-RateLimit-Limit-Minute counts them: 200 units are the 100 writes a minute closeloop assumed before.
  rateBudget: () => ({ requests: 200, intervalMs: 60_000 }),
  // "Write requests (POST, PUT, DELETE, PATCH) count as 2 requests toward the rate limit."
  writeCost: 2,
  webhook: helpscoutWebhook,
};
