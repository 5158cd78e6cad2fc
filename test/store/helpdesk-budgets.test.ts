import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SharedPaces } from "../../src/jobs/pace-keeper.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { freshDatabaseUrl } from "../support/databases.js";

const BUDGET = { requests: 10, intervalMs: 10_000 };

describe.each(["row", "advisory", "optimistic"] as const)(
  "SharedPaces on PostgreSQL (%s lock): replicas take turns on one budget",
  (lock) => {
    let replicas: Database[];
    let url: string;

    beforeEach(async () => {
      url = await freshDatabaseUrl("postgresql");
      replicas = [await openDatabase(url, { migrate: true }), await openDatabase(url)];
    });
    afterEach(async () => {
      for (const replica of replicas) await replica.close();
    });

    it("hands out turns across replicas as one pace: twenty turns, taken at once by two replicas, a second apart", async () => {
      const [a, b] = replicas.map((replica) => new SharedPaces(replica.prisma, lock));
      const turns = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a! : b!).take("zendesk:calls", BUDGET, 1)),
      );
      const times = turns.map((turn) => turn.at).sort((x, y) => x - y);
      const gaps = times.slice(1).map((at, i) => Math.round(at - times[i]!));
      expect(gaps).toEqual(Array.from({ length: 19 }, () => 1_000));
      expect(turns.map((turn) => turn.ticket).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it("what one replica's answer said paces the other, and is kept in the row", async () => {
      const [a, b] = replicas.map((replica) => new SharedPaces(replica.prisma, lock));
      const first = await a!.take("intercom:calls", BUDGET, 1);
      const resetAt = Date.now() + 60_000;
      const until = await a!.heed("intercom:calls", BUDGET, { limit: 50, remaining: 0, resetAt }, first.ticket);
      expect(until).toBe(resetAt);
      // The answer is written with this replica's next turn, or within a tenth of a second without one.
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Nothing to spare: the other replica's next turn waits for the reset, and a little past it (edgeOf).
      expect((await b!.take("intercom:calls", BUDGET, 1)).at).toBe(resetAt + 100);
      expect(b!.unitsPerSecond("intercom:calls", BUDGET)).toBe(5);
      const row = await replicas[0]!.prisma.helpdeskBudget.findUniqueOrThrow({ where: { key: "intercom:calls" } });
      expect(row).toMatchObject({
        limit: 50,
        windowMs: 10_000,
        taken: 2n,
        heardRemaining: 0,
        heardTicket: 1n,
        heardResetAt: new Date(resetAt),
      });
    });

    it("keeps pacing on a replica whose prepared statements outlive a migration that adds a column", async () => {
      // A newer replica's migration may add a column while this one runs: its statements, prepared on its
      // connections (src/store/statement-names.ts), are planned again, and must not change the columns they return.
      // One connection, so the statements the next turn sends are the ones prepared before.
      const older = await openDatabase(url, { poolSize: 1 });
      replicas.push(older);
      const paces = new SharedPaces(older.prisma, lock);
      for (let i = 0; i < 3; i += 1) await paces.take("front:calls", BUDGET, 1);
      await replicas[0]!.prisma.$executeRawUnsafe(`ALTER TABLE "HelpdeskBudget" ADD COLUMN "addedLater" INTEGER`);
      expect((await paces.take("front:calls", BUDGET, 1)).ticket).toBe(4);
    });
  },
);
