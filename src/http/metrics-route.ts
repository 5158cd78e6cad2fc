import type { IncomingMessage, ServerResponse } from "node:http";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { PROVIDERS } from "../domain/link.js";
import { countEveryKind } from "../jobs/job-kinds.js";
import { countInbox, countLinksByProvider, countReopenJobsByProvider } from "../store/counts.js";
import type { Prisma } from "../store/database.js";
import { JOB_STATES } from "../store/helpdesk-jobs.js";
import { readSweep } from "../store/sweep-schedule.js";
import { registry } from "../metrics.js";

let processMetrics = false;

/**
 * `GET /metrics` in Prometheus' text format (README, HTTP), with prom-client: the instruments of src/metrics.ts, and stored
 * state (links, inbox, every kind of job, the last sweep), which is not counted as it changes but read from the
 * database when Prometheus scrapes, with a few grouped COUNTs.
 */
export function metricsRoute(prisma: Prisma, log: { warn(object: object, message: string): void }) {
  if (!processMetrics) {
    // Memory, CPU, event loop lag and the like, under their usual names (process_*, nodejs_*).
    collectDefaultMetrics({ register: registry });
    processMetrics = true;
  }
  const stored = new Registry();
  const collecting = (what: string, read: () => Promise<void>) => async () => {
    try {
      await read();
    } catch (error) {
      log.warn({ err: error }, `metrics: cannot read ${what} from the database; left out of this scrape`);
    }
  };

  const links: Gauge<"provider"> = new Gauge({
    name: "closeloop_links",
    help: "Links stored, by helpdesk",
    labelNames: ["provider"] as const,
    registers: [stored],
    collect: collecting("links", async () => {
      const rows = await countLinksByProvider(prisma);
      links.reset();
      for (const provider of PROVIDERS) links.set({ provider }, 0);
      for (const row of rows) links.set({ provider: row.provider }, row.links);
    }),
  });

  const deliveries: Gauge<"state"> = new Gauge({
    name: "closeloop_inbox_deliveries",
    help: "Webhook deliveries in the inbox: waiting (stored, not yet processed) or dead (failed too often)",
    labelNames: ["state"] as const,
    registers: [stored],
    collect: collecting("inbox deliveries", async () => {
      const { waiting, dead } = await countInbox(prisma);
      deliveries.set({ state: "waiting" }, waiting);
      deliveries.set({ state: "dead" }, dead);
    }),
  });

  const jobs: Gauge<"provider" | "state"> = new Gauge({
    name: "closeloop_reopen_jobs",
    help: "Reopen jobs, by helpdesk and state (pending, running, done, dead)",
    labelNames: ["provider", "state"] as const,
    registers: [stored],
    collect: collecting("reopen jobs", async () => {
      const rows = await countReopenJobsByProvider(prisma);
      jobs.reset();
      for (const provider of PROVIDERS) for (const state of JOB_STATES) jobs.set({ provider, state }, 0);
      for (const row of rows) for (const state of JOB_STATES) jobs.set({ provider: row.provider, state }, row[state]);
    }),
  });

  const kinds: Gauge<"kind" | "state"> = new Gauge({
    name: "closeloop_jobs",
    help: "Background work of every kind (delivery, reopen, linkNote, enrichment, summary, labels, backfill, sweep), by state: pending (waiting, due or for a retry), running (held by a worker), dead (given up; closeloop retry --dead)",
    labelNames: ["kind", "state"] as const,
    registers: [stored],
    collect: collecting("jobs", async () => {
      for (const counts of await countEveryKind(prisma))
        for (const state of ["pending", "running", "dead"] as const)
          kinds.set({ kind: counts.kind, state }, counts[state]);
    }),
  });

  const lastSweep: Gauge = new Gauge({
    name: "closeloop_last_sweep_timestamp_seconds",
    help: "When the last decay sweep finished (UNIX seconds; 0: none has)",
    registers: [stored],
    collect: collecting("the last sweep", async () => {
      const sweep = await readSweep(prisma);
      lastSweep.set(sweep?.finishedAt ? sweep.finishedAt.getTime() / 1000 : 0);
    }),
  });

  const scraped = Registry.merge([registry, stored]);
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if ((request.method !== "GET" && request.method !== "HEAD") || request.url?.split("?", 1)[0] !== "/metrics")
      return false;
    const text = await scraped.metrics();
    response
      .writeHead(200, { "content-type": scraped.contentType, "cache-control": "no-store" })
      .end(request.method === "HEAD" ? undefined : text);
    return true;
  };
}
