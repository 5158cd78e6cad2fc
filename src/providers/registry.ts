import { PROVIDERS, type ProviderId } from "../domain/link.js";
import type { ProviderDefinition } from "./provider.js";
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
