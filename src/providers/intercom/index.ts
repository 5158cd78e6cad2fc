import type { ProviderDefinition } from "../provider.js";
import { DEFAULT_TIMEOUT_MS } from "../helpdesk-http.js";
import { ProviderConfigError, readApiUrl, readCredentials } from "../provider-settings.js";
import { createIntercomClient, type IntercomSettings } from "./client.js";
import { intercomAgentUrl, intercomUrls } from "./urls.js";
import { INTERCOM_SIGNATURE_HEADER, intercomWebhook } from "./webhook.js";
import { readWorkspaceId } from "./workspace.js";

export const intercomProvider: ProviderDefinition<IntercomSettings> = {
  id: "intercom",
  name: "Intercom",
  urls: intercomUrls,
  agentUrl: intercomAgentUrl,
  // Intercom keeps merged conversations apart; a closed one reopens.
  mergesConversations: false,
  closedConversations: "reopens",
  webhookSignatureHeaders: [INTERCOM_SIGNATURE_HEADER],
  configure(env) {
    const credentials = readCredentials("intercom", env, ["INTERCOM_ACCESS_TOKEN", "INTERCOM_ADMIN_ID"]);
    if (credentials === null) return null;
    if (!/^\d+$/.test(credentials.INTERCOM_ADMIN_ID)) {
      throw new ProviderConfigError(
        "intercom",
        "INTERCOM_ADMIN_ID",
        "must be the numeric id of the teammate who writes the notes",
      );
    }
    const workspaceId = readWorkspaceId(env);
    return {
      accessToken: credentials.INTERCOM_ACCESS_TOKEN,
      adminId: credentials.INTERCOM_ADMIN_ID,
      // US by default; EU and AU workspaces set https://api.eu.intercom.io or https://api.au.intercom.io.
      apiUrl: readApiUrl("intercom", env, "INTERCOM_API_URL", "https://api.intercom.io"),
      timeoutMs: DEFAULT_TIMEOUT_MS,
      ...(workspaceId === undefined ? {} : { workspaceId }),
    };
  },
  createClient: createIntercomClient,
  // 10,000 calls a minute per app, enforced in 10-second windows: 1,666 per window.
  // https://developers.intercom.com/docs/references/2.17/rest-api/errors/rate-limiting
  rateBudget: () => ({ requests: 1666, intervalMs: 10_000 }),
  webhook: intercomWebhook,
};
