import { beforeEach, describe, expect, it } from "vitest";
import { PROVIDERS } from "../../../src/domain/link.js";
import type { Database } from "../../../src/store/database.js";
import type { FakeZendesk } from "../../providers/zendesk/fake-server.js";
import type { FakeFront } from "../../providers/front/fake-server.js";
import type { FakeHelpScout } from "../../providers/helpscout/fake-server.js";
import { ENGINES } from "../../support/databases.js";
import { useHelpdeskWorker } from "../../support/helpdesk-worker.js";
import { allSettled, conversation } from "../../support/reopen.js";

describe.each(ENGINES)(
  "the helpdesk worker on %s, against the fake helpdesks over HTTP: notes and reopens",
  (engine) => {
    const harness = useHelpdeskWorker(engine);
    const { fake, startWorker, close, job } = harness;
    let database: Database;
    let logs: string[];
    beforeEach(() => {
      ({ database, logs } = harness.state);
    });

    it("adds the note, then reopens, on every helpdesk; each job records both steps and ends done", async () => {
      const links = PROVIDERS.map((provider) => conversation(provider, 1));
      await close(1, links);
      startWorker();
      await allSettled(database.prisma);

      for (const link of links) {
        const state = fake(link.provider).conversation(link.conversationId)!;
        expect({
          provider: link.provider,
          open: state.open,
          reopened: state.reopened,
          notes: state.notes.length,
        }).toEqual({ provider: link.provider, open: true, reopened: 1, notes: 1 });
        expect(state.notes[0]).toContain("https://github.com/Codertocat/Hello-World/issues/1");
        const row = await job(link.conversationId);
        expect(row).toMatchObject({ state: "done", attempts: 1, lastError: null, lockedBy: null, lockedUntil: null });
        expect(row.noteDoneAt).toBeInstanceOf(Date);
        expect(row.reopenDoneAt!.getTime()).toBeGreaterThanOrEqual(row.noteDoneAt!.getTime());
      }
      // The note goes first: a reopened conversation without its note would leave the agent guessing why. Zendesk takes
      // both in one Update Ticket, which its ticket-update limit counts once.
      const zendesk = fake<FakeZendesk>("zendesk")
        .http.requestsTo("PUT", /\/tickets\/4001\.json$/)
        .map((request) => Object.keys((request.body as { ticket: object }).ticket));
      expect(zendesk).toEqual([["comment", "status"]]);
      const intercom = fake("intercom").http.requests.map((request) => request.path.split("/").at(-1));
      expect([intercom[0], intercom.at(-1)]).toEqual(["reply", "parts"]);
    });

    it.each([
      [
        "front",
        (old: string, survivor: string) => [
          `POST /conversations/${old}/comments 301`,
          `POST /conversations/${survivor}/comments 201`,
          `PATCH /conversations/${survivor} 204`,
        ],
      ],
      [
        "helpscout",
        (old: string, survivor: string) => [
          `POST /v2/conversations/${old}/notes 404`,
          `GET /v2/conversations/${old} 301`,
          `GET /v2/conversations/${survivor} 200`,
          `POST /v2/conversations/${survivor}/notes 201`,
          `PATCH /v2/conversations/${survivor} 204`,
        ],
      ],
    ] as const)(
      "follows a merged %s conversation: the note and the reopen reach the survivor, and the link and job move to it",
      async (provider, expected) => {
        const [old, survivor] = [conversation(provider, 40), conversation(provider, 41)];
        await close(40, [old]);
        const helpdesk = fake<FakeFront | FakeHelpScout>(provider);
        helpdesk.seed({ id: survivor.conversationId, open: false });
        helpdesk.merge(old.conversationId, survivor.conversationId);
        startWorker([provider]);
        await allSettled(database.prisma);

        const calls = helpdesk.http.requests
          .filter((request) => request.path.includes("/conversations/"))
          .map((request) => `${request.method} ${request.path} ${request.answered}`);
        expect(calls).toEqual(expected(old.conversationId, survivor.conversationId));
        expect(helpdesk.conversation(survivor.conversationId)).toMatchObject({ open: true, reopened: 1 });
        expect(helpdesk.conversation(survivor.conversationId)?.notes).toHaveLength(1);
        expect(await job(survivor.conversationId)).toMatchObject({ state: "done", attempts: 1, lastError: null });
        expect(await database.prisma.link.findMany({ select: { conversationId: true, url: true } })).toEqual([
          { conversationId: survivor.conversationId, url: old.url },
        ]);
        expect(
          await database.prisma.conversationAlias.findMany({ select: { aliasId: true, conversationId: true } }),
        ).toEqual([{ aliasId: old.conversationId, conversationId: survivor.conversationId }]);
      },
    );

    it("with CLOSELOOP_DRY_RUN, logs each note and reopen, sends nothing, and ends the jobs done", async () => {
      const links = [conversation("intercom", 30), conversation("zendesk", 30)];
      await close(30, links);
      startWorker(["intercom", "zendesk"], { dryRun: true });
      await allSettled(database.prisma);
      expect(fake("intercom").http.requests).toEqual([]);
      expect(fake("zendesk").http.requests).toEqual([]);
      expect(logs).toContain(
        `[dry-run] Would add a note to Intercom conversation ${links[0]!.conversationId}: "The GitHub issue https://github.com/Codertocat/Hello-World/issues/30 linked to this conversation was closed (completed)."`,
      );
      expect(logs).toContain(
        `[dry-run] Would add a note to and reopen Zendesk conversation ${links[1]!.conversationId} (or, if it is closed, create a follow-up carrying the note): "The GitHub issue https://github.com/Codertocat/Hello-World/issues/30 linked to this conversation was closed (completed)."`,
      );
      expect((await database.prisma.reopenJob.findMany()).map((row) => row.state)).toEqual(["done", "done"]);
    });
  },
);
