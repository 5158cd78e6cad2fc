import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { metricsRoute } from "../../src/http/metrics-route.js";
import { JOB_KINDS } from "../../src/jobs/job-kinds.js";
import { ENGINES } from "../support/databases.js";
import { seedEveryKind } from "../support/job-kinds.js";
import { metricValue } from "../support/metrics.js";
import { useDatabase } from "../support/use-database.js";

describe.each(ENGINES)("GET /metrics: every kind of job on %s", (engine) => {
  const database = useDatabase(engine);
  let server: Server;

  beforeEach(async () => {
    const route = metricsRoute(database.prisma, pino({ level: "silent" }));
    server = createServer((request, response) => void route(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  };

  it("shows each registered kind as pending, running and dead, zero on an empty database, and no sweep yet", async () => {
    const text = await scrape();
    for (const kind of JOB_KINDS)
      for (const state of ["pending", "running", "dead"])
        expect(metricValue(text, "closeloop_jobs", { kind: kind.id, state }), `${kind.id} ${state}`).toBe(0);
    expect(metricValue(text, "closeloop_last_sweep_timestamp_seconds")).toBe(0);
  });

  it("counts each kind's rows by state, and says when the last sweep finished", async () => {
    const now = new Date();
    const seeded = await seedEveryKind(database.prisma, now);
    const text = await scrape();
    for (const kind of JOB_KINDS) {
      const expected = seeded[kind.id];
      expect(expected, `seedEveryKind stores no ${kind.id} rows`).toBeDefined();
      for (const state of ["pending", "running", "dead"] as const)
        expect(metricValue(text, "closeloop_jobs", { kind: kind.id, state }), `${kind.id} ${state}`).toBe(
          expected[state],
        );
    }
    expect(metricValue(text, "closeloop_last_sweep_timestamp_seconds")).toBe((now.getTime() - 60_000) / 1000);
  });
});
