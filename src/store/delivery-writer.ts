import BetterSqlite3 from "better-sqlite3";
import type { DatabaseTarget } from "../config/database-url.js";
import type { IncomingDelivery } from "./deliveries.js";
import { connectionPool, type PoolLog } from "./pg-pool.js";

/**
 * The webhook request path's one write, on a connection of its own beside Prisma's: an insert through the query
 * client costs more than everything else closeloop does before answering, and this path is measured against a
 * bare Probot app (P1, README Development). The table and its migrations are still Prisma's.
 */
export interface DeliveryWriter {
  /** inserts the deliveries in one commit; returns how many were new */
  write(deliveries: readonly IncomingDelivery[], receivedAt: Date): Promise<number>;
  close(): Promise<void>;
}

/** The inbox writer's connections' application_name on PostgreSQL, when DATABASE_URL sets none. */
export const INBOX_APPLICATION_NAME = "closeloop inbox";

export function openDeliveryWriter(target: DatabaseTarget, log: PoolLog): DeliveryWriter {
  return target.engine === "sqlite" ? sqliteWriter(target.path) : postgresWriter(target.connectionString, log);
}

function sqliteWriter(path: string): DeliveryWriter {
  // No busy wait: better-sqlite3 would sleep synchronously, and Prisma's connection in this same thread may be the
  // one holding the write lock (an open transaction of the worker). A busy database is retried after a yield.
  const db = new BetterSqlite3(path, { timeout: 0 });
  db.pragma("synchronous = NORMAL");
  // No checkpoint on the request path: SQLite runs one in the commit that takes the WAL past 1000 pages (every few
  // hundred deliveries), copying them into the database and syncing it while every request in flight waits (P1's
  // p99). Prisma's connection keeps the default, so the workers' commits, held back during a burst, checkpoint.
  db.pragma("wal_autocheckpoint = 0");
  const insert = db.prepare(
    `INSERT INTO "Delivery" ("id", "name", "payload", "receivedAt", "attempts") VALUES (?, ?, ?, ?, 0) ON CONFLICT ("id") DO NOTHING`,
  );
  const insertAll = db.transaction((deliveries: readonly IncomingDelivery[], at: string) => {
    let inserted = 0;
    for (const delivery of deliveries) inserted += insert.run(delivery.id, delivery.name, delivery.payload, at).changes;
    return inserted;
  });
  return {
    async write(deliveries, receivedAt) {
      // Prisma's SQLite adapter writes DateTime as ISO 8601 with "+00:00"; the same form keeps ordering consistent.
      const at = receivedAt.toISOString().replace("Z", "+00:00");
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          return insertAll(deliveries, at);
        } catch (error) {
          if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
    },
    async close() {
      db.close();
    },
  };
}

function postgresWriter(connectionString: string, log: PoolLog): DeliveryWriter {
  // Idle connections are kept (idleTimeoutMillis 0): a server reconnecting after every 10 s lull pays a new backend
  // and re-prepares its named INSERTs, and the bench's PostgreSQL CPU column counts only the backends it saw start.
  // Named in pg_stat_activity, unless DATABASE_URL names its connections: an operator (and the bench, P1) tells the
  // request path's connections from the workers' Prisma ones.
  const pool = connectionPool(
    { connectionString, max: 2, idleTimeoutMillis: 0, fallback_application_name: INBOX_APPLICATION_NAME },
    "webhook inbox",
    log,
  );
  const statements = new Map<number, BatchInserts>();
  return {
    async write(deliveries, receivedAt) {
      // The instant as UTC text, as Prisma writes it: a Date, pg sends in the host's time zone, and a "timestamp"
      // column drops the offset (on a host in Tokyo a delivery was stored as received 9 hours later); and the text
      // spares the driver its time zone lookups for every batch.
      const at = receivedAt.toISOString();
      const values = [...deliveries.flatMap((delivery) => [delivery.id, delivery.name, delivery.payload]), at];
      let inserts = statements.get(deliveries.length);
      if (inserts === undefined) statements.set(deliveries.length, (inserts = batchInserts(deliveries.length)));
      try {
        return (await pool.query({ ...inserts.all, values })).rowCount ?? 0;
      } catch (error) {
        // A delivery stored before: GitHub's redelivery (by hand) of one still in the inbox, or dead there. PostgreSQL
        // logs the refused statement as an error; the batch is written again, skipping it.
        if ((error as { constraint?: string }).constraint !== "Delivery_pkey") throw error;
        return (await pool.query({ ...inserts.new, values })).rowCount ?? 0;
      }
    },
    close: () => pool.end(),
  };
}

interface BatchInserts {
  /** inserts every delivery of the batch, or fails on one stored before */
  all: { name: string; text: string };
  /** inserts those not stored before */
  new: { name: string; text: string };
}

/**
 * The statements that insert a batch of `size` deliveries, named so each connection parses and plans them once, not on
 * every batch (PostgreSQL's CPU per delivery in batches of 4: about 100 µs unnamed, 60 µs named). ON CONFLICT only
 * when a delivery was stored before: on every batch, it cost the server a speculative insertion per row for a
 * conflict that is rare (its CPU per delivery inserting batches of 5: about 65 µs with it, 58 µs without).
 */
function batchInserts(size: number): BatchInserts {
  const rows = Array.from(
    { length: size },
    (_, i) => `($${i * 3 + 1}, $${i * 3 + 2}, $${i * 3 + 3}, $${size * 3 + 1}, 0)`,
  );
  const text = `INSERT INTO "Delivery" ("id", "name", "payload", "receivedAt", "attempts") VALUES ${rows.join(", ")}`;
  return {
    all: { name: `closeloop_inbox_insert_${size}`, text },
    new: { name: `closeloop_inbox_insert_new_${size}`, text: `${text} ON CONFLICT ("id") DO NOTHING` },
  };
}
