import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Gauge, Registry, collectDefaultMetrics } from "prom-client";
import { PROVIDERS } from "../domain/link.js";
import { countEveryKind } from "../jobs/job-kinds.js";
import { countInbox, countLinksByProvider, countReopenJobsByProvider } from "../store/counts.js";
import type { Prisma } from "../store/database.js";
import { JOB_STATES } from "../store/helpdesk-jobs.js";
import { readSweep } from "../store/sweep-schedule.js";
import { registry } from "../metrics.js";

/**
 * How long one scrape's database counts answer the scrapes after it. Prometheus scrapes every 15 s or more; a scraper
 * polling faster (or several at once) then costs one set of COUNT queries per interval, not one per request.
 */
export const COUNTS_MAX_AGE_MS = 5_000;

/**
 * How often the event loop's lag is sampled (`nodejs_eventloop_lag_*`). prom-client's default, 10 ms, is a timer that
 * wakes every process 100 times a second, idle or not, and every replica pays it (P8, #25). Side by side at a load of
 * 13, an idle process spent 17.5 ms of CPU a second at 10 ms and 10.0 at 1 s; in another run 15.5 at 10 ms and 12.0 at
 * 100 ms. A lag that matters to an operator is longer than 100 ms, and still seen.
 */
const EVENT_LOOP_SAMPLE_MS = 100;

export interface MetricsOptions {
  /** CLOSELOOP_METRICS_TOKEN: when set, a scrape must carry `Authorization: Bearer <token>`; else 401 */
  token?: string | undefined;
  /** how long database counts are reused (default COUNTS_MAX_AGE_MS; 0: read at every scrape) */
  countsMaxAgeMs?: number;
  now?: () => number;
}

/**
 * `GET /metrics` in Prometheus' text format (README, HTTP), with prom-client: the instruments of src/metrics.ts, and stored
 * state (links, inbox, every kind of job, the last sweep), which is not counted as it changes but read from the
 * database when Prometheus scrapes, with a few grouped COUNTs, reused for `countsMaxAgeMs`.
 */
export function metricsRoute(
  prisma: Prisma,
  log: { warn(object: object, message: string): void },
  options: MetricsOptions = {},
) {
  // Memory, CPU, event loop lag and the like, under their usual names (process_*, nodejs_*): registered once per
  // registry (a second route, as tests build, would register them twice), which the registry itself knows.
  if (registry.getSingleMetric("process_cpu_user_seconds_total") === undefined)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const stored = new Registry();
  const reuse = reuseFor(options.countsMaxAgeMs ?? COUNTS_MAX_AGE_MS, options.now ?? Date.now);
  const collecting =
    <T>(what: string, read: () => Promise<T>, show: (counts: T) => void) =>
    async (): Promise<void> => {
      try {
        show(await reuse(what, read));
      } catch (error) {
        log.warn({ err: error }, `metrics: cannot read ${what} from the database; left out of this scrape`);
      }
    };

  const links: Gauge<"provider"> = new Gauge({
    name: "closeloop_links",
    help: "Links stored, by helpdesk",
    labelNames: ["provider"] as const,
    registers: [stored],
    collect: collecting(
      "links",
      () => countLinksByProvider(prisma),
      (rows) => {
        links.reset();
        for (const provider of PROVIDERS) links.set({ provider }, 0);
        for (const row of rows) links.set({ provider: row.provider }, row.links);
      },
    ),
  });

  const deliveries: Gauge<"state"> = new Gauge({
    name: "closeloop_inbox_deliveries",
    help: "Webhook deliveries in the inbox: waiting (stored, not yet processed) or dead (failed too often)",
    labelNames: ["state"] as const,
    registers: [stored],
    collect: collecting(
      "inbox deliveries",
      () => countInbox(prisma),
      ({ waiting, dead }) => {
        deliveries.set({ state: "waiting" }, waiting);
        deliveries.set({ state: "dead" }, dead);
      },
    ),
  });

  const jobs: Gauge<"provider" | "state"> = new Gauge({
    name: "closeloop_reopen_jobs",
    help: "Reopen jobs, by helpdesk and state (pending, running, done, dead)",
    labelNames: ["provider", "state"] as const,
    registers: [stored],
    collect: collecting(
      "reopen jobs",
      () => countReopenJobsByProvider(prisma),
      (rows) => {
        jobs.reset();
        for (const provider of PROVIDERS) for (const state of JOB_STATES) jobs.set({ provider, state }, 0);
        for (const row of rows) for (const state of JOB_STATES) jobs.set({ provider: row.provider, state }, row[state]);
      },
    ),
  });

  const kinds: Gauge<"kind" | "state"> = new Gauge({
    name: "closeloop_jobs",
    help: "Background work of every kind (delivery, reopen, linkNote, enrichment, summary, labels, backfill, sweep), by state: pending (waiting, due or for a retry), running (held by a worker), dead (given up; closeloop retry --dead)",
    labelNames: ["kind", "state"] as const,
    registers: [stored],
    collect: collecting(
      "jobs",
      () => countEveryKind(prisma),
      (every) => {
        for (const counts of every)
          for (const state of ["pending", "running", "dead"] as const)
            kinds.set({ kind: counts.kind, state }, counts[state]);
      },
    ),
  });

  const lastSweep: Gauge = new Gauge({
    name: "closeloop_last_sweep_timestamp_seconds",
    help: "When the last decay sweep finished (UNIX seconds; 0: none has)",
    registers: [stored],
    collect: collecting(
      "the last sweep",
      () => readSweep(prisma),
      (sweep) => {
        lastSweep.set(sweep?.finishedAt ? sweep.finishedAt.getTime() / 1000 : 0);
      },
    ),
  });

  const scraped = Registry.merge([registry, stored]);
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    if ((request.method !== "GET" && request.method !== "HEAD") || request.url?.split("?", 1)[0] !== "/metrics")
      return false;
    if (options.token !== undefined && !bearerMatches(request.headers.authorization, options.token)) {
      response
        .writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="metrics"' })
        .end(
          request.method === "HEAD"
            ? undefined
            : "401: /metrics needs Authorization: Bearer <CLOSELOOP_METRICS_TOKEN>\n",
        );
      return true;
    }
    const text = await scraped.metrics();
    response
      .writeHead(200, { "content-type": scraped.contentType, "cache-control": "no-store" })
      .end(request.method === "HEAD" ? undefined : text);
    return true;
  };
}

/**
 * Each read's answer (or failure) is reused for `maxAgeMs` from when it started, and scrapes arriving while it runs
 * wait for it, so no burst of scrapes makes more than one query of a kind per interval.
 */
function reuseFor(maxAgeMs: number, now: () => number) {
  const reads = new Map<string, { startedAt: number; answer: Promise<unknown> }>();
  return <T>(what: string, read: () => Promise<T>): Promise<T> => {
    const last = reads.get(what);
    if (last !== undefined && now() - last.startedAt < maxAgeMs) return last.answer as Promise<T>;
    const answer = read();
    // The failure is reported by each scrape that awaits it; this copy only keeps it from going unhandled.
    answer.catch(() => {});
    reads.set(what, { startedAt: now(), answer });
    return answer;
  };
}

/** Compares digests of equal length with timingSafeEqual, so the time taken says nothing of the token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const scheme = "bearer ";
  const given =
    header !== undefined && header.slice(0, scheme.length).toLowerCase() === scheme
      ? header.slice(scheme.length).trim()
      : undefined;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(given ?? ""), digest(token)) && given !== undefined;
}
