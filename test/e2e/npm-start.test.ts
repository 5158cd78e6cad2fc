import type { ChildProcess } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { FakeGitHub } from "../fakes/github-server.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { freePort } from "../support/ports.js";
import { githubAppEnv, spawnNpmStart } from "../support/process.js";
import { waitFor } from "../support/wait.js";

interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
}

/** `npm start` in the checkout, as the README says, in a process group of its own (npm, its shell, the server). */
async function npmStart(github: string): Promise<Started> {
  const port = await freePort();
  const child = spawnNpmStart(port, githubAppEnv(github, "npm-start-secret", await freshDatabaseUrl("sqlite")));
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  return { child, port, output: () => output };
}

async function healthy(started: Started): Promise<boolean> {
  if (started.child.exitCode !== null) throw new Error(`npm start exited:\n${started.output()}`);
  try {
    return (await fetch(`http://127.0.0.1:${started.port}/healthz`)).ok;
  } catch {
    return false;
  }
}

describe("npm start on a built tree (as after npm install)", () => {
  const github = new FakeGitHub();
  const started: Started[] = [];
  afterAll(async () => {
    for (const { child } of started) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    }
    await github.stop();
  });

  it("starts the built server without building it again, and two starts at once both come up", async () => {
    const host = await github.start();
    started.push(...(await Promise.all([npmStart(host), npmStart(host)])));
    for (const start of started) await waitFor(() => healthy(start), 25_000, `npm start on port ${start.port}`);
    for (const start of started) {
      expect(start.output()).not.toContain("building first");
      expect(start.output()).not.toContain("prisma");
      expect(start.output()).not.toContain("ENOENT");
    }
  });
});
