import { beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../../src/store/database.js";
import { ENGINES } from "../../support/databases.js";
import { useHelpdeskWorker } from "../../support/helpdesk-worker.js";
import { allSettled, conversation } from "../../support/reopen.js";
import { waitFor } from "../../support/wait.js";

describe.each(ENGINES)(
  "the helpdesk worker on %s, against the fake helpdesks over HTTP: leases and stopping",
  (engine) => {
    const harness = useHelpdeskWorker(engine);
    const { fake, startWorker, close, job, callsTo } = harness;
    let database: Database;
    let logs: string[];
    beforeEach(() => {
      ({ database, logs } = harness.state);
    });

    it("takes over a job whose worker died (its lease ran out), and leaves a live lease alone", async () => {
      const links = [conversation("intercom", 11), conversation("intercom", 12)];
      await close(11, links);
      // The live lease lasts an hour: what the test sees of it does not depend on how fast a loaded machine runs.
      const live = new Date(Date.now() + 60 * 60_000);
      await database.prisma.reopenJob.updateMany({
        where: { conversationId: links[0]!.conversationId },
        data: { state: "running", lockedBy: "crashed", lockedUntil: new Date(Date.now() - 1), attempts: 1 },
      });
      await database.prisma.reopenJob.updateMany({
        where: { conversationId: links[1]!.conversationId },
        data: { state: "running", lockedBy: "alive", lockedUntil: live, attempts: 1 },
      });
      startWorker(["intercom"]);
      await waitFor(async () => (await job(links[0]!.conversationId)).state === "done", 5_000);
      expect(await job(links[1]!.conversationId)).toMatchObject({
        state: "running",
        lockedBy: "alive",
        lockedUntil: live,
      });
      // Its holder dies too: once its lease has run out, the worker takes it over at its next poll.
      await database.prisma.reopenJob.updateMany({
        where: { conversationId: links[1]!.conversationId },
        data: { lockedUntil: new Date(Date.now() - 1) },
      });
      await allSettled(database.prisma);
      expect(await job(links[1]!.conversationId)).toMatchObject({ state: "done", attempts: 2 });
    });

    it("does not send the note of a job whose lease was taken over while its call waited in the lane, nor settle it", async () => {
      const [first, second] = [conversation("zendesk", 15), conversation("zendesk", 16)];
      await close(15, [first!, second!]);
      // One call every 1.5 s: the first job's note-and-reopen goes before the second job's, about 1.5 s in.
      // A 2 s lease: the second job's 1.5 s wait in the lane comes near its end, so the worker checks it before calling.
      const worker = startWorker(["zendesk"], {
        leaseMs: 2_000,
        budgets: { zendesk: { requests: 1, intervalMs: 1_500 } },
      });
      await waitFor(async () => callsTo("zendesk", first!.conversationId).length === 1, 5_000, "the first job's note");
      const waiting = await job(second!.conversationId);
      expect(waiting).toMatchObject({ state: "running", lockedBy: worker.owner });
      // Another worker takes the second job over (as after this one was starved past its lease).
      const farFuture = new Date("2099-01-01T00:00:00Z");
      await database.prisma.reopenJob.update({
        where: { id: waiting.id },
        data: { lockedBy: "other", lockedUntil: farFuture },
      });

      // Its turn comes: the call is not made, and the hand-back is fenced (the row stays the other worker's).
      await waitFor(
        () =>
          Promise.resolve(
            logs.includes(
              `reopen: the lease on job ${waiting.id} was about to run out before its call; handed back without calling`,
            ),
          ),
        8_000,
        "the hand-back",
      );
      await waitFor(async () => (await job(first!.conversationId)).state === "done", 5_000, "the first job");
      expect(callsTo("zendesk", second!.conversationId)).toEqual([]);
      expect(fake("zendesk").conversation(second!.conversationId)).toMatchObject({ open: false, notes: [] });
      expect(await job(second!.conversationId)).toMatchObject({
        state: "running",
        lockedBy: "other",
        lockedUntil: farFuture,
        attempts: 1,
        noteDoneAt: null,
        lastError: null,
      });
    });

    it("on stop, finishes the calls in flight and hands back the jobs it had not started", async () => {
      const links = Array.from({ length: 6 }, (_, i) => conversation("zendesk", 20 + i));
      await close(20, links);
      // The first call is answered 300 ms after it arrives, so stop() always comes while it is in flight.
      fake("zendesk").http.failNext({ kind: "slow", delayMs: 300 });
      const worker = startWorker(["zendesk"], { budgets: { zendesk: { requests: 1, intervalMs: 60_000 } } });
      await waitFor(async () => fake("zendesk").http.requests.length === 1, 5_000);
      await worker.stop();
      const rows = await database.prisma.reopenJob.findMany({
        orderBy: { id: "asc" },
        select: { state: true, lockedBy: true, attempts: true, noteDoneAt: true },
      });
      // The call in flight (note and reopen in one Update Ticket) is seen through and recorded; the rest go back.
      expect(rows.filter((row) => row.noteDoneAt !== null)).toHaveLength(1);
      expect(rows.map(({ state, lockedBy, attempts }) => ({ state, lockedBy, attempts }))).toEqual(
        rows.map((_, index) =>
          index === 0
            ? { state: "done", lockedBy: null, attempts: 1 }
            : { state: "pending", lockedBy: null, attempts: 0 },
        ),
      );
    });
  },
);
