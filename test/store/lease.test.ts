import { describe, expect, it } from "vitest";
import { Prisma as Sql } from "../../src/store/generated/sqlite/client.js";
import { DELIVERIES } from "../../src/store/deliveries.js";
import {
  claimLeases,
  deleteLeased,
  releaseLeases,
  renewLeases,
  unlocked,
  updateLeased,
} from "../../src/store/lease.js";
import { ENGINES } from "../support/databases.js";
import { useDatabase } from "../support/use-database.js";

const LEASE_MS = 10_000;
const T0 = new Date("2026-12-01T12:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

describe.each(ENGINES)("the one lease, on the delivery inbox, on %s", (engine) => {
  const database = useDatabase(engine);

  /** Deliveries d1…dn, received a second apart (d1 oldest). */
  async function receive(n: number): Promise<void> {
    await database.prisma.delivery.createMany({
      data: Array.from({ length: n }, (_, index) => ({
        id: `d${index + 1}`,
        name: "issues",
        payload: "{}",
        receivedAt: new Date(T0.getTime() - 60_000 + index * 1_000),
      })),
    });
  }

  const claim = (owner: string, limit: number, now = T0) =>
    claimLeases<{ key: string }>(
      database.prisma,
      database.engine,
      DELIVERIES,
      { owner, leaseMs: LEASE_MS, limit },
      now,
    ).then((rows) => rows.map((row) => row.key).sort());
  const row = (id: string) =>
    database.prisma.delivery.findUniqueOrThrow({
      where: { id },
      select: { lockedBy: true, lockedUntil: true, attempts: true, lastError: true, deadAt: true },
    });
  const holders = async () =>
    Object.fromEntries(
      (await database.prisma.delivery.findMany({ orderBy: { id: "asc" } })).map((delivery) => [
        delivery.id,
        delivery.lockedBy,
      ]),
    );

  it("two owners claim disjoint rows, oldest first, and a third finds nothing left", async () => {
    await receive(6);
    expect(await claim("a", 3)).toEqual(["d1", "d2", "d3"]);
    expect(await claim("b", 10)).toEqual(["d4", "d5", "d6"]);
    expect(await claim("c", 10)).toEqual([]);
    expect(await holders()).toEqual({ d1: "a", d2: "a", d3: "a", d4: "b", d5: "b", d6: "b" });
    expect(await row("d1")).toMatchObject({ attempts: 1, lockedUntil: at(LEASE_MS) });
  });

  it("owners claiming at the same moment never share a row", async () => {
    await receive(20);
    const claims = await Promise.all(["a", "b", "c", "d"].map((owner) => claim(owner, 6)));
    const all = claims.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(20);
    for (const [index, owner] of ["a", "b", "c", "d"].entries())
      for (const key of claims[index]!) expect((await row(key)).lockedBy).toBe(owner);
  });

  it("a lease that ran out is taken over; renewLeases tells the old holder which keys it lost and extends the rest", async () => {
    await receive(3);
    expect(await claim("a", 2)).toEqual(["d1", "d2"]);
    // b comes after a's lease ran out: it takes a's rows (and the one never claimed).
    const later = at(LEASE_MS + 1);
    expect(await claim("b", 1, later)).toEqual(["d1"]);
    expect(await row("d1")).toMatchObject({ lockedBy: "b", attempts: 2 });

    expect(
      await renewLeases(database.prisma, DELIVERIES, { owner: "a", leaseMs: LEASE_MS }, ["d1", "d2"], later),
    ).toEqual(["d1"]);
    expect(await row("d2")).toMatchObject({ lockedBy: "a", lockedUntil: at(2 * LEASE_MS + 1) });
    // b's lease on d1 is untouched by a's renewal.
    expect(await row("d1")).toMatchObject({ lockedBy: "b", lockedUntil: at(2 * LEASE_MS + 1) });
    // A renewed lease is not taken over.
    expect(await claim("c", 10, at(LEASE_MS + 2))).toEqual(["d3"]);
  });

  it("a lease still running is not taken over", async () => {
    await receive(1);
    await claim("a", 1);
    expect(await claim("b", 1, at(LEASE_MS - 1))).toEqual([]);
    expect((await row("d1")).lockedBy).toBe("a");
  });

  it("a write or delete by an owner that does not hold the row returns false and changes nothing", async () => {
    await receive(2);
    await claim("a", 1);
    const before = await row("d1");
    const failed = Sql.sql`${unlocked()}, "lastError" = ${"from b"}`;
    expect(await updateLeased(database.prisma, DELIVERIES, "b", "d1", failed)).toBe(false);
    expect(await deleteLeased(database.prisma, DELIVERIES, "b", "d1")).toBe(false);
    expect(await row("d1")).toEqual(before);
    // A row nobody holds cannot be settled either.
    expect(await updateLeased(database.prisma, DELIVERIES, "a", "d2", failed)).toBe(false);
    expect(await row("d2")).toMatchObject({ lockedBy: null, lastError: null });

    // The holder's writes go through, and give the lease up.
    expect(await updateLeased(database.prisma, DELIVERIES, "a", "d1", Sql.sql`"lastError" = ${"from a"}`)).toBe(true);
    expect(await row("d1")).toMatchObject({ lockedBy: "a", lastError: "from a" });
    expect(await deleteLeased(database.prisma, DELIVERIES, "a", "d1")).toBe(true);
    expect(await database.prisma.delivery.count({ where: { id: "d1" } })).toBe(0);
  });

  it("after its lease was taken over, the old holder's settle is refused", async () => {
    await receive(1);
    await claim("a", 1);
    await claim("b", 1, at(LEASE_MS + 1));
    expect(await updateLeased(database.prisma, DELIVERIES, "a", "d1", unlocked())).toBe(false);
    expect(await deleteLeased(database.prisma, DELIVERIES, "a", "d1")).toBe(false);
    expect(await row("d1")).toMatchObject({ lockedBy: "b", attempts: 2 });
  });

  it("released rows are claimable again at once, the claim not counted; another owner's release does nothing", async () => {
    await receive(3);
    await claim("a", 3);
    await releaseLeases(database.prisma, DELIVERIES, "b", ["d1", "d2"]);
    expect(await holders()).toEqual({ d1: "a", d2: "a", d3: "a" });

    await releaseLeases(database.prisma, DELIVERIES, "a", ["d1", "d2"]);
    expect(await row("d1")).toMatchObject({ lockedBy: null, lockedUntil: null, attempts: 0 });
    // Well within a's lease: no waiting for it to run out.
    expect(await claim("c", 10, at(1))).toEqual(["d1", "d2"]);
    expect(await row("d1")).toMatchObject({ lockedBy: "c", attempts: 1 });
    expect((await row("d3")).lockedBy).toBe("a");
  });
});
