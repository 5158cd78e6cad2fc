import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { FakeGitHub } from "../fakes/github-server.js";
import type { RecordedRequest } from "../fakes/fake-helpdesk.js";
import { startFakeIntercom, type FakeIntercom } from "../providers/intercom/fake-server.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { startApp, type RunningApp } from "../support/process.js";
import { appEnv, kill, seedIssues } from "../support/reopen-process.js";
import { waitFor } from "../support/wait.js";

const HOUR = 3_600_000;
const isReminder = (request: RecordedRequest) =>
  request.method === "POST" &&
  request.path.endsWith("/reply") &&
  JSON.stringify(request.body).includes("Still waiting: the fix for");

/**
 * `reopen.remind_after` sends its note at most once (docs/answers.md, Reminder): the real process is killed with
 * SIGKILL at the moment Intercom has taken the reminder note and before the process heard back or settled the
 * watch, then started again. The reminder was committed before the call, so the restarted process, once the dead
 * one's lease has run out, finds the watch reminded and sends nothing: the helpdesk holds exactly one reminder.
 */
describe.each(ENGINES)("the reminder across a kill -9 on %s", (engine) => {
  const github = new FakeGitHub();
  let intercom: FakeIntercom;
  let database: Database;
  let app: RunningApp | undefined;

  beforeAll(async () => {
    intercom = await startFakeIntercom();
  });
  afterAll(async () => {
    if (app) await kill(app);
    await database?.close();
    await intercom?.close();
    await github.stop();
  });

  it(
    "is sent once: killed after the helpdesk took the note and before the database settled it",
    { timeout: 60_000 },
    async () => {
      const url = await freshDatabaseUrl(engine);
      database = await openDatabase(url, { migrate: true });
      const env = appEnv(await github.start(), url, intercom);
      // A conversation reopened two hours ago (its first read made), no agent answer, its reminder due a minute ago.
      const [conversationId] = await seedIssues(database, intercom, 1, 1);
      const job = await database.prisma.reopenJob.create({
        data: {
          close: {
            create: {
              issue: { connect: { id: (await database.prisma.issue.findFirstOrThrow()).id } },
              closedAt: new Date(Date.now() - 2 * HOUR),
              reason: "completed",
              note: "closed",
              summary: false,
            },
          },
          linkId: (await database.prisma.link.findFirstOrThrow()).id,
          provider: "intercom",
          account: "abc123",
          conversationId: conversationId!,
          url: `https://app.intercom.com/a/inbox/abc123/inbox/conversation/${conversationId}`,
          state: "done",
          attempts: 1,
          finishedAt: new Date(Date.now() - 2 * HOUR),
        },
      });
      const reopenedAt = new Date(Date.now() - 2 * HOUR);
      const watch = await database.prisma.answerWatch.create({
        data: {
          reopenJobId: job.id,
          closeId: job.closeId,
          provider: "intercom",
          account: "abc123",
          conversationId: conversationId!,
          url: job.url,
          reopenedAt,
          reads: 1,
          remindAt: new Date(Date.now() - 60_000),
          // Due only once the process listens (below): a kill during its start-up would look like a start that failed.
          nextAttemptAt: new Date(Date.now() + 24 * HOUR),
        },
      });

      // Intercom takes the note and never answers; the process dies that very moment.
      let killed: Promise<void> | undefined;
      intercom.http.failNext({ kind: "hang", carried: () => void (killed = kill(app!)) }, { match: isReminder });
      app = await startApp(env);
      await database.prisma.answerWatch.update({ where: { id: watch.id }, data: { nextAttemptAt: new Date() } });
      await waitFor(async () => killed !== undefined, 30_000, "the reminder to reach Intercom");
      await killed;
      const atDeath = await database.prisma.answerWatch.findUniqueOrThrow({ where: { id: watch.id } });
      // Dead mid-call: the watch is still held by the dead process, the reminder already recorded.
      expect({ state: atDeath.state, held: atDeath.lockedBy !== null, reminded: atDeath.remindedAt !== null }).toEqual({
        state: "running",
        held: true,
        reminded: true,
      });

      app = await startApp(env);
      const settled = await waitFor(
        async () => {
          const row = await database.prisma.answerWatch.findUniqueOrThrow({ where: { id: watch.id } });
          return row.state !== "running" && row.lockedBy === null && row;
        },
        30_000,
        "the restarted process to take the watch over and settle it",
      );

      const notes = intercom.conversation(conversationId!)!.notes.filter((note) => note.includes("Still waiting"));
      expect(notes).toEqual([
        expect.stringMatching(
          /^(<p>)?Still waiting: the fix for http:\/\/.+\/Codertocat\/Hello-World\/issues\/1 shipped 2 hours ago\./,
        ),
      ]);
      expect(intercom.http.requests.filter(isReminder)).toHaveLength(1);
      // Nothing left to do but the next read, a day after the reopen.
      expect({ state: settled.state, outcome: settled.outcome, next: settled.nextAttemptAt.getTime() }).toEqual({
        state: "pending",
        outcome: null,
        next: reopenedAt.getTime() + 24 * HOUR,
      });
    },
  );
});
