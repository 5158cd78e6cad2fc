import perfHooks from "node:perf_hooks";
import { describe, expect, it, vi } from "vitest";
import { metricsRoute } from "../../src/http/metrics-route.js";
import type { Prisma } from "../../src/store/database.js";
import { registry } from "../../src/metrics.js";

/**
 * P8 (#25): `/metrics`' event-loop lag is sampled by a timer in every process, idle or not. At prom-client's default
 * (10 ms) it woke each replica 100 times a second; this file runs alone in its process, so the route here is the first
 * to register the default metrics.
 */
describe("the event loop's lag behind /metrics", () => {
  it("is sampled every 100 ms, not every 10 ms", async () => {
    const monitor = vi.spyOn(perfHooks, "monitorEventLoopDelay");
    metricsRoute({} as Prisma, { warn: () => {} });
    expect(monitor).toHaveBeenCalledTimes(1);
    expect(monitor.mock.calls[0]![0]).toEqual({ resolution: 100 });
    expect(await registry.getSingleMetricAsString("nodejs_eventloop_lag_p99_seconds")).toContain(
      "nodejs_eventloop_lag_p99_seconds",
    );
  });
});
