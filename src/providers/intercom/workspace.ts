import { ProviderConfigError } from "../provider-settings.js";

/**
 * INTERCOM_WORKSPACE_ID, lower-cased as the URL matcher keeps a workspace id (the link's account); undefined when
 * unset. Intercom conversation ids are per workspace, like Zendesk's ticket ids per subdomain: with it set, a pasted
 * URL or a webhook of another workspace is another account's conversation, never read or written.
 */
export function readWorkspaceId(env: Record<string, string | undefined>): string | undefined {
  const value = env.INTERCOM_WORKSPACE_ID?.trim().toLowerCase();
  if (!value) return undefined;
  if (!/^[a-z0-9]+$/.test(value))
    throw new ProviderConfigError(
      "intercom",
      "INTERCOM_WORKSPACE_ID",
      "must be letters and digits (the app id in app.intercom.com/a/inbox/<app>/…)",
    );
  return value;
}
