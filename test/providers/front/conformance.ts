import { createHmac } from "node:crypto";
import type { ConformanceCase } from "../conformance-cases.js";
import { startFakeFront } from "./fake-server.js";

const env = { FRONT_WEBHOOK_SECRET: "front-app-secret" };
const id = (n: number) => `cnv_${(0x55c8c000 + n).toString(16)}`;

export const conformance: ConformanceCase = {
  start: startFakeFront,
  ref: { account: "", conversationId: "cnv_55c8c149" },
  missing: { account: "", conversationId: "cnv_0000000" },
  customerId: "crd_1a2b3c",
  wrongCredentials: { FRONT_API_TOKEN: "not-the-token" },
  minuteLimits: false,
  conversation: (n) => ({
    provider: "front",
    account: "",
    conversationId: id(n),
    url: `https://app.frontapp.com/open/${id(n)}`,
  }),
  webhook: {
    env,
    fixture: "front-comment.json",
    expected: () => ({
      provider: "front",
      eventId: "evt_2fa8d3c1",
      type: "new_comment_added",
      conversationUrl: "https://app.frontapp.com/open/cnv_55c8c149",
      messages: [
        { text: "Filed as https://github.com/octo-org/app/issues/42", at: "2026-11-23T10:00:00.100Z", byAgent: true },
      ],
      tags: ["Billing"],
      occurredAt: "2026-11-23T10:00:00.123Z",
    }),
    signsTimestamp: true,
    signsBody: true,
    sign: (body, at, secret = env.FRONT_WEBHOOK_SECRET) => {
      const timestamp = String(at.getTime());
      return {
        "x-front-request-timestamp": timestamp,
        "x-front-signature": createHmac("sha256", secret).update(`${timestamp}:`).update(body).digest("base64"),
      };
    },
  },
};
