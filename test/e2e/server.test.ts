import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../fakes/github-server.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { waitFor } from "../support/wait.js";
import { webhookExample } from "../support/github.js";
import {
  postGithubWebhook,
  runCliProcess,
  sign,
  startApp,
  TEST_PRIVATE_KEY,
  type RunningApp,
} from "../support/process.js";

const SECRET = "e2e-webhook-secret";

function deliver(app: RunningApp, body: string, headers: Record<string, string> = {}) {
  return postGithubWebhook(app, SECRET, "issue_comment", body, headers);
}

describe.each(ENGINES)("the real process on %s", (engine) => {
  const github = new FakeGitHub();
  let app: RunningApp;
  let databaseUrl: string;

  beforeAll(async () => {
    const host = await github.start();
    databaseUrl = await freshDatabaseUrl(engine);
    app = await startApp({
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: databaseUrl,
    });
  });
  afterAll(async () => {
    await app?.stop();
    await github.stop();
  });

  it("is healthy and ready once started (it migrated the fresh database itself)", async () => {
    expect(await (await fetch(`${app.baseUrl}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${app.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready" });
  });

  it("stores the links of a signed comment delivery, shown by `closeloop links --json`", async () => {
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    payload.installation = { id: 77, node_id: "x" };
    payload.comment.body =
      "Customer report: https://acme.zendesk.com/agent/tickets/4242 and https://app.frontapp.com/open/cnv_55c8c149";
    const response = await deliver(app, JSON.stringify(payload));
    expect(response.status).toBe(200);

    // The delivery is stored before the 200; the inbox worker stores its links moments later.
    const linked = await waitFor(async () => {
      const run = await runCliProcess(["links", "Codertocat/Hello-World#1", "--json"], { DATABASE_URL: databaseUrl });
      return JSON.parse(run.stdout).length === 2 ? run : undefined;
    }, 15_000);
    expect(linked.code).toBe(0);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /app/installations/77/access_tokens",
      "GET /repos/Codertocat/Hello-World/contents/.github%2Fcloseloop.yml",
      "GET /repos/Codertocat/.github/contents/.github%2Fcloseloop.yml",
    ]);
    const cli = await runCliProcess(["links", "Codertocat/Hello-World#1", "--json"], { DATABASE_URL: databaseUrl });
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual([
      {
        provider: "zendesk",
        conversationId: "4242",
        url: "https://acme.zendesk.com/agent/tickets/4242",
        source: "comment",
        linkedAt: "2019-05-15T15:20:21.000Z",
        fromAddressBar: false,
      },
      {
        provider: "front",
        conversationId: "cnv_55c8c149",
        url: "https://app.frontapp.com/open/cnv_55c8c149",
        source: "comment",
        linkedAt: "2019-05-15T15:20:21.000Z",
        fromAddressBar: false,
      },
    ]);
    const human = await runCliProcess(["links", "codertocat/hello-world#1"], { DATABASE_URL: databaseUrl });
    expect(human.stdout).toContain("codertocat/hello-world#1: 2 linked conversations");
    expect(human.stdout).toMatch(
      /zendesk\s+4242\s+comment\s+2019-05-15 15:20:21Z\s+https:\/\/acme\.zendesk\.com\/agent\/tickets\/4242/,
    );
  });

  it("answers 401 to a wrong signature and 400 to a missing one, and stores nothing", async () => {
    const payload = webhookExample<Record<string, any>>("issue_comment", "created", 0);
    payload.issue.number = 99;
    payload.comment.body = "https://acme.zendesk.com/agent/tickets/1";
    const body = JSON.stringify(payload);
    const wrong = await deliver(app, body, { "x-hub-signature-256": sign("not-the-secret", body) });
    const missing = await fetch(`${app.baseUrl}/api/github/webhooks`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "issue_comment", "x-github-delivery": "d" },
      body,
    });
    expect([wrong.status, missing.status]).toEqual([401, 400]);
    const cli = await runCliProcess(["links", "Codertocat/Hello-World#99", "--json"], { DATABASE_URL: databaseUrl });
    expect(JSON.parse(cli.stdout)).toEqual([]);
  });

  it("answers 404 under /closeloop/ without an OAuth client, and says at start how to turn the dashboard on", async () => {
    for (const path of ["/closeloop/", "/closeloop/auth/login", "/closeloop/api/issues"])
      expect((await fetch(`${app.baseUrl}${path}`, { redirect: "manual" })).status).toBe(404);
    expect(app.output()).toContain("dashboard off: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET");
  });

  it("warns at start that, with CLOSELOOP_SECRET_KEY unset, the session key lives in the database", async () => {
    expect(app.output()).toContain("closeloop: CLOSELOOP_SECRET_KEY is not set");
    expect(app.output()).toContain("anyone with a copy of the database can forge a session");
  });

  it("answers 400 to a body that is not JSON", async () => {
    const response = await deliver(app, "{not json");
    expect(response.status).toBe(400);
  });
});

describe("start-up errors", () => {
  it("stops with one line naming a bad variable", async () => {
    await expect(
      startApp({
        APP_ID: "4242",
        PRIVATE_KEY: TEST_PRIVATE_KEY,
        WEBHOOK_SECRET: SECRET,
        DATABASE_URL: "mysql://db/closeloop",
      }),
    ).rejects.toThrow(/app exited with 1:\ncloseloop: invalid environment: DATABASE_URL: unknown scheme "mysql:"/);
  });

  it.each([
    [
      "a PostgreSQL server that is not there",
      "postgresql://closeloop:pw-never-shown@127.0.0.1:1/closeloop",
      /ECONNREFUSED/,
    ],
    [
      "a SQLite file whose folder is a file",
      "file:/etc/hostname/closeloop.db",
      /\/etc\/hostname is a file, not a folder/,
    ],
  ])("stops with one line naming DATABASE_URL for %s, without a stack", async (_what, url, reason) => {
    const failure = startApp({
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      DATABASE_URL: url,
    });
    const error = await failure.then(
      () => new Error("started"),
      (failed: unknown) => failed as Error,
    );
    const lines = error.message.split("\n").slice(1).filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^closeloop: cannot (reach|open) the (SQLite )?database /);
    expect(lines[0]).toMatch(reason);
    expect(lines[0]).not.toContain("pw-never-shown");
  });

  it("stops with a line naming a port in use, without a stack", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = String((taken.address() as AddressInfo).port);
    try {
      const env = { APP_ID: "4242", PRIVATE_KEY: TEST_PRIVATE_KEY, WEBHOOK_SECRET: SECRET, PORT: port };
      const error = await startApp(env).then(
        () => new Error("started"),
        (failed: unknown) => failed as Error,
      );
      const lines = error.message.split("\n").filter(Boolean);
      // stderr's line and the log's (stdout) arrive in either order.
      expect(lines).toContain(`closeloop: cannot start: port ${port} is in use: stop what listens there or set PORT`);
      expect(lines.filter((line) => /^\s+at /.test(line))).toEqual([]);
    } finally {
      taken.close();
    }
  });

  it("stops with one line naming a CLOSELOOP_SECRET_KEY too short to be a key, without showing it", async () => {
    const failure = startApp({
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      CLOSELOOP_SECRET_KEY: "password123",
    });
    await expect(failure).rejects.toThrow(
      /app exited with 1:\ncloseloop: invalid environment: CLOSELOOP_SECRET_KEY: must be at least 32 random bytes \(got 8\)/,
    );
    await expect(failure).rejects.not.toThrow(/password123/);
  });
});
