import { connect, createServer, type Socket } from "node:net";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startDelayProxy, type DelayProxy } from "../../bench/delay-proxy.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { waitFor } from "../support/wait.js";

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

/** What reached one side of the proxy: the bytes, in order, and when each chunk came. */
class Received {
  readonly chunks: { at: number; bytes: Buffer }[] = [];
  add = (bytes: Buffer) => this.chunks.push({ at: performance.now(), bytes });
  get bytes(): Buffer {
    return Buffer.concat(this.chunks.map((chunk) => chunk.bytes));
  }
  /** When the byte at `offset` came. */
  at(offset: number): number {
    let end = 0;
    for (const chunk of this.chunks) if ((end += chunk.bytes.length) > offset) return chunk.at;
    throw new Error(`byte ${offset} never came`);
  }
}

/** A stand-in for PostgreSQL: what its one client sends it is kept; a test writes to that client. */
async function startDatabase(): Promise<{
  url: URL;
  received: Received;
  client: Promise<Socket>;
  close(): Promise<void>;
}> {
  const received = new Received();
  let accepted: (socket: Socket) => void;
  const client = new Promise<Socket>((resolve) => (accepted = resolve));
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    socket.on("data", received.add);
    accepted(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: new URL(`postgresql://bench@127.0.0.1:${(server.address() as { port: number }).port}/bench`),
    received,
    client,
    close: async () => {
      (await Promise.race([client, Promise.resolve(undefined)]))?.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * PostgreSQL protocol messages: a type byte, a length that counts itself, the body
 * (https://www.postgresql.org/docs/current/protocol-message-formats.html).
 */
const text = (value: string) => Buffer.from(`${value}\0`);
const int16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
function message(type: string, ...body: Buffer[]): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, "latin1");
  header.writeInt32BE(4 + body.reduce((sum, part) => sum + part.length, 0), 1);
  return Buffer.concat([header, ...body]);
}
function startup(): Buffer {
  const parameters = Buffer.from("user\0bench\0\0");
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + parameters.length, 0);
  header.writeInt32BE(196_608, 4);
  return Buffer.concat([header, parameters]);
}
const query = (sql: string) => message("Q", text(sql));
const parse = (name: string, sql: string) => message("P", text(name), text(sql), int16(0));
const bind = (name: string) => message("B", text(""), text(name), int16(0), int16(0), int16(0));
const execute = () => message("E", text(""), Buffer.alloc(4));
const sync = () => message("S");

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// P8 stands for a database on another host with the proxy: each chunk is held as long as the network would, in both
// directions, and nothing may overtake anything, or what the processes see is not one connection's order.
describe("the P8 proxy's delay", () => {
  const DELAY_MS = 25;
  let database: Awaited<ReturnType<typeof startDatabase>>;
  let proxy: DelayProxy;
  let client: Socket;
  const received = new Received();

  beforeEach(async () => {
    database = await startDatabase();
    proxy = await startDelayProxy(database.url, DELAY_MS);
    client = connect(proxy.port, "127.0.0.1");
    client.setNoDelay(true);
    client.on("data", received.add);
    received.chunks.length = 0;
    await new Promise((resolve) => client.once("connect", resolve));
  });
  afterEach(async () => {
    client.destroy();
    await proxy.close();
    await database.close();
  });

  /** Writes `chunks` one by one, a few ms apart (so several are held at once), and says when each was written. */
  async function send(to: Socket, chunks: Buffer[]): Promise<number[]> {
    const sentAt: number[] = [];
    for (const chunk of chunks) {
      sentAt.push(performance.now());
      to.write(chunk);
      await pause(2);
    }
    return sentAt;
  }

  /** Waits until `bytes` have come, then checks they are what was sent, and that none came before its delay. */
  async function expectDelayedInOrder(into: Received, chunks: Buffer[], sentAt: number[]): Promise<void> {
    const sent = Buffer.concat(chunks);
    await waitFor(async () => into.bytes.length >= sent.length, 5_000, "every chunk passed on");
    expect(into.bytes.equals(sent)).toBe(true);
    let end = 0;
    const held = chunks.map((chunk, i) => into.at((end += chunk.length) - 1) - sentAt[i]!);
    // Timers count in whole milliseconds of the event loop's clock: a chunk may leave up to 1 ms early by another.
    expect(Math.min(...held)).toBeGreaterThanOrEqual(DELAY_MS - 1);
    expect(into.chunks.length).toBeGreaterThan(1);
  }

  it("holds what the client sends delayMs and passes it on in order, counting its statements", async () => {
    const chunks = [
      startup(),
      ...Array.from({ length: 40 }, (_, i) => query(`SELECT "id" FROM "Note" WHERE "id" = ${i}`)),
    ];
    const sentAt = await send(client, chunks);
    await expectDelayedInOrder(database.received, chunks, sentAt);
    expect(Object.fromEntries(proxy.statements.kinds)).toEqual({ "SELECT Note": 40 });
    expect(proxy.statements.executed).toBe(40);
    expect(proxy.sent).toBeGreaterThan(1);
    // what P8 prints of the delay it kept
    expect(proxy.held.chunks).toBe(proxy.sent);
    expect(proxy.held.shortestMs).toBeGreaterThanOrEqual(DELAY_MS - 1);
    expect(proxy.held.ms / proxy.held.chunks).toBeGreaterThanOrEqual(DELAY_MS - 1);
  });

  it("holds what the database answers delayMs and passes it on in order, saying when it last did", async () => {
    client.write(startup());
    const server = await database.client;
    const chunks = Array.from({ length: 40 }, (_, i) => message("D", Buffer.from(`row ${i}`)));
    const sentAt = await send(server, chunks);
    await expectDelayedInOrder(received, chunks, sentAt);
    expect(proxy.answeredAt).toBeGreaterThanOrEqual(sentAt.at(-1)! + DELAY_MS - 1);
    expect(proxy.answeredAt).toBeLessThanOrEqual(received.chunks.at(-1)!.at);
  });

  it("counts each statement once, several messages in a chunk or one message over several chunks", async () => {
    const insert = `INSERT INTO "Note" ("id") VALUES ($1)`;
    const split = query(`DELETE FROM "Note" WHERE "id" = 1`);
    const chunks = [
      Buffer.concat([startup(), parse("s1", insert), bind("s1"), execute(), sync(), bind("s1"), execute(), sync()]),
      // cut inside the header, then inside the text
      split.subarray(0, 3),
      split.subarray(3, 12),
      split.subarray(12),
      Buffer.concat([parse("", `UPDATE "Note" SET "id" = 2`), bind(""), execute(), sync()]),
    ];
    for (const chunk of chunks) {
      client.write(chunk);
      await pause(10);
    }
    await waitFor(async () => database.received.bytes.length === Buffer.concat(chunks).length, 5_000, "every chunk");
    expect(database.received.bytes.equals(Buffer.concat(chunks))).toBe(true);
    expect(Object.fromEntries(proxy.statements.kinds)).toEqual({
      "INSERT Note": 2,
      "DELETE Note": 1,
      "UPDATE Note": 1,
    });
    expect(proxy.statements.executed).toBe(4);
    expect([...proxy.statements.named]).toEqual([insert]);
    expect(proxy.statements.unnamedWrites).toBe(1);
    expect(proxy.sent).toBe(chunks.length);
  });
});
