import type { UrlMatcher } from "../domain/link.js";
import { providers } from "./registry.js";

/** Every helpdesk's conversation URLs, from the registry: recognising links needs no list of its own. */
export const urlMatchers: readonly UrlMatcher[] = [...providers.values()].map((definition) => definition.urls);
