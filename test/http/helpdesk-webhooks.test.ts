import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { BodyBudget } from "../../src/http/request-body.js";
import { PROVIDERS } from "../../src/domain/link.js";
import { helpdeskWebhookRoutes } from "../../src/http/helpdesk-webhooks.js";
import { configuredWebhooks } from "../../src/providers/registry.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { DeliveryInbox } from "../../src/http/delivery-inbox.js";
import { openDeliveryWriter, type DeliveryWriter } from "../../src/store/delivery-writer.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { stalledPost } from "../support/stalled-request.js";
import { postWebhook, signsTimestamp, signWebhook, WEBHOOK_ENV, webhookFixture } from "../support/helpdesk-webhooks.js";

/** The route on a loopback server, storing into the real inbox of a fresh database (no worker: rows stay to be counted). */
describe.each(ENGINES)("helpdesk webhook route on %s", (engine) => {
  let database: Database;
  let writer: DeliveryWriter;
  let server: Server;
  let baseUrl: string;
  let failWrites = false;
  // Room for one body of 1 MiB and a bit: a second one at once does not fit.
  const budget = new BodyBudget(1536 * 1024);

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    writer = openDeliveryWriter(database.target, console);
    const inbox = new DeliveryInbox(writer, () => {});
    const route = helpdeskWebhookRoutes(
      // Intercom is left unconfigured here, to see the 404.
      configuredWebhooks({ ...WEBHOOK_ENV, INTERCOM_WEBHOOK_SECRET: "" }),
      (delivery) => (failWrites ? Promise.reject(new Error("disk full")) : inbox.store(delivery)),
      pino({ level: "silent" }),
      { budget, timeoutMs: 1000 },
    );
    server = createServer((request, response) => {
      void route(request, response).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await writer?.close();
    await database?.close();
  });
  beforeEach(async () => {
    failWrites = false;
    await database.prisma.delivery.deleteMany();
  });

  const stored = () => database.prisma.delivery.findMany({ orderBy: { receivedAt: "asc" } });
  const configured = PROVIDERS.filter((provider) => provider !== "intercom");

  describe.each(configured)("%s", (provider) => {
    const body = webhookFixture(provider);

    it("stores a signed delivery once, however often it is replayed", async () => {
      const headers = signWebhook(provider, body);
      const first = await postWebhook(baseUrl, provider, body, headers);
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ status: "stored" });
      const replays = await Promise.all([1, 2, 3].map(() => postWebhook(baseUrl, provider, body, headers)));
      expect(replays.map((response) => response.status)).toEqual([200, 200, 200]);

      const rows = await stored();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.name).toBe(`helpdesk.${provider}`);
      expect(rows[0]!.id).toMatch(new RegExp(`^helpdesk\\.${provider}:.+`));
      expect(JSON.parse(rows[0]!.payload)).toMatchObject({
        provider,
        messages: expect.arrayContaining([
          { text: expect.stringContaining("https://github.com/"), at: expect.any(String), byAgent: true },
        ]),
      });
    });

    it("answers 401 to a tampered body, a wrong secret or no signature, and stores nothing", async () => {
      const headers = signWebhook(provider, body);
      const tampered = body.replace("issues/42", "issues/43");
      const responses = await Promise.all([
        postWebhook(
          baseUrl,
          provider,
          tampered,
          provider === "freshdesk" ? { "x-closeloop-webhook-secret": "guessed-secret-0123456789" } : headers,
        ),
        postWebhook(baseUrl, provider, body, signWebhook(provider, body, new Date(), "not-the-secret-0123456789")),
        postWebhook(baseUrl, provider, body, {}),
      ]);
      expect(responses.map((response) => response.status)).toEqual([401, 401, 401]);
      expect((await responses[0]!.json()) as { error: string }).toEqual({
        error: expect.stringMatching(/^signature check failed: /),
      });
      expect(await stored()).toEqual([]);
    });

    it("answers 400 to a signed body that is not JSON", async () => {
      const notJson = "{not json";
      const response = await postWebhook(baseUrl, provider, notJson, signWebhook(provider, notJson));
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: "body is not JSON" });
      expect(await stored()).toEqual([]);
    });

    it("answers 200 without storing an event it has no use for", async () => {
      const other = JSON.stringify({ unrelated: true });
      const response = await postWebhook(baseUrl, provider, other, signWebhook(provider, other));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ status: "ignored" });
      expect(await stored()).toEqual([]);
    });

    it("answers 500 when the delivery cannot be stored, so the helpdesk retries", async () => {
      failWrites = true;
      const response = await postWebhook(baseUrl, provider, body, signWebhook(provider, body));
      expect(response.status).toBe(500);
    });
  });

  it.each(configured.filter(signsTimestamp))(
    "%s: answers 401 to a signature made more than 5 minutes ago (a captured request replayed later)",
    async (provider) => {
      const body = webhookFixture(provider);
      const old = signWebhook(provider, body, new Date(Date.now() - 6 * 60_000));
      const response = await postWebhook(baseUrl, provider, body, old);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: expect.stringContaining("more than 5 minutes") });
      expect(await stored()).toEqual([]);
    },
  );

  it("answers 404 for a helpdesk without a webhook secret, without naming the variable, and for an unknown helpdesk", async () => {
    const body = webhookFixture("intercom");
    const unconfigured = await postWebhook(baseUrl, "intercom", body, signWebhook("intercom", body));
    expect(unconfigured.status).toBe(404);
    expect(await unconfigured.json()).toEqual({ error: "intercom webhooks are not configured" });
    const unknown = await postWebhook(baseUrl, "olark", "{}", {});
    expect(unknown.status).toBe(404);
    expect(await stored()).toEqual([]);
  });

  it("answers Front's challenge when the webhook is saved, without storing it", async () => {
    const body = JSON.stringify({ type: "sync", authorization: { id: "cmp_abc" } });
    const response = await postWebhook(baseUrl, "front", body, {
      ...signWebhook("front", body),
      "x-front-challenge": "c8a1f0",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ challenge: "c8a1f0" });
    const unsigned = await postWebhook(baseUrl, "front", body, { "x-front-challenge": "c8a1f0" });
    expect(unsigned.status).toBe(401);
    expect(await stored()).toEqual([]);
  });

  it("answers a HEAD probe (Intercom checks a new endpoint URL so), refuses GET, and refuses a body over 1 MiB", async () => {
    expect((await fetch(`${baseUrl}/closeloop/webhooks/zendesk`, { method: "HEAD" })).status).toBe(200);
    expect((await fetch(`${baseUrl}/closeloop/webhooks/zendesk`)).status).toBe(405);
    const huge = JSON.stringify({ padding: "x".repeat(1024 * 1024) });
    const response = await postWebhook(baseUrl, "zendesk", huge, signWebhook("zendesk", huge));
    expect(response.status).toBe(413);
    expect(await stored()).toEqual([]);
  });

  describe("refuses before reading the body", () => {
    const path = "/closeloop/webhooks/zendesk";
    const signed = signWebhook("zendesk", "{}");

    it.each([
      [
        "no signature header",
        { "content-type": "application/json", "content-length": "100" },
        401,
        "no x-zendesk-webhook-signature header",
      ],
      [
        "a content type that is not JSON",
        { ...signed, "content-type": "text/plain", "content-length": "100" },
        415,
        'Must be "application/json"',
      ],
      [
        "a Content-Length over 1 MiB",
        { ...signed, "content-type": "application/json", "content-length": String(1024 * 1024 + 1) },
        413,
        "body larger than 1048576 bytes",
      ],
    ])("%s: answered while the client still holds the body back", async (_, headers, status, error) => {
      const { answer } = stalledPost(baseUrl, path, headers);
      const got = await answer;
      expect(got.status).toBe(status);
      expect(got.headers.connection).toBe("close");
      expect(JSON.parse(got.body).error).toContain(error);
      expect(budget.inUse).toBe(0);
      expect(await stored()).toEqual([]);
    });

    it("answers 503 with Retry-After while the bytes being read at once would pass the cap, and takes requests again after", async () => {
      const headers = { ...signed, "content-type": "application/json", "content-length": String(1024 * 1024) };
      const first = stalledPost(baseUrl, path, headers, "{");
      await vi.waitFor(() => expect(budget.inUse).toBe(1024 * 1024));
      const second = await stalledPost(baseUrl, path, headers).answer;
      expect([second.status, second.headers["retry-after"]]).toEqual([503, "5"]);
      expect(JSON.parse(second.body)).toEqual({ error: "too many webhook bodies being read at once; retry later" });
      // The first sender stalls: cut by the timeout (408), its share of the budget is given back.
      expect((await first.answer).status).toBe(408);
      await vi.waitFor(() => expect(budget.inUse).toBe(0));
      const body = webhookFixture("zendesk");
      expect((await postWebhook(baseUrl, "zendesk", body, signWebhook("zendesk", body))).status).toBe(200);
    });
  });
});
