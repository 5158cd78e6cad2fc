import { freePort } from "./ports.js";
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A throwaway GitHub App key, so the real process signs its JWTs as it would in production. */
export const TEST_PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();

/** The environment the real process needs to be a GitHub App against a fake GitHub on loopback (`GHE_HOST`). */
export function githubAppEnv(githubHost: string, webhookSecret: string, databaseUrl: string): Record<string, string> {
  return {
    APP_ID: "4242",
    PRIVATE_KEY: TEST_PRIVATE_KEY,
    WEBHOOK_SECRET: webhookSecret,
    GHE_HOST: githubHost,
    GHE_PROTOCOL: "http",
    DATABASE_URL: databaseUrl,
  };
}

/**
 * `npm start` as the README's first command, in `cwd` (the checkout), in a process group of its own (npm, its shell,
 * the server) so that a signal to `-pid` reaches all of it, listening on 127.0.0.1:`port`, logging JSON, with `env`
 * (the app's settings) and nothing else of this process's environment but PATH, HOME and the run's TMPDIR.
 */
export function spawnNpmStart(port: number, env: Record<string, string>, cwd = ROOT): ChildProcess {
  return spawn("npm", ["start"], {
    cwd,
    detached: true,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      TMPDIR: tmpdir(),
      LOG_FORMAT: "json",
      HOST: "127.0.0.1",
      PORT: String(port),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Posts a GitHub webhook delivery to the running app, signed with `secret`; `headers` override any of GitHub's. */
export function postGithubWebhook(
  app: { baseUrl: string },
  secret: string,
  event: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${app.baseUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-github-delivery": crypto.randomUUID(),
      "x-hub-signature-256": sign(secret, body),
      ...headers,
    },
    body,
  });
}

export interface RunningApp {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `node dist/server.js` as `npm start` does (after its build), and waits until it listens. `args` are node's
 * arguments when a test runs another documented command line (the compose file's).
 */
export async function startApp(
  env: Record<string, string>,
  args = ["dist/server.js"],
  options: { cwd?: string; production?: boolean; command?: string } = {},
): Promise<RunningApp> {
  // The port was free when picked, but another test's server may take it before the app listens: pick again then.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAppOnce(env, args, options);
    } catch (error) {
      if (attempt === 3 || !(error instanceof Error) || !error.message.includes("EADDRINUSE")) throw error;
    }
  }
}

async function startAppOnce(
  env: Record<string, string>,
  args: string[],
  options: { cwd?: string; production?: boolean; command?: string },
): Promise<RunningApp> {
  // Probot reads PORT=0 as "use 3000", so the test picks a free port itself.
  const port = await freePort();
  // `command`: another program than node (`npm` for `npm start`), run in a process group of its own so that `stop`
  // interrupts all of it, as Ctrl-C in a terminal does.
  const group = options.command !== undefined;
  const child = spawn(options.command ?? process.execPath, args, {
    // `cwd`: the folder it runs in (its .env and default database); production: false leaves NODE_ENV unset.
    cwd: options.cwd ?? ROOT,
    detached: group,
    env: {
      PATH: process.env.PATH ?? "",
      // The run's temp folder (test/global-setup.ts), so what the process leaves there goes with the run.
      TMPDIR: tmpdir(),
      ...(options.production !== false && { NODE_ENV: "production" }),
      LOG_FORMAT: "json",
      PORT: String(port),
      HOST: "127.0.0.1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    // A start on a loaded machine (two test files on two cores, a bench beside) is slow but busy: fail only when the
    // process has used no CPU for 20 s (waiting on nothing it will get), not on a fixed total.
    let cpu = cpuTicks(child.pid);
    let movedAt = Date.now();
    const poll = setInterval(() => {
      const listening = /Listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (listening) {
        clearInterval(poll);
        resolve(`http://127.0.0.1:${listening[1]}`);
        return;
      }
      const now = cpuTicks(child.pid);
      if (now !== undefined && cpu !== undefined && now > cpu) [cpu, movedAt] = [now, Date.now()];
      if (Date.now() - movedAt > 20_000) {
        clearInterval(poll);
        reject(new Error(`app did not start: no CPU used for 20s:\n${output}`));
      }
    }, 20);
    child.once("exit", (code) => {
      clearInterval(poll);
      reject(new Error(`app exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    baseUrl,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        // A process that a signal ended has no exit code, only its signal.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        if (group) process.kill(-child.pid!, "SIGINT");
        else child.kill("SIGTERM");
      }),
  };
}

/** Runs `bin/closeloop.js` as the `closeloop` command (its `bin`) does. */
export function runCliProcess(
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, "bin/closeloop.js"), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", TMPDIR: tmpdir(), ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The CPU time (user + system, in clock ticks) process `pid` has used, from /proc on Linux; undefined elsewhere, where
 * a start then has 20 s in all.
 */
function cpuTicks(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may hold spaces, hence from the last ")"): utime and stime are 14th and 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}
