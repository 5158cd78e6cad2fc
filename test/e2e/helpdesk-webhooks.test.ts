import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providers } from "../../src/providers/registry.js";
import { FakeGitHub } from "../fakes/github-server.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { waitFor } from "../support/wait.js";
import { webhookExample } from "../support/github.js";
import { postWebhook, signWebhook, WEBHOOK_ENV, webhookFixture } from "../support/helpdesk-webhooks.js";
import { metricValue } from "../support/metrics.js";
import { postGithubWebhook, runCliProcess, startApp, TEST_PRIVATE_KEY, type RunningApp } from "../support/process.js";

const SECRET = "e2e-webhook-secret";
// ZENDESK_SUBDOMAIN and FRESHDESK_DOMAIN, which the webhooks need, belong to the API credentials, set whole or not at all.
const API_CREDENTIALS = { ZENDESK_EMAIL: "bot@acme.com", ZENDESK_API_TOKEN: "t", FRESHDESK_API_KEY: "k" };

/**
 * A support rep pastes the GitHub issue URL into a helpdesk conversation: the helpdesk's signed webhook reaches the
 * real process, is stored in the inbox, and the worker links the conversation to the issue (source helpdesk).
 */
describe.each(ENGINES)("helpdesk webhooks through the real process on %s", (engine) => {
  const github = new FakeGitHub();
  let app: RunningApp;
  let databaseUrl: string;
  let host: string;

  beforeAll(async () => {
    host = await github.start();
    databaseUrl = await freshDatabaseUrl(engine);
    app = await startApp({
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: databaseUrl,
      ...WEBHOOK_ENV,
      ...API_CREDENTIALS,
    });
    // The app learns of Codertocat/Hello-World (installation 77) and its issue #1 from a GitHub delivery.
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    payload.installation = { id: 77, node_id: "x" };
    payload.comment.body = "First report: https://app.intercom.com/a/inbox/k9x2mz4q/inbox/conversation/1";
    const body = JSON.stringify(payload);
    const response = await postGithubWebhook(app, SECRET, "issue_comment", body);
    expect(response.status).toBe(200);
    await waitFor(async () => ((await cliLinks()).length === 1 ? true : undefined), 15_000);
  });
  afterAll(async () => {
    await app?.stop();
    await github.stop();
  });

  const cliLinks = async () =>
    JSON.parse(
      (await runCliProcess(["links", "Codertocat/Hello-World#1", "--json"], { DATABASE_URL: databaseUrl })).stdout,
    ) as { provider: string; source: string }[];

  it("logs the helpdesks it takes webhooks from at start", () => {
    expect(app.output()).toContain(`helpdesk webhooks: ${[...providers.keys()].join(", ")}`);
  });

  it("links a Zendesk ticket whose internal note names the issue, once however often the event is replayed", async () => {
    const event = JSON.parse(webhookFixture("zendesk"));
    event.event.comment.body = `Engineering tracks this in http://${host}/Codertocat/Hello-World/issues/1`;
    const body = JSON.stringify(event);
    const headers = signWebhook("zendesk", body);
    const responses = await Promise.all([1, 2].map(() => postWebhook(app.baseUrl, "zendesk", body, headers)));
    expect(responses.map((response) => response.status)).toEqual([200, 200]);

    const linked = await waitFor(async () => {
      const links = await cliLinks();
      return links.some((link) => link.provider === "zendesk") ? links : undefined;
    }, 15_000);
    expect(linked.filter((link) => link.provider === "zendesk")).toEqual([
      {
        provider: "zendesk",
        conversationId: "48213",
        url: "https://acme.zendesk.com/agent/tickets/48213",
        source: "helpdesk",
        linkedAt: "2026-11-23T09:00:00.672Z",
        fromAddressBar: false,
      },
    ]);
    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(
      metricValue(metrics, "closeloop_webhooks_received_total", { event: "helpdesk.zendesk", outcome: "stored" }),
    ).toBe(2);
    expect(
      metricValue(metrics, "closeloop_webhooks_received_total", { event: "issue_comment", outcome: "stored" }),
    ).toBe(1);
    expect(metricValue(metrics, "closeloop_links", { provider: "zendesk" })).toBe(1);
    expect(metricValue(metrics, "closeloop_inbox_deliveries", { state: "waiting" })).toBe(0);
    // A replay after the delivery was processed is stored again and changes nothing.
    expect((await postWebhook(app.baseUrl, "zendesk", body, signWebhook("zendesk", body))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await cliLinks()).toHaveLength(2);
  });

  it("links a Front conversation from a comment, and leaves an unknown repository and a missing issue unlinked with a log line", async () => {
    const event = JSON.parse(webhookFixture("front"));
    event.payload.target.data.body = [
      `See http://${host}/Codertocat/Hello-World/issues/1`,
      `and http://${host}/someone/else/issues/5`,
      `and http://${host}/Codertocat/Hello-World/issues/404`,
    ].join("\n");
    const body = JSON.stringify(event);
    expect((await postWebhook(app.baseUrl, "front", body, signWebhook("front", body))).status).toBe(200);

    await waitFor(
      async () => ((await cliLinks()).some((link) => link.provider === "front") ? true : undefined),
      15_000,
    );
    await waitFor(async () => (app.output().includes("codertocat/hello-world#404") ? true : undefined), 15_000);
    expect(app.output()).toMatch(/someone\/else#5 is not in a repository of an installation closeloop knows; ignored/);
    expect(app.output()).toMatch(/codertocat\/hello-world#404: GitHub has no such issue \(404\); the link is dropped/);
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toContain(
      "GET /repos/Codertocat/Hello-World/issues/404",
    );
    const links = await runCliProcess(["links", "Codertocat/Hello-World#404", "--json"], { DATABASE_URL: databaseUrl });
    expect(JSON.parse(links.stdout)).toEqual([]);
  });

  it("answers 401 to a forged webhook and stores nothing", async () => {
    const body = webhookFixture("helpscout").replace(
      "octo-org/app/issues/42",
      `${host}/Codertocat/Hello-World/issues/1`,
    );
    const response = await postWebhook(
      app.baseUrl,
      "helpscout",
      body,
      signWebhook("helpscout", body, new Date(), "forged-secret-0123456789"),
    );
    expect(response.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await cliLinks()).some((link) => link.provider === "helpscout")).toBe(false);
  });
});
