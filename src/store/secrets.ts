import { randomBytes } from "node:crypto";
import { SecretKey } from "../domain/secret-key.js";
import type { Prisma } from "./database.js";

/**
 * The key customer ids were hashed with before CLOSELOOP_SECRET_KEY (src/domain/customer-hash.ts). A database that has
 * this row keeps hashing with it, so a customer's new reports still match their stored ones; new databases derive the
 * key from the secret key instead and never write it.
 */
export const CUSTOMER_HASH_KEY = "customer-hash";

/** The root key closeloop generated because CLOSELOOP_SECRET_KEY is unset (README, Security). */
export const GENERATED_SECRET_KEY = "secret-key";

/** The dashboard's key before CLOSELOOP_SECRET_KEY: sessions made with it stay readable until they end. */
export const LEGACY_SESSION_KEY = "dashboard-session";

/**
 * The secret `name`, generated the first time it is asked for (32 random bytes) and stored, so every replica of the
 * database and every restart uses the same one. Insert-if-absent, then read: of replicas starting together, the first
 * insert wins and all of them read it (ON CONFLICT DO NOTHING on both engines, never an error).
 */
export async function readOrCreateSecret(prisma: Prisma, name: string): Promise<string> {
  const candidate = randomBytes(32).toString("base64url");
  await prisma.$executeRaw`INSERT INTO "Secret" ("name", "value") VALUES (${name}, ${candidate}) ON CONFLICT ("name") DO NOTHING`;
  return (await prisma.secret.findUniqueOrThrow({ where: { name }, select: { value: true } })).value;
}

async function readSecret(prisma: Prisma, name: string): Promise<string | null> {
  return (await prisma.secret.findUnique({ where: { name }, select: { value: true } }))?.value ?? null;
}

/**
 * CLOSELOOP_SECRET_KEY when given; else the one generated and stored in the database (every replica and restart
 * shares it), which a copy of the database then carries along: the caller warns about that at every start.
 */
export async function loadSecretKey(prisma: Prisma, fromEnvironment: Buffer | undefined): Promise<SecretKey> {
  if (fromEnvironment !== undefined) return new SecretKey(fromEnvironment, "environment");
  const stored = await readOrCreateSecret(prisma, GENERATED_SECRET_KEY);
  return new SecretKey(Buffer.from(stored, "base64url"), "database");
}

/**
 * The key customer ids are hashed with: the one an existing database stored before CLOSELOOP_SECRET_KEY (a new key
 * would make every stored hash unmatchable, and the ids behind them are not kept to hash again), else the secret key's.
 */
export async function readCustomerHashKey(
  prisma: Prisma,
  key: SecretKey,
): Promise<{ key: string; source: "database" | "secret key" }> {
  const stored = await readSecret(prisma, CUSTOMER_HASH_KEY);
  if (stored !== null) return { key: stored, source: "database" };
  return { key: key.deriveKey("customer-hash").toString("base64url"), source: "secret key" };
}

/** The dashboard's key of before CLOSELOOP_SECRET_KEY, while sessions sealed with it may be live; null once retired. */
export async function readLegacySessionKey(prisma: Prisma): Promise<string | null> {
  return readSecret(prisma, LEGACY_SESSION_KEY);
}

/** Forgets the dashboard's old key once no live session needs it, so a copy of the database no longer holds it. */
export async function retireLegacySessionKey(prisma: Prisma): Promise<void> {
  await prisma.secret.deleteMany({ where: { name: LEGACY_SESSION_KEY } });
}
