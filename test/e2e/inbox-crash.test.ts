import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import BetterSqlite3 from "better-sqlite3";
import { FakeGitHub } from "../fakes/github-server.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { webhookExample } from "../support/github.js";
import { postGithubWebhook, startApp, TEST_PRIVATE_KEY } from "../support/process.js";

const SECRET = "crash-secret";

async function countLinks(url: string): Promise<number> {
  if (url.startsWith("file:")) {
    const db = new BetterSqlite3(url.slice(5), { readonly: true });
    try {
      return Number((db.prepare(`SELECT COUNT(*) AS n FROM "Link"`).get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query(`SELECT COUNT(*) AS n FROM "Link"`)).rows[0].n);
  } finally {
    await client.end();
  }
}

describe.each(ENGINES)("a crash after GitHub got its 200 on %s", (engine) => {
  const github = new FakeGitHub();
  let host: string;
  beforeAll(async () => {
    host = await github.start();
  });
  afterAll(() => github.stop());

  it("loses no delivery: the restarted process stores every link", { timeout: 90_000 }, async () => {
    const databaseUrl = await freshDatabaseUrl(engine);
    const env = { APP_ID: "4242", PRIVATE_KEY: TEST_PRIVATE_KEY, WEBHOOK_SECRET: SECRET, GHE_HOST: host, GHE_PROTOCOL: "http", DATABASE_URL: databaseUrl };
    const app = await startApp(env);
    const template = webhookExample<Record<string, any>>("issue_comment", "created");
    const deliveries = Array.from({ length: 300 }, (_, i) => {
      const payload = structuredClone(template);
      payload.installation = { id: 77 };
      payload.issue.number = 1 + (i % 30);
      payload.comment.id = 10_000 + i;
      payload.comment.body = `https://acme.zendesk.com/agent/tickets/${5000 + i}`;
      return JSON.stringify(payload);
    });
    const statuses = await Promise.all(
      deliveries.map((body) => postGithubWebhook(app, SECRET, "issue_comment", body).then((response) => response.status)),
    );
    app.child.kill("SIGKILL");
    await new Promise((resolve) => app.child.once("exit", resolve));
    expect(statuses.every((status) => status === 200)).toBe(true);
    const beforeRestart = await countLinks(databaseUrl);

    const restarted = await startApp(env);
    try {
      const deadline = Date.now() + 60_000;
      while ((await countLinks(databaseUrl)) < deliveries.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await countLinks(databaseUrl)).toBe(deliveries.length);
      expect(beforeRestart).toBeLessThanOrEqual(deliveries.length);
    } finally {
      await restarted.stop();
    }
  });
});
