import { Writable } from "node:stream";
import pino from "pino";
import type { Server } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../src/config/env.js";
import { readAppDefinition, startSetupFlow } from "../../src/http/setup-flow.js";
import { FakeGitHub } from "../fakes/github-server.js";
import { freePort } from "../support/ports.js";
import { readSetupForm } from "../support/setup-flow.js";

describe("the setup flow (npm start without credentials) against a fake GitHub", () => {
  const github = new FakeGitHub();
  const written: Record<string, string>[] = [];
  let logged = "";
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    const host = await github.start();
    const port = await freePort();
    const source = {
      GH_ORG: "acme",
      CLOSELOOP_PUBLIC_URL: "https://abc.trycloudflare.com/",
      GHE_HOST: host,
      GHE_PROTOCOL: "http",
      PORT: String(port),
      HOST: "127.0.0.1",
    };
    const log = pino(
      { level: "info" },
      new Writable({ write: (chunk: Buffer, _encoding, done) => ((logged += chunk.toString()), done()) }),
    );
    server = await startSetupFlow({ env: parseEnv(source), source, log, writeEnv: (values) => written.push(values) });
    baseUrl = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await server?.stop();
    await github.stop();
  });

  it("says at start where the app will be registered and where GitHub will send webhooks", () => {
    expect(logged).toContain("to register the app on the organisation acme");
    expect(logged).toContain("GitHub will send webhooks to https://abc.trycloudflare.com/api/github/webhooks");
    expect(logged).not.toContain("SmeeClient");
  });

  it("answers the liveness probe while it waits to be registered, and is not ready", async () => {
    const live = await fetch(`${baseUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "unavailable", reason: "no GitHub App credentials" });
  });

  it("registers the app on GH_ORG with the public URL's webhook and callback, and writes its credentials", async () => {
    const form = await readSetupForm(baseUrl);
    expect(form.page).toContain("the organisation <b>acme</b>");
    expect(form.action).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/organizations\/acme\/settings\/apps\/new\?state=[0-9a-f]{32}$/,
    );
    // The browser posts the form to GitHub; GitHub registers the app and sends the browser back with a code.
    const created = await fetch(form.action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ manifest: form.manifest }).toString(),
      redirect: "manual",
    });
    expect(created.status).toBe(302);
    const back = new URL(created.headers.get("location")!);
    expect(`${back.origin}${back.pathname}`).toBe(`${baseUrl}/probot/setup`);
    const done = await fetch(back, { redirect: "manual" });
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("http://fake-github/apps/closeloop/installations/new");

    const [app] = github.registeredApps;
    expect(app!.organisation).toBe("acme");
    expect(app!.manifest).toMatchObject({
      public: false,
      hook_attributes: { url: "https://abc.trycloudflare.com/api/github/webhooks", active: true },
      callback_urls: ["https://abc.trycloudflare.com/closeloop/auth/callback"],
    });
    // What GitHub registers is app.yml's, which test/app.test.ts holds to the events and calls the code has.
    const { default_events, default_permissions } = readAppDefinition();
    expect([app!.manifest.default_events, app!.manifest.default_permissions]).toEqual([
      default_events,
      default_permissions,
    ]);
    expect(written).toEqual([
      {
        APP_ID: String(app!.id),
        PRIVATE_KEY: app!.converted!.pem,
        WEBHOOK_SECRET: app!.converted!.webhookSecret,
        GITHUB_CLIENT_ID: app!.converted!.clientId,
        GITHUB_CLIENT_SECRET: app!.converted!.clientSecret,
        CLOSELOOP_DRY_RUN: "true",
      },
    ]);
    expect(logged).toContain(`registered http://fake-github/apps/closeloop (app ${app!.id}, owned by acme)`);
  });

  it("refuses a callback without this flow's state: no code is exchanged, nothing written", async () => {
    written.length = 0;
    const before = github.requests.length;
    const forged = await fetch(`${baseUrl}/probot/setup?code=manifest-code-9&state=guessed`, { redirect: "manual" });
    expect(forged.status).toBe(400);
    expect(github.requests.length).toBe(before);
    expect(written).toEqual([]);
  });

  it("says so when GitHub refuses the code (used twice), and writes nothing", async () => {
    written.length = 0;
    const form = await readSetupForm(baseUrl);
    const state = new URL(form.action).searchParams.get("state");
    const again = await fetch(`${baseUrl}/probot/setup?code=manifest-code-1&state=${state}`, { redirect: "manual" });
    expect(again.status).toBe(502);
    expect(await again.text()).toContain("GitHub did not hand over the new app: 404 Not Found");
    expect(written).toEqual([]);
  });
});
