import type { ProviderId } from "../domain/link.js";
import { HelpdeskError } from "../providers/helpdesk-http.js";
import { providers } from "../providers/registry.js";

/**
 * Whether each configured helpdesk answers its credentials, for `closeloop status`: one authenticated read per
 * helpdesk (its client's checkConnection, declared in its folder), all at once, each cut off after a few seconds.
 */

/** Long enough for a helpdesk across the world, short enough that `closeloop status` never seems to hang. */
export const CONNECTION_TIMEOUT_MS = 5_000;

/**
 * `ok`: the credentials work. `unauthorized`: the helpdesk refused them (401/403: a wrong, revoked or too weak token).
 * `refused`: another answer that retrying will not change (a wrong `INTERCOM_ADMIN_ID`, a wrong API URL's 404).
 * `unreachable`: no answer (DNS, connection refused, timeout, reset) or a server error. `rate-limited`: a 429.
 */
export type ConnectionState = "ok" | "unauthorized" | "refused" | "unreachable" | "rate-limited";

export interface HelpdeskConnection {
  provider: ProviderId;
  state: ConnectionState;
  /** who the credentials act as when ok; else what went wrong, as the helpdesk said it (never a secret) */
  detail: string;
}

/** States a person has to fix in the configuration: `closeloop status` exits 1 for them. */
export const MISCONFIGURED: ReadonlySet<ConnectionState> = new Set(["unauthorized", "refused"]);

/** Checks every helpdesk whose credentials are set, in PROVIDERS order; a half-configured one is status' to report. */
export async function checkHelpdeskConnections(
  env: Record<string, string | undefined>,
  timeoutMs = CONNECTION_TIMEOUT_MS,
): Promise<HelpdeskConnection[]> {
  const configured = [...providers].flatMap(([provider, definition]) => {
    try {
      const settings = definition.configure(env);
      return settings === null ? [] : [{ provider, definition, settings }];
    } catch {
      return [];
    }
  });
  return Promise.all(
    configured.map(async ({ provider, definition, settings }): Promise<HelpdeskConnection> => {
      try {
        const who = await definition.createClient(settings).checkConnection({ timeoutMs });
        return { provider, state: "ok", detail: who };
      } catch (error) {
        return { provider, ...describeFailure(error) };
      }
    }),
  );
}

function describeFailure(error: unknown): { state: ConnectionState; detail: string } {
  if (!(error instanceof HelpdeskError)) return { state: "refused", detail: (error as Error).message };
  const detail = error.reason;
  if (error.status === 401 || error.status === 403) return { state: "unauthorized", detail };
  if (error.status === 429) return { state: "rate-limited", detail };
  if (error.retryable) return { state: "unreachable", detail };
  return { state: "refused", detail };
}
