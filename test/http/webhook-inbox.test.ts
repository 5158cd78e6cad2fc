import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { githubInbox } from "../../src/http/webhook-inbox.js";
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

  it("stores a key named __proto__ as the key it is, as JSON.stringify would", () => {
    const payload: unknown = JSON.parse('{"__proto__": {"b": 2, "a_url": "x"}, "c": [{"__proto__": null}]}');
    expect(inboxPayload(payload)).toBe('{"__proto__":{"b":2},"c":[{"__proto__":null}]}');
  });

  it("stores what JSON.stringify makes of a value with toJSON", () => {
    expect(inboxPayload({ at: new Date(Date.UTC(2026, 0, 2)), nested: { events_url: "e" } })).toBe(
      '{"at":"2026-01-02T00:00:00.000Z","nested":{}}',
    );
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

describe("githubInbox", () => {
  const SECRET = "inbox-secret";
  const sign = (body: string) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

  type Stored = { id: string; name: string; payload: string };
  function inbox(store?: (delivery: Stored) => Promise<void>) {
    const stored: Stored[] = [];
    const receive = githubInbox(SECRET, handlesEvent, store ?? (async (delivery) => void stored.push(delivery)));
    const deliver = (name: string, body: string | Buffer, signature = sign(body.toString())) =>
      receive({ id: "d-1", name, signature, body: Buffer.from(body) });
    return { stored, deliver };
  }

  it("stores a handled delivery without GitHub's API links", async () => {
    const { stored, deliver } = inbox();
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    expect(await deliver("issue_comment", JSON.stringify(payload))).toEqual({ status: 200, outcome: "stored" });
    expect(stored).toEqual([{ id: "d-1", name: "issue_comment", payload: inboxPayload(payload) }]);
    expect(JSON.parse(stored[0]!.payload).issue.comments_url).toBeUndefined();
    expect(JSON.parse(stored[0]!.payload).comment.body).toBe(payload.comment.body);
  });

  it("checks the signature on the bytes as they arrived: a body that is not valid UTF-8 is not GitHub's", async () => {
    const { stored, deliver } = inbox();
    const body = Buffer.concat([Buffer.from('{"action":"created","x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    // Signed over the text it would read as (U+FFFD in place of the byte), not over what was sent.
    expect(await deliver("issue_comment", body, sign(body.toString("utf8")))).toMatchObject({ status: 401 });
    expect(stored).toEqual([]);
  });

  const body = JSON.stringify(webhookExample("issue_comment", "created"));
  it.each([
    ["a wrong signature", body, sign("other"), 401, "signature does not match event payload and secret"],
    ["a signature of another length", body, sign(body).slice(0, -1), 401, "signature does not match"],
    ["a SHA-1 signature", body, sign(body).replace("sha256=", "sha1="), 401, "signature does not match"],
    ["no signature", body, "", 401, "signature does not match"],
    ["a body that is not JSON", "{not json", undefined, 400, "Invalid JSON"],
    ["a body that is not JSON and a wrong signature: the signature first", "{not json", sign("x"), 401, "signature"],
    ["an empty body", "", undefined, 400, "Invalid JSON"],
  ])("answers %s with %i and stores nothing", async (_, given, signature, status, error) => {
    const { stored, deliver } = inbox();
    const answer = await deliver("issue_comment", given, signature ?? sign(given));
    expect(answer).toMatchObject({ status, error: expect.stringContaining(error) });
    expect(stored).toEqual([]);
  });

  it("answers an event closeloop does not handle without storing it", async () => {
    const { stored, deliver } = inbox();
    expect(await deliver("star", JSON.stringify(webhookExample("star", "created")))).toEqual({
      status: 200,
      outcome: "ignored",
    });
    expect(stored).toEqual([]);
  });

  /** GitHub's push example on its default branch, its commits touching `files`, with `extra` over it. */
  const push = (files: string[], extra: Record<string, unknown> = {}) => {
    const payload = webhookExample<Record<string, any>>("push", undefined, 4);
    for (const commit of [payload.commits[0], payload.head_commit])
      Object.assign(commit, { added: [], modified: files, removed: [] });
    return JSON.stringify(Object.assign(payload, extra));
  };

  it.each([
    ["a push that changes no config", push(["README.md"])],
    ["a push to another branch", push([".github/closeloop.yml"], { ref: "refs/heads/feature" })],
    ["a tag", push([".github/closeloop.yml"], { ref: "refs/tags/v1" })],
    ["a deleted branch", push([".github/closeloop.yml"], { deleted: true })],
    ["a push that is not an object", "null"],
  ])("answers %s without storing it: every branch of every repository pushes", async (_, given) => {
    const { stored, deliver } = inbox();
    expect(await deliver("push", given)).toEqual({ status: 200, outcome: "ignored" });
    expect(stored).toEqual([]);
  });

  it.each([
    ["a push to the default branch that changes .github/closeloop.yml", push([".github/closeloop.yml"])],
    // Back to an older commit: GitHub lists no commits, and what the push took away may have been the config.
    ["a force-push to the default branch", push(["README.md"], { forced: true, commits: [], created: false })],
  ])("stores %s", async (_, given) => {
    const { stored, deliver } = inbox();
    expect(await deliver("push", given)).toEqual({ status: 200, outcome: "stored" });
    expect(stored.map((delivery) => delivery.name)).toEqual(["push"]);
  });

  it("passes a failed write on (the caller answers 500) and counts it", async () => {
    const failing = inbox(async () => {
      throw new Error("database is locked");
    });
    const before =
      metricValue(await registry.metrics(), "closeloop_webhooks_received_total", {
        event: "issue_comment",
        outcome: "error",
      }) ?? 0;
    await expect(failing.deliver("issue_comment", body)).rejects.toThrow("database is locked");
    expect(
      metricValue(await registry.metrics(), "closeloop_webhooks_received_total", {
        event: "issue_comment",
        outcome: "error",
      }),
    ).toBe(before + 1);
  });

  it('counts a forged or unknown event name under event="unknown", never as a series of its own', async () => {
    const { deliver } = inbox();
    const metrics = async () => registry.metrics();
    const before =
      metricValue(await metrics(), "closeloop_webhooks_received_total", {
        event: "unknown",
        outcome: "unauthorized",
      }) ?? 0;
    expect(await deliver("forged_event_a1", body, sign("other"))).toMatchObject({ status: 401 });
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
