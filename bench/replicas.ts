import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createServer, connect, type Server, type Socket } from "node:net";
import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import pg from "pg";
import { FakeGitHub } from "../test/fakes/github-server.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import { openMigratedDatabase } from "./bench-database.js";
import { cpuSeconds, postgresProcesses } from "./ingest.js";
import { startPostgres, startServer, type ServerProcess } from "./processes.js";

export interface ReplicaFigures {
  processes: number;
  deliveries: number;
  seconds: number;
  perSecond: number;
  /** deliveries each process handled (closeloop_deliveries_processed_total{outcome="done"}) */
  shares: number[];
  /** deliveries that failed at least once (retry or dead), over all processes */
  failures: number;
  /** samples of the database's sessions waiting on a lock, and all samples of non-idle sessions */
  lockWaits: number;
  activeSamples: number;
  /** packets the processes sent to the database while processing, per delivery: about its round trips */
  roundTrips: number;
  /** CPU time the closeloop processes spent per delivery (user + system), in milliseconds */
  cpuMsPerDelivery: number;
  /** the same for PostgreSQL's processes, and for the bench's own (the delaying proxy, the sampling) */
  databaseCpuMsPerDelivery: number;
  proxyCpuMsPerDelivery: number;
}

/**
 * P8: deliveries processed per second by 1 and by 3 processes sharing one PostgreSQL, reached through a proxy that
 * delays every packet by `delayMs` each way (a database on another host). On one small machine without the delay,
 * every process would only compete for the same cores; with it, what the bench shows is whether something makes the
 * processes (or one process's lanes) wait for each other. The deliveries are stored in the inbox before the processes
 * are told about them, so the figure is processing alone: capture, links, labels marked, jobs planned.
 */
export async function runP8(
  root: string,
  options: { deliveries?: number; delayMs?: number; repositories?: number } = {},
): Promise<ReplicaFigures[]> {
  const deliveries = options.deliveries ?? 300;
  const delayMs = options.delayMs ?? 1;
  const repositories = options.repositories ?? 1;
  const postgres = await startPostgres();
  const github = new FakeGitHub();
  const host = await github.start();
  const figures: ReplicaFigures[] = [];
  try {
    for (const processes of [1, 3]) {
      const direct = await postgres.newDatabaseUrl();
      await (await openMigratedDatabase(direct)).close();
      const proxy = await startDelayProxy(new URL(direct), delayMs);
      try {
        const delayed = new URL(direct);
        delayed.port = String(proxy.port);
        figures.push(
          await measure(
            root,
            processes,
            direct,
            delayed.toString(),
            host,
            commentPayloads(deliveries, repositories),
            proxy,
          ),
        );
      } finally {
        await proxy.close();
      }
    }
  } finally {
    await github.stop();
    await postgres.stop();
  }
  const [one, three] = figures as [ReplicaFigures, ReplicaFigures];
  console.log(
    `\nP8 processing across replicas: ${deliveries} stored issue_comment deliveries on distinct issues of ${repositories} repositor${repositories === 1 ? "y" : "ies"}, PostgreSQL ${delayMs} ms away each way (a delaying proxy)`,
  );
  console.log(
    "processes  deliveries/s   seconds  shares            failures  packets/delivery  app CPU ms/delivery  lock waits / active samples",
  );
  for (const figure of figures) {
    console.log(
      `${String(figure.processes).padStart(9)}  ${figure.perSecond.toFixed(1).padStart(12)}  ${figure.seconds.toFixed(2).padStart(8)}  ${figure.shares.join("/").padEnd(16)}  ${String(figure.failures).padStart(8)}  ${figure.roundTrips.toFixed(1).padStart(16)}  ${figure.cpuMsPerDelivery.toFixed(1).padStart(19)}  ${figure.lockWaits} / ${figure.activeSamples}`,
    );
  }
  const ratio = three.perSecond / one.perSecond;
  // What the machine allows: every delivery costs the app, PostgreSQL and the proxy this much CPU, all on these cores.
  // Three processes cannot go faster than the cores divided by that, whatever they share or not.
  const cores = availableParallelism();
  const perDelivery = one.cpuMsPerDelivery + one.databaseCpuMsPerDelivery + one.proxyCpuMsPerDelivery;
  const ceiling = (cores * 1000) / perDelivery;
  const projected = Math.min(3 * one.perSecond, ceiling) / one.perSecond;
  console.log(
    `P8 ceiling on ${cores} cores: ${perDelivery.toFixed(1)} ms of CPU per delivery with one process (app ${one.cpuMsPerDelivery.toFixed(1)} + PostgreSQL ${one.databaseCpuMsPerDelivery.toFixed(1)} + proxy ${one.proxyCpuMsPerDelivery.toFixed(1)}) allow at most ${ceiling.toFixed(0)} deliveries/s: 3 processes at most ${projected.toFixed(2)}× one on this machine; 2.50× needs ${((cores * 1000) / (2.5 * one.perSecond)).toFixed(1)} ms per delivery at one process's ${one.perSecond.toFixed(1)}/s`,
  );
  const third = deliveries / 3;
  const spread = Math.max(...three.shares.map((share) => Math.abs(share - third) / third));
  const once = figures.every((figure) => figure.shares.reduce((a, b) => a + b, 0) === deliveries);
  console.log(
    `P8 ratio: 3 processes ${ratio.toFixed(2)}× one (target ≥ 2.50×) ${ratio >= 2.5 ? "MET" : "MISSED"}; shares within ${(spread * 100).toFixed(0)} % of a third (target ≤ 20 %) ${spread <= 0.2 ? "MET" : "MISSED"}; each delivery processed once: ${once ? "yes" : "NO"}`,
  );
  return figures;
}

