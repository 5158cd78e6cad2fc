import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { watchAnswer } from "../../src/store/answers.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { captureCli } from "../support/cli-output.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { closeWithLinks, conversation } from "../support/reopen.js";

describe.each(ENGINES)("closeloop waiting on %s", (engine) => {
  let database: Database;
  const saved = process.env.DATABASE_URL;

  beforeEach(async () => {
    const url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
    process.env.DATABASE_URL = url;
  });
  afterEach(async () => {
    await database.close();
    process.env.DATABASE_URL = saved;
  });

  it("--json lists the reopened conversations no agent answered, oldest reopen first; answered ones are left out", async () => {
    const links = [conversation("zendesk", 1), conversation("intercom", 2), conversation("front", 3)];
    await closeWithLinks(database, 42, links);
    const jobs = await database.prisma.reopenJob.findMany({ orderBy: { id: "asc" } });
    const reopenedAt = [new Date(Date.now() - 5 * 3_600_000), new Date(Date.now() - 50 * 3_600_000), new Date()];
    for (const [index, job] of jobs.entries()) {
      await database.prisma.reopenJob.update({ where: { id: job.id }, data: { state: "done" } });
      await database.prisma.$transaction((tx) =>
        watchAnswer(
          tx,
          { ...job, reopenJobId: job.id, reopenedAt: reopenedAt[index]!, remindAfterSeconds: null },
          new Date(),
        ),
      );
    }
    await database.prisma.answerWatch.updateMany({
      where: { conversationId: links[2]!.conversationId },
      data: { outcome: "answered", outcomeAt: new Date() },
    });
    await database.prisma.answerWatch.updateMany({
      where: { conversationId: links[1]!.conversationId },
      data: { remindedAt: new Date() },
    });

    const io = captureCli();
    expect(await runCli(["waiting", "--json"], io.out, io.error)).toBe(0);
    const rows = io.json() as Record<string, unknown>[];
    expect(rows.map((row) => [row.provider, row.conversationId, row.issue, row.reminded])).toEqual([
      ["intercom", links[1]!.conversationId, "Codertocat/Hello-World#42", true],
      ["zendesk", links[0]!.conversationId, "Codertocat/Hello-World#42", false],
    ]);
    expect(rows[0]).toMatchObject({ url: links[1]!.url, reopenedAt: reopenedAt[1]!.toISOString() });
    expect(rows[0]!.waitingSeconds).toBeGreaterThanOrEqual(50 * 3_600);
    expect(Object.keys(rows[0]!).sort()).toEqual([
      "conversationId",
      "issue",
      "provider",
      "reminded",
      "reopenedAt",
      "url",
      "waitingSeconds",
    ]);

    const human = captureCli();
    expect(await runCli(["waiting"], human.out, human.error)).toBe(0);
    expect(human.lines[0]).toBe("2 reopened conversations waiting for an agent, oldest first");
    expect(human.lines[2]).toMatch(/^2 days\|intercom\|/);
  });
});
