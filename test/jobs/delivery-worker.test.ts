import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import pino from "pino";
import BetterSqlite3 from "better-sqlite3";
import { DeliveryWorker } from "../../src/jobs/delivery-worker.js";
import { DeliveryInbox } from "../../src/http/delivery-inbox.js";
import {
  deliveryBacklog,
  DELIVERIES,
  purgeExpiredDeliveries,
  type IncomingDelivery,
  type StoredDelivery,
} from "../../src/store/deliveries.js";
import { claimLeases, deleteLeased } from "../../src/store/lease.js";
import { openDeliveryWriter, type DeliveryWriter } from "../../src/store/delivery-writer.js";
import { Prisma as Sql } from "../../src/store/generated/sqlite/client.js";
import { ENGINES } from "../support/databases.js";
import { waitFor } from "../support/wait.js";
import { deliveriesProcessed, inboxCommits } from "../../src/metrics.js";
import { useDatabase } from "../support/use-database.js";
import { openRecordingDatabase } from "../support/statements.js";

const log = pino({ level: "silent" });
const delivery = (id: string) => ({ id, name: "issue_comment", payload: JSON.stringify({ action: "created", n: id }) });

describe.each(ENGINES)("the delivery inbox on %s", (engine) => {
  const database = useDatabase(engine);
  let writer: DeliveryWriter;
  const storeDeliveries = (deliveries: IncomingDelivery[]) => writer.write(deliveries, new Date());
  beforeEach(async () => {
    writer = openDeliveryWriter(database.target, console);
  });
  afterEach(async () => {
    await writer.close();
  });

  it("stores the same delivery once, however often and however batched it arrives", async () => {
    expect(await storeDeliveries([delivery("a"), delivery("b")])).toBe(2);
    expect(await storeDeliveries([delivery("a")])).toBe(0);
    const inbox = new DeliveryInbox(writer, () => {});
    await Promise.all([
      inbox.store(delivery("c")),
      inbox.store(delivery("c")),
      inbox.store(delivery("a")),
      inbox.store(delivery("d")),
    ]);
    const rows = await database.prisma.delivery.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((row) => row.id)).toEqual(["a", "b", "c", "d"]);
    // Written beside Prisma, read back through it: the same columns and time format.
    expect(rows[0]).toMatchObject({ name: "issue_comment", attempts: 0, deadAt: null, receivedAt: expect.any(Date) });
    expect(Math.abs(rows[0]!.receivedAt.getTime() - Date.now())).toBeLessThan(60_000);
    // A batch of a size written before (PostgreSQL: its prepared statement again) stores its own rows.
    expect(await storeDeliveries([delivery("e"), delivery("a")])).toBe(1);
    expect(await storeDeliveries([delivery("f"), delivery("g")])).toBe(2);
    expect(await database.prisma.delivery.count()).toBe(7);
  });

  it.runIf(engine === "postgresql")(
    "names its PostgreSQL connections in pg_stat_activity, unless DATABASE_URL names them",
    async () => {
      const namesOf = async () =>
        (
          await database.prisma.$queryRaw<{ name: string }[]>`
            SELECT "application_name" AS "name" FROM pg_stat_activity
            WHERE "datname" = current_database() AND "pid" <> pg_backend_pid()`
        ).map((row) => row.name);
      await storeDeliveries([delivery("named")]);
      expect(await namesOf()).toContain("closeloop inbox");
      await writer.close();
      const target = database.target;
      if (target.engine !== "postgresql") throw new Error("a PostgreSQL test");
      const url = new URL(target.connectionString);
      url.searchParams.set("application_name", "operator's choice");
      writer = openDeliveryWriter({ ...target, connectionString: url.toString() }, console);
      await storeDeliveries([delivery("named by the operator")]);
      expect(await namesOf()).toContain("operator's choice");
    },
  );

  it.runIf(engine === "postgresql")(
    "keeps storing when PostgreSQL ends its idle connection, and says so in the log",
    async () => {
      await writer.close();
      const warnings: string[] = [];
      writer = openDeliveryWriter(database.target, { warn: (message) => warnings.push(message) });
      await storeDeliveries([delivery("before")]);
      // As a restart, a failover or an operator's pg_terminate_backend does: unheard, the pool's "error" ended the process.
      const ended = await database.prisma.$queryRaw<{ ended: boolean }[]>`
        SELECT pg_terminate_backend("pid") AS "ended" FROM pg_stat_activity
        WHERE "datname" = current_database() AND "application_name" = 'closeloop inbox'`;
      expect(ended.map((row) => row.ended)).toEqual([true]);
      await vi.waitFor(() => expect(warnings).toHaveLength(1));
      expect(warnings[0]).toMatch(
        /^webhook inbox: an idle PostgreSQL connection was lost \(terminating connection due to administrator command\); the next query opens another$/,
      );
      await storeDeliveries([delivery("after")]);
      expect((await database.prisma.delivery.findMany({ select: { id: true } })).map((row) => row.id).sort()).toEqual([
        "after",
        "before",
      ]);
    },
  );

  it("stores when a delivery arrived as the instant it was, on a host whose time zone is not UTC", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "Asia/Tokyo";
    try {
      const at = new Date("2026-12-07T10:00:00.000Z");
      await writer.write([delivery("tokyo")], at);
      const row = await database.prisma.delivery.findUniqueOrThrow({ where: { id: "tokyo" } });
      expect(row.receivedAt.toISOString()).toBe("2026-12-07T10:00:00.000Z");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("commits deliveries that arrive together in one write (group commit), and each caller waits for its commit", async () => {
    const writes: number[] = [];
    const counting: DeliveryWriter = {
      write: (deliveries, at) => (writes.push(deliveries.length), writer.write(deliveries, at)),
      close: async () => {},
    };
    const inbox = new DeliveryInbox(counting, () => {});
    const commits = await inboxCommitCount();
    const stored = Array.from({ length: 16 }, (_, n) => inbox.store(delivery(`burst-${n}`)));
    // Nothing is written before the turn ends: a caller is answered only once its delivery is committed.
    expect(writes).toEqual([]);
    await Promise.all(stored);
    expect(writes).toEqual([16]);
    // /metrics shows it: one commit for the sixteen.
    expect((await inboxCommitCount()) - commits).toBe(1);
    expect(await database.prisma.delivery.count()).toBe(16);
  });

  it("holds a commit back for deliveries arriving closely after one another, and writes a lone one at once", async () => {
    const writes: string[][] = [];
    const counting: DeliveryWriter = {
      write: (deliveries, at) => (writes.push(deliveries.map((d) => d.id)), writer.write(deliveries, at)),
      close: async () => {},
    };
    // A delay far longer than a write on a loaded machine, so which wait happened is plain from the time taken.
    const delayMs = 1_000;
    const inbox = new DeliveryInbox(counting, () => {}, 200, delayMs);
    // An idle inbox: the one delivery is not kept waiting for company.
    const started = performance.now();
    await inbox.store(delivery("alone"));
    expect(performance.now() - started).toBeLessThan(delayMs / 2);
    // Two at once (a burst's pace): the commit waits its delay, and a third arriving meanwhile joins it.
    const first = [inbox.store(delivery("a")), inbox.store(delivery("b"))];
    await new Promise((resolve) => setTimeout(resolve, 10));
    await Promise.all([...first, inbox.store(delivery("c"))]);
    expect(writes).toEqual([["alone"], ["a", "b", "c"]]);
    expect(await database.prisma.delivery.count()).toBe(4);
  });

  it("fails every caller of a group whose write fails, and stores none of it", async () => {
    const inbox = new DeliveryInbox(writer, () => {});
    // A row the database refuses (no event name) fails the whole statement, as a full disk or a lost server would.
    const broken = { ...delivery("broken"), name: null as unknown as string };
    const outcomes = await Promise.allSettled([
      inbox.store(delivery("before")),
      inbox.store(broken),
      inbox.store(delivery("after")),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(await database.prisma.delivery.count()).toBe(0);
    // GitHub redelivers; the inbox writes again.
    await inbox.store(delivery("before"));
    expect((await database.prisma.delivery.findMany()).map((row) => row.id)).toEqual(["before"]);
  });

  it("holds the worker back during a burst of arrivals, not during a stream that goes on", () => {
    const inbox = new DeliveryInbox(writer, () => {});
    expect(inbox.receiving(20, false, 10_000, 0)).toBe(false);
    for (let at = 1_000; at <= 5_000; at += 10) inbox.arrived(at);
    expect(inbox.receiving(20, false, 10_000, 5_005)).toBe(true); // 4 s into a burst
    expect(inbox.receiving(20, false, 10_000, 5_030)).toBe(false); // a pause
    for (let at = 6_000; at <= 17_000; at += 10) inbox.arrived(at);
    expect(inbox.receiving(20, false, 10_000, 15_000)).toBe(true);
    expect(inbox.receiving(20, false, 10_000, 16_005)).toBe(false); // over 10 s of arrivals: a stream, processed at full speed
  });

  it("keeps a longer quiet's burst going through pauses the short quiet ends on, each with its own 10 s", () => {
    const inbox = new DeliveryInbox(writer, () => {});
    expect(inbox.receiving(20, false, 10_000, 0)).toBe(false);
    expect(inbox.receiving(500, false, 10_000, 0)).toBe(false);
    // A loaded client: a webhook every 50 ms.
    const arrivals = (from: number, to: number) => {
      for (let at = from; at <= to; at += 50) inbox.arrived(at);
    };
    arrivals(1_000, 5_000);
    expect(inbox.receiving(20, false, 10_000, 5_030)).toBe(false); // the delivery worker's burst paused
    expect(inbox.receiving(500, false, 10_000, 5_030)).toBe(true); // the backfill's goes on
    arrivals(5_050, 11_000);
    expect(inbox.receiving(500, false, 10_000, 10_990)).toBe(true);
    expect(inbox.receiving(500, false, 10_000, 11_010)).toBe(false); // over 10 s without half a second's quiet: a stream
    expect(inbox.receiving(20, false, 10_000, 11_010)).toBe(true); // the short quiet's run began at the last webhook
    // Half a second without one ends the run: the next webhook begins another.
    inbox.arrived(11_600);
    expect(inbox.receiving(500, false, 10_000, 11_700)).toBe(true);
    expect(inbox.receiving(500, false, 10_000, 12_100)).toBe(false);
  });

  it("hands each delivery to one claimer, takes over a lease that ran out, and fences the late holder out", async () => {
    await storeDeliveries([delivery("a"), delivery("b"), delivery("c")]);
    const now = new Date();
    const claim = (owner: string, limit: number, at: Date) =>
      claimLeases<{ key: string; attempts: number }>(
        database.prisma,
        engine,
        DELIVERIES,
        { owner, leaseMs: 60_000, limit, returning: Sql.sql`"attempts"` },
        at,
      );
    const first = await claim("first", 2, now);
    const second = await claim("second", 10, now);
    expect(first).toHaveLength(2);
    expect([...first, ...second].map((d) => d.key).sort()).toEqual(["a", "b", "c"]);
    // The first worker stalled: once its lease has run out, its deliveries are claimed again, as a second attempt.
    const later = await claim("third", 10, new Date(now.getTime() + 61_000));
    expect(later.map((d) => [d.key, Number(d.attempts)]).sort()).toEqual([
      ["a", 2],
      ["b", 2],
      ["c", 2],
    ]);
    // The stalled worker wakes up and finishes: its delete changes nothing; the new holder's goes through.
    expect(await deleteLeased(database.prisma, DELIVERIES, "first", first[0]!.key)).toBe(false);
    expect(await database.prisma.delivery.count()).toBe(3);
    expect(await deleteLeased(database.prisma, DELIVERIES, "third", first[0]!.key)).toBe(true);
    expect(await database.prisma.delivery.count()).toBe(2);
  });

  it("runs the handlers for every stored delivery and removes each once handled", async () => {
    await storeDeliveries([delivery("a"), delivery("b")]);
    const handled: string[] = [];
    const worker = new DeliveryWorker(database.prisma, engine, async (d) => void handled.push(d.id), log);
    const done = await processedCount("done");
    expect(await worker.drain()).toBe(2);
    expect(handled.sort()).toEqual(["a", "b"]);
    expect(await database.prisma.delivery.count()).toBe(0);
    expect((await processedCount("done")) - done).toBe(2);
  });

  it("deletes a batch's handled deliveries in one statement and keeps a failed one for its retry", async () => {
    const recording = await openRecordingDatabase(engine);
    const recordingWriter = openDeliveryWriter(recording.target, console);
    try {
      const worker = new DeliveryWorker(
        recording.prisma,
        engine,
        async (d) => {
          if (d.id === "c") throw new Error("GitHub answered 502");
        },
        log,
        { concurrency: 2 },
      );
      await worker.drain(); // its hourly purge of old dead deliveries, a DELETE of its own
      await recordingWriter.write(["a", "b", "c", "d"].map(delivery), new Date());
      const statements = await recording.statementsOf(() => worker.drain());
      expect(statements.filter((statement) => statement.startsWith("DELETE"))).toEqual(["DELETE Delivery"]);
      const left = await recording.prisma.delivery.findMany();
      expect(left.map((row) => [row.id, row.attempts, row.lockedBy, row.lastError])).toEqual([
        ["c", 1, null, "GitHub answered 502"],
      ]);
    } finally {
      await recordingWriter.close();
      await recording.close();
    }
  });

  it("waits while a burst of webhooks arrives, then processes all of it, lanes in parallel", async () => {
    await storeDeliveries(["a", "b", "c", "d", "e", "f"].map(delivery));
    let inFlight = 0;
    let most = 0;
    const handled: number[] = [];
    const started = Date.now();
    const slow = async () => {
      handled.push(Date.now() - started);
      most = Math.max(most, ++inFlight);
      // The first four wait for each other (a second at most): lanes in parallel all get there, on a loaded machine too,
      // where a lane woken after the burst a few ms late found the first one's delivery already done.
      const waitUntil = Date.now() + 1_000;
      while (handled.length <= 4 && inFlight < 4 && Date.now() < waitUntil)
        await new Promise((resolve) => setTimeout(resolve, 1));
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
    };
    const burstUntil = started + 150;
    const worker = new DeliveryWorker(database.prisma, engine, slow, log, {
      concurrency: 4,
      ingestActive: () => Date.now() < burstUntil,
      yieldMs: 5,
    });
    expect(await worker.drain()).toBe(6);
    expect(Math.min(...handled)).toBeGreaterThanOrEqual(150);
    expect(most).toBe(4);
    expect(await database.prisma.delivery.count()).toBe(0);
  });

  it("processes the inbox under a stream of webhooks that never pauses, once held back for its backstop", async () => {
    await storeDeliveries(["a", "b", "c"].map(delivery));
    const handled: string[] = [];
    const worker = new DeliveryWorker(database.prisma, engine, async (d) => void handled.push(d.id), log, {
      ingestActive: () => true,
      yieldMs: 1,
      maxHoldMs: 0,
    });
    expect(await worker.drain()).toBe(3);
    expect(handled.sort()).toEqual(["a", "b", "c"]);
    expect(await database.prisma.delivery.count()).toBe(0);
  });

  it("stops promptly, during a burst or a backlog, leaving what it has not taken in the inbox", async () => {
    await storeDeliveries(Array.from({ length: 30 }, (_, n) => delivery(`s${n}`)));
    const bursting = new DeliveryWorker(database.prisma, engine, async () => {}, log, {
      ingestActive: () => true,
      yieldMs: 5,
      idlePollMs: 10,
    });
    bursting.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopping = Date.now();
    await bursting.stop();
    expect(Date.now() - stopping).toBeLessThan(1_000);
    expect(await database.prisma.delivery.count()).toBe(30);

    let calls = 0;
    const slow = async () => void (calls++, await new Promise((resolve) => setTimeout(resolve, 20)));
    const draining = new DeliveryWorker(database.prisma, engine, slow, log, {
      batch: 5,
      concurrency: 1,
      idlePollMs: 10,
    });
    draining.start();
    await waitFor(async () => calls > 0, 10_000, "the worker to take a batch");
    await draining.stop();
    // The batch in hand is finished; the rest waits for the next start.
    const left = await database.prisma.delivery.count();
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(30);
    expect(left % 5).toBe(0);
  });

  it("retries a failing delivery later and keeps it as dead after too many attempts, with the error", async () => {
    await storeDeliveries([delivery("bad")]);
    const failing = async (d: StoredDelivery) => {
      throw new Error(`handler broke on ${d.id}`);
    };
    const worker = new DeliveryWorker(database.prisma, engine, failing, log, { maxAttempts: 2 });
    const [retries, deaths] = [await processedCount("retry"), await processedCount("dead")];
    await worker.drain();
    const retried = await database.prisma.delivery.findUniqueOrThrow({ where: { id: "bad" } });
    expect(retried).toMatchObject({ attempts: 1, lastError: "handler broke on bad", deadAt: null });
    expect(retried.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(await worker.drain()).toBe(0);

    await database.prisma.delivery.update({ where: { id: "bad" }, data: { lockedUntil: new Date(Date.now() - 1) } });
    await worker.drain();
    const backlog = await deliveryBacklog(database.prisma);
    expect(backlog.waiting).toBe(0);
    expect(backlog.dead).toEqual([
      { id: "bad", name: "issue_comment", attempts: 2, lastError: "handler broke on bad", deadAt: expect.any(Date) },
    ]);
    expect([(await processedCount("retry")) - retries, (await processedCount("dead")) - deaths]).toEqual([1, 1]);
  });

  it("purges dead deliveries 30 days after they died (they hold comment text) and keeps younger ones", async () => {
    // Dead the way the worker makes them (its own write of deadAt), then aged by the clock the purge is given.
    await storeDeliveries([delivery("died-now")]);
    const failing = new DeliveryWorker(
      database.prisma,
      engine,
      async () => {
        throw new Error("broke");
      },
      log,
      { maxAttempts: 1 },
    );
    await failing.drain();
    expect(await database.prisma.delivery.findUnique({ where: { id: "died-now" } })).toMatchObject({
      deadAt: expect.any(Date),
    });
    const day = 24 * 60 * 60_000;
    expect(await purgeExpiredDeliveries(database.prisma, new Date(Date.now() + 29 * day))).toBe(0);
    expect(await purgeExpiredDeliveries(database.prisma, new Date(Date.now() + 31 * day))).toBe(1);

    // The worker purges as it drains.
    await storeDeliveries([delivery("old"), delivery("young")]);
    await database.prisma.delivery.update({
      where: { id: "old" },
      data: { deadAt: new Date(Date.now() - 31 * day), lastError: "x" },
    });
    await database.prisma.delivery.update({
      where: { id: "young" },
      data: { deadAt: new Date(Date.now() - 29 * day), lastError: "y" },
    });
    await new DeliveryWorker(database.prisma, engine, async () => {}, log).drain();
    expect((await database.prisma.delivery.findMany({ select: { id: true } })).map((row) => row.id)).toEqual(["young"]);
  });
});

async function inboxCommitCount(): Promise<number> {
  return (await inboxCommits.get()).values[0]?.value ?? 0;
}

/** closeloop_deliveries_processed_total{outcome}, as /metrics shows it (one registry for the whole test file). */
async function processedCount(outcome: string): Promise<number> {
  const { values } = await deliveriesProcessed.get();
  return values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

describe("the delivery inbox's writer on sqlite", () => {
  const database = useDatabase("sqlite");

  it("leaves the WAL's checkpoints to Prisma's connection, off the request path", async () => {
    const writer = openDeliveryWriter(database.target, console);
    const walFrames = () => {
      const target = database.target;
      if (target.engine !== "sqlite") throw new Error("sqlite only");
      const db = new BetterSqlite3(target.path);
      try {
        // PASSIVE with nothing to do when the WAL was just checkpointed: its second number is the WAL's frames.
        return (db.pragma("wal_checkpoint(PASSIVE)") as { log: number }[])[0]!.log;
      } finally {
        db.close();
      }
    };
    try {
      const payload = "x".repeat(4000);
      for (let i = 0; i < 600; i++) await writer.write([{ id: `w-${i}`, name: "issue_comment", payload }], new Date());
      // Past SQLite's 1000 pages, and not checkpointed by the writer's commits.
      expect(walFrames()).toBeGreaterThan(1000);
    } finally {
      await writer.close();
    }
  });
});

describe("the delivery inbox's group commit", () => {
  it("lets the deliveries read in the same phase as a write's answer join the next write", async () => {
    const batches: string[][] = [];
    let answerFirst = () => {};
    const gated: DeliveryWriter = {
      // The first write waits to be answered; the others are answered at once.
      write: (deliveries) =>
        new Promise((resolve) => {
          batches.push(deliveries.map((delivery) => delivery.id));
          if (batches.length === 1) answerFirst = () => resolve(deliveries.length);
          else resolve(deliveries.length);
        }),
      close: async () => {},
    };
    const inbox = new DeliveryInbox(gated, () => {});
    const stored = [inbox.store(delivery("a"))];
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([["a"]]);
    // While "a" is being written, "b" arrives. Then, in one phase of the event loop, the write's answer comes and,
    // just after it, "c" is read (two timers due together run in one phase, as two sockets' reads do).
    stored.push(inbox.store(delivery("b")));
    const read = new Promise<void>((resolve) => {
      setTimeout(() => answerFirst(), 0);
      setTimeout(() => (stored.push(inbox.store(delivery("c"))), resolve()), 0);
    });
    await read;
    await Promise.all(stored);
    expect(batches).toEqual([["a"], ["b", "c"]]);
  });
});
