import type { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";

/**
 * The one client type the app codes against. Both engines' clients are generated from the same model
 * (prisma/sqlite/schema.prisma, test/store/schema-drift.test.ts), so their query APIs are the same.
 */
export type Prisma = SqliteClient;
export type Transaction = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];
