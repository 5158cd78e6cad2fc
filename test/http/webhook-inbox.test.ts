import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Probot } from "probot";
import pino from "pino";
import { acceptIntoInbox } from "../../src/http/webhook-inbox.js";
import { handlesEvent } from "../../src/app.js";
import { inboxPayload } from "../../src/store/deliveries.js";
import { registry } from "../../src/metrics.js";
import { metricValue } from "../support/metrics.js";
import { webhookExample } from "../support/github.js";

describe("inboxPayload", () => {
  it.each([
    [
      "drops the API links at every depth",
      { url: "u", comments_url: "c", issue: { labels_url: "l", user: { avatar_url: "a", login: "x" } } },
      { url: "u", issue: { user: { login: "x" } } },
    ],
    [
      "keeps html_url, the page a person opens",
      { html_url: "h", issue: { html_url: "i", events_url: "e" } },
      { html_url: "h", issue: { html_url: "i" } },
    ],
    [
      "looks into arrays",
      { labels: [{ name: "bug", url: "u", color_url: "c" }] },
      { labels: [{ name: "bug", url: "u" }] },
    ],
    ["drops a link whose value is null", { pull_request: null, timeline_url: null }, { pull_request: null }],
    [
      "leaves text that mentions a link key alone",
      { comment: { body: '{"comments_url": "x"} see events_url' } },
      { comment: { body: '{"comments_url": "x"} see events_url' } },
    ],
    ["keeps keys that only contain _url", { _urls: 1, url_count: 2 }, { _urls: 1, url_count: 2 }],
  ])("%s", (_, payload, stored) => {
    expect(JSON.parse(inboxPayload(payload))).toEqual(stored);
  });

  it("makes a real issue_comment delivery about a third of its size, and keeps what the handlers read", () => {
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    const stored = JSON.parse(inboxPayload(payload));
    expect(inboxPayload(payload).length / JSON.stringify(payload).length).toBeLessThan(0.4);
    expect(JSON.stringify(stored)).not.toMatch(/_url"(?<!html_url")/);
    for (const path of [
      "action",
      "comment.id",
      "comment.body",
      "comment.user.type",
      "comment.updated_at",
      "issue.number",
      "issue.html_url",
      "repository.owner.login",
      "repository.name",
      "sender.type",
    ]) {
      const read = (value: any) => path.split(".").reduce((object, key) => object?.[key], value);
      expect(read(stored), path).toEqual(read(payload));
    }
  });
});

describe("acceptIntoInbox", () => {
  const SECRET = "inbox-secret";
  const sign = (body: string) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

  async function inbox() {
    const app = new Probot({ appId: 1, githubToken: "test-token", secret: SECRET, log: pino({ level: "silent" }) });
    await app.load(() => {}); // Probot makes its webhooks once initialised
    const stored: { id: string; name: string; payload: string }[] = [];
    acceptIntoInbox(app, handlesEvent, async (delivery) => void stored.push(delivery));
    const deliver = (name: string, body: string, signature = sign(body)) =>
      app.webhooks.verifyAndReceive({ id: "d-1", name: name as never, payload: body, signature });
    return { stored, deliver };
  }

  it("stores a handled delivery without GitHub's API links", async () => {
    const { stored, deliver } = await inbox();
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    await deliver("issue_comment", JSON.stringify(payload));
    expect(stored).toEqual([{ id: "d-1", name: "issue_comment", payload: inboxPayload(payload) }]);
    expect(JSON.parse(stored[0]!.payload).issue.comments_url).toBeUndefined();
    expect(JSON.parse(stored[0]!.payload).comment.body).toBe(payload.comment.body);
  });

  it.each([
    [
      "a wrong signature",
      "issue_comment",
      JSON.stringify(webhookExample("issue_comment", "created")),
      sign("other"),
      401,
    ],
    ["a body that is not JSON", "issue_comment", "{not json", undefined, 400],
  ])("answers %s with %i and stores nothing", async (_, name, body, signature, status) => {
    const { stored, deliver } = await inbox();
    await expect(deliver(name, body, signature ?? sign(body))).rejects.toMatchObject({
      errors: [expect.objectContaining({ status })],
    });
    expect(stored).toEqual([]);
  });

  it("answers an event closeloop does not handle without storing it", async () => {
    const { stored, deliver } = await inbox();
    await deliver("star", JSON.stringify(webhookExample("star", "created")));
    expect(stored).toEqual([]);
  });

  it('counts a forged or unknown event name under event="unknown", never as a series of its own', async () => {
    const { deliver } = await inbox();
    const metrics = async () => registry.metrics();
    const before =
      metricValue(await metrics(), "closeloop_webhooks_received_total", {
        event: "unknown",
        outcome: "unauthorized",
      }) ?? 0;
    const body = JSON.stringify(webhookExample("issue_comment", "created"));
    await expect(deliver("forged_event_a1", body, sign("other"))).rejects.toBeDefined();
    await deliver("forged_event_b2", body);
    const after = await metrics();
    expect(after).not.toContain("forged_event");
    expect(metricValue(after, "closeloop_webhooks_received_total", { event: "unknown", outcome: "unauthorized" })).toBe(
      before + 1,
    );
    expect(
      metricValue(after, "closeloop_webhooks_received_total", { event: "unknown", outcome: "ignored" }),
    ).toBeGreaterThanOrEqual(1);
  });
});
