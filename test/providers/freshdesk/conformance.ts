import type { ConformanceCase } from "../conformance-cases.js";
import { startFakeFreshdesk } from "./fake-server.js";

// Freshdesk's secret must be at least 16 characters.
const env = { FRESHDESK_WEBHOOK_SECRET: "freshdesk-shared-secret-0123456789", FRESHDESK_DOMAIN: "acme" };

export const conformance: ConformanceCase = {
  start: startFakeFreshdesk,
  ref: { account: "acme", conversationId: "1207" },
  missing: { account: "acme", conversationId: "999999" },
  customerId: "9001",
  wrongCredentials: { FRESHDESK_API_KEY: "not-the-key" },
  minuteLimits: true,
  conversation: (n) => ({
    provider: "freshdesk",
    account: "acme",
    conversationId: String(1200 + n),
    url: `https://acme.freshdesk.com/a/tickets/${1200 + n}`,
  }),
  webhook: {
    env,
    fixture: "freshdesk-note.json",
    // The automation's body carries no time of its own: the event is as of its arrival.
    expected: (receivedAt) => ({
      provider: "freshdesk",
      type: "{note_type:private}",
      conversationUrl: "https://acme.freshdesk.com/a/tickets/4242",
      messages: [
        {
          text: "Engineering tracks this in https://github.com/octo-org/app/issues/42",
          at: receivedAt.toISOString(),
          byAgent: true,
        },
      ],
      team: "Billing",
      tags: ["billing", "export"],
      occurredAt: receivedAt.toISOString(),
    }),
    signsTimestamp: false,
    signsBody: false,
    sign: (_body, _at, secret = env.FRESHDESK_WEBHOOK_SECRET) => ({ "x-closeloop-webhook-secret": secret }),
  },
};
