import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProviderId } from "../../src/domain/link.js";
import type { HelpdeskClient } from "../../src/providers/provider.js";
import { providers } from "../../src/providers/registry.js";
import type { FakeHelpdeskServer } from "../fakes/fake-helpdesk.js";
import { conformanceCases } from "./conformance-cases.js";

/**
 * Reading whether an agent answered (docs/answers.md), for helpdesks whose webhooks are not set up: each client against
 * its fake, which shows replies, notes and closes in the helpdesk's own shapes.
 */
const reopenedAt = new Date("2026-12-01T10:00:00.000Z");
const at = (hours: number) => new Date(reopenedAt.getTime() + hours * 3_600_000);

describe.each([...conformanceCases.keys()] as ProviderId[])(
  "%s: reading a reopened conversation's answer",
  (provider) => {
    const scenario = conformanceCases.get(provider)!;
    let fake: FakeHelpdeskServer;
    let client: HelpdeskClient;
    let n = 0;

    beforeAll(async () => {
      fake = await scenario.start();
      const definition = providers.get(provider)!;
      client = definition.createClient(definition.configure(fake.env()));
    });
    afterAll(() => fake.close());

    /** A fresh conversation with this activity. */
    function conversationWith(...activity: Parameters<FakeHelpdeskServer["happen"]>[1][]) {
      const link = scenario.conversation(900 + n++);
      fake.seed({ id: link.conversationId });
      for (const entry of activity) fake.happen(link.conversationId, entry);
      return { account: link.account, conversationId: link.conversationId };
    }

    it("an agent's public reply after the reopen is an answer", async () => {
      const ref = conversationWith({ kind: "agent_reply", at: at(-5) }, { kind: "agent_reply", at: at(2) });
      const read = await client.readAnswer!(ref, reopenedAt);
      expect(read.agentReplies.map((date) => date.toISOString())).toEqual([at(2).toISOString()]);
      expect(read.closedAt).toBeNull();
    });

    it("the customer's reply and a note are not", async () => {
      const ref = conversationWith({ kind: "customer_reply", at: at(1) }, { kind: "note", at: at(2) });
      expect(await client.readAnswer!(ref, reopenedAt)).toEqual({ agentReplies: [], closedAt: null });
    });

    it("a conversation closed after the reopen with no answer is closed", async () => {
      const ref = conversationWith({ kind: "customer_reply", at: at(1) }, { kind: "closed", at: at(3) });
      const read = await client.readAnswer!(ref, reopenedAt);
      expect(read.agentReplies).toEqual([]);
      expect(read.closedAt).not.toBeNull();
      // Front gives no archive time: the read's time stands for it.
      if (provider !== "front") expect(read.closedAt!.toISOString()).toBe(at(3).toISOString());
    });
  },
);
