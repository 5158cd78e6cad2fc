import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusCommand } from "../../src/cli/status-command.js";
import { HeartbeatWorker } from "../../src/jobs/heartbeat-worker.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { startFakeFront, type FakeFront } from "../providers/front/fake-server.js";
import { startFakeZendesk, type FakeZendesk } from "../providers/zendesk/fake-server.js";
import { captureCli } from "../support/cli-output.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { freePort } from "../support/ports.js";

/**
 * `closeloop status` shows each configured helpdesk reachable or why not, and exits 1 only for what a person must fix
 * (credentials refused): an unreachable or rate-limited helpdesk is retried by closeloop itself. The helpdesk checks
 * read no database, so one engine is enough here (test/operations/helpdesk-connections.test.ts has every outcome).
 */

const APP = { APP_ID: "4242", PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----", WEBHOOK_SECRET: "s" };

describe("closeloop status and the helpdesks", () => {
  let database: Database;
  let zendesk: FakeZendesk;
  let front: FakeFront;
  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl("sqlite"), { migrate: true });
    // A server seen lately, so the helpdesks alone decide the exit code.
    const heartbeat = new HeartbeatWorker(database.prisma, pino({ level: "silent" }));
    heartbeat.start();
    await heartbeat.stop();
    [zendesk, front] = await Promise.all([startFakeZendesk(), startFakeFront()]);
  });
  afterAll(async () => {
    await Promise.all([zendesk?.close(), front?.close()]);
    await database?.close();
  });

  async function status(env: Record<string, string>) {
    const json = captureCli();
    const code = await statusCommand(database, true, json.out, { ...APP, ...env });
    const human = captureCli();
    expect(await statusCommand(database, false, human.out, { ...APP, ...env })).toBe(code);
    const { connections } = json.json() as { connections: unknown };
    return { code, connections, lines: human.lines.filter((_line, i, all) => inHelpdesks(all, i)) };
  }

  /** the "helpdesks" line and the lines continuing it */
  function inHelpdesks(lines: string[], index: number): boolean {
    const start = lines.findIndex((line) => line.startsWith("helpdesks"));
    if (start < 0 || index < start) return false;
    return lines.slice(start + 1, index + 1).every((line) => line.startsWith(" "));
  }

  /** What each helpdesk setting shows: `connections` in --json, the human lines, and the exit code. */
  const cases: [string, () => Promise<Record<string, string>>, Awaited<ReturnType<typeof status>>][] = [
    [
      "shows each helpdesk ok with who its credentials act as, and exits 0",
      async () => ({ ...zendesk.env(), ...front.env() }),
      {
        connections: [
          { provider: "front", state: "ok", detail: "as the API token of Acme" },
          { provider: "zendesk", state: "ok", detail: "as agent@example.com (agent)" },
        ],
        lines: [
          "helpdesks   front ok, as the API token of Acme",
          "            zendesk ok, as agent@example.com (agent)",
        ],
        code: 0,
      },
    ],
    [
      "exits 1 when a helpdesk refuses the credentials, saying which and why",
      async () => ({ ...zendesk.env(), ZENDESK_API_TOKEN: "revoked" }),
      {
        connections: [{ provider: "zendesk", state: "unauthorized", detail: "Zendesk: bad credentials (401)" }],
        lines: ["helpdesks   zendesk UNAUTHORIZED: Zendesk: bad credentials (401)"],
        code: 1,
      },
    ],
    [
      "reports an unreachable or rate-limited helpdesk and still exits 0",
      async () => {
        front.http.failNext({ kind: "rate-limited", retryAfterSeconds: 20 }, { times: 2 });
        return { ...front.env(), ...zendesk.env(), ZENDESK_API_URL: `http://127.0.0.1:${await freePort()}` };
      },
      {
        connections: [
          { provider: "front", state: "rate-limited", detail: "Front: rate limited (429), retry in 20s" },
          { provider: "zendesk", state: "unreachable", detail: "connection refused" },
        ],
        lines: [
          "helpdesks   front RATE-LIMITED: Front: rate limited (429), retry in 20s",
          "            zendesk UNREACHABLE: connection refused",
        ],
        code: 0,
      },
    ],
    [
      "says when no helpdesk is configured",
      async () => ({}),
      { connections: [], lines: ["helpdesks   none configured (README, Connect a helpdesk)"], code: 0 },
    ],
  ];

  it.each(cases)("%s", async (_name, env, shown) => {
    expect(await status(await env())).toEqual(shown);
  });
});
