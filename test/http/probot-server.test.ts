import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { serveWebhooks, withoutTrailingSlashes } from "../../src/http/probot-server.js";
import { BodyBudget } from "../../src/http/request-body.js";
import { DeliveryInbox } from "../../src/http/delivery-inbox.js";
import { githubInbox, type GithubDelivery, type InboxAnswer } from "../../src/http/webhook-inbox.js";
import { handlesEvent } from "../../src/app.js";
import { inboxPayload } from "../../src/store/deliveries.js";
import { openDeliveryWriter, type DeliveryWriter } from "../../src/store/delivery-writer.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { webhookExample } from "../support/github.js";
import { stalledPost } from "../support/stalled-request.js";
import { COSTLY_STEP, IngestHoldBack } from "../../src/jobs/ingest-hold-back.js";

const PATH = "/api/github/webhooks";
const GITHUB_HEADERS = {
  "content-type": "application/json",
  "x-github-event": "issues",
  "x-github-delivery": "d-1",
  "x-hub-signature-256": "sha256=00",
};

/** A log that keeps its lines, parsed. */
function keptLog() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** Starts `server` on a free loopback port; its base URL. */
async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The front door before a stand-in for Probot's listener, which records the requests it was handed. */
describe("the GitHub webhook front door", () => {
  let server: Server;
  let baseUrl: string;
  const passed: string[] = [];
  const received: GithubDelivery[] = [];
  const budget = new BodyBudget(1000);
  const { log, lines } = keptLog();
  /** what the next delivery handed to the inbox gets */
  let answer: () => Promise<InboxAnswer> = async () => ({ status: 200, outcome: "stored" });

  beforeAll(async () => {
    server = createServer((request, response) => {
      passed.push(`${request.method} ${request.url}`);
      response.writeHead(200).end("passed");
    });
    const receive = (delivery: GithubDelivery) => (received.push(delivery), answer());
    serveWebhooks(server, PATH, { maxBodyBytes: 600, budget, timeoutMs: 1000, receive }, log);
    baseUrl = await listen(server);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });
  afterEach(() => {
    passed.length = 0;
    received.length = 0;
    lines.length = 0;
    answer = async () => ({ status: 200, outcome: "stored" });
  });

  const post = (body: string, headers: Record<string, string> = GITHUB_HEADERS) =>
    fetch(`${baseUrl}${PATH}`, { method: "POST", headers, body });

  it.each([
    [
      "no X-Hub-Signature-256",
      { ...GITHUB_HEADERS, "x-hub-signature-256": undefined },
      400,
      "Required headers missing: x-hub-signature-256",
    ],
    [
      "a form-encoded body",
      { ...GITHUB_HEADERS, "content-type": "application/x-www-form-urlencoded" },
      415,
      'Must be "application/json"',
    ],
    ["no content type", { ...GITHUB_HEADERS, "content-type": undefined }, 415, 'Must be "application/json"'],
    [
      "a Content-Length over the limit",
      { ...GITHUB_HEADERS, "content-length": "601" },
      413,
      "body larger than 600 bytes",
    ],
  ])("refuses %s at once, while the client still holds the body back", async (_, given, status, error) => {
    const headers = Object.fromEntries(
      Object.entries({ "content-length": "500", ...given }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    const answer = await stalledPost(baseUrl, `${PATH}/`, headers).answer;
    expect([answer.status, answer.headers.connection]).toEqual([status, "close"]);
    expect(JSON.parse(answer.body).error).toContain(error);
    expect([passed, received]).toEqual([[], []]);
    expect(budget.inUse).toBe(0);
    expect(lines).toMatchObject([{ level: 40, msg: expect.stringContaining(`github webhook: refused (${status}): `) }]);
    expect(lines[0]!.msg).toContain(error);
  });

  it("holds a body's bytes against the cap while it is read: a second one that does not fit is 503 with Retry-After", async () => {
    const first = stalledPost(baseUrl, PATH, { ...GITHUB_HEADERS, "content-length": "600" }, "{");
    await vi.waitFor(() => expect(budget.inUse).toBe(600));
    const second = await stalledPost(baseUrl, PATH, { ...GITHUB_HEADERS, "content-length": "500" }).answer;
    expect([second.status, second.headers["retry-after"]]).toEqual([503, "5"]);
    // The stalled sender is cut by the timeout, and gives its bytes back.
    expect((await first.answer).status).toBe(408);
    await vi.waitFor(() => expect(budget.inUse).toBe(0));
    expect([passed, received]).toEqual([[], []]);
  });

  it("hands a delivery's raw bytes and headers to the inbox, and answers 200 only once the inbox says it is stored", async () => {
    let stored!: () => void;
    answer = () => new Promise((resolve) => (stored = () => resolve({ status: 200, outcome: "stored" })));
    const response = post('{"a":"é"}');
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]).toEqual({
      id: "d-1",
      name: "issues",
      signature: "sha256=00",
      body: Buffer.from('{"a":"é"}'),
    });
    // Not answered while the write is in flight.
    const early = await Promise.race([
      response.then(() => "answered"),
      new Promise((r) => setTimeout(r, 50, "waiting")),
    ]);
    expect(early).toBe("waiting");
    stored();
    const answered = await response;
    expect([answered.status, answered.headers.get("content-type"), await answered.text()]).toEqual([
      200,
      "text/plain",
      "ok\n",
    ]);
    expect(passed).toEqual([]);
    await vi.waitFor(() => expect(budget.inUse).toBe(0));
    // One line per delivery, at debug (a refused one is a warning), without its headers (the signature among them).
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      msg: expect.stringMatching(/^github webhook d-1 \(issues\): stored \(200, \d+ ms\)$/),
    });
    expect(JSON.stringify(lines)).not.toContain("sha256");
  });

  it.each([
    [401, "signature does not match event payload and secret"],
    [400, "Invalid JSON"],
  ] as const)(
    "answers the inbox's refusal %i with its error as JSON, and logs it as a warning",
    async (status, error) => {
      answer = async () => ({ status, outcome: status === 401 ? "unauthorized" : "invalid", error });
      const response = await post("{}");
      expect([response.status, await response.json()]).toEqual([status, { error }]);
      expect(lines.map((line) => [line.level, line.msg])).toEqual([
        [40, `github webhook d-1 (issues): refused (${status}): ${error}`],
      ]);
    },
  );

  it("answers 500 when the delivery could not be stored, and logs the error", async () => {
    answer = async () => {
      throw new Error("database is locked");
    };
    const response = await post("{}");
    expect([response.status, await response.json()]).toEqual([500, { error: "the delivery could not be stored" }]);
    expect(lines).toMatchObject([
      { level: 50, msg: "github webhook d-1 (issues): not stored (500)", err: { message: "database is locked" } },
    ]);
  });

  it("leaves other paths and methods to Probot's listener", async () => {
    expect(await (await fetch(`${baseUrl}/closeloop/`)).text()).toBe("passed");
    expect(await (await fetch(`${baseUrl}${PATH}`)).text()).toBe("passed");
    expect(
      await (
        await fetch(`${baseUrl}/api/github/webhooks2`, { method: "POST", headers: GITHUB_HEADERS, body: "{}" })
      ).text(),
    ).toBe("passed");
    expect(passed).toEqual(["GET /closeloop/", `GET ${PATH}`, "POST /api/github/webhooks2"]);
    expect(received).toEqual([]);
  });
});

