import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../fakes/github-server.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { webhookExample } from "../support/github.js";
import { signWebhook, WEBHOOK_ENV } from "../support/helpdesk-webhooks.js";
import { stalledPost } from "../support/stalled-request.js";
import { metricValue } from "../support/metrics.js";
import {
  postGithubWebhook,
  runCliProcess,
  sign,
  startApp,
  TEST_PRIVATE_KEY,
  type RunningApp,
} from "../support/process.js";

const SECRET = "e2e-webhook-secret";
const API_CREDENTIALS = { ZENDESK_EMAIL: "bot@acme.com", ZENDESK_API_TOKEN: "t", FRESHDESK_API_KEY: "k" };

/**
 * Every HTTP body has a size limit enforced while it is read, before the signature check (SPEC §12): GitHub's 25 MB,
 * the helpdesks' 1 MiB. A larger body is answered 413, logged once with the reason, counted, and nothing is stored.
 */
describe("bodies over the limit, sent to the real process", () => {
  const github = new FakeGitHub();
  let app: RunningApp;
  let databaseUrl: string;

  beforeAll(async () => {
    const host = await github.start();
    databaseUrl = await freshDatabaseUrl("sqlite");
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
  });
  afterAll(async () => {
    await app?.stop();
    await github.stop();
  });

  it("answers 413 to a GitHub delivery over 25 MB, even one correctly signed, at once, and stores nothing", async () => {
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    payload.installation = { id: 77, node_id: "x" };
    payload.comment.body = `https://acme.zendesk.com/agent/tickets/1 ${"x".repeat(26 * 1024 * 1024)}`;
    const body = JSON.stringify(payload);
    // The sender announces the size and stalls: the answer comes without the body being read.
    const github = await stalledPost(app.baseUrl, "/api/github/webhooks", {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "x-github-event": "issue_comment",
      "x-github-delivery": "d-huge",
      "x-hub-signature-256": sign(SECRET, body),
    }).answer;
    expect(github.status).toBe(413);

    const helpdesk = JSON.stringify({ padding: "x".repeat(1024 * 1024 + 1) });
    const zendesk = await stalledPost(app.baseUrl, "/closeloop/webhooks/zendesk", {
      ...signWebhook("zendesk", helpdesk),
      "content-type": "application/json",
      "content-length": String(helpdesk.length),
    }).answer;
    expect(zendesk.status).toBe(413);

    // A delivery of normal size still gets through.
    const small = webhookExample<Record<string, any>>("issue_comment", "created");
    small.installation = { id: 77, node_id: "x" };
    small.comment.body = "no links here";
    expect((await postGithubWebhook(app, SECRET, "issue_comment", JSON.stringify(small))).status).toBe(200);

    const metrics = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(metricValue(metrics, "closeloop_webhooks_received_total", { event: "unknown", outcome: "too_large" })).toBe(
      1,
    );
    expect(
      metricValue(metrics, "closeloop_webhooks_received_total", { event: "helpdesk.zendesk", outcome: "too_large" }),
    ).toBe(1);
    expect(app.output().split("github webhook: refused (413)").length - 1).toBe(1);
    expect(app.output().split("helpdesk webhook zendesk: refused (413)").length - 1).toBe(1);
    const links = await runCliProcess(["links", "Codertocat/Hello-World#1", "--json"], { DATABASE_URL: databaseUrl });
    expect(JSON.parse(links.stdout)).toEqual([]);
  }, 60_000);
});
