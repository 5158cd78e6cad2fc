import { beforeEach, describe, expect, it } from "vitest";
import nock from "nock";
import type { Database } from "../../../src/store/database.js";
import { retryJobs } from "../../../src/store/reopen-jobs.js";
import type { FakeZendesk } from "../../providers/zendesk/fake-server.js";
import { ENGINES } from "../../support/databases.js";
import { TEST_APP_ID } from "../../support/app.js";
import { GITHUB_API } from "../../support/github.js";
import { useHelpdeskWorker } from "../../support/helpdesk-worker.js";
import { allSettled, closeWithLinks, conversation, REPOSITORY } from "../../support/reopen.js";
import { waitFor } from "../../support/wait.js";

describe.each(ENGINES)(
  "the helpdesk worker on %s, against the fake helpdesks over HTTP: summary comments",
  (engine) => {
    const harness = useHelpdeskWorker(engine);
    const { fake, startWorker, job } = harness;
    let database: Database;
    let logs: string[];
    beforeEach(() => {
      ({ database, logs } = harness.state);
    });

    describe("the summary comment", () => {
      const comments = `/repos/Codertocat/Hello-World/issues`;

      it("is posted once when every job of the close has settled, with counts and, on a private repository, each failure", async () => {
        const links = [conversation("intercom", 40), conversation("intercom", 41), conversation("zendesk", 40)];
        fake("intercom").seed({ id: links[0]!.conversationId, open: false });
        fake("zendesk").seed({ id: links[2]!.conversationId, open: false });
        const closeId = await closeWithLinks(database, 41, links, { summary: true, private: true });
        const bodies: string[] = [];
        nock(GITHUB_API)
          .post(`${comments}/41/comments`, (body: { body: string }) => bodies.push(body.body) > 0)
          .reply(201, { id: 9001 });
        startWorker(["intercom", "zendesk"]);
        // Written and no longer due: a job's settling marks the summary due after the job's own write, so the summary
        // can be written between the two, and then stays due until it is found unchanged (nothing sent again).
        await waitFor(async () => {
          const close = await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } });
          return close.summaryCommentId !== null && close.summaryDueAt === null;
        }, 10_000);

        expect(bodies).toHaveLength(1);
        const [body] = bodies;
        expect(body).toContain(`<!-- closeloop:reopen-summary close=${closeId} -->`);
        expect(body).toContain(
          "**closeloop** reopened 2 of 3 linked conversations with an internal note, because this issue was closed as completed.",
        );
        expect(body).toContain("| Intercom | 1 | 1 |\n| Zendesk | 1 | 0 |");
        const deadJob = await job(links[1]!.conversationId);
        // The reason's category, not the helpdesk's text (which `closeloop jobs` shows).
        expect(body).toContain(
          `- Intercom conversation [${links[1]!.conversationId}](${links[1]!.url}): not found (job ${deadJob.id})`,
        );
        expect(deadJob.lastError).toBe("Intercom: conversation not found (404)");
        expect(await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).toMatchObject({
          summaryCommentId: 9001n,
          summaryDueAt: null,
          summaryBody: body,
        });
      });

      it("counts a closed Zendesk ticket reopened as a follow-up, without its id", async () => {
        const links = [conversation("zendesk", 45), conversation("zendesk", 46)];
        fake<FakeZendesk>("zendesk").seed({ id: links[0]!.conversationId, status: "closed" });
        fake("zendesk").seed({ id: links[1]!.conversationId, open: false });
        const closeId = await closeWithLinks(database, 45, links, { summary: true, private: true });
        const bodies: string[] = [];
        nock(GITHUB_API)
          .post(`${comments}/45/comments`, (body: { body: string }) => bodies.push(body.body) > 0)
          .reply(201, { id: 9005 });
        startWorker(["zendesk"]);
        await waitFor(
          async () =>
            (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId !== null,
          10_000,
        );

        const followUpId = (await job(links[0]!.conversationId)).followUpId;
        expect(followUpId).not.toBeNull();
        expect(bodies).toHaveLength(1);
        expect(bodies[0]).toContain("reopened 2 of 2 linked conversations");
        expect(bodies[0]).toContain("| Zendesk | 2 (1 as a follow-up ticket) | 0 |");
        expect(bodies[0]).not.toContain(followUpId!);
      });

      it("is edited in place when a retried job later succeeds", async () => {
        const links = [conversation("intercom", 50), conversation("intercom", 51)];
        fake("intercom").seed({ id: links[0]!.conversationId, open: false });
        const closeId = await closeWithLinks(database, 50, links, { summary: true });
        const posted: string[] = [];
        nock(GITHUB_API)
          .post(`${comments}/50/comments`, (body: { body: string }) => posted.push(body.body) > 0)
          .reply(201, { id: 9002 });
        startWorker(["intercom"]);
        await waitFor(
          async () =>
            (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId !== null,
          10_000,
        );
        expect(posted[0]).toContain("| Intercom | 1 | 1 |");

        // The operator fixes the cause (here: the conversation exists now) and retries.
        fake("intercom").seed({ id: links[1]!.conversationId, open: false });
        const edited: string[] = [];
        nock(GITHUB_API)
          .patch(`${comments}/comments/9002`, (body: { body: string }) => edited.push(body.body) > 0)
          .reply(200, { id: 9002 });
        const deadJob = await job(links[1]!.conversationId);
        expect(await retryJobs(database.prisma, { id: deadJob.id })).toEqual({ retried: 1 });
        await waitFor(
          async () =>
            edited.length === 1 &&
            (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryDueAt === null,
          10_000,
        );

        expect(edited[0]).toContain("reopened 2 of 2 linked conversations");
        expect(edited[0]).toContain("| Intercom | 2 | 0 |");
        expect(edited[0]).not.toContain("Not reopened");
        expect(await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).toMatchObject({
          summaryCommentId: 9002n,
          summaryBody: edited[0],
        });
      });

      it("on a public repository, or one made public after the close, gives counts: no conversation id, URL or reason", async () => {
        const links = [conversation("intercom", 80), conversation("intercom", 81)];
        const links2 = [conversation("intercom", 82), conversation("intercom", 83)];
        fake("intercom").seed({ id: links[0]!.conversationId, open: false });
        fake("intercom").seed({ id: links2[0]!.conversationId, open: false });
        const bodies = new Map<number, string>();
        nock(GITHUB_API)
          .post(`${comments}/80/comments`, (body: { body: string }) => bodies.set(80, body.body).size > 0)
          .reply(201, { id: 9010 })
          .post(`${comments}/82/comments`, (body: { body: string }) => bodies.set(82, body.body).size > 0)
          .reply(201, { id: 9011 });
        const publicClose = await closeWithLinks(database, 80, links, { summary: true, private: false });
        // Private when issue 82 closed; a later payload said the repository is public: the summary, written after, follows that.
        const madePublic = await closeWithLinks(database, 82, links2, { summary: true, private: true });
        expect(await database.prisma.repository.findUniqueOrThrow({ where: { id: REPOSITORY.id } })).toMatchObject({
          private: true,
        });
        await database.prisma.repository.update({ where: { id: REPOSITORY.id }, data: { private: false } });
        startWorker(["intercom"]);
        for (const closeId of [publicClose, madePublic]) {
          await waitFor(
            async () =>
              (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId !==
              null,
            10_000,
          );
        }

        expect(bodies.size).toBe(2);
        for (const [number, body] of bodies) {
          const [, dead] = number === 80 ? links : links2;
          const deadJob = await job(dead!.conversationId);
          expect(deadJob.state).toBe("dead");
          expect(body).toContain("reopened 1 of 2 linked conversations");
          expect(body).toContain("| Intercom | 1 | 1 |");
          expect(body).toContain("`closeloop jobs --state dead`");
          for (const secret of [dead!.conversationId, dead!.url, "not found", "404", `job ${deadJob.id}`])
            expect(body).not.toContain(secret);
        }
      });

      it("finds the comment an earlier attempt posted but could not record, instead of posting twice", async () => {
        const link = conversation("intercom", 60);
        fake("intercom").seed({ id: link.conversationId, open: false });
        const closeId = await closeWithLinks(database, 60, [link], { summary: true });
        // An earlier worker claimed the summary, posted it, and died before storing the comment id.
        await database.prisma.issueClose.update({ where: { id: closeId }, data: { summaryAttempts: 1 } });
        const marker = `<!-- closeloop:reopen-summary close=${closeId} -->\n**closeloop** reopened 0 of 1`;
        nock(GITHUB_API)
          .get(`${comments}/60/comments`)
          .query(true)
          .reply(200, [
            { id: 1, body: "a person's comment" },
            // Copies of the marker by a person and by another app come first: neither is closeloop's.
            { id: 2, body: marker, performed_via_github_app: null },
            { id: 3, body: marker, performed_via_github_app: { id: TEST_APP_ID + 1 } },
            { id: 9003, body: marker, performed_via_github_app: { id: TEST_APP_ID } },
          ]);
        const edited: string[] = [];
        nock(GITHUB_API)
          .patch(`${comments}/comments/9003`, (body: { body: string }) => edited.push(body.body) > 0)
          .reply(200, { id: 9003 });
        startWorker(["intercom"]);
        await waitFor(
          async () =>
            (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId === 9003n,
          10_000,
        );
        expect(edited[0]).toContain("reopened 1 of 1 linked conversation with");
      });

      it("does not edit a comment that carries its marker but was written by someone else: it posts its own", async () => {
        const link = conversation("intercom", 61);
        fake("intercom").seed({ id: link.conversationId, open: false });
        const closeId = await closeWithLinks(database, 61, [link], { summary: true });
        await database.prisma.issueClose.update({ where: { id: closeId }, data: { summaryAttempts: 1 } });
        const marker = `<!-- closeloop:reopen-summary close=${closeId} -->\nI typed this`;
        nock(GITHUB_API)
          .get(`${comments}/61/comments`)
          .query(true)
          .reply(200, [
            { id: 4, body: marker },
            { id: 5, body: marker, performed_via_github_app: { id: TEST_APP_ID + 1 } },
          ]);
        const posted: string[] = [];
        nock(GITHUB_API)
          .post(`${comments}/61/comments`, (body: { body: string }) => posted.push(body.body) > 0)
          .reply(201, { id: 9004 });
        startWorker(["intercom"]);
        // A PATCH of comment 4 or 5 would be an unmatched request, which fails the test (test/setup.ts).
        await waitFor(
          async () =>
            (await database.prisma.issueClose.findUniqueOrThrow({ where: { id: closeId } })).summaryCommentId === 9004n,
          10_000,
        );
        expect(posted[0]).toContain("reopened 1 of 1 linked conversation with");
      });

      it("is not written when comment.summary is false, nor in a dry run", async () => {
        const first = conversation("intercom", 70);
        fake("intercom").seed({ id: first.conversationId, open: false });
        await closeWithLinks(database, 70, [first], { summary: false });
        await closeWithLinks(database, 71, [conversation("intercom", 71)], { summary: true });
        startWorker(["intercom"], { dryRun: true });
        await allSettled(database.prisma);
        await waitFor(
          async () => (await database.prisma.issueClose.count({ where: { settledAt: null } })) === 0,
          5_000,
        );
        expect(logs.find((line) => line.startsWith("[dry-run] Would comment on Codertocat/Hello-World#71:"))).toContain(
          "| Intercom | 1 | 0 |",
        );
        expect(logs.some((line) => line.includes("#70"))).toBe(false);
      });
    });
  },
);