/** The front door, the inbox's checks and its group commit on a real database, as the server puts them together. */
describe.each(ENGINES)("a GitHub delivery through the front door on %s", (engine) => {
  const SECRET = "door-secret";
  let database: Database;
  let server: Server;
  let baseUrl: string;
  let writer: DeliveryWriter;
  /** each write's deliveries, once committed */
  const committed: string[][] = [];

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    writer = openDeliveryWriter(database.target, console);
    const recording: DeliveryWriter = {
      write: async (deliveries, at) => {
        const stored = await writer.write(deliveries, at);
        committed.push(deliveries.map((delivery) => delivery.id));
        return stored;
      },
      close: async () => {},
    };
    const inbox = new DeliveryInbox(recording, () => {});
    const receive = githubInbox(SECRET, handlesEvent, (delivery) => inbox.store(delivery));
    server = createServer((_, response) => response.writeHead(404).end());
    serveWebhooks(
      server,
      PATH,
      { maxBodyBytes: 1_000_000, budget: new BodyBudget(10_000_000), receive },
      pino({ level: "silent" }),
    );
    baseUrl = await listen(server);
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    await writer.close();
    committed.length = 0;
  });

  const deliver = (
    id: string,
    body: string,
    signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`,
  ) =>
    fetch(`${baseUrl}${PATH}`, {
      method: "POST",
      headers: {
        ...GITHUB_HEADERS,
        "x-github-event": "issue_comment",
        "x-github-delivery": id,
        "x-hub-signature-256": signature,
      },
      body,
    });
  const rows = () =>
    database.prisma.delivery.findMany({ orderBy: { id: "asc" }, select: { id: true, name: true, payload: true } });

  it("answers 200 once the delivery is committed, stored without GitHub's API links", async () => {
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    const response = await deliver("g-1", JSON.stringify(payload));
    // The write had committed before the answer left.
    expect(committed).toEqual([["g-1"]]);
    expect([response.status, await response.text()]).toEqual([200, "ok\n"]);
    expect(await rows()).toEqual([{ id: "g-1", name: "issue_comment", payload: inboxPayload(payload) }]);
  });

  it.each([
    [
      "a wrong signature: 401",
      JSON.stringify(webhookExample("issue_comment", "created")),
      "sha256=" + "0".repeat(64),
      401,
    ],
    ["a body that is not JSON: 400", '{"action": "created",', undefined, 400],
  ])("answers %s, and stores nothing", async (_, body, signature, status) => {
    const id = `refused-${status}`;
    const response = await deliver(id, body, signature);
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: string }).error).toBeTruthy();
    expect(committed).toEqual([]);
    expect((await rows()).map((row) => row.id)).not.toContain(id);
  });
});

describe("a GitHub delivery whose body is still arriving", () => {
  let server: Server;
  let baseUrl: string;
  const budget = new BodyBudget(1000);
  // Nothing in these tests reaches the inbox's write: no body is read to its end.
  const inbox = new DeliveryInbox({} as DeliveryWriter, () => {});
  let stopped = false;
  // The costly steps' hold-back, with a quiet long enough that a loaded machine cannot end it between two looks.
  const costly = new IngestHoldBack({
    ...COSTLY_STEP,
    quietMs: 60_000,
    yieldMs: 1,
    ingestActive: (quietMs, requestsBegun) => inbox.receiving(quietMs, requestsBegun),
  });
  const deliveryWorker = new IngestHoldBack({
    quietMs: 60_000,
    ingestActive: (quietMs, requestsBegun) => inbox.receiving(quietMs, requestsBegun),
  });

  beforeAll(async () => {
    server = createServer((_, response) => response.writeHead(404).end());
    const receive = async (): Promise<InboxAnswer> => ({ status: 200, outcome: "stored" });
    serveWebhooks(
      server,
      PATH,
      { maxBodyBytes: 600, budget, timeoutMs: 5_000, receive, begun: () => inbox.begun() },
      log(),
    );
    baseUrl = await listen(server);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  const log = () => pino({ level: "silent" });

  it("holds a costly step back from the request's start, and not the delivery worker", async () => {
    const arriving = stalledPost(baseUrl, PATH, { ...GITHUB_HEADERS, "content-length": "500" }, '{"action":');
    await vi.waitFor(() => expect(budget.inUse).toBe(500));
    let ended = false;
    const wait = costly.wait(() => stopped).then(() => void (ended = true));
    // Unsigned yet, and not stored: the delivery worker has nothing to wait for.
    await deliveryWorker.wait();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended).toBe(false);
    stopped = true;
    await wait;
    // The sender gives up: its answer never comes.
    arriving.answer.catch(() => {});
    arriving.socket.destroy();
    await vi.waitFor(() => expect(budget.inUse).toBe(0));
  });

  it("does not hold a costly step back for a request without GitHub's delivery headers", async () => {
    const fresh = new DeliveryInbox({} as DeliveryWriter, () => {});
    const door = createServer((_, response) => response.writeHead(404).end());
    const receive = async (): Promise<InboxAnswer> => ({ status: 200, outcome: "stored" });
    serveWebhooks(door, PATH, { maxBodyBytes: 600, budget, receive, begun: () => fresh.begun() }, log());
    const url = await listen(door);
    try {
      const { "x-hub-signature-256": _, ...headers } = GITHUB_HEADERS;
      const answer = await fetch(`${url}${PATH}`, { method: "POST", headers, body: "{}" });
      expect(answer.status).toBe(400);
      expect(fresh.receiving(60_000, true)).toBe(false);
      await new IngestHoldBack({
        ...COSTLY_STEP,
        ingestActive: (quietMs, requestsBegun) => fresh.receiving(quietMs, requestsBegun),
      }).wait();
    } finally {
      await new Promise((resolve) => door.close(resolve));
    }
  });
});

describe("withoutTrailingSlashes", () => {
  it.each([
    ["/api/github/webhooks", "/api/github/webhooks"],
    ["/api/github/webhooks///", "/api/github/webhooks"],
    ["/", "/"],
    ["///", "/"],
    ["", "/"],
    [`/${"/".repeat(16_000)}x`, `/${"/".repeat(16_000)}x`],
  ])("%j → %j", (path, expected) => {
    expect(withoutTrailingSlashes(path)).toBe(expected);
  });
});
