import { createHmac } from "node:crypto";
import type { ConformanceCase } from "../conformance-cases.js";
import { startFakeZendesk } from "./fake-server.js";

const env = { ZENDESK_WEBHOOK_SECRET: "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==", ZENDESK_SUBDOMAIN: "acme" };

export const conformance: ConformanceCase = {
  start: startFakeZendesk,
  ref: { account: "acme", conversationId: "4821" },
  missing: { account: "acme", conversationId: "999999" },
  customerId: "36100012",
  wrongCredentials: { ZENDESK_API_TOKEN: "not-the-token" },
  minuteLimits: false,
  conversation: (n) => ({
    provider: "zendesk",
    account: "acme",
    conversationId: String(4000 + n),
    url: `https://acme.zendesk.com/agent/tickets/${4000 + n}`,
  }),
  webhook: {
    env,
    fixture: "zendesk-comment-added.json",
    expected: () => ({
      provider: "zendesk",
      eventId: "6f1d2e3a-0b4c-4d5e-8f90-a1b2c3d4e5f6",
      type: "zen:event-type:ticket.comment_added",
      conversationUrl: "https://acme.zendesk.com/agent/tickets/48213",
      messages: [
        {
          text: "Internal: see https://github.com/octo-org/app/issues/42",
          at: "2026-11-23T09:00:00.672Z",
          byAgent: true,
        },
      ],
      tags: ["billing", "export"],
      occurredAt: "2026-11-23T09:00:00.672Z",
    }),
    signsTimestamp: true,
    signsBody: true,
    sign: (body, at, secret = env.ZENDESK_WEBHOOK_SECRET) => {
      const timestamp = at.toISOString().replace(/\.\d{3}Z$/, "Z");
      return {
        "x-zendesk-webhook-signature-timestamp": timestamp,
        "x-zendesk-webhook-signature": createHmac("sha256", secret).update(timestamp).update(body).digest("base64"),
      };
    },
  },
};
