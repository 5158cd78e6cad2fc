import type { ProviderDefinition } from "../provider.js";
import { DEFAULT_TIMEOUT_MS } from "../helpdesk-http.js";
import { readApiUrl, readCredentials } from "../provider-settings.js";
import { createFrontClient, type FrontSettings } from "./client.js";
import { frontAgentUrl, frontUrls } from "./urls.js";
import { FRONT_SIGNATURE_HEADER, frontWebhook } from "./webhook.js";

export const frontProvider: ProviderDefinition<FrontSettings> = {
  id: "front",
  name: "Front",
  urls: frontUrls,
  agentUrl: frontAgentUrl,
  // A merged conversation's calls are redirected to the survivor (README, Merged conversations); an archived one reopens.
  mergesConversations: true,
  closedConversations: "reopens",
  webhookSignatureHeaders: [FRONT_SIGNATURE_HEADER],
  configure(env) {
    const credentials = readCredentials("front", env, ["FRONT_API_TOKEN"]);
    if (credentials === null) return null;
    return {
      apiToken: credentials.FRONT_API_TOKEN,
      // https://dev.frontapp.com/docs/rest-api-reference ("Base URL")
      apiUrl: readApiUrl("front", env, "FRONT_API_URL", "https://api2.frontapp.com"),
      timeoutMs: DEFAULT_TIMEOUT_MS,
    };
  },
  createClient: createFrontClient,
  // Per company, by plan: Starter 50, Professional 100, Enterprise 200 a minute. The smallest is the safe default;
  // the worker reads x-ratelimit-limit for the real one. https://dev.frontapp.com/docs/rate-limiting
  rateBudget: () => ({ requests: 50, intervalMs: 60_000 }),
  webhook: frontWebhook,
};
