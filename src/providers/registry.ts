import { PROVIDERS, type ProviderId } from "../domain/link.js";
import type { HelpdeskWebhook, WebhookSettings } from "./helpdesk-webhook.js";
import type { ProviderDefinition, StoredConversation } from "./provider.js";
import { freshdeskProvider } from "./freshdesk/index.js";
import { frontProvider } from "./front/index.js";
import { helpscoutProvider } from "./helpscout/index.js";
import { intercomProvider } from "./intercom/index.js";
import { zendeskProvider } from "./zendesk/index.js";

// Keyed by id, so an id in PROVIDERS without a definition here does not compile (a test checks each is under its own id).
const definitions: Record<ProviderId, ProviderDefinition<any>> = {
  intercom: intercomProvider,
  front: frontProvider,
  zendesk: zendeskProvider,
  helpscout: helpscoutProvider,
  freshdesk: freshdeskProvider,
};

/**
 * Every helpdesk closeloop knows, by id, in PROVIDERS order. Adding a sixth touches its folder, its id in PROVIDERS and
 * this registry; the URL matchers, the webhook routes, the status and the tests all read it from here.
 */
export const providers: ReadonlyMap<ProviderId, ProviderDefinition> = new Map(
  PROVIDERS.map((id) => [id, definitions[id]]),
);

/** A stored provider id's display name; the id itself for one this version does not know (a row from a newer one). */
export function providerName(id: string): string {
  return providers.get(id as ProviderId)?.name ?? id;
}

/** Where an agent opens a stored conversation (ProviderDefinition.agentUrl); the pasted URL for an unknown provider. */
export function agentUrl(conversation: StoredConversation & { provider: string }): string {
  return providers.get(conversation.provider as ProviderId)?.agentUrl(conversation) ?? conversation.url;
}

/** The helpdesks whose links may name a merged conversation (ProviderDefinition.mergesConversations). */
export const mergingProviders: ReadonlySet<ProviderId> = new Set(
  [...providers.values()].filter((definition) => definition.mergesConversations).map((definition) => definition.id),
);

/** Every header a helpdesk's webhook carries its signature or secret in (ProviderDefinition.webhookSignatureHeaders). */
export const webhookSignatureHeaders: readonly string[] = [
  ...new Set([...providers.values()].flatMap((definition) => definition.webhookSignatureHeaders)),
];

export interface EnabledProvider {
  definition: ProviderDefinition;
  settings: unknown;
}

/**
 * The providers whose credentials are set, in PROVIDERS order, with their settings. Throws ProviderConfigError (one
 * line naming the variable) when a provider's credentials are only partly set or malformed.
 */
export function enabledProviders(env: Record<string, string | undefined>): Map<ProviderId, EnabledProvider> {
  const enabled = new Map<ProviderId, EnabledProvider>();
  for (const [id, definition] of providers) {
    const settings = definition.configure(env);
    if (settings !== null) enabled.set(id, { definition, settings });
  }
  return enabled;
}

export interface ConfiguredWebhook {
  webhook: HelpdeskWebhook<WebhookSettings>;
  settings: WebhookSettings;
}

/** The helpdesks whose webhook secret is set. Throws ProviderConfigError (start-up stops) on a half-done set-up. */
export function configuredWebhooks(env: Record<string, string | undefined>): Map<ProviderId, ConfiguredWebhook> {
  const configured = new Map<ProviderId, ConfiguredWebhook>();
  for (const [id, definition] of providers) {
    const webhook = definition.webhook as HelpdeskWebhook<WebhookSettings>;
    const settings = webhook.configure(env);
    if (settings) configured.set(id, { webhook, settings });
  }
  return configured;
}
