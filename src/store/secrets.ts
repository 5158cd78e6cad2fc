import { randomBytes } from "node:crypto";
import type { Prisma } from "./database.js";

/** The key customer ids are hashed with (src/domain/customer-hash.ts). */
export const CUSTOMER_HASH_KEY = "customer-hash";

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
