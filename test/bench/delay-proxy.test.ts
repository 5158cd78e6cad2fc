import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDelayProxy, type DelayProxy } from "../../bench/delay-proxy.js";
import { freshDatabaseUrl } from "../support/databases.js";

// P8's delaying proxy counts what each process sends by kind: a statement the client prepared once and runs again is
// counted at each run, as an unnamed one and a simple query are.
describe("the P8 proxy's statement count", () => {
  let proxy: DelayProxy;
  let client: pg.Client;

  beforeAll(async () => {
    const direct = new URL(await freshDatabaseUrl("postgresql"));
    proxy = await startDelayProxy(direct, 1);
    const delayed = new URL(direct);
    delayed.port = String(proxy.port);
    client = new pg.Client({ connectionString: delayed.toString() });
    await client.connect();
    await client.query(`CREATE TABLE "Note" ("id" integer)`);
  });
  afterAll(async () => {
    await client?.end();
    await proxy?.close();
  });

  it("counts each run of a prepared statement, an unnamed one and a simple query by kind", async () => {
    const before = proxy.statements.snapshot();
    for (const id of [1, 2, 3])
      await client.query({ name: "insert-note", text: `INSERT INTO "Note" ("id") VALUES ($1)`, values: [id] });
    expect((await client.query(`SELECT "id" FROM "Note" WHERE "id" > $1`, [1])).rowCount).toBe(2);
    await client.query(`DELETE FROM "Note"`);
    const sent = proxy.statements.since(before);
    expect(Object.fromEntries(sent.kinds)).toEqual({ "INSERT Note": 3, "SELECT Note": 1, "DELETE Note": 1 });
    expect(sent.executed).toBe(5);
  });

  it("keeps the texts prepared under a name and counts the writes parsed unnamed", async () => {
    const unnamed = proxy.statements.unnamedWrites;
    for (const id of [1, 2])
      await client.query({ name: "delete-note", text: `DELETE FROM "Note" WHERE "id" = $1`, values: [id] });
    await client.query(`UPDATE "Note" SET "id" = $1 WHERE FALSE`, [1]);
    await client.query(`SELECT "id" FROM "Note" WHERE "id" = $1`, [1]);
    expect(proxy.statements.named).toContain(`DELETE FROM "Note" WHERE "id" = $1`);
    expect(proxy.statements.unnamedWrites - unnamed).toBe(1);
  });

  // P8 stops a process only once its sessions are idle and no answer is on its way to it: it finds the sessions by
  // the proxy's ports, and the answers by when the proxy last passed one on.
  it("names its sessions' ports, says when it passed an answer on and when a statement of a kind is sent", async () => {
    const { rows } = await client.query<{ port: number }>(
      `SELECT client_port AS port FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
    );
    expect(proxy.upstreamPorts()).toEqual([rows[0]!.port]);
    const sending = performance.now();
    const sent = proxy.statements.next("INSERT Note");
    await client.query(`SELECT 1`);
    expect(proxy.answeredAt).toBeGreaterThan(sending);
    await client.query(`INSERT INTO "Note" ("id") VALUES (7)`);
    expect(await sent).toBeGreaterThan(sending);
    expect(await sent).toBeLessThan(proxy.answeredAt);
  });
});
