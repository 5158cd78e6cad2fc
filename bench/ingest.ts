import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { FakeGitHub } from "../test/fakes/github-server.js";
import { commentDeliveries, driveLoad, type LoadResult } from "./webhook-load.js";
import { startServer } from "./processes.js";

const SECRET = "bench-secret";
const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

export interface IngestFigures {
  engine: string;
  bare: LoadResult;
  closeloop: LoadResult;
}

/**
 * P1: webhook ingest over HTTP, closeloop against a bare Probot app with an empty handler, same machine, same
 * deliveries, same concurrency. Both talk to a fake GitHub on loopback for installation tokens and config.
 */
export async function benchIngest(root: string, buildDir: string, engine: string, databaseUrl: string, options: { events: number; warmup: number; concurrency: number }): Promise<IngestFigures> {
  const github = new FakeGitHub();
  const host = await github.start();
  const template = (examples as { name: string; examples: Record<string, any>[] }[]).find((e) => e.name === "issue_comment")!.examples.find((e) => e.action === "created")!;
  const env = { APP_ID: "4242", PRIVATE_KEY, WEBHOOK_SECRET: SECRET, GHE_HOST: host, GHE_PROTOCOL: "http" };
  const warmup = commentDeliveries(template, SECRET, options.warmup, 7);
  const measured = commentDeliveries(template, SECRET, options.events, 11);
  const measure = async (script: string, extra: Record<string, string>) => {
    const server = await startServer(script, root, { ...env, ...extra });
    try {
      await driveLoad(`${server.url}/api/github/webhooks`, warmup, options.concurrency);
      return await driveLoad(`${server.url}/api/github/webhooks`, measured, options.concurrency);
    } finally {
      await server.stop();
    }
  };
  try {
    const bare = await measure(join(buildDir, "bench/bare-app.js"), {});
    const closeloop = await measure("dist/server.js", { DATABASE_URL: databaseUrl });
    return { engine, bare, closeloop };
  } finally {
    await github.stop();
  }
}

export function sqliteUrl(): string {
  return `file:${join(mkdtempSync(join(tmpdir(), "closeloop-bench-")), "closeloop.db")}`;
}
