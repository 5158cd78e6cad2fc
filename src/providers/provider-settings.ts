import type { ProviderId } from "../domain/link.js";
import { trimTrailingSlashes } from "../domain/trailing-slashes.js";

/** A helpdesk's environment is half set or malformed: start-up stops with one line naming the variable. */
export class ProviderConfigError extends Error {
  override name = "ProviderConfigError";
  readonly provider: ProviderId;
  readonly variable: string;

  constructor(provider: ProviderId, variable: string, problem: string) {
    super(`invalid environment: ${variable}: ${problem}`);
    this.provider = provider;
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads a provider's credentials: null when none is set (the provider is simply not enabled), the values when all
 * are set, and a ProviderConfigError naming the first missing one when only some are, because half a set of
 * credentials is a typo, not a wish to leave the helpdesk off.
 */
export function readCredentials<Name extends string>(
  provider: ProviderId,
  env: Env,
  names: readonly Name[],
): Record<Name, string> | null {
  const values = new Map<Name, string>();
  for (const name of names) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== "") values.set(name, value);
  }
  if (values.size === 0) return null;
  const missing = names.find((name) => !values.has(name));
  if (missing !== undefined) {
    const present = names.filter((name) => values.has(name)).join(", ");
    throw new ProviderConfigError(
      provider,
      missing,
      `is required when ${present} ${values.size === 1 ? "is" : "are"} set`,
    );
  }
  return Object.fromEntries(values) as Record<Name, string>;
}

/**
 * The API base URL: the operator's override (regions, proxies, tests) or the provider's default. Never derived from a
 * pasted conversation URL (no SSRF; README, Environment). A path in the override is kept, so a proxy prefix works.
 */
export function readApiUrl(provider: ProviderId, env: Env, variable: string, fallback: string): URL {
  const given = env[variable]?.trim();
  const raw = given === undefined || given === "" ? fallback : given;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProviderConfigError(provider, variable, `must be an absolute http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ProviderConfigError(provider, variable, `must be an http(s) URL (got "${raw}")`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new ProviderConfigError(provider, variable, "must not carry credentials; use the provider's token variables");
  }
  url.search = "";
  url.hash = "";
  return url;
}

/** base + path, keeping any path prefix of the base; each id in the path must already be encoded. */
export function apiUrl(base: URL, path: string, query: Record<string, string> = {}): URL {
  const url = new URL(base.href);
  url.pathname = `${trimTrailingSlashes(base.pathname)}${path}`;
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url;
}

/** A conversation id as one path segment: an id pasted into an issue never escapes into another endpoint. */
export function segment(id: string | number): string {
  return encodeURIComponent(String(id));
}

/**
 * The conversation id in an API URL that answered after a redirect: the segment after `conversations` below the base
 * path, when it has the provider's shape; undefined otherwise (then the call still counts, but nothing is recorded).
 */
export function conversationIdIn(url: URL, base: URL, shape: RegExp): string | undefined {
  const prefix = trimTrailingSlashes(base.pathname);
  if (!url.pathname.startsWith(`${prefix}/`)) return undefined;
  const parts = url.pathname
    .slice(prefix.length)
    .split("/")
    .filter((part) => part !== "");
  const at = parts.indexOf("conversations");
  const id = at === -1 ? undefined : parts[at + 1];
  if (id === undefined) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(id);
  } catch {
    return undefined;
  }
  return shape.test(decoded) ? decoded : undefined;
}