async function measure(
  root: string,
  processes: number,
  directUrl: string,
  delayedUrl: string,
  githubHost: string,
  payloads: string[],
  proxy: { sent: number },
): Promise<ReplicaFigures> {
  const env = {
    APP_ID: "4242",
    PRIVATE_KEY,
    WEBHOOK_SECRET: "bench-secret",
    GHE_HOST: githubHost,
    GHE_PROTOCOL: "http",
    DATABASE_URL: delayedUrl,
  };
  const servers: ServerProcess[] = [];
  const client = new pg.Client({ connectionString: directUrl });
  await client.connect();
  try {
    for (let i = 0; i < processes; i++) servers.push(await startServer("dist/server.js", root, env));
    // Every process polls the inbox at least once a second: all are idle and polling when the deliveries appear.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = performance.now();
    const sentBefore = proxy.sent;
    const cpuBefore = servers.map((server) => cpuMs(server.child.pid!));
    // PostgreSQL's backends for the pools open as the processes need them: each one's CPU is counted from here, or
    // from its start when it opened during the run.
    const databaseBefore = new Map((await postgresProcesses(directUrl)).map((pid) => [pid, cpuSeconds([pid]) ?? 0]));
    const benchBefore = process.cpuUsage();
    await client.query(
      `INSERT INTO "Delivery" ("id", "name", "payload", "receivedAt") SELECT 'p8-' || n, 'issue_comment', p, now() FROM unnest($1::text[]) WITH ORDINALITY AS d(p, n)`,
      [payloads],
    );
    let activeSamples = 0;
    let lockWaits = 0;
    for (;;) {
      const { rows } = await client.query<{ waiting: string; active: string; left: string }>(
        `SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock') AS waiting,
                (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle') AS active,
                (SELECT count(*) FROM "Delivery" WHERE "deadAt" IS NULL) AS left`,
      );
      lockWaits += Number(rows[0]!.waiting);
      activeSamples += Number(rows[0]!.active);
      if (Number(rows[0]!.left) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    const roundTrips = (proxy.sent - sentBefore) / payloads.length;
    const cpu = servers.reduce((sum, server, i) => sum + cpuMs(server.child.pid!) - cpuBefore[i]!, 0);
    const bench = process.cpuUsage(benchBefore);
    const databaseCpu = (await postgresProcesses(directUrl)).reduce(
      (sum, pid) => sum + (cpuSeconds([pid]) ?? 0) - (databaseBefore.get(pid) ?? 0),
      0,
    );
    const counts = await Promise.all(servers.map((server) => processedBy(server)));
    return {
      processes,
      deliveries: payloads.length,
      seconds,
      perSecond: payloads.length / seconds,
      shares: counts.map((count) => count.done),
      failures: counts.reduce((sum, count) => sum + count.failed, 0),
      lockWaits,
      activeSamples,
      roundTrips,
      cpuMsPerDelivery: cpu / payloads.length,
      databaseCpuMsPerDelivery: (databaseCpu * 1000) / payloads.length,
      proxyCpuMsPerDelivery: (bench.user + bench.system) / 1000 / payloads.length,
    };
  } finally {
    await client.end();
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** CPU time a process has used so far (Linux: utime + stime from /proc, in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** What a process says it handled, from its /metrics. */
async function processedBy(server: ServerProcess): Promise<{ done: number; failed: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const value = (outcome: string) =>
    Number(
      new RegExp(`^closeloop_deliveries_processed_total\\{outcome="${outcome}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0,
    );
  return { done: value("done"), failed: value("retry") + value("dead") };
}

/** `issue_comment.created` payloads, one per issue, each with a conversation URL, spread over `repositories`. */
export function commentPayloads(count: number, repositories: number): string[] {
  const template = (examples as { name: string; examples: Record<string, any>[] }[])
    .find((e) => e.name === "issue_comment")!
    .examples.find((e) => e.action === "created")!;
  return Array.from({ length: count }, (_, i) => {
    const payload = structuredClone(template);
    const repo = i % repositories;
    payload.installation = { id: 77, node_id: "bench" };
    payload.repository.id = 6_000_000 + repo;
    payload.repository.name = `repo-${repo}`;
    payload.repository.full_name = `bench-org/repo-${repo}`;
    payload.repository.owner.login = "bench-org";
    payload.issue.number = 1 + i;
    payload.issue.id = 8_000_000 + i;
    payload.comment.id = 2_000_000 + i;
    payload.comment.body = `Another customer: https://acme.zendesk.com/agent/tickets/${50_000 + i}`;
    return JSON.stringify(payload);
  });
}

/** A TCP proxy to `target` that holds every chunk `delayMs` before passing it on, in both directions, in order. */
async function startDelayProxy(
  target: URL,
  delayMs: number,
): Promise<{ port: number; sent: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const counts = { sent: 0 };
  const relay = (from: Socket, to: Socket, count: boolean) => {
    from.on("data", (chunk) => {
      if (count) counts.sent++;
      setTimeout(() => to.write(chunk), delayMs);
    });
    from.on("close", () => setTimeout(() => to.destroy(), delayMs));
    from.on("error", () => to.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    }
    relay(client, upstream, true);
    relay(upstream, client, false);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    get sent() {
      return counts.sent;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
