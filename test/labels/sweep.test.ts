import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/config/repo-config.js";
import { sweepDueIssues, type DecayedIssue } from "../../src/labels/sweep.js";
import { openSweepStore, type DueIssue, type DuePage, type SweepStore } from "../../src/store/label-sweep.js";
import { markLabelsDue } from "../../src/store/labels.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { recordIssueClose } from "../../src/store/issues.js";
import { ENGINES } from "../support/databases.js";
import { useDatabase } from "../support/use-database.js";

const DAY = 86_400_000;
const NOW = new Date("2027-01-01T00:00:00Z");
const ago = (days: number) => new Date(NOW.getTime() - days * DAY);
const repository = { id: 10n, installationId: 1n, owner: "octo-org", name: "app" };
const repositoryIssue = (number: number) => ({ repository, number, githubId: BigInt(number), state: "open" as const });

describe.each(ENGINES)("the decay sweep's core on %s", (engine) => {
  const database = useDatabase(engine);
  let store: SweepStore;
  const issueRows = async () =>
    (
      await database.prisma.issue.findMany({
        orderBy: { number: "asc" },
        select: { number: true, evaluation: { select: { frequency: true, dueAt: true } } },
      })
    ).map(
      ({ number, evaluation }) =>
        `#${number} ${evaluation?.frequency ?? "none"} ${evaluation?.dueAt?.toISOString() ?? "-"}`,
    );

  /** Issue `number` was last evaluated as `frequency`, due at `dueAt`. */
  async function evaluated(number: number, frequency: string | null, dueAt: Date | null): Promise<void> {
    const { id: issueId } = await database.prisma.issue.findFirstOrThrow({ where: { number } });
    await database.prisma.labelEvaluation.upsert({
      where: { issueId },
      create: { issueId, frequency, dueAt },
      update: { frequency, dueAt },
    });
  }

  /** An issue with links posted `ages` days before NOW, last evaluated as `frequency`, due at `due`. */
  async function issue(number: number, ages: number[], frequency: string | null, due: Date | null): Promise<void> {
    await applySourceChange(database, {
      issue: { repository, number, githubId: BigInt(number), state: "open" },
      source: { kind: "comment", key: String(number) },
      event: { action: "created", version: ago(30) },
      createdAt: ago(30),
      links: ages.map((_, n) => ({
        provider: "zendesk",
        account: "acme",
        conversationId: `${number}-${n}`,
        url: `https://acme.zendesk.com/agent/tickets/${number}${n}`,
      })),
    });
    // dated as posted
    const links = await database.prisma.link.findMany({ where: { issue: { number } }, orderBy: { id: "asc" } });
    for (const [n, link] of links.entries())
      await database.prisma.link.update({ where: { id: link.id }, data: { linkedAt: ago(ages[n]!) } });
    await evaluated(number, frequency, due);
  }

  beforeEach(async () => {
    store = openSweepStore(database.target, console);
  });
  afterEach(async () => {
    await store.close();
  });

  it("re-evaluates only the issues that are due, stepping daily down to weekly and weekly to none", async () => {
    await issue(1, [1, 2, 3, 4, 8], "daily", ago(1)); // the 8-day-old report left the daily window: weekly
    await issue(2, [15, 20], "weekly", ago(0)); // both left the weekly window: none
    await issue(3, [1, 2], "weekly", new Date(NOW.getTime() + DAY)); // not due
    await issue(4, [1, 16], "weekly", null); // not due (never evaluated as having a label to lose)
    const figures = await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency, { batchSize: 1 });
    // #2's two reports are older than the longest window (14 days): not read
    expect(figures).toEqual({ issues: 2, links: 5, changed: 2, batches: 2 });
    expect(await issueRows()).toEqual([
      `#1 weekly ${new Date(ago(2).getTime() + 14 * DAY + 1).toISOString()}`,
      "#2 none -",
      `#3 weekly ${new Date(NOW.getTime() + DAY).toISOString()}`,
      "#4 weekly -",
    ]);
    // nothing is due any more
    expect(await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency)).toEqual({
      issues: 0,
      links: 0,
      changed: 0,
      batches: 0,
    });
  });

  it("pages through issues due at one instant (a config change) and at later ones, each once", async () => {
    for (const number of [1, 2, 3, 4, 5]) await issue(number, [1, 2], "weekly", ago(3));
    await issue(6, [1, 2], "weekly", ago(2));
    await issue(7, [1, 2], "weekly", ago(2));
    await issue(8, [1, 2], "daily", ago(1));
    const figures = await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency, { batchSize: 2 });
    expect(figures).toEqual({ issues: 8, links: 16, changed: 1, batches: 4 });
    const weekly = `weekly ${new Date(ago(2).getTime() + 14 * DAY + 1).toISOString()}`;
    expect(await issueRows()).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((number) => `#${number} ${weekly}`));
  });

  it("hands issues whose frequency changed to the applier; when it fails the sweep stops and they are due again later", async () => {
    await issue(1, [1, 2, 3, 4, 8], "daily", ago(1));
    await issue(2, [1, 2], "weekly", ago(0)); // unchanged: only its due time moves
    const seen: DecayedIssue[] = [];
    const sweep = sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency, {
      applyChanged: async (issues) => {
        seen.push(...issues);
        throw new Error("GitHub is down");
      },
      retryAfterMs: 60_000,
    });
    await expect(sweep).rejects.toThrow("GitHub is down");
    expect(seen).toEqual([
      { issueId: expect.any(Number), repositoryId: 10n, number: 1, from: "daily", to: "weekly", stale: false },
    ]);
    expect(await issueRows()).toEqual([
      `#1 daily ${new Date(NOW.getTime() + 60_000).toISOString()}`,
      `#2 weekly ${new Date(ago(2).getTime() + 14 * DAY + 1).toISOString()}`,
    ]);
  });

  it("counts only live links: a URL edited out leaves its link out, put back counts it again", async () => {
    const comment = async (action: "created" | "edited", days: number, conversations: string[]) => {
      await applySourceChange(database, {
        issue: repositoryIssue(1),
        source: { kind: "comment", key: "1" },
        event: { action, version: ago(days) },
        createdAt: ago(2),
        links: conversations.map((id) => ({
          provider: "zendesk",
          account: "acme",
          conversationId: id,
          url: `https://acme.zendesk.com/agent/tickets/${id}`,
        })),
      });
      await evaluated(1, "weekly", ago(0));
    };
    await comment("created", 2, ["7", "8"]);
    // A close keeps the links (their reopen history) once no source carries them.
    await recordIssueClose(database, repositoryIssue(1), {
      closedAt: ago(1.5),
      stateReason: "completed",
      closedBy: "octocat",
      reopen: false,
      note: "n",
      summary: false,
      details: "private",
      closedTickets: "follow_up",
    });
    await comment("edited", 1, ["8"]);
    expect(await database.prisma.link.count()).toBe(2);
    await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency);
    expect(await issueRows()).toEqual(["#1 none -"]);

    await comment("edited", 0.5, ["7", "8"]);
    await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency);
    expect(await issueRows()).toEqual([`#1 weekly ${new Date(ago(2).getTime() + 14 * DAY + 1).toISOString()}`]);
  });

  it("an applier that records the evaluation takes the issue out of the sweep", async () => {
    await issue(1, [1, 2, 3, 4, 8], "daily", ago(1));
    const figures = await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency, {
      applyChanged: (issues) =>
        store.record(
          issues.map((changed) => ({ issueId: changed.issueId, frequency: changed.to, dueAt: null })),
          NOW,
        ),
    });
    expect(figures.changed).toBe(1);
    expect(await issueRows()).toEqual(["#1 weekly -"]);
  });

  it("leaves an issue a config change marked while the sweep evaluated it, and one whose config cannot be read", async () => {
    await issue(1, [1, 2], "weekly", ago(1));
    const figures = await sweepDueIssues(store, NOW, async (repositoryId) => {
      // A config push lands while the sweep reads the repository's config.
      await markLabelsDue(database.prisma, { repositoryId }, new Date(NOW.getTime() + 1_000));
      return DEFAULT_CONFIG.frequency;
    });
    expect(figures).toMatchObject({ issues: 1, changed: 0 });
    expect(await issueRows()).toEqual([`#1 weekly ${new Date(NOW.getTime() + 1_000).toISOString()}`]);
    expect((await database.prisma.labelEvaluation.findFirstOrThrow()).staleAt).toEqual(new Date(NOW.getTime() + 1_000));

    // Rules unknown (no token for the installation): left due, untouched.
    await database.prisma.labelEvaluation.updateMany({ data: { dueAt: ago(1), staleAt: null } });
    expect(await sweepDueIssues(store, NOW, () => null)).toMatchObject({ issues: 1, changed: 0 });
    expect(await issueRows()).toEqual([`#1 weekly ${ago(1).toISOString()}`]);
  });
});

