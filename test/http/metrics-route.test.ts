import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BodyBudget } from "../../src/http/request-body.js";
import { onHelpdeskDelivery } from "../../src/handlers/helpdesk-events.js";
import { helpdeskWebhookRoutes } from "../../src/http/helpdesk-webhooks.js";
import { configuredWebhooks } from "../../src/providers/registry.js";
import { metricsRoute } from "../../src/http/metrics-route.js";
import { providers } from "../../src/providers/registry.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { DeliveryInbox } from "../../src/http/delivery-inbox.js";
import { CLAIMED_DELIVERY, DELIVERIES, storedDelivery } from "../../src/store/deliveries.js";
import { claimLeases, deleteLeased } from "../../src/store/lease.js";
import { openDeliveryWriter, type DeliveryWriter } from "../../src/store/delivery-writer.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { testProbot } from "../support/github.js";
import { postWebhook, signWebhook, WEBHOOK_ENV, webhookFixture } from "../support/helpdesk-webhooks.js";
import { metricValue } from "../support/metrics.js";
import { GithubMemory } from "../../src/github/memory.js";

type Route = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

async function serve(...routes: Route[]): Promise<{ server: Server; baseUrl: string }> {
  const server = createServer((request, response) => {
    void (async () => {
      for (const route of routes) if (await route(request, response)) return;
      response.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe.each(ENGINES)("GET /metrics on %s", (engine) => {
  let database: Database;
  let writer: DeliveryWriter;
  let server: Server;
  let baseUrl: string;
  const log = pino({ level: "silent" });

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    writer = openDeliveryWriter(database.target, console);
    const inbox = new DeliveryInbox(writer, () => {});
    ({ server, baseUrl } = await serve(
      metricsRoute(database.prisma, log, { countsMaxAgeMs: 0 }),
      helpdeskWebhookRoutes(configuredWebhooks(WEBHOOK_ENV), (delivery) => inbox.store(delivery), log, {
        budget: new BodyBudget(1 << 24),
      }),
    ));
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await writer?.close();
    await database?.close();
  });

  const scrape = async () => {
    const response = await fetch(`${baseUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };

  it("exposes every closeloop metric, stored state as zeros on an empty database, and the process's own", async () => {
    const text = await scrape();
    for (const name of [
      "closeloop_webhooks_received_total",
      "closeloop_links",
      "closeloop_inbox_deliveries",
      "closeloop_reopen_jobs",
      "closeloop_provider_request_duration_seconds",
      "closeloop_provider_rate_limited_total",
      "closeloop_label_sweep_duration_seconds",
      "closeloop_refusals_total",
      "process_resident_memory_bytes",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(metricValue(text, "closeloop_links", { provider: "zendesk" })).toBe(0);
    expect(metricValue(text, "closeloop_inbox_deliveries", { state: "waiting" })).toBe(0);
    expect(metricValue(text, "closeloop_inbox_deliveries", { state: "dead" })).toBe(0);
    expect(metricValue(text, "closeloop_reopen_jobs", { provider: "freshdesk", state: "dead" })).toBe(0);
  });

  it("counts a helpdesk delivery as it arrives, then the inbox and the links as they change", async () => {
    const before = await scrape();
    const stored = (text: string) =>
      metricValue(text, "closeloop_webhooks_received_total", { event: "helpdesk.zendesk", outcome: "stored" }) ?? 0;
    const refused = (text: string) =>
      metricValue(text, "closeloop_webhooks_received_total", { event: "helpdesk.zendesk", outcome: "unauthorized" }) ??
      0;

    await database.prisma.repository.create({
      data: { id: 1n, installationId: 77n, owner: "octo-org", name: "app", fullName: "octo-org/app" },
    });
    await database.prisma.issue.create({ data: { repositoryId: 1n, number: 42, githubId: 4242n } });
    const body = webhookFixture("zendesk");
    expect((await postWebhook(baseUrl, "zendesk", body, signWebhook("zendesk", body))).status).toBe(200);
    expect((await postWebhook(baseUrl, "zendesk", body, {})).status).toBe(401);

    const arrived = await scrape();
    expect(stored(arrived) - stored(before)).toBe(1);
    expect(refused(arrived) - refused(before)).toBe(1);
    expect(metricValue(arrived, "closeloop_inbox_deliveries", { state: "waiting" })).toBe(1);
    expect(metricValue(arrived, "closeloop_links", { provider: "zendesk" })).toBe(0);

    // What the DeliveryWorker does with it: the link is stored (its labels are the markings job's, later).
    const probot = testProbot();
    const claimed = await claimLeases<Parameters<typeof storedDelivery>[0]>(
      database.prisma,
      database.engine,
      DELIVERIES,
      { owner: "test", leaseMs: 10_000, limit: 10, returning: CLAIMED_DELIVERY },
    );
    for (const delivery of claimed.map(storedDelivery)) {
      await onHelpdeskDelivery(
        {
          prisma: database.prisma,
          repositoryRows: database.repositoryRows,
          githubHost: "github.com",
          github: (id) => probot.auth(id),
          configs: new RepoConfigCache(database, log),
          memory: new GithubMemory(),
          log,
        },
        delivery,
      );
      await deleteLeased(database.prisma, DELIVERIES, "test", delivery.id);
    }
    const linked = await scrape();
    expect(metricValue(linked, "closeloop_inbox_deliveries", { state: "waiting" })).toBe(0);
    expect(metricValue(linked, "closeloop_links", { provider: "zendesk" })).toBe(1);
  });

  it("times helpdesk API calls and counts their 429s", async () => {
    const helpdesk = await serve(async (_request, response) => {
      response.writeHead(429, { "retry-after": "1", "content-type": "application/json" }).end("{}");
      return true;
    });
    try {
      const zendesk = providers.get("zendesk")!;
      const client = zendesk.createClient(
        zendesk.configure({
          ZENDESK_SUBDOMAIN: "acme",
          ZENDESK_EMAIL: "a@acme.com",
          ZENDESK_API_TOKEN: "t",
          ZENDESK_API_URL: helpdesk.baseUrl,
        }),
      );
      const before = await scrape();
      await expect(client.reopen({ account: "acme", conversationId: "1" })).rejects.toMatchObject({ status: 429 });
      const after = await scrape();
      const count = (text: string) =>
        metricValue(text, "closeloop_provider_request_duration_seconds_count", {
          provider: "zendesk",
          method: "PUT",
          status: "429",
        }) ?? 0;
      expect(count(after) - count(before)).toBe(1);
      expect(
        (metricValue(after, "closeloop_provider_rate_limited_total", { provider: "zendesk" }) ?? 0) -
          (metricValue(before, "closeloop_provider_rate_limited_total", { provider: "zendesk" }) ?? 0),
      ).toBe(1);
    } finally {
      await new Promise((resolve) => helpdesk.server.close(resolve));
    }
  });
});
