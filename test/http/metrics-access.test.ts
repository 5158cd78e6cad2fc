import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COUNTS_MAX_AGE_MS, metricsRoute, type MetricsOptions } from "../../src/http/metrics-route.js";
import { openDatabase, type Database, type Prisma } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { metricValue } from "../support/metrics.js";

/**
 * `/metrics` behind CLOSELOOP_METRICS_TOKEN, and its database counts reused for a few seconds so a scraper polling it
 * cannot load the database (README, HTTP).
 */

/** The Prisma client with every query method counted (`link.groupBy`, `$queryRaw`, …), as a store spy. */
function countingQueries(prisma: Prisma): { prisma: Prisma; queries: Map<string, number> } {
  const queries = new Map<string, number>();
  const count = (name: string) => queries.set(name, (queries.get(name) ?? 0) + 1);
  const spy = (target: object, path: string): object =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown;
        const name = path === "" ? String(property) : `${path}.${String(property)}`;
        if (typeof value === "function")
          return (...args: unknown[]) => {
            count(name);
            return (value as (...args: unknown[]) => unknown).apply(object, args);
          };
        if (path === "" && typeof value === "object" && value !== null) return spy(value, name);
        return value;
      },
    });
  return { prisma: spy(prisma, "") as Prisma, queries };
}

async function serve(route: ReturnType<typeof metricsRoute>): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    void route(request, response).then((handled) => handled || response.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics` };
}

describe.each(ENGINES)("/metrics on %s", (engine) => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
  });
  afterAll(async () => {
    await database?.close();
  });

  async function withRoute(
    options: MetricsOptions,
    test: (url: string, queries: Map<string, number>) => Promise<void>,
  ): Promise<void> {
    const spied = countingQueries(database.prisma);
    const { server, url } = await serve(metricsRoute(spied.prisma, pino({ level: "silent" }), options));
    try {
      await test(url, spied.queries);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }

  it("with CLOSELOOP_METRICS_TOKEN set, answers 401 without the bearer token or with a wrong one, and reads nothing", async () => {
    await withRoute({ token: "s3cret-metrics-token" }, async (url, queries) => {
      for (const authorization of [
        undefined,
        "Bearer wrong-token",
        "Bearer s3cret-metrics-token-and-more",
        "Bearer ",
        "Basic czNjcmV0LW1ldHJpY3MtdG9rZW4=",
        "s3cret-metrics-token",
      ]) {
        const response = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
        expect(response.status, String(authorization)).toBe(401);
        expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
        expect(await response.text()).not.toContain("closeloop_");
      }
      expect((await fetch(url, { method: "HEAD" })).status).toBe(401);
      expect(queries.size).toBe(0);

      for (const authorization of ["Bearer s3cret-metrics-token", "bearer s3cret-metrics-token"]) {
        const response = await fetch(url, { headers: { authorization } });
        expect(response.status).toBe(200);
        expect(metricValue(await response.text(), "closeloop_links", { provider: "zendesk" })).toBe(0);
      }
    });
  });

  it("without a token, is open as before", async () => {
    await withRoute({}, async (url) => {
      expect((await fetch(url)).status).toBe(200);
      expect((await fetch(url, { headers: { authorization: "Bearer anything" } })).status).toBe(200);
    });
  });

  it("reads the database counts at most once per interval, however often and however many scrape", async () => {
    let now = 1_000_000;
    await withRoute({ now: () => now }, async (url, queries) => {
      await fetch(url).then((response) => response.text());
      const oneSet = new Map(queries);
      expect(oneSet.get("link.groupBy")).toBe(1);

      // A scraper hammering it: ten at once, then ten in a row, all within the interval.
      await Promise.all(Array.from({ length: 10 }, () => fetch(url).then((response) => response.text())));
      for (let i = 0; i < 10; i += 1) {
        now += 100;
        await fetch(url).then((response) => response.text());
      }
      expect(queries).toEqual(oneSet);

      // The counts are those of the first read until the interval ends, then read again once.
      await database.prisma.repository.create({
        data: { id: 1n, installationId: 77n, owner: "octo-org", name: "app", fullName: "octo-org/app" },
      });
      const issue = await database.prisma.issue.create({ data: { repositoryId: 1n, number: 42, githubId: 4242n } });
      await database.prisma.link.create({
        data: {
          issueId: issue.id,
          provider: "zendesk",
          account: "acme",
          conversationId: "48213",
          url: "https://acme.zendesk.com/agent/tickets/48213",
          source: "comment",
          linkedAt: new Date(),
        },
      });
      expect(metricValue(await (await fetch(url)).text(), "closeloop_links", { provider: "zendesk" })).toBe(0);
      now += COUNTS_MAX_AGE_MS;
      expect(metricValue(await (await fetch(url)).text(), "closeloop_links", { provider: "zendesk" })).toBe(1);
      expect(queries.get("link.groupBy")).toBe(2);
      expect([...queries.values()].reduce((a, b) => a + b)).toBe(2 * [...oneSet.values()].reduce((a, b) => a + b));
    });
  });
});
