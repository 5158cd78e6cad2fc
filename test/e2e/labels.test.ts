import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../fakes/github-server.js";
import { startFakeZendesk, type FakeZendesk } from "../providers/zendesk/fake-server.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { webhookExample } from "../support/github.js";
import { postGithubWebhook, runCliProcess, startApp, TEST_PRIVATE_KEY, type RunningApp } from "../support/process.js";
import { waitFor } from "../support/wait.js";

const SECRET = "e2e-labels-secret";

// The real server: a comment links two Zendesk tickets, the frequency label follows at once, then enrichment reads the
// tickets from the (fake) Zendesk and the team label follows; the sweep has run and status shows it all.
describe.each(ENGINES)("labels in the real process on %s", (engine) => {
  const github = new FakeGitHub();
  let zendesk: FakeZendesk;
  let app: RunningApp;
  let databaseUrl: string;

  beforeAll(async () => {
    const host = await github.start();
    zendesk = await startFakeZendesk();
    databaseUrl = await freshDatabaseUrl(engine);
    app = await startApp({
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: databaseUrl,
      ...zendesk.env(),
    });
  });
  afterAll(async () => {
    await app?.stop();
    await github.stop();
    await zendesk?.close();
  });

  it("adds the weekly label for two reports, then the team label once enrichment has read the tickets' group", async () => {
    for (const id of ["4301", "4302"]) zendesk.seed({ id, team: "Billing", tags: ["export"], customerId: id });
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    payload.installation = { id: 77, node_id: "x" };
    const now = new Date().toISOString();
    Object.assign(payload.comment, {
      body: "Two customers: https://acme.zendesk.com/agent/tickets/4301 https://acme.zendesk.com/agent/tickets/4302",
      created_at: now,
      updated_at: now,
    });
    Object.assign(payload.issue, { labels: [], updated_at: now });
    const body = JSON.stringify(payload);
    const response = await postGithubWebhook(app, SECRET, "issue_comment", body);
    expect(response.status).toBe(200);

    const labels = await waitFor(async () => {
      const on = github.issueLabels.get("Codertocat/Hello-World#1") ?? [];
      return on.includes("team: billing") && on;
    });
    expect(labels).toEqual(["reported: weekly", "team: billing"]);
    const writes = github.requests
      .filter((request) => request.method !== "GET" && !request.path.endsWith("/access_tokens"))
      .map((request) => `${request.method} ${request.path} ${request.body}`);
    // The markings job coalesces: when enrichment reads the tickets within its window, both labels go in one call.
    expect(writes[0]).toMatch(
      /^POST \/repos\/Codertocat\/Hello-World\/labels \{"name":"reported: weekly","color":"fbca04"/,
    );
    const adds = writes.slice(1).map((write) => {
      const [, labels] = /^POST \/repos\/Codertocat\/Hello-World\/issues\/1\/labels (.*)$/.exec(write)!;
      return (JSON.parse(labels!) as { labels: string[] }).labels;
    });
    expect(adds.length).toBeLessThanOrEqual(2);
    expect(adds.flat().sort()).toEqual(["reported: weekly", "team: billing"]);
    // Each ticket read once, its group named once per read; the only writes are the two link notes (notify.linked).
    const calls = await waitFor(async () => zendesk.http.requests.length >= 6 && zendesk.http.requests);
    expect(
      calls.map((request) => `${request.method} ${request.path.replace(/groups\/\d+/, "groups/{id}")}`).sort(),
    ).toEqual([
      "GET /api/v2/groups/{id}.json",
      "GET /api/v2/groups/{id}.json",
      "GET /api/v2/tickets/4301.json",
      "GET /api/v2/tickets/4302.json",
      "PUT /api/v2/tickets/4301.json",
      "PUT /api/v2/tickets/4302.json",
    ]);
    for (const put of calls.filter((request) => request.method === "PUT")) {
      expect(put.body).toEqual({
        ticket: {
          comment: {
            body: expect.stringContaining(
              "Engineering is tracking this in https://github.com/Codertocat/Hello-World/issues/1",
            ) as string,
            public: false,
          },
        },
      });
    }

    const status = await waitFor(async () => {
      const run = await runCliProcess(["status", "--json"], { DATABASE_URL: databaseUrl, ...zendesk.env() });
      const json = JSON.parse(run.stdout) as {
        enrichment: { providers: { done: number }[] };
        sweep: { lastFinishedAt: string | null } | null;
      };
      return json.enrichment.providers[0]?.done === 2 && json.sweep?.lastFinishedAt ? json : undefined;
    });
    expect(status.enrichment.providers).toEqual([{ provider: "zendesk", queued: 0, running: 0, done: 2, dead: 0 }]);
    expect(status.sweep).toMatchObject({ error: null, runningSince: null });
  });
});
