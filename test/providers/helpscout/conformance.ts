import { createHmac } from "node:crypto";
import type { ConformanceCase } from "../conformance-cases.js";
import { startFakeHelpScout } from "./fake-server.js";

const env = { HELPSCOUT_WEBHOOK_SECRET: "helpscout-secret-key" };

export const conformance: ConformanceCase = {
  start: startFakeHelpScout,
  ref: { account: "", conversationId: "2391938111" },
  missing: { account: "", conversationId: "999999" },
  customerId: "4711",
  wrongCredentials: { HELPSCOUT_APP_SECRET: "not-the-secret" },
  minuteLimits: true,
  conversation: (n) => ({
    provider: "helpscout",
    account: "",
    conversationId: String(2_391_938_000 + n),
    url: `https://secure.helpscout.net/conversation/${2_391_938_000 + n}/${n}/`,
  }),
  webhook: {
    env,
    fixture: "helpscout-note-created.json",
    expected: () => ({
      provider: "helpscout",
      type: "convo.note.created",
      conversationUrl: "https://secure.helpscout.net/conversation/2391938111/349/",
      messages: [
        {
          text: "<div>Tracked in https://github.com/octo-org/app/issues/42</div>",
          at: "2026-11-23T09:00:00.000Z",
          byAgent: true,
        },
        { text: "<div>The CSV export crashes.</div>", at: "2026-11-23T08:00:00.000Z", byAgent: false },
      ],
      tags: ["billing"],
      occurredAt: "2026-11-23T09:00:00.000Z",
    }),
    signsTimestamp: false,
    signsBody: true,
    sign: (body, _at, secret = env.HELPSCOUT_WEBHOOK_SECRET) => ({
      "x-helpscout-event": "convo.note.created",
      "x-helpscout-signature": createHmac("sha1", secret).update(body).digest("base64"),
    }),
  },
};
