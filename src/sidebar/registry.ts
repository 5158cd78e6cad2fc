import { PROVIDERS, type ProviderId } from "../domain/link.js";
import type { EnabledProvider } from "../providers/registry.js";
import { freshdeskSidebar } from "./freshdesk.js";
import { frontSidebar } from "./front.js";
import { helpscoutSidebar } from "./helpscout.js";
import { intercomSidebar } from "./intercom.js";
import type { SidebarDefinition } from "./sidebar.js";
import { zendeskSidebar } from "./zendesk.js";

// Keyed by helpdesk, so a helpdesk in PROVIDERS without a sidebar does not compile (test/sidebar/registry.test.ts
// checks each declares every fact).
const definitions: Record<ProviderId, SidebarDefinition<any>> = {
  intercom: intercomSidebar,
  front: frontSidebar,
  zendesk: zendeskSidebar,
  helpscout: helpscoutSidebar,
  freshdesk: freshdeskSidebar,
};

/** Every helpdesk's sidebar, in PROVIDERS order. */
export const sidebars: ReadonlyMap<ProviderId, SidebarDefinition> = new Map(
  PROVIDERS.map((id) => [id, definitions[id]]),
);

export interface EnabledSidebar {
  definition: SidebarDefinition;
  settings: unknown;
}

/** The sidebars whose secret is set, with their settings; throws SidebarConfigError when one is only half set. */
export function enabledSidebars(
  env: Record<string, string | undefined>,
  providers: ReadonlyMap<ProviderId, EnabledProvider>,
): Map<ProviderId, EnabledSidebar> {
  const enabled = new Map<ProviderId, EnabledSidebar>();
  for (const [id, definition] of sidebars) {
    const settings = definition.configure(env, providers);
    if (settings !== null) enabled.set(id, { definition, settings });
  }
  return enabled;
}

/** The names of the sidebars whose secret is set, for `closeloop status` and the operations page (no validation). */
export function sidebarsSwitchedOn(env: Record<string, string | undefined>): string[] {
  return [...sidebars.values()]
    .filter((definition) => (env[definition.secretVariable] ?? "").trim() !== "")
    .map((definition) => definition.helpdesk);
}
