import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import BetterSqlite3 from "better-sqlite3";
import { FakeGitHub } from "../fakes/github-server.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { webhookExample } from "../support/github.js";
import { postGithubWebhook, startApp, TEST_PRIVATE_KEY } from "../support/process.js";
import { PROGRESSING_TIMEOUT_MS, waitForProgress } from "../support/wait.js";

const SECRET = "crash-secret";

async function countRows(url: string, table: "Link" | "Delivery"): Promise<number> {
  if (url.startsWith("file:")) {
    const db = new BetterSqlite3(url.slice(5), { readonly: true });
    try {
      return Number((db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query(`SELECT COUNT(*) AS n FROM "${table}"`)).rows[0].n);
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

  it("loses no delivery: the restarted process stores every link", { timeout: PROGRESSING_TIMEOUT_MS }, async () => {
    const databaseUrl = await freshDatabaseUrl(engine);
    const env = {
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: host,
      GHE_PROTOCOL: "http",
      DATABASE_URL: databaseUrl,
    };
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
      deliveries.map((body) =>
        postGithubWebhook(app, SECRET, "issue_comment", body).then((response) => response.status),
      ),
    );
    app.child.kill("SIGKILL");
    await new Promise((resolve) => app.child.once("exit", resolve));
    expect(statuses.every((status) => status === 200)).toBe(true);
    // Every acknowledged delivery is either processed (its link stored) or waiting in the inbox; a delivery whose
    // link was stored just before the kill may still be waiting too. Some must be waiting, or the restart has
    // nothing to recover and this test proves nothing.
    const [links, waiting] = [await countRows(databaseUrl, "Link"), await countRows(databaseUrl, "Delivery")];
    expect(waiting).toBeGreaterThan(0);
    expect(links + waiting).toBeGreaterThanOrEqual(deliveries.length);

    const restarted = await startApp(env);
    try {
      // However loaded the machine, the restarted process keeps emptying the inbox: fail only when it stops.
      await waitForProgress(
        async () => {
          const waiting = await countRows(databaseUrl, "Delivery");
          return { done: waiting === 0, progress: -waiting };
        },
        30_000,
        "the inbox to empty after the restart",
      );
      expect(await countRows(databaseUrl, "Link")).toBe(deliveries.length);
    } finally {
      await restarted.stop();
    }
  });
});
