import { describe, expect, it } from "vitest";
import { PROVIDERS, type ProviderId, type RecognisedLink } from "../../src/domain/link.js";
import type { HelpdeskWorkerOptions } from "../../src/jobs/helpdesk-worker.js";
import { LINK_NOTES, ofProvider } from "../../src/store/helpdesk-jobs.js";
import { claimLeases, reviveDead } from "../../src/store/lease.js";
import { linkNoteBacklog } from "../../src/store/link-notes.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { recordIssueClose } from "../../src/store/issues.js";
import { ENGINES } from "../support/databases.js";
import {
  closeWithLinks,
  conversation,
  issueRef,
  lanesFor,
  useFakeHelpdesks,
  useWorkerBench,
  type LaneOptions,
} from "../support/reopen.js";
import { waitFor } from "../support/wait.js";
import { FAST, TIMEOUT_MS } from "../support/helpdesk-worker.js";

const POSTED = new Date("2026-11-20T10:00:00Z");
const noteFor = (number: number) =>
  `Engineering is tracking this in https://github.com/Codertocat/Hello-World/issues/${number} (Crash on export). This conversation will be reopened when the issue is closed.`;

describe.each(ENGINES)("link notes in the helpdesk lanes on %s, against the fake helpdesks over HTTP", (engine) => {
  const fakes = useFakeHelpdesks();
  const bench = useWorkerBench(engine, fakes, { ...FAST, timeoutMs: TIMEOUT_MS });
  const fake = (provider: ProviderId) => fakes.get(provider)!;
  const startWorker = (
    providers: readonly ProviderId[] = PROVIDERS,
    options: HelpdeskWorkerOptions & LaneOptions = {},
  ) => bench.start(providers, options);

  /** A comment on open issue `number` pasting the links, as capture stores it with notify.linked on. */
  async function paste(number: number, links: readonly RecognisedLink[], key = String(number)) {
    for (const link of links) fake(link.provider).seed({ id: link.conversationId });
    return applySourceChange(bench.database, {
      issue: issueRef(number),
      source: { kind: "comment", key },
      event: { action: "created", version: POSTED },
      createdAt: POSTED,
      links,
      linkNote: noteFor(number),
    });
  }

  const notes = () => bench.database.prisma.linkNote.findMany({ orderBy: { id: "asc" } });
  const settled = () =>
    waitFor(
      async () => {
        const rows = await notes();
        return rows.length > 0 && rows.every((row) => row.state === "done" || row.state === "dead") && rows;
      },
      20_000,
      "every link note settled",
    );
  /** What reached a helpdesk, less Help Scout's token requests. */
  const calls = (provider: ProviderId) =>
    fake(provider)
      .http.requests.filter((request) => !request.path.includes("oauth2/token"))
      .map((request) => `${request.method} ${request.path}`);

  it("adds the note to each conversation a paste linked, on every helpdesk, once; the rows end done with the time sent", async () => {
    const links = PROVIDERS.map((provider) => conversation(provider, 1));
    expect((await paste(1, links)).notesAdded).toBe(links.length);
    startWorker();
    const rows = await settled();

    for (const link of links) {
      expect(calls(link.provider)).toHaveLength(1);
      const state = fake(link.provider).conversation(link.conversationId)!;
      expect({ provider: link.provider, notes: state.notes.length, reopened: state.reopened }).toEqual({
        provider: link.provider,
        notes: 1,
        reopened: 0,
      });
      expect(state.notes[0]).toContain("https://github.com/Codertocat/Hello-World/issues/1");
    }
    expect(
      fake("zendesk").http.requests.map((request) => ({
        call: `${request.method} ${request.path}`,
        body: request.body,
      })),
    ).toEqual([
      {
        call: `PUT /api/v2/tickets/${links[2]!.conversationId}.json`,
        body: { ticket: { comment: { body: noteFor(1), public: false } } },
      },
    ]);
    expect(
      rows.map((row) => ({
        state: row.state,
        attempts: row.attempts,
        skipped: row.skipped,
        sent: row.sentAt instanceof Date,
        lockedBy: row.lockedBy,
      })),
    ).toEqual(links.map(() => ({ state: "done", attempts: 1, skipped: null, sent: true, lockedBy: null })));
    // A second worker round, a redelivered paste: nothing more reaches a helpdesk.
    expect((await paste(1, links)).notesAdded).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const link of links) expect(calls(link.provider)).toHaveLength(1);
  });

  it("ends without a call a note whose issue closed, or whose link went, before its turn", async () => {
    const [closed, removed] = [conversation("zendesk", 2), conversation("zendesk", 3)];
    await paste(2, [closed!]);
    await paste(3, [removed!]);
    await recordIssueClose(bench.database, issueRef(2), {
      closedAt: new Date("2026-11-21T12:00:00Z"),
      stateReason: "completed",
      closedBy: "octocat",
      reopen: false,
      note: "n/a",
      summary: false,
      details: "private",
      closedTickets: "follow_up",
    });
    await applySourceChange(bench.database, {
      issue: issueRef(3),
      source: { kind: "comment", key: "3" },
      event: { action: "deleted", version: POSTED, at: new Date("2026-11-20T11:00:00Z") },
      createdAt: POSTED,
      links: [],
    });
    startWorker(["zendesk"]);
    const rows = await settled();
    expect(rows.map((row) => `${row.conversationId} ${row.state} ${row.skipped} ${String(row.sentAt)}`)).toEqual([
      `${closed!.conversationId} done issue closed null`,
      `${removed!.conversationId} done link removed null`,
    ]);
    expect(calls("zendesk")).toEqual([]);
  });

  it("with CLOSELOOP_DRY_RUN, logs the note, sends nothing, and ends it done: a later real run sends none", async () => {
    const link = conversation("intercom", 4);
    await paste(4, [link]);
    const dry = startWorker(["intercom"], { dryRun: true });
    const rows = await settled();
    expect(rows.map((row) => `${row.state} ${row.skipped}`)).toEqual(["done dry run"]);
    expect(bench.logs).toContain(
      `[dry-run] Would add a note to Intercom conversation ${link.conversationId}: ${JSON.stringify(noteFor(4))}`,
    );
    await dry.stop();
    startWorker(["intercom"]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls("intercom")).toEqual([]);
  });

  it("retries a 500 and dead-letters a 404 with its reason, counted in status; retry --dead queues it again", async () => {
    const [flaky, gone] = [conversation("freshdesk", 5), conversation("freshdesk", 6)];
    await paste(5, [flaky!, gone!]);
    fake("freshdesk").http.failNext(
      { kind: "status", status: 500 },
      { times: 2, match: (request) => request.path.includes(`/${flaky!.conversationId}/`) },
    );
    fake("freshdesk").http.failNext(
      { kind: "status", status: 404 },
      { match: (request) => request.path.includes(`/${gone!.conversationId}/`) },
    );
    const worker = startWorker(["freshdesk"]);
    const rows = await settled();
    expect(
      rows.map((row) => ({
        conversationId: row.conversationId,
        state: row.state,
        attempts: row.attempts,
        lastStatus: row.lastStatus,
      })),
    ).toEqual([
      { conversationId: flaky!.conversationId, state: "done", attempts: 3, lastStatus: null },
      { conversationId: gone!.conversationId, state: "dead", attempts: 1, lastStatus: 404 },
    ]);
    expect(fake("freshdesk").conversation(flaky!.conversationId)!.notes).toHaveLength(1);
    const backlog = await linkNoteBacklog(bench.database.prisma);
    expect(backlog.providers).toEqual([{ provider: "freshdesk", pending: 0, running: 0, done: 1, dead: 1 }]);
    expect(backlog.dead).toMatchObject([
      { provider: "freshdesk", conversationId: gone!.conversationId, issue: "Codertocat/Hello-World#5", attempts: 1 },
    ]);
    expect(backlog.dead[0]!.lastError).toContain("404");

    await worker.stop();
    expect(await reviveDead(bench.database.prisma, LINK_NOTES)).toBe(1);
    startWorker(["freshdesk"]);
    await waitFor(async () => (await notes()).every((row) => row.state === "done"), 10_000, "the retried note");
    expect(fake("freshdesk").conversation(gone!.conversationId)!.notes).toHaveLength(1);
  });

  it("a process that died between the call and its record: the note is sent again once (duplicates bounded by the notes in flight)", async () => {
    const link = conversation("helpscout", 7);
    await paste(7, [link]);
    // The dead process claimed the note and the helpdesk took it; its record never came, and its lease ran out.
    await claimLeases(bench.database.prisma, bench.database.engine, LINK_NOTES, {
      owner: "crashed",
      leaseMs: 1,
      limit: 1,
      where: ofProvider("helpscout"),
    });
    const [lane] = lanesFor([fake("helpscout")]);
    await lane!.client.addNote({ account: link.account, conversationId: link.conversationId }, noteFor(7));
    await new Promise((resolve) => setTimeout(resolve, 5));

    startWorker(["helpscout"]);
    const rows = await settled();
    expect(rows.map((row) => `${row.state} ${row.attempts}`)).toEqual(["done 2"]);
    expect(fake("helpscout").conversation(link.conversationId)!.notes).toHaveLength(2);
  });

  it("waits behind the reopen calls of its lane", async () => {
    const reopens = [conversation("zendesk", 10), conversation("zendesk", 11)];
    for (const link of reopens) fake("zendesk").seed({ id: link.conversationId, open: false });
    const pasted = [conversation("zendesk", 12), conversation("zendesk", 13)];
    // The link notes were queued first, and the close after them.
    await paste(12, pasted);
    await closeWithLinks(bench.database, 10, reopens);
    // One call every 250 ms: every call waits its turn in the lane.
    startWorker(["zendesk"], { budgets: { zendesk: { requests: 1, intervalMs: 250 } } });
    await settled();
    await waitFor(
      async () => (await bench.database.prisma.reopenJob.count({ where: { state: "done" } })) === 2,
      10_000,
      "the reopens",
    );
    const order = fake("zendesk").http.requests.map((request) => /tickets\/(\d+)\.json/.exec(request.path)![1]);
    const ids = (links: readonly RecognisedLink[]) => new Set(links.map((link) => link.conversationId));
    expect(order).toHaveLength(4);
    // The reopen jobs' two calls (Zendesk takes the note and the reopen in one Update Ticket), then the two link notes.
    expect(new Set(order.slice(0, 2))).toEqual(ids(reopens));
    expect(new Set(order.slice(2))).toEqual(ids(pasted));
  });
});
