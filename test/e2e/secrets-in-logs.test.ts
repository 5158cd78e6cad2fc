import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providers } from "../../src/providers/registry.js";
import { FakeGitHub } from "../fakes/github-server.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { webhookExample } from "../support/github.js";
import { postWebhook, signWebhook, WEBHOOK_ENV, webhookFixture } from "../support/helpdesk-webhooks.js";
import { postGithubWebhook, sign, startApp, TEST_PRIVATE_KEY, type RunningApp } from "../support/process.js";

const SECRET = "e2e-webhook-secret";
const API_CREDENTIALS = { ZENDESK_EMAIL: "bot@acme.com", ZENDESK_API_TOKEN: "t", FRESHDESK_API_KEY: "k" };

/**
 * Probot's request logging prints each request's headers. At the most verbose level, with every helpdesk's webhook
 * on, no signature, shared secret, authorization or cookie a caller sent reaches the process's output (SPEC §12).
 */
describe("secrets in the log of the real process", () => {
  const github = new FakeGitHub();
  let app: RunningApp;
  const secrets: string[] = [];

  beforeAll(async () => {
    const host = await github.start();
    const databaseUrl = await freshDatabaseUrl("sqlite");
    app = await startApp({
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: "trace",
      ...WEBHOOK_ENV,
      ...API_CREDENTIALS,
    });
    for (const provider of providers.keys()) {
      const body = webhookFixture(provider);
      const headers = signWebhook(provider, body);
      expect((await postWebhook(app.baseUrl, provider, body, headers)).status).toBe(200);
      // The signatures and Freshdesk's shared secret (not the signed timestamps or the event names).
      secrets.push(
        ...Object.entries(headers)
          .filter(([name]) => /signature$|secret$/i.test(name))
          .map(([, value]) => value),
      );
    }
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    payload.installation = { id: 77, node_id: "x" };
    const body = JSON.stringify(payload);
    const sha1 = "sha1=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567";
    const github256 = sign(SECRET, body);
    const credentials = {
      authorization: "Bearer ghp_secretClientToken1234",
      cookie: "session=secretSessionCookie5678",
    };
    const response = await postGithubWebhook(app, SECRET, "issue_comment", body, {
      "x-hub-signature": sha1,
      ...credentials,
    });
    expect(response.status).toBe(200);
    // A GitHub delivery is logged without its headers (one line, and only at debug when stored): GitHub's signature
    // headers are sent to a path Probot's HTTP logger writes with its headers.
    const health = await fetch(`${app.baseUrl}/healthz`, {
      headers: {
        ...credentials,
        "x-github-event": "issue_comment",
        "x-hub-signature": sha1,
        "x-hub-signature-256": github256,
      },
    });
    expect(health.status).toBe(200);
    secrets.push(
      sha1.slice("sha1=".length),
      github256.slice("sha256=".length),
      "ghp_secretClientToken1234",
      "secretSessionCookie5678",
      WEBHOOK_ENV.FRESHDESK_WEBHOOK_SECRET!,
    );
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await github.stop();
  });

  it("logs each request, its headers' secrets as [Redacted]", async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const output = app.output();
    // Probot's HTTP logger wrote a line per request, with the headers (so this test reads what it means to).
    expect(output).toContain('"url":"/closeloop/webhooks/freshdesk"');
    expect(output).toContain('"x-github-event":"issue_comment"');
    expect(output).toContain('"x-hub-signature-256":"[Redacted]"');
    expect(output).toContain('"x-closeloop-webhook-secret":"[Redacted]"');
    expect(output).toContain('"authorization":"[Redacted]"');
    for (const secret of secrets) expect(output, `the log shows ${secret}`).not.toContain(secret);
  });
});
