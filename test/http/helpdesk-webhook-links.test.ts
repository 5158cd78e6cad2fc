import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BodyBudget } from "../../src/http/request-body.js";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { PROVIDERS } from "../../src/domain/link.js";
import { onHelpdeskDelivery, type HelpdeskEventDeps } from "../../src/handlers/helpdesk-events.js";
import { DeliveryInbox } from "../../src/http/delivery-inbox.js";
import { helpdeskWebhookRoutes } from "../../src/http/helpdesk-webhooks.js";
import { configuredWebhooks } from "../../src/providers/registry.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { openDeliveryWriter, type DeliveryWriter } from "../../src/store/delivery-writer.js";
import { listIssueLinks } from "../../src/store/links.js";
import { conformanceCases } from "../providers/conformance-cases.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { testProbot } from "../support/github.js";
import { postWebhook, signWebhook, WEBHOOK_ENV, webhookFixture } from "../support/helpdesk-webhooks.js";
import { GithubMemory } from "../../src/github/memory.js";

const REPOSITORY = { id: 1296269n, installationId: 77n, owner: "octo-org", name: "app" };

/**
 * Each helpdesk's webhook as its published examples shape it (test/providers/<id>/webhooks/): an agent's note naming
 * octo-org/app#42, signed as the helpdesk signs it, posted to /closeloop/webhooks/<provider>, stored by the inbox and
 * processed as the delivery worker does: the conversation is linked to the issue, source helpdesk.
 */
describe.each(ENGINES)("a helpdesk note naming an issue, through /closeloop/webhooks/<provider>, on %s", (engine) => {
  let database: Database;
  let writer: DeliveryWriter;
  let server: Server;
  let baseUrl: string;
  let deps: HelpdeskEventDeps;

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    writer = openDeliveryWriter(database.target, console);
    const log = pino({ level: "silent" });
    const inbox = new DeliveryInbox(writer, () => {});
    const route = helpdeskWebhookRoutes(configuredWebhooks(WEBHOOK_ENV), (delivery) => inbox.store(delivery), log, {
      budget: new BodyBudget(1 << 24),
    });
    server = createServer((request, response) => {
      void route(request, response).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const probot = testProbot();
    deps = {
      prisma: database.prisma,
      repositoryRows: database.repositoryRows,
      githubHost: "github.com",
      github: (installationId) => probot.auth(installationId),
      configs: new RepoConfigCache(database, log),
      memory: new GithubMemory(),
      log,
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await writer?.close();
    await database?.close();
  });
  beforeEach(async () => {
    deps.configs = new RepoConfigCache(database, deps.log);
    await database.prisma.delivery.deleteMany();
    await database.prisma.repository.deleteMany();
    await database.prisma.repository.create({ data: { ...REPOSITORY, fullName: "octo-org/app" } });
    await database.prisma.issue.create({
      data: { repositoryId: REPOSITORY.id, number: 42, githubId: 4242n, state: "open" },
    });
  });

  it.each(PROVIDERS)("%s: links the conversation to the issue", async (provider) => {
    const body = webhookFixture(provider);
    const response = await postWebhook(baseUrl, provider, body, signWebhook(provider, body));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "stored" });

    const stored = await database.prisma.delivery.findMany();
    expect(stored.map((delivery) => delivery.name)).toEqual([`helpdesk.${provider}`]);
    for (const delivery of stored) await onHelpdeskDelivery(deps, delivery);

    const expected = conformanceCases.get(provider)!.webhook.expected(new Date());
    const links = (await listIssueLinks(database.prisma, "octo-org/app", 42)) ?? [];
    expect(
      links.map((link) => ({
        provider: link.provider,
        url: link.url,
        source: link.source,
        carriers: link.sources.map((source) => source.kind),
      })),
    ).toEqual([{ provider, url: expected.conversationUrl, source: "helpdesk", carriers: ["helpdesk"] }]);
  });
});
