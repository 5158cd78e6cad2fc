import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ProviderId } from "../../src/domain/link.js";
import { parseWebhook, signWebhook, RECEIVED_AT } from "../support/helpdesk-webhooks.js";

/**
 * Each helpdesk's documented webhook bodies (test/providers/<id>/webhooks/, sources in each README) for what answers a
 * reopened customer (docs/answers.md): an agent's public reply counts, a customer's reply and a note do not, and a
 * status change to resolved/closed/archived says the conversation was closed.
 */
interface AnswerFixtures {
  agentReply: string;
  customerReply: string;
  note: string;
  closed: string;
  /** when the helpdesk says the agent replied, and when it was closed */
  repliedAt: string;
  closedAt: string;
  /** headers the helpdesk adds per event beside the signature (Help Scout names the event in one) */
  headers?: (file: string) => Record<string, string>;
}

const HELPSCOUT_EVENTS: Record<string, string> = {
  "helpscout-agent-reply.json": "convo.agent.reply.created",
  "helpscout-customer-reply.json": "convo.customer.reply.created",
  "helpscout-note-created.json": "convo.note.created",
  "helpscout-status-closed.json": "convo.status",
};

const FIXTURES: Record<ProviderId, AnswerFixtures> = {
  intercom: {
    agentReply: "intercom-admin-replied.json",
    customerReply: "intercom-user-replied.json",
    note: "intercom-admin-noted.json",
    closed: "intercom-admin-closed.json",
    repliedAt: "2026-11-23T10:00:00.000Z",
    closedAt: "2026-11-23T10:00:00.000Z",
  },
  front: {
    agentReply: "front-outbound-reply.json",
    customerReply: "front-inbound.json",
    note: "front-comment.json",
    closed: "front-archive.json",
    repliedAt: "2026-11-23T10:00:00.100Z",
    closedAt: "2026-11-23T10:00:00.123Z",
  },
  zendesk: {
    agentReply: "zendesk-agent-reply.json",
    customerReply: "zendesk-requester-reply.json",
    note: "zendesk-comment-added.json",
    closed: "zendesk-status-solved.json",
    repliedAt: "2026-11-23T09:00:00.672Z",
    closedAt: "2026-11-23T09:00:00.672Z",
  },
  helpscout: {
    agentReply: "helpscout-agent-reply.json",
    customerReply: "helpscout-customer-reply.json",
    note: "helpscout-note-created.json",
    closed: "helpscout-status-closed.json",
    repliedAt: "2026-11-23T10:00:00.000Z",
    closedAt: "2026-11-23T10:00:00.000Z",
    headers: (file) => ({ "x-helpscout-event": HELPSCOUT_EVENTS[file]! }),
  },
  // Freshdesk sends no time: the event is dated when it arrives.
  freshdesk: {
    agentReply: "freshdesk-agent-reply.json",
    customerReply: "freshdesk-customer-reply.json",
    note: "freshdesk-note.json",
    closed: "freshdesk-status-resolved.json",
    repliedAt: RECEIVED_AT.toISOString(),
    closedAt: RECEIVED_AT.toISOString(),
  },
};

function parsed(provider: ProviderId, file: string) {
  const body = readFileSync(new URL(`./${provider}/webhooks/${file}`, import.meta.url), "utf8");
  const headers = { ...signWebhook(provider, body, RECEIVED_AT), ...FIXTURES[provider].headers?.(file) };
  const result = parseWebhook(provider, body, headers);
  if (!("event" in result)) throw new Error(`${provider} ${file} was ignored: ${result.ignore}`);
  return result.event;
}

describe.each(Object.keys(FIXTURES) as ProviderId[])("%s webhooks and answers", (provider) => {
  const fixtures = FIXTURES[provider];

  it("an agent's public reply is an answer, at the time the helpdesk gives", () => {
    const event = parsed(provider, fixtures.agentReply);
    expect(event.agentReplies).toEqual([fixtures.repliedAt]);
    expect(event.closedAt).toBeUndefined();
  });

  it("the customer's reply is not", () => {
    const event = parsed(provider, fixtures.customerReply);
    expect(event.agentReplies).toBeUndefined();
    expect(event.closedAt).toBeUndefined();
  });

  it("an internal note is not", () => {
    const event = parsed(provider, fixtures.note);
    expect(event.agentReplies).toBeUndefined();
    expect(event.closedAt).toBeUndefined();
  });

  it("a status change to resolved, closed or archived closes it, with no answer", () => {
    const event = parsed(provider, fixtures.closed);
    expect(event.closedAt).toBe(fixtures.closedAt);
    expect(event.agentReplies).toBeUndefined();
  });
});
