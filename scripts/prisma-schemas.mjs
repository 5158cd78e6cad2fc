#!/usr/bin/env node
// Writes prisma/postgresql/schema.prisma from prisma/sqlite/schema.prisma (the one model definition) and, with
// --generate, runs `prisma generate` for both engines. test/store/schema-drift.test.ts fails when they differ.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const sqliteSchemaPath = join(root, "prisma/sqlite/schema.prisma");
export const postgresSchemaPath = join(root, "prisma/postgresql/schema.prisma");

export function renderPostgresSchema(sqliteSchema) {
  const rendered = sqliteSchema
    .replace('provider = "sqlite"', 'provider = "postgresql"')
    .replace(
      'output       = "../../src/store/generated/sqlite"',
      'output       = "../../src/store/generated/postgresql"',
    )
    .replace(
      /^\/\/ The model, defined once\.[^\n]*\n\/\/[^\n]*\n/m,
      "// GENERATED from prisma/sqlite/schema.prisma by `node scripts/prisma-schemas.mjs`: edit that file, not this one.\n",
    );
  if (rendered === sqliteSchema)
    throw new Error("prisma/sqlite/schema.prisma no longer has the expected generator block");
  return rendered;
}

function generate(schema) {
  // Prisma 7's generator does not run the schema engine, but the CLI insists that one exists; on machines
  // that cannot download it, any existing file satisfies the check.
  const env = { ...process.env };
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
  const prisma = join(root, "node_modules/.bin/prisma");
  if (!existsSync(prisma)) {
    console.error(
      "closeloop: the prisma CLI is not installed (npm install without --omit=dev), cannot generate the client",
    );
    process.exit(1);
  }
  const run = spawnSync(prisma, ["generate", "--schema", schema], { env, stdio: ["ignore", "pipe", "inherit"] });
  if (run.status !== 0) {
    process.stdout.write(run.stdout);
    process.exit(run.status ?? 1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(postgresSchemaPath, renderPostgresSchema(readFileSync(sqliteSchemaPath, "utf8")));
  if (process.argv.includes("--generate")) {
    generate(sqliteSchemaPath);
    generate(postgresSchemaPath);
  }
}
