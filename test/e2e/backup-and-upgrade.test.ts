import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../src/config/database-url.js";
import { FakeGitHub } from "../fakes/github-server.js";
import { webhookExample } from "../support/github.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { postGithubWebhook, runCliProcess, startApp, TEST_PRIVATE_KEY, type RunningApp } from "../support/process.js";
import { waitFor } from "../support/wait.js";

/**
 * docs/backups.md, run as written: an online backup of a running SQLite server, and a rollback. A database migrated by
 * a newer closeloop stops this build (server, `migrate`, `status`) with the message the page quotes; restoring the
 * backup taken before the upgrade is the way back.
 */

const SECRET = "backup-webhook-secret";
const NEWER = "29990101000000_from_a_newer_closeloop";
const REFUSAL = `closeloop: the database has migration ${NEWER}, which this version of closeloop does not know: it was migrated by a newer version; run that version or restore a backup`;
const hasSqlite3 = spawnSync("sqlite3", ["--version"]).status === 0;

function appEnv(host: string, databaseUrl: string): Record<string, string> {
  return {
    APP_ID: "4242",
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: host,
    GHE_PROTOCOL: "http",
    DATABASE_URL: databaseUrl,
  };
}

async function linkedIds(databaseUrl: string): Promise<string[]> {
  const run = await runCliProcess(["links", "Codertocat/Hello-World#1", "--json"], { DATABASE_URL: databaseUrl });
  expect(run.stderr).toBe("");
  return (JSON.parse(run.stdout) as { conversationId: string }[]).map((link) => link.conversationId);
}

/** What a newer closeloop leaves behind: a migration this build has never heard of, applied. */
async function migrateAsNewerVersion(databaseUrl: string): Promise<void> {
  const target = parseDatabaseUrl(databaseUrl);
  const insert = `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "started_at", "applied_steps_count")`;
  if (target.engine === "sqlite") {
    const db = new BetterSqlite3(target.path);
    db.prepare(`${insert} VALUES ('newer', 'c0ffee', ?, ?, ?, 1)`).run(
      new Date().toISOString(),
      NEWER,
      new Date().toISOString(),
    );
    db.close();
    return;
  }
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  await client.query(`${insert} VALUES ('newer', 'c0ffee', now(), $1, now(), 1)`, [NEWER]);
  await client.end();
}

describe("an online SQLite backup, restored after a rollback", () => {
  const github = new FakeGitHub();
  let app: RunningApp | undefined;
  let databaseUrl: string;
  let host: string;

  beforeAll(async () => {
    host = await github.start();
    databaseUrl = await freshDatabaseUrl("sqlite");
    app = await startApp(appEnv(host, databaseUrl));
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    payload.installation = { id: 77, node_id: "x" };
    payload.comment.body = "https://acme.zendesk.com/agent/tickets/4242";
    expect((await postGithubWebhook(app, SECRET, "issue_comment", JSON.stringify(payload))).status).toBe(200);
    await waitFor(async () => (await linkedIds(databaseUrl)).length === 1, 15_000, "the link to be stored");
  });
  afterAll(async () => {
    await app?.stop();
    await github.stop();
  });

  const live = () => parseDatabaseUrl(databaseUrl) as { path: string };

  it.skipIf(!hasSqlite3)("takes `sqlite3 .backup` and `VACUUM INTO` while the server runs", async () => {
    const dir = dirname(live().path);
    execFileSync("sqlite3", [live().path, `.backup '${join(dir, "dot-backup.db")}'`]);
    execFileSync("sqlite3", [live().path, `VACUUM INTO '${join(dir, "vacuum.db")}'`]);
    expect(await linkedIds(`file:${join(dir, "dot-backup.db")}`)).toEqual(["4242"]);
    expect(await linkedIds(`file:${join(dir, "vacuum.db")}`)).toEqual(["4242"]);
  });

  it("takes the Docker page's VACUUM INTO through the app's own driver while the server runs", async () => {
    const backup = join(dirname(live().path), "backup.db");
    // The one-liner docs/backups.md gives for the image, which has node and better-sqlite3 but no sqlite3.
    execFileSync(process.execPath, [
      "-e",
      `new (require('better-sqlite3'))(${JSON.stringify(live().path)}).exec(${JSON.stringify(`VACUUM INTO '${backup}'`)})`,
    ]);
    expect(await linkedIds(`file:${backup}`)).toEqual(["4242"]);
  });

  it("refuses to start on the database a newer version migrated, and starts again on the restored backup", async () => {
    const backup = join(dirname(live().path), "backup.db");
    await app!.stop();
    app = undefined;
    await migrateAsNewerVersion(databaseUrl);
    await expect(startApp(appEnv(host, databaseUrl))).rejects.toThrow(REFUSAL);

    // Restore as the page says: the file replaced, the old WAL and shared-memory files removed.
    for (const suffix of ["-wal", "-shm"]) rmSync(live().path + suffix, { force: true });
    copyFileSync(backup, live().path);
    app = await startApp(appEnv(host, databaseUrl));
    expect((await fetch(`${app.baseUrl}/readyz`)).status).toBe(200);
    expect(await linkedIds(databaseUrl)).toEqual(["4242"]);
  });
});

describe.each(ENGINES)("a database a newer closeloop migrated, on %s", (engine) => {
  it("stops the server, `closeloop migrate` and `closeloop status` with a message saying to restore a backup", async () => {
    const databaseUrl = await freshDatabaseUrl(engine);
    expect((await runCliProcess(["migrate"], { DATABASE_URL: databaseUrl })).code).toBe(0);
    await migrateAsNewerVersion(databaseUrl);

    await expect(startApp(appEnv("127.0.0.1:9", databaseUrl))).rejects.toThrow(REFUSAL);
    const migrate = await runCliProcess(["migrate"], { DATABASE_URL: databaseUrl });
    expect([migrate.code, migrate.stderr.trim()]).toEqual([1, REFUSAL]);
    const status = await runCliProcess(["status", "--json"], { DATABASE_URL: databaseUrl });
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout).migrations.problem).toBe(REFUSAL.replace("closeloop: ", ""));
  });
});
