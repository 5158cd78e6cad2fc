import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import { FakeGitHub } from "../test/fakes/github-server.js";
import { GeneratedInstallation } from "../test/fakes/github-installation.js";
import { githubAppEnv } from "../test/support/process.js";
import { openDatabase } from "../src/store/database.js";
import { commentDeliveries, driveLoad, type LoadResult } from "./webhook-load.js";
import { startServer } from "./processes.js";
import { cpuSeconds, postgresProcesses } from "./ingest.js";

const SECRET = "bench-secret";

export interface BackfillBenchOptions {
  repositories: number;
  issues: number;
  comments: number;
  /** the fake GitHub's primary rate limit: calls per second per installation token */
  callsPerSecond: number;
  /** deliveries per P1 measurement, with and without the backfill running */
  events: number;
  concurrency: number;
}

/**
 * The install backfill of a big installation in the real process (`node dist/server.js`), started by the
 * `installation.created` delivery as on GitHub, against a fake GitHub that serves generated listings under a primary
 * rate limit. Prints progress, the seconds, GitHub calls by kind against the minimum (listings of 100 only), the
 * server's peak memory, and P1's ingest (signed comment deliveries over HTTP) measured while the backfill runs against
 * the same server before it.
 */
export async function runBackfillBench(
  root: string,
  buildDir: string,
  engines: { engine: string; url: () => Promise<string> }[],
  options: BackfillBenchOptions,
): Promise<void> {
  const perRepository = (n: number) => Math.max(1, Math.round(n / options.repositories));
  console.log(
    `\nBackfill: ${options.repositories.toLocaleString("en")} repositories, ${(perRepository(options.issues) * options.repositories).toLocaleString("en")} issues (every tenth a pull request), ${(perRepository(options.comments) * options.repositories).toLocaleString("en")} comments, through a fake GitHub limited to ${options.callsPerSecond} calls/s per installation (GitHub's 12,500 an hour for a big installation is 3.5); P1 ingest ${options.events} deliveries, ${options.concurrency} in flight, before and during`,
  );
  for (const { engine, url } of engines) {
    const installation = new GeneratedInstallation({
      installationId: 88,
      owner: "big-org",
      repositories: options.repositories,
      issuesPerRepository: perRepository(options.issues),
      commentsPerRepository: perRepository(options.comments),
    });
    const github = new FakeGitHub();
    github.installation = installation;
    // Windows of 10 s, so a limit of a few calls a second (GitHub's 12,500 an hour is 3.5) still comes in whole calls.
    github.rateLimit = { limit: Math.max(1, Math.round(options.callsPerSecond * 10)), windowMs: 10_000 };
    const host = await github.start();
    const databaseUrl = await url();
    const server = await startServer("dist/server.js", root, githubAppEnv(host, SECRET, databaseUrl));
    const database = await openDatabase(databaseUrl);
    try {
      const template = (examples as { name: string; examples: Record<string, any>[] }[])
        .find((e) => e.name === "issue_comment")!
        .examples.find((e) => e.action === "created")!;
      const webhooks = `${server.url}/api/github/webhooks`;
      // P1's baseline: a bare Probot app with an empty handler, the same deliveries (bench/bare-app.ts).
      const bare = await bareAppLoad(root, buildDir, githubAppEnv(host, SECRET, databaseUrl), template, options);
      await driveLoad(webhooks, commentDeliveries(template, SECRET, Math.min(300, options.events), 3), 4);
      const loadCpu = cpuSeconds([server.child.pid!]);
      const alone = await driveLoad(
        webhooks,
        commentDeliveries(template, SECRET, options.events, 5),
        options.concurrency,
      );
      // The server's CPU for a load of deliveries, taken out of the backfill's below (the load runs during it too).
      const cpuPerLoad = (cpuSeconds([server.child.pid!]) ?? 0) - (loadCpu ?? 0);

      // The backfill's seconds start on an empty inbox: not behind the measured deliveries.
      while ((await database.prisma.delivery.count({ where: { deadAt: null } })) > 0)
        await new Promise((resolve) => setTimeout(resolve, 100));
      // The server's peak before the backfill (its start and P1's loads): what the backfill adds shows above it.
      const peakBefore = peakResidentMemory(server.child.pid);
      const databasePids = databaseUrl.startsWith("postgresql") ? await postgresProcesses(databaseUrl) : [];
      const cpuBefore = { server: cpuSeconds([server.child.pid!]), database: cpuSeconds(databasePids) };
      const started = performance.now();
      await postInstallationCreated(server.url, installation);
      const status = async () => {
        const sums = await database.prisma.backfill.aggregate({
          _sum: { issues: true, comments: true, links: true },
        });
        const done = await database.prisma.backfill.count({ where: { state: { in: ["done", "failed"] } } });
        return { done, ...sums._sum };
      };
      const calls = () => github.requests.filter((request) => request.path.startsWith("/repos/big-org/")).length;
      const seconds = () => (performance.now() - started) / 1000;
      const progress = async () => {
        const now = await status();
        console.log(
          `${engine.padEnd(12)} ${seconds().toFixed(0).padStart(5)} s: ${now.done}/${options.repositories} repositories · ${now.issues ?? 0} issues · ${now.comments ?? 0} comments · ${now.links ?? 0} links · ${calls()} GitHub calls`,
        );
        return now.done === options.repositories;
      };
      // P1 again once the backfill is under way (its first page read: the delivery that asked for it waited in the
      // inbox behind the first measurement's): the same server, the same deliveries' shape.
      while (github.requests.filter((request) => /\/issues\?/.test(request.path)).length < 2)
        await new Promise((resolve) => setTimeout(resolve, 100));
      const during = await driveLoad(
        webhooks,
        commentDeliveries(template, SECRET, options.events, 9),
        options.concurrency,
      );
      const overlapped = (await status()).done < options.repositories;
      // A progress line every 10 seconds, and one at the end.
      while (!(await progress())) {
        const printed = seconds();
        while (seconds() - printed < 10 && (await status()).done < options.repositories)
          await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const took = seconds();
      const cpuAfter = { server: cpuSeconds([server.child.pid!]), database: cpuSeconds(databasePids) };
      const stored = await status();
      const failed = await database.prisma.backfill.count({ where: { state: "failed" } });
      const peakRss = peakResidentMemory(server.child.pid);
      const expected = installation.totals();
      const minimum = installation.minimumCalls();
      const byKind = countCalls(github.requests.map((request) => request.path));
      const listings = byKind.issuePages + byKind.commentPages;
      const minimumListings = minimum.issuePages + minimum.commentPages;
      const ratio = listings / minimumListings;
      console.log(
        `${engine.padEnd(12)} done in ${took.toFixed(1)} s (${failed} repositories failed): ${stored.issues} issues, ${stored.comments} comments, ${stored.links} links read; the data holds ${expected.issues}, ${expected.comments}, ${expected.links}: ${stored.issues === expected.issues && stored.comments === expected.comments && stored.links === expected.links ? "ALL READ" : "MISSING SOME"}`,
      );
      console.log(
        `${engine.padEnd(12)} GitHub calls: issue pages ${byKind.issuePages} (minimum ${minimum.issuePages}), comment pages ${byKind.commentPages} (minimum ${minimum.commentPages}), per-issue calls ${byKind.perIssue} (minimum 0), config reads ${byKind.config} (${minimum.configReads}: the repository's file, then the owner's .github), other ${byKind.other}; ${github.rateLimited} answered 403 for the rate limit and retried`,
      );
      console.log(
        `${engine.padEnd(12)} ratio: listing calls ${ratio.toFixed(2)}× the minimum (target ≤ 1.00×) ${ratio <= 1 && byKind.perIssue === 0 ? "MET" : "MISSED"}; ${(listings / took).toFixed(0)} listing calls/s; server peak RSS ${megabytes(peakRss)} (${megabytes(peakBefore)} before the backfill, its start and P1's loads)`,
      );
      const items = (stored.issues ?? 0) + (stored.comments ?? 0);
      const serverCpu =
        cpuAfter.server === null || cpuBefore.server === null ? null : cpuAfter.server - cpuBefore.server - cpuPerLoad;
      const databaseCpu =
        cpuAfter.database === null || cpuBefore.database === null || databasePids.length === 0
          ? null
          : cpuAfter.database - cpuBefore.database;
      const perItem = (cpu: number | null) => (cpu === null ? "unknown" : `${((cpu * 1e6) / items).toFixed(0)} µs`);
      console.log(
        `${engine.padEnd(12)} throughput: ${(options.repositories / took).toFixed(2)} repositories/s, ${(items / took).toFixed(0)} issues and comments/s; CPU per issue or comment read: server ${perItem(serverCpu)}${databaseCpu === null ? "" : `, PostgreSQL ${perItem(databaseCpu)}`} (the P1 load during it taken out)`,
      );
      // GitHub's primary limit for an installation: 5,000 calls an hour, up to 15,000 for a big organisation.
      const fewest = minimumListings + minimum.configReads;
      console.log(
        `${engine.padEnd(12)} at GitHub's real limit: ${fewest.toLocaleString("en")} calls at least, so ${(fewest / 15_000).toFixed(1)}–${(fewest / 5_000).toFixed(1)} hours (15,000–5,000 calls an hour); here ${(took / 3600).toFixed(2)} hours at ${options.callsPerSecond} calls/s`,
      );
      const ofBare = during.eventsPerSecond / bare.eventsPerSecond;
      const p99OfBare = during.p99Ms / bare.p99Ms;
      console.log(
        `${engine.padEnd(12)} P1 ingest: bare Probot app ${formatLoad(bare)}; closeloop without backfill ${formatLoad(alone)}; during it ${formatLoad(during)}${overlapped ? "" : " (the backfill had finished before the load did)"}`,
      );
      console.log(
        `${engine.padEnd(12)} ratio: P1 during the backfill ${ofBare.toFixed(2)}× the bare app's events/s (target ≥ 1.00×), p99 ${p99OfBare.toFixed(2)}× (target ≤ 1.50×) ${ofBare >= 1 && p99OfBare <= 1.5 ? "MET" : "MISSED"}; ${(during.eventsPerSecond / alone.eventsPerSecond).toFixed(2)}× and p99 ${(during.p99Ms / alone.p99Ms).toFixed(2)}× of closeloop without it`,
      );
    } finally {
      await database.close();
      await server.stop();
      await github.stop();
    }
  }
}

/** P1's load against a bare Probot app (bench/bare-app.ts), warmed up as closeloop is. */
async function bareAppLoad(
  root: string,
  buildDir: string,
  env: Record<string, string>,
  template: Record<string, any>,
  options: BackfillBenchOptions,
): Promise<LoadResult> {
  const bare = await startServer(join(buildDir, "bench/bare-app.js"), root, env);
  try {
    const webhooks = `${bare.url}/api/github/webhooks`;
    await driveLoad(webhooks, commentDeliveries(template, SECRET, Math.min(300, options.events), 3), 4);
    return await driveLoad(webhooks, commentDeliveries(template, SECRET, options.events, 5), options.concurrency);
  } finally {
    await bare.stop();
  }
}

function formatLoad(load: LoadResult): string {
  return `${load.eventsPerSecond.toFixed(0)} events/s, p99 ${load.p99Ms.toFixed(1)} ms, ${load.failures} failures`;
}

async function postInstallationCreated(serverUrl: string, installation: GeneratedInstallation): Promise<void> {
  const payload = structuredClone(
    (examples as { name: string; examples: Record<string, any>[] }[])
      .find((e) => e.name === "installation")!
      .examples.find((e) => e.action === "created")!,
  );
  payload.installation.id = installation.installationId;
  payload.installation.account.login = installation.owner;
  payload.repositories = installation.repositories.map((repository) => ({ ...repository, private: false }));
  const body = JSON.stringify(payload);
  const response = await fetch(`${serverUrl}/api/github/webhooks`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "installation",
      "x-github-delivery": "bench-installation-created",
      "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
    },
    body,
  });
  if (response.status !== 200) throw new Error(`installation.created answered ${response.status}`);
}

/** The fake's requests of the installation's repositories, by kind. */
function countCalls(paths: string[]) {
  const counts = { issuePages: 0, commentPages: 0, perIssue: 0, config: 0, other: 0 };
  for (const path of paths) {
    const { pathname } = new URL(path, "http://github");
    if (!pathname.startsWith("/repos/big-org/")) continue;
    if (/^\/repos\/big-org\/[^/]+\/issues$/.test(pathname)) counts.issuePages++;
    else if (/^\/repos\/big-org\/[^/]+\/issues\/comments$/.test(pathname)) counts.commentPages++;
    else if (/^\/repos\/big-org\/[^/]+\/issues\/\d+/.test(pathname)) counts.perIssue++;
    else if (/\/contents\//.test(pathname)) counts.config++;
    else counts.other++;
  }
  return counts;
}

const megabytes = (bytes: number | null) => (bytes === null ? "unknown" : `${(bytes / 1024 / 1024).toFixed(0)} MB`);

/** The process's peak resident memory (VmHWM), from /proc; null where there is none. */
function peakResidentMemory(pid: number | undefined): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}
