import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs build script without types
import { renderPostgresSchema, sqliteSchemaPath, postgresSchemaPath } from "../../scripts/prisma-schemas.mjs";
import { Prisma as SqlitePrisma } from "../../src/store/generated/sqlite/client.js";
import { openDatabase } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

describe("one model, two engines", () => {
  it("prisma/postgresql/schema.prisma is generated from prisma/sqlite/schema.prisma (run node scripts/prisma-schemas.mjs)", () => {
    expect(readFileSync(postgresSchemaPath, "utf8")).toBe(renderPostgresSchema(readFileSync(sqliteSchemaPath, "utf8")));
  });

  const models = Object.values(SqlitePrisma.ModelName);
  const scalarFields = (model: string): string[] =>
    Object.values(
      (SqlitePrisma as unknown as Record<string, Record<string, string>>)[`${model}ScalarFieldEnum`]!,
    ).sort();

  it.each(ENGINES)("the committed %s migrations create exactly the model's tables and columns", async (engine) => {
    const database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    try {
      for (const model of models) {
        const columns =
          engine === "sqlite"
            ? await database.prisma.$queryRawUnsafe<{ name: string }[]>(
                `SELECT name FROM pragma_table_info('${model}')`,
              )
            : await database.prisma.$queryRawUnsafe<{ name: string }[]>(
                `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
                model,
              );
        expect({ model, columns: columns.map((c) => c.name).sort() }).toEqual({ model, columns: scalarFields(model) });
      }
      const tables =
        engine === "sqlite"
          ? await database.prisma.$queryRawUnsafe<{ name: string }[]>(
              `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`,
            )
          : await database.prisma.$queryRawUnsafe<{ name: string }[]>(
              `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'`,
            );
      expect(tables.map((t) => t.name).sort()).toEqual([...models].sort());
    } finally {
      await database.close();
    }
  });
});
