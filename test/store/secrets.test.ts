import { afterEach, describe, expect, it } from "vitest";
import { SecretKey } from "../../src/domain/secret-key.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import {
  CUSTOMER_HASH_KEY,
  GENERATED_SECRET_KEY,
  loadSecretKey,
  readCustomerHashKey,
  readOrCreateSecret,
} from "../../src/store/secrets.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

describe.each(ENGINES)("the secret key on %s", (engine) => {
  const opened: Database[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });
  const open = async (url: string) => {
    const database = await openDatabase(url, { migrate: true });
    opened.push(database);
    return database;
  };

  it("unset, is generated once and shared: two replicas get the same key, before and after a restart", async () => {
    const url = await freshDatabaseUrl(engine);
    const [first, second] = [await open(url), await open(url)];
    // Both replicas start together: one insert wins, both read it.
    const [a, b] = await Promise.all([loadSecretKey(first.prisma, undefined), loadSecretKey(second.prisma, undefined)]);
    expect(a.source).toBe("database");
    expect(b.deriveKey("sessions").equals(a.deriveKey("sessions"))).toBe(true);
    const restarted = await open(url);
    expect((await loadSecretKey(restarted.prisma, undefined)).deriveKey("csrf").equals(a.deriveKey("csrf"))).toBe(true);
    expect(await restarted.prisma.secret.findMany({ select: { name: true } })).toEqual([
      { name: GENERATED_SECRET_KEY },
    ]);
    // another database, another key
    const other = await loadSecretKey((await open(await freshDatabaseUrl(engine))).prisma, undefined);
    expect(other.deriveKey("sessions").equals(a.deriveKey("sessions"))).toBe(false);
  });

  it("from CLOSELOOP_SECRET_KEY, is used as given and nothing is stored", async () => {
    const database = await open(await freshDatabaseUrl(engine));
    const root = Buffer.alloc(32, 3);
    const key = await loadSecretKey(database.prisma, root);
    expect(key.source).toBe("environment");
    expect(key.deriveKey("sessions").equals(new SecretKey(root, "environment").deriveKey("sessions"))).toBe(true);
    expect(await database.prisma.secret.count()).toBe(0);
  });

  it("derives the customer-hash key in a new database, and writes no key for it", async () => {
    const database = await open(await freshDatabaseUrl(engine));
    const key = new SecretKey(Buffer.alloc(32, 3), "environment");
    expect(await readCustomerHashKey(database.prisma, key)).toEqual({
      key: key.deriveKey("customer-hash").toString("base64url"),
      source: "secret key",
    });
    expect(await database.prisma.secret.count()).toBe(0);
  });

  it("keeps the customer-hash key a database stored before CLOSELOOP_SECRET_KEY, so its stored hashes still match", async () => {
    const database = await open(await freshDatabaseUrl(engine));
    const stored = await readOrCreateSecret(database.prisma, CUSTOMER_HASH_KEY);
    const key = new SecretKey(Buffer.alloc(32, 3), "environment");
    expect(await readCustomerHashKey(database.prisma, key)).toEqual({ key: stored, source: "database" });
  });
});
