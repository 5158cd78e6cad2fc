import { z } from "zod";

/**
 * The GitHub App manifest the setup flow posts to GitHub (docs.github.com, "Registering a GitHub App from a
 * manifest"): app.yml's name, description, homepage, visibility, events and permissions, with the addresses of this
 * deployment. Probot's own setup flow registers its webhook at `<the browser's address>/` and takes app.yml's fixed
 * callback, so an app registered from a laptop could neither receive webhooks nor sign anyone in.
 */
export const appDefinition = z.object({
  name: z.string(),
  description: z.string(),
  url: z.string(),
  public: z.boolean(),
  default_events: z.array(z.string()),
  default_permissions: z.record(z.string(), z.enum(["read", "write", "admin"])),
});

export type AppDefinition = z.infer<typeof appDefinition>;

export interface AppManifest extends AppDefinition {
  hook_attributes: { url: string; active: boolean };
  redirect_url: string;
  callback_urls: string[];
}

export interface ManifestAddresses {
  /** CLOSELOOP_PUBLIC_URL, without a trailing slash, when set: where GitHub reaches this deployment */
  publicUrl: string | undefined;
  /** Probot's WEBHOOK_PROXY_URL (a smee.io channel), when set: GitHub posts there and the proxy forwards here */
  webhookProxyUrl: string | undefined;
  /** this process's own address, http://localhost:<PORT> */
  localUrl: string;
  /** where webhooks are served (Probot's WEBHOOK_PATH, default /api/github/webhooks) */
  webhookPath: string;
  /** the address the browser that runs the flow used: GitHub sends it back to `<browserUrl>/probot/setup` */
  browserUrl: string;
}

export const SETUP_CALLBACK_PATH = "/probot/setup";
const OAUTH_CALLBACK_PATH = "/closeloop/auth/callback";

/** Where GitHub will deliver webhooks: the public address, else the proxy, else this machine (which GitHub cannot reach). */
export function webhookUrl(addresses: Omit<ManifestAddresses, "browserUrl">): { url: string; reachable: boolean } {
  if (addresses.publicUrl !== undefined) return { url: addresses.publicUrl + addresses.webhookPath, reachable: true };
  if (addresses.webhookProxyUrl !== undefined) return { url: addresses.webhookProxyUrl, reachable: true };
  return { url: addresses.localUrl + addresses.webhookPath, reachable: false };
}

export function appManifest(app: AppDefinition, addresses: ManifestAddresses): AppManifest {
  return {
    name: app.name,
    description: app.description,
    url: app.url,
    public: app.public,
    default_events: app.default_events,
    default_permissions: app.default_permissions,
    hook_attributes: { url: webhookUrl(addresses).url, active: true },
    redirect_url: addresses.browserUrl + SETUP_CALLBACK_PATH,
    callback_urls: [(addresses.publicUrl ?? addresses.localUrl) + OAUTH_CALLBACK_PATH],
  };
}

/** GitHub's page that registers an app from a manifest: on the organisation GH_ORG names (Probot's rule), else the person's own account. */
export function registrationUrl(githubWebUrl: string, organisation: string | undefined, state: string): string {
  const owner = organisation === undefined ? "" : `/organizations/${encodeURIComponent(organisation)}`;
  return `${githubWebUrl}${owner}/settings/apps/new?state=${encodeURIComponent(state)}`;
}
