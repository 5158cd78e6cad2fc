import { createHmac } from "node:crypto";
import type { ConformanceCase } from "../conformance-cases.js";
import { startFakeIntercom } from "./fake-server.js";

const env = { INTERCOM_WEBHOOK_SECRET: "intercom-client-secret" };

export const conformance: ConformanceCase = {
  start: startFakeIntercom,
  ref: { account: "abc123", conversationId: "215471" },
  missing: { account: "abc123", conversationId: "999999" },
  customerId: "6630a1f0e0c14d0007c1b2a3",
  wrongCredentials: { INTERCOM_ACCESS_TOKEN: "not-the-token" },
  minuteLimits: false,
  conversation: (n) => ({
    provider: "intercom",
    account: "abc123",
    conversationId: String(215_000 + n),
    url: `https://app.intercom.com/a/inbox/abc123/inbox/conversation/${215_000 + n}`,
  }),
  webhook: {
    env,
    fixture: "intercom-admin-noted.json",
    expected: () => ({
      provider: "intercom",
      eventId: "notif_ccd8a4d2-3c4a-4c8e-a6d2-0f3a6d0f4b8e",
      type: "conversation.admin.noted",
      conversationUrl: "https://app.intercom.com/a/inbox/k9x2mz4q/inbox/conversation/215468912345",
      messages: [
        {
          text: '<p>Tracked in <a href="https://github.com/Octo-Org/App/issues/42" target="_blank">octo-org/app#42</a></p>',
          at: "2026-11-23T10:00:00.000Z",
          byAgent: true,
        },
      ],
      tags: ["Billing"],
      occurredAt: "2026-11-23T10:00:01.000Z",
    }),
    signsTimestamp: false,
    signsBody: true,
    sign: (body, _at, secret = env.INTERCOM_WEBHOOK_SECRET) => ({
      "x-hub-signature": `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`,
    }),
  },
};
