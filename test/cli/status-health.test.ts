import { describe, expect, it } from "vitest";
import pino from "pino";
import { statusCommand } from "../../src/cli/status-command.js";
import { HeartbeatWorker } from "../../src/jobs/heartbeat-worker.js";
import { HEARTBEAT_STALE_MS, recordHeartbeat } from "../../src/store/heartbeats.js";
import { ENGINES } from "../support/databases.js";
import { captureCli } from "../support/cli-output.js";
import { useDatabase } from "../support/use-database.js";

/**
 * `closeloop status` is what an operator (or a probe) runs to ask "is closeloop working?": it says when this
 * environment has no GitHub App and when no server has been seen lately in the database, and exits 1 then.
 */

const APP = { APP_ID: "4242", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----", WEBHOOK_SECRET: "s" };

describe.each(ENGINES)("closeloop status on what a deployment lacks, on %s", (engine) => {
  const database = useDatabase(engine);

  async function status(env: Record<string, string>) {
    const json = captureCli();
    const code = await statusCommand(database, true, json.out, env);
    const human = captureCli();
    await statusCommand(database, false, human.out, env);
    return { code, json: json.json() as Record<string, any>, lines: human.lines };
  }

  it("says the GitHub App is not configured and no server was ever seen, and exits 1", async () => {
    const { code, json, lines } = await status({ PRIVATE_KEY_PATH: "key.pem" });
    expect(code).toBe(1);
    const github =
      "the GitHub App is not configured: APP_ID, WEBHOOK_SECRET not set (npm start without them runs the setup flow that registers the app)";
    const server =
      "no closeloop server seen in the last 90 s (never seen): webhooks wait in GitHub and nothing is reopened; start one against this DATABASE_URL";
    expect(json.github).toEqual({ configured: false, appId: null, problem: github });
    expect(json.server).toEqual({ running: 0, lastSeenAt: null, host: null, problem: server });
    expect(lines.slice(0, 2)).toEqual([`github      NOT CONFIGURED: ${github}`, `server      NOT SEEN: ${server}`]);
  });

  it("exits 0 once the app is configured and a server's heartbeat is recent", async () => {
    const worker = new HeartbeatWorker(database.prisma, pino({ level: "silent" }));
    worker.start();
    await worker.stop();
    const { code, json, lines } = await status(APP);
    expect(json.github).toEqual({ configured: true, appId: "4242" });
    expect(json.server).toMatchObject({ running: 1, lastSeenAt: expect.any(String) });
    expect(lines[0]).toBe("github      app 4242 configured");
    expect(lines[1]).toMatch(/^server {6}1 running, last seen \S+Z on \S+$/);
    expect(code).toBe(0);
  });

  it("says when the last server was seen once its heartbeat is older than 90 s, and exits 1", async () => {
    const seenAt = new Date(Date.now() - HEARTBEAT_STALE_MS - 5_000);
    await recordHeartbeat(database.prisma, { id: "web-1:77:abc", host: "web-1", startedAt: seenAt }, seenAt);
    const { code, json } = await status(APP);
    expect(code).toBe(1);
    expect(json.server.problem).toBe(
      `no closeloop server seen in the last 90 s (last seen ${seenAt.toISOString()} on web-1): webhooks wait in GitHub and nothing is reopened; start one against this DATABASE_URL`,
    );
  });
});
