import { PROVIDERS, type ProviderId } from "../domain/link.js";
import type { ProviderDefinition } from "./provider.js";
import { freshdeskProvider } from "./freshdesk/index.js";
import { frontProvider } from "./front/index.js";
import { helpscoutProvider } from "./helpscout/index.js";
import { intercomProvider } from "./intercom/index.js";
import { zendeskProvider } from "./zendesk/index.js";

/** Every helpdesk closeloop knows, by id. Adding a sixth touches its folder and this list; a test checks both. */
export const providers: ReadonlyMap<ProviderId, ProviderDefinition> = new Map<ProviderId, ProviderDefinition>(
  [intercomProvider, frontProvider, zendeskProvider, helpscoutProvider, freshdeskProvider].map((provider) => [
    provider.id,
    provider as ProviderDefinition,
  ]),
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
  for (const id of PROVIDERS) {
    const definition = providers.get(id);
    if (definition === undefined) continue;
    const settings = definition.configure(env);
    if (settings !== null) enabled.set(id, { definition, settings });
  }
  return enabled;
}
