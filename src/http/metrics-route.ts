import type { IncomingMessage, ServerResponse } from "node:http";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { PROVIDERS } from "../domain/link.js";
import type { Prisma } from "../store/database.js";
import { JOB_STATES } from "../store/helpdesk-jobs.js";
import { registry } from "../metrics.js";

let processMetrics = false;

/**
 * `GET /metrics` in Prometheus' text format (README, HTTP), with prom-client: the instruments of src/metrics.ts, and stored
 * state (links, inbox, reopen jobs), which is not counted as it changes but read from the database when Prometheus
 * scrapes, with a few grouped COUNTs.
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
      const rows = await prisma.link.groupBy({ by: ["provider"], _count: { _all: true } });
      links.reset();
      for (const provider of PROVIDERS) links.set({ provider }, 0);
      for (const row of rows) links.set({ provider: row.provider }, row._count._all);
    }),
  });

  const deliveries: Gauge<"state"> = new Gauge({
    name: "closeloop_inbox_deliveries",
    help: "Webhook deliveries in the inbox: waiting (stored, not yet processed) or dead (failed too often)",
    labelNames: ["state"] as const,
    registers: [stored],
    collect: collecting("inbox deliveries", async () => {
      const [waiting, dead] = await Promise.all([
        prisma.delivery.count({ where: { deadAt: null } }),
        prisma.delivery.count({ where: { deadAt: { not: null } } }),
      ]);
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
      const rows = await prisma.reopenJob.groupBy({ by: ["provider", "state"], _count: { _all: true } });
      jobs.reset();
      for (const provider of PROVIDERS) for (const state of JOB_STATES) jobs.set({ provider, state }, 0);
      for (const row of rows) jobs.set({ provider: row.provider, state: row.state }, row._count._all);
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