describe("the decay sweep's read-ahead", () => {
  const dueIssue = (id: number): DueIssue => ({
    issueId: id,
    repositoryId: 1n,
    number: id,
    frequency: null,
    stale: false,
  });

  // A full store's page: the next read starts after its last issue, and an empty one is the end.
  const asPage = (issues: DueIssue[]): DuePage => ({ issues, next: issues.at(-1)?.issueId ?? null });

  it("goes on after a read that found no issue due among the ids it looked at, until the store says the end", async () => {
    const reads: (number | null)[] = [];
    const answers = new Map<number | null, DuePage>([
      [null, { issues: [], next: 20_000 }],
      [20_000, { issues: [dueIssue(25_000)], next: 40_000 }],
      [40_000, { issues: [], next: 60_000 }],
      [60_000, { issues: [dueIssue(61_000)], next: null }],
    ]);
    const recorded: number[] = [];
    const store: SweepStore = {
      readDue: async (_now, after) => {
        reads.push(after);
        return answers.get(after)!;
      },
      readReports: async () => new Map(),
      record: async (evaluations) => {
        recorded.push(...evaluations.map((evaluation) => evaluation.issueId));
      },
      postpone: async () => {},
      close: async () => {},
    };
    expect(await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency)).toMatchObject({ issues: 2, batches: 2 });
    expect(reads).toEqual([null, 20_000, 40_000, 60_000]);
    expect(recorded).toEqual([25_000, 61_000]);
  });

  it("reads the next page while it writes the one before", async () => {
    const pages = [[dueIssue(1)], [dueIssue(2)], []];
    const reads: (number | null)[] = [];
    let readAhead = () => {};
    const written: number[] = [];
    const store: SweepStore = {
      readDue: async (_now, after) => {
        reads.push(after);
        readAhead();
        return asPage(pages[reads.length - 1]!);
      },
      readReports: async () => new Map(),
      // Page k's write ends only once page k + 1 is being read: a sweep that read after writing would wait forever.
      record: (evaluations) =>
        new Promise<void>((resolve) => {
          written.push(...evaluations.map((evaluation) => evaluation.issueId));
          const page = written.length;
          readAhead = () => reads.length > page && resolve();
          readAhead();
        }),
      postpone: async () => {},
      close: async () => {},
    };
    expect(await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency)).toMatchObject({ issues: 2, batches: 2 });
    expect(reads).toEqual([null, 1, 2]);
    expect(written).toEqual([1, 2]);
  });

  it("records several pages' evaluations at once when the store asks to, and the rest when the sweep ends", async () => {
    const pages = [1, 2, 3, 4, 5, 6, 7].map((id) => [dueIssue(id)]);
    const recorded: number[][] = [];
    const store: SweepStore = {
      readDue: async (_now, after) => asPage(pages[after ?? 0] ?? []),
      readReports: async () => new Map(),
      recordBatch: 3,
      record: async (evaluations) => {
        recorded.push(evaluations.map((evaluation) => evaluation.issueId));
      },
      postpone: async () => {},
      close: async () => {},
    };
    const figures = await sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency, { batchSize: 1 });
    expect(figures).toMatchObject({ issues: 7, batches: 7 });
    expect(recorded).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("fails the sweep, not the process, when the page read ahead fails while the one before is written", async () => {
    const store: SweepStore = {
      readDue: async (_now, after) => {
        if (after === null) return asPage([dueIssue(1)]);
        throw new Error("connection lost");
      },
      readReports: async () => new Map(),
      // the read ahead fails meanwhile
      record: () => new Promise<void>((resolve) => setImmediate(resolve)),
      postpone: async () => {},
      close: async () => {},
    };
    await expect(sweepDueIssues(store, NOW, () => DEFAULT_CONFIG.frequency)).rejects.toThrow("connection lost");
  });
});
