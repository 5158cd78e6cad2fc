import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { limitWebhookBodies, withoutTrailingSlashes } from "../../src/http/probot-server.js";
import { BodyBudget } from "../../src/http/request-body.js";
import { stalledPost } from "../support/stalled-request.js";

const PATH = "/api/github/webhooks";
const GITHUB_HEADERS = {
  "content-type": "application/json",
  "x-github-event": "issues",
  "x-github-delivery": "d-1",
  "x-hub-signature-256": "sha256=00",
};

/** The front door before a stand-in for Probot's listener, which records the bodies it was handed. */
describe("the GitHub webhook front door", () => {
  let server: Server;
  let baseUrl: string;
  const passed: string[] = [];
  const budget = new BodyBudget(1000);

  beforeAll(async () => {
    server = createServer((request, response) => {
      passed.push((request as IncomingMessage & { body?: string }).body ?? "(not read)");
      response.writeHead(200).end("passed");
    });
    limitWebhookBodies(server, PATH, { maxBodyBytes: 600, budget, timeoutMs: 1000 }, pino({ level: "silent" }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

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
    expect(passed).toEqual([]);
    expect(budget.inUse).toBe(0);
  });

  it("holds a body's bytes against the cap while it is read: a second one that does not fit is 503 with Retry-After", async () => {
    const first = stalledPost(baseUrl, PATH, { ...GITHUB_HEADERS, "content-length": "600" }, "{");
    await vi.waitFor(() => expect(budget.inUse).toBe(600));
    const second = await stalledPost(baseUrl, PATH, { ...GITHUB_HEADERS, "content-length": "500" }).answer;
    expect([second.status, second.headers["retry-after"]]).toEqual([503, "5"]);
    // The stalled sender is cut by the timeout, and gives its bytes back.
    expect((await first.answer).status).toBe(408);
    await vi.waitFor(() => expect(budget.inUse).toBe(0));
    expect(passed).toEqual([]);
  });

  it("hands a delivery that passes to Probot's listener with its body read, and other paths untouched", async () => {
    const response = await fetch(`${baseUrl}${PATH}`, { method: "POST", headers: GITHUB_HEADERS, body: '{"a":1}' });
    expect(await response.text()).toBe("passed");
    expect((await fetch(`${baseUrl}/closeloop/`)).status).toBe(200);
    expect(passed.splice(0)).toEqual(['{"a":1}', "(not read)"]);
    await vi.waitFor(() => expect(budget.inUse).toBe(0));
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
