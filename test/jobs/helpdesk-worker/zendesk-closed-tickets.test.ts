import { beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../../src/store/database.js";
import type { FakeZendesk } from "../../providers/zendesk/fake-server.js";
import { ENGINES } from "../../support/databases.js";
import { TIMEOUT_MS, useHelpdeskWorker } from "../../support/helpdesk-worker.js";
import { allSettled, closeWithLinks, conversation, lanesFor } from "../../support/reopen.js";

describe.each(ENGINES)(
  "the helpdesk worker on %s, against the fake helpdesks over HTTP: closed Zendesk tickets",
  (engine) => {
    const harness = useHelpdeskWorker(engine);
    const { fake, startWorker, close, job, callsTo } = harness;
    let database: Database;
    let logs: string[];
    beforeEach(() => {
      ({ database, logs } = harness.state);
    });

    it("with reopen.closed_tickets: skip, dead-letters a closed Zendesk ticket with that reason, and adds no note to it", async () => {
      const link = conversation("zendesk", 8);
      await closeWithLinks(database, 8, [link], { closedTickets: "skip" });
      fake<FakeZendesk>("zendesk").seed({ id: link.conversationId, status: "closed" });
      startWorker(["zendesk"]);
      await allSettled(database.prisma);
      expect(await job(link.conversationId)).toMatchObject({
        state: "dead",
        attempts: 1,
        lastStatus: 422,
        lastError: `Zendesk: ticket ${link.conversationId} is closed; closed tickets cannot be reopened`,
      });
      expect(fake("zendesk").conversation(link.conversationId)).toMatchObject({ notes: [], reopened: 0 });
      expect(callsTo("zendesk", link.conversationId)).toEqual(["PUT 422", "GET 200"]);
      expect(fake<FakeZendesk>("zendesk").http.requestsTo("POST", /./)).toEqual([]);
    });

    describe("a closed Zendesk ticket with reopen.closed_tickets: follow_up (the default)", () => {
      const zendesk = () => fake<FakeZendesk>("zendesk");
      const note = (number: number) =>
        `The GitHub issue https://github.com/Codertocat/Hello-World/issues/${number} linked to this conversation was closed (completed).`;

      async function closedTicket(number: number) {
        const link = conversation("zendesk", number);
        await close(number, [link], { seed: false });
        zendesk().seed({ id: link.conversationId, status: "closed", customerId: "36100012" });
        return link;
      }

      it("gets one follow-up ticket carrying the note; the job records its id and ends done", async () => {
        const link = await closedTicket(60);
        startWorker(["zendesk"]);
        await allSettled(database.prisma);

        const [followUp] = zendesk().followUpsOf(link.conversationId);
        expect(followUp).toMatchObject({
          status: "open",
          notes: [note(60)],
          publicComments: [],
          requesterId: 36100012,
          followUpOf: link.conversationId,
        });
        const row = await job(link.conversationId);
        expect(row).toMatchObject({ state: "done", attempts: 1, followUpId: followUp!.id, lastError: null });
        expect(row.noteDoneAt).toBeInstanceOf(Date);
        expect(callsTo("zendesk", link.conversationId)).toEqual(["PUT 422", "GET 200", "GET 200"]);
        const [post] = zendesk().http.requestsTo("POST", /^\/api\/v2\/tickets\.json$/);
        expect(post).toMatchObject({
          answered: 201,
          headers: { "idempotency-key": `closeloop-reopen-${row.closeId}-${row.id}-${link.conversationId}` },
        });
        expect(post!.body).toMatchObject({
          ticket: { via_followup_source_id: Number(link.conversationId), comment: { body: note(60), public: false } },
        });
        expect(zendesk().conversation(link.conversationId)).toMatchObject({ open: false, notes: [] });
        expect(logs).toContain(
          `reopen: Zendesk conversation ${link.conversationId} is closed for good; created follow-up ${followUp!.id} carrying the note (job ${row.id})`,
        );
      });

      it("after a crash between Zendesk creating the follow-up and closeloop recording it, finds that one and creates no second", async () => {
        const link = await closedTicket(61);
        const row = await job(link.conversationId);
        // The crashed attempt: Zendesk made the follow-up with the job's key; the process died before recording it, and
        // more than two hours passed (Zendesk no longer remembers the key).
        const client = lanesFor([zendesk()], { timeoutMs: TIMEOUT_MS })[0]!.client;
        const first = await client.createFollowUp!(
          { account: "acme", conversationId: link.conversationId },
          note(61),
          `closeloop-reopen-${row.closeId}-${row.id}-${link.conversationId}`,
        );
        zendesk().creates.clear();
        await database.prisma.reopenJob.update({
          where: { id: row.id },
          data: { state: "running", lockedBy: "crashed", lockedUntil: new Date(Date.now() - 1), attempts: 1 },
        });
        zendesk().http.requests.length = 0;

        startWorker(["zendesk"]);
        await allSettled(database.prisma);
        expect(await job(link.conversationId)).toMatchObject({ state: "done", attempts: 2, followUpId: first });
        expect(
          zendesk()
            .followUpsOf(link.conversationId)
            .map((ticket) => ticket.id),
        ).toEqual([first]);
        expect(zendesk().http.requestsTo("POST", /./)).toEqual([]);
        expect(
          zendesk().http.requests.map((request) => `${request.method} ${request.path} ${request.answered}`),
        ).toEqual([
          `GET /api/v2/tickets/${link.conversationId}/comments.json 200`,
          `PUT /api/v2/tickets/${link.conversationId}.json 422`,
          `GET /api/v2/tickets/${link.conversationId}.json 200`,
          `GET /api/v2/tickets/${link.conversationId}.json 200`,
          `GET /api/v2/tickets/show_many.json 200`,
        ]);
      });

      it("when the create's answer is lost and the source does not list the follow-up yet, the Idempotency-Key replay gives the same ticket", async () => {
        const link = await closedTicket(62);
        zendesk().http.failNext({ kind: "lost", status: 502 }, { match: (request) => request.method === "POST" });
        startWorker(["zendesk"]);
        // Hide the follow-up from its source until the retry's create has been answered.
        const hidden = setInterval(() => {
          if (zendesk().http.requestsTo("POST", /./).length < 2)
            zendesk().tickets.get(link.conversationId)!.followUps.length = 0;
        }, 1);
        try {
          await allSettled(database.prisma);
        } finally {
          clearInterval(hidden);
        }
        const created = [...zendesk().tickets.values()].filter((ticket) => ticket.followUpOf === link.conversationId);
        expect(created).toHaveLength(1);
        expect(
          zendesk()
            .http.requestsTo("POST", /./)
            .map((request) => request.answered),
        ).toEqual([502, 201]);
        expect(await job(link.conversationId)).toMatchObject({
          state: "done",
          attempts: 2,
          followUpId: created[0]!.id,
        });
      });

      it("refused by Zendesk (the ticket was deleted) is dead at once, keeping Zendesk's reason", async () => {
        const link = await closedTicket(63);
        zendesk().http.failNext(
          {
            kind: "status",
            status: 422,
            body: {
              error: "RecordInvalid",
              description: "Record validation errors",
              details: { via_followup_source_id: [{ description: "Ticket deleted" }] },
            },
          },
          { match: (request) => request.method === "POST" },
        );
        startWorker(["zendesk"]);
        await allSettled(database.prisma);
        expect(await job(link.conversationId)).toMatchObject({
          state: "dead",
          attempts: 1,
          followUpId: null,
          lastStatus: 422,
          lastError: `Zendesk: follow-up to ticket ${link.conversationId} refused (422): Record validation errors: Ticket deleted`,
        });
        expect(zendesk().followUpsOf(link.conversationId)).toEqual([]);
      });
    });
  },
);
