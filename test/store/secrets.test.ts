import { afterEach, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { CUSTOMER_HASH_KEY, readOrCreateSecret } from "../../src/store/secrets.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

describe.each(ENGINES)("the customer hash key on %s", (engine) => {
  const opened: Database[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  it("is generated once and shared: two opens of one database (two replicas) get the same key, before and after a restart", async () => {
    const url = await freshDatabaseUrl(engine);
    const first = await openDatabase(url, { migrate: true });
    const second = await openDatabase(url, { migrate: true });
    opened.push(first, second);
    // Both replicas start together: one insert wins, both read it.
    const [a, b] = await Promise.all([
      readOrCreateSecret(first.prisma, CUSTOMER_HASH_KEY),
      readOrCreateSecret(second.prisma, CUSTOMER_HASH_KEY),
    ]);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
    expect(b).toBe(a);
    expect(await readOrCreateSecret(second.prisma, CUSTOMER_HASH_KEY)).toBe(a);
    await first.close();
    opened.shift();
    const restarted = await openDatabase(url, { migrate: true });
    opened.push(restarted);
    expect(await readOrCreateSecret(restarted.prisma, CUSTOMER_HASH_KEY)).toBe(a);
    expect(await restarted.prisma.secret.count()).toBe(1);
  });

  it("is a new random key in another database", async () => {
    const one = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    const other = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    opened.push(one, other);
    const key = await readOrCreateSecret(one.prisma, CUSTOMER_HASH_KEY);
    expect(await readOrCreateSecret(other.prisma, CUSTOMER_HASH_KEY)).not.toBe(key);
  });
});
