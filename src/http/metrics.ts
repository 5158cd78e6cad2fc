import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { PROVIDERS } from "../domain/link.js";
import type { Prisma } from "../store/database.js";
import { JOB_STATES } from "../store/helpdesk-jobs.js";

/**
 * `GET /metrics` in Prometheus' text format (SPEC §9), with prom-client. Instruments that count what happens live
 * in one registry of closeloop's own, never prom-client's global one, so nothing else in the process (or another
 * test) registers into it. Stored state (links, inbox, reopen jobs) is not counted as it changes: it is read from the
 * database when Prometheus scrapes, with a few grouped COUNTs.
 */
export const registry = new Registry();

export const webhooksReceived = new Counter({
  name: "closeloop_webhooks_received_total",
  help: "Webhook requests received, by event (GitHub event name, or helpdesk.<provider>) and outcome (stored: in the inbox, a replay included; ignored, unauthorized, invalid, not_configured, handshake, probe, error)",
  labelNames: ["event", "outcome"] as const,
  registers: [registry],
});

export const providerRequestDuration = new Histogram({
  name: "closeloop_provider_request_duration_seconds",
  help: "Helpdesk API calls, by provider, HTTP method and status (network: no response)",
  labelNames: ["provider", "method", "status"] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const providerRateLimited = new Counter({
  name: "closeloop_provider_rate_limited_total",
  help: "Helpdesk API calls answered 429, by provider",
  labelNames: ["provider"] as const,
  registers: [registry],
});

/** Observed by the label sweep (SPEC §6): one observation per run. */
export const sweepDuration = new Histogram({
  name: "closeloop_label_sweep_duration_seconds",
  help: "Duration of the scheduled label sweep",
  buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

/** One helpdesk API call, timed from `startedAt` (performance.now()); status undefined when no response came. */
export function observeProviderCall(provider: string, method: string, startedAt: number, status: number | undefined): void {
  providerRequestDuration.observe({ provider, method, status: status === undefined ? "network" : String(status) }, (performance.now() - startedAt) / 1000);
  if (status === 429) providerRateLimited.inc({ provider });
}

let processMetrics = false;

/** The route, reading stored state from `prisma` at each scrape. */
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
      const [waiting, dead] = await Promise.all([prisma.delivery.count({ where: { deadAt: null } }), prisma.delivery.count({ where: { deadAt: { not: null } } })]);
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
    if ((request.method !== "GET" && request.method !== "HEAD") || request.url?.split("?", 1)[0] !== "/metrics") return false;
    const text = await scraped.metrics();
    response.writeHead(200, { "content-type": scraped.contentType, "cache-control": "no-store" }).end(request.method === "HEAD" ? undefined : text);
    return true;
  };
}
