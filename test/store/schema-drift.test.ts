import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// @ts-expect-error -- a plain .mjs build script without types
import { renderPostgresSchema, sqliteSchemaPath, postgresSchemaPath } from "../../scripts/prisma-schemas.mjs";
import { Prisma as SqlitePrisma } from "../../src/store/generated/sqlite/client.js";
import { openDatabase } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

/** A field's `@default(…)` as written in the schema, with its type: by "Model.field". */
function declaredDefaults(schema: string): Map<string, { type: string; value: string }> {
  const defaults = new Map<string, { type: string; value: string }>();
  for (const [, model, body] of schema.matchAll(/^model (\w+) \{\n([\s\S]*?)^\}/gm)) {
    for (const [, field, type, value] of body!.matchAll(
      /^[ \t]+(\w+)[ \t]+(\w+)\??[ \t][^\n]*@default\(((?:[^()\n]|\(\))*)\)/gm,
    ))
      defaults.set(`${model}.${field}`, { type: type!, value: value! });
  }
  return defaults;
}

/**
 * A column's default as the database reports it (SQLite's PRAGMA table_info, PostgreSQL's information_schema), in
 * one spelling for both: a literal's value without quotes or PostgreSQL's cast, a date as its ISO time.
 */
function canonicalDefault(engine: string, reported: string | null): string | null {
  if (reported === null) return null;
  if (engine === "postgresql" && /^nextval\('[^']+'::regclass\)$/.test(reported)) return "autoincrement()";
  if (/^current_timestamp$/i.test(reported)) return "now()";
  const literal = /^'((?:[^']|'')*)'(?:::[\w ()]+)?$/.exec(reported);
  if (literal === null) return reported;
  const text = literal[1]!.replaceAll("''", "'");
  return /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/.test(text) ? dateOf(text) : text;
}

/** A date literal's time, read as UTC when it names no offset (PostgreSQL's TIMESTAMP keeps none). */
function dateOf(text: string): string {
  const iso = text.replace(" ", "T").replace(/ ?([+-]\d\d:\d\d)$/, "$1");
  return new Date(/(Z|[+-]\d\d:\d\d)$/.test(iso) ? iso : `${iso}Z`).toISOString();
}

/** What the database should report, in `canonicalDefault`'s spelling, for a field's declared default. */
function expectedDefault(engine: string, declared: { type: string; value: string } | undefined): string | null {
  if (declared === undefined) return null;
  // SQLite's INTEGER PRIMARY KEY AUTOINCREMENT is the rowid: no default of its own.
  if (declared.value === "autoincrement()") return engine === "sqlite" ? null : "autoincrement()";
  const text = /^"(.*)"$/.exec(declared.value)?.[1];
  if (text === undefined) return declared.value;
  return declared.type === "DateTime" ? dateOf(text) : text;
}

describe("one model, two engines", () => {
  it("prisma/postgresql/schema.prisma is generated from prisma/sqlite/schema.prisma (run node scripts/prisma-schemas.mjs)", () => {
    expect(readFileSync(postgresSchemaPath, "utf8")).toBe(renderPostgresSchema(readFileSync(sqliteSchemaPath, "utf8")));
  });

  const models = Object.values(SqlitePrisma.ModelName);
  const scalarFields = (model: string): string[] =>
    Object.values(
      (SqlitePrisma as unknown as Record<string, Record<string, string>>)[`${model}ScalarFieldEnum`]!,
    ).sort();

  it.each(ENGINES)("the committed %s migrations give each column the default the schema declares", async (engine) => {
    const database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    try {
      const declared = declaredDefaults(readFileSync(sqliteSchemaPath, "utf8"));
      const found: Record<string, string | null> = {};
      const expected: Record<string, string | null> = {};
      for (const model of models) {
        const columns =
          engine === "sqlite"
            ? await database.prisma.$queryRawUnsafe<{ name: string; default: string | null }[]>(
                `SELECT name, dflt_value AS "default" FROM pragma_table_info('${model}')`,
              )
            : await database.prisma.$queryRawUnsafe<{ name: string; default: string | null }[]>(
                `SELECT column_name AS name, column_default AS "default" FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`,
                model,
              );
        for (const column of columns) found[`${model}.${column.name}`] = canonicalDefault(engine, column.default);
        for (const field of scalarFields(model))
          expected[`${model}.${field}`] = expectedDefault(engine, declared.get(`${model}.${field}`));
      }
      expect(found).toEqual(expected);
    } finally {
      await database.close();
    }
  });

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
