import { describe, expect, it } from "vitest";
import { appManifest, registrationUrl, webhookUrl, type ManifestAddresses } from "../../src/domain/app-manifest.js";
import { readAppDefinition } from "../../src/http/setup-flow.js";

const LOCAL = { localUrl: "http://localhost:3000", webhookPath: "/api/github/webhooks" };

describe("the GitHub App manifest the setup flow registers", () => {
  it.each([
    [
      "a public URL: the app's own path under it",
      { publicUrl: "https://abc.trycloudflare.com", webhookProxyUrl: undefined },
      { url: "https://abc.trycloudflare.com/api/github/webhooks", reachable: true },
    ],
    [
      "the public URL wins over a proxy",
      { publicUrl: "https://closeloop.example.com", webhookProxyUrl: "https://smee.io/abc" },
      { url: "https://closeloop.example.com/api/github/webhooks", reachable: true },
    ],
    [
      "Probot's WEBHOOK_PROXY_URL (smee.io), which forwards to this process",
      { publicUrl: undefined, webhookProxyUrl: "https://smee.io/abc" },
      { url: "https://smee.io/abc", reachable: true },
    ],
    [
      "neither: this machine, which GitHub cannot reach",
      { publicUrl: undefined, webhookProxyUrl: undefined },
      { url: "http://localhost:3000/api/github/webhooks", reachable: false },
    ],
  ])("webhook: %s", (_, addresses, expected) => {
    expect(webhookUrl({ ...LOCAL, ...addresses })).toEqual(expected);
  });

  it("is app.yml's definition (private, its events and permissions) with this deployment's addresses", () => {
    const app = readAppDefinition();
    const addresses: ManifestAddresses = {
      ...LOCAL,
      publicUrl: "https://abc.trycloudflare.com",
      webhookProxyUrl: undefined,
      browserUrl: "http://localhost:3000",
    };
    expect(appManifest(app, addresses)).toEqual({
      name: "closeloop",
      description: app.description,
      url: "https://github.com/closeloop/closeloop",
      public: false,
      default_events: ["issues", "issue_comment", "push"],
      default_permissions: {
        issues: "write",
        contents: "read",
        checks: "write",
        organization_projects: "write",
        metadata: "read",
      },
      hook_attributes: { url: "https://abc.trycloudflare.com/api/github/webhooks", active: true },
      redirect_url: "http://localhost:3000/probot/setup",
      callback_urls: ["https://abc.trycloudflare.com/closeloop/auth/callback"],
    });
  });

  it("without a public URL the OAuth callback is this machine's, where the browser signing in is", () => {
    const manifest = appManifest(readAppDefinition(), {
      ...LOCAL,
      publicUrl: undefined,
      webhookProxyUrl: undefined,
      browserUrl: "http://127.0.0.1:3000",
    });
    expect(manifest.callback_urls).toEqual(["http://localhost:3000/closeloop/auth/callback"]);
    expect(manifest.redirect_url).toBe("http://127.0.0.1:3000/probot/setup");
  });

  it.each([
    ["https://github.com", undefined, "https://github.com/settings/apps/new?state=s1"],
    ["https://github.com", "acme-corp", "https://github.com/organizations/acme-corp/settings/apps/new?state=s1"],
    ["https://ghe.example.com", "acme", "https://ghe.example.com/organizations/acme/settings/apps/new?state=s1"],
  ])("registers on %s, organisation %s, at %s", (web, organisation, expected) => {
    expect(registrationUrl(web, organisation, "s1")).toBe(expected);
  });
});
