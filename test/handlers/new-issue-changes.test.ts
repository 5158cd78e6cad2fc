import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/config/database-url.js";
import type { RecognisedLink } from "../../src/domain/link.js";
import {
  applySourceChange,
  applySourceChangeIn,
  type SourceChange,
  type SourceOutcome,
} from "../../src/handlers/source-changes.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { issueRef, REPOSITORY } from "../support/reopen.js";
import { statementKind } from "../support/statements.js";
import { holdTransaction, waitForLockWaits } from "../support/held-transactions.js";

/**
 * P8 (#25): a change of a source on an issue new to the store is written on PostgreSQL in one statement without a
 * transaction (docs/ordering.md, An issue new to the store). It must leave the rows the transaction leaves, and when
 * its guard finds the issue's row (another delivery or replica wrote it, or is writing it) write nothing and let the
 * transaction run.
 */

type Payload = Partial<SourceChange> & { number: number };

const zendesk = (id: number): RecognisedLink => ({
  provider: "zendesk",
  account: "acme",
  conversationId: String(id),
  url: `https://acme.zendesk.com/agent/tickets/${id}`,
});
const front = (id: number): RecognisedLink => ({
  provider: "front",
  account: "acme",
  conversationId: `cnv_${id}`,
  url: `https://app.frontapp.com/open/cnv_${id}`,
});
const CREATED = new Date("2026-11-20T10:00:00Z");
const EDITED = new Date("2026-11-20T11:00:00Z");
const NOTE = "Linked from an issue";

/** Comment `key` on issue `number` created with `links`, as a delivery with the notes on and labels seen. */
function created({ number, ...rest }: Payload, key = "1"): SourceChange {
  return {
    issue: issueRef(number),
    source: { kind: "comment", key: `${number}-${key}` },
    event: { action: "created", version: CREATED },
    createdAt: CREATED,
    links: [],
    seenLabels: { labels: ["bug"], at: CREATED },
    linkNote: NOTE,
    ...rest,
  };
}

/** That comment edited from `previous` to `links`. */
function edited(payload: Payload, previous: RecognisedLink[], key = "1"): SourceChange {
  return { ...created(payload, key), event: { action: "edited", version: EDITED }, previous };
}

/** Everything stored of issue `number` and of the conversations `ids`, without ids and the times of processing. */
async function stored(database: Database, number: number, links: readonly RecognisedLink[]) {
  const { prisma } = database;
  const issue = await prisma.issue.findFirst({ where: { number } });
  if (issue === null) return null;
  const where = { issueId: issue.id };
  const sourceKey = new Map(
    (await prisma.source.findMany({ where })).map((source) => [source.id, `${source.kind}:${source.key}`]),
  );
  const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
  return {
    issue: {
      state: issue.state,
      githubId: issue.githubId,
      labelsWanted: issue.labelsWantedAt !== null,
      labelsMarked: issue.labelsMarkedAt !== null,
      labelsSeen: issue.labelsSeen,
      impactDue: issue.impactDueAt !== null,
      impactGeneration: issue.impactGeneration,
    },
    sources: (await prisma.source.findMany({ where, include: { versions: true } }))
      .map((source) => ({
        key: sourceKey.get(source.id)!,
        createdAt: source.createdAt,
        versions: source.versions
          .map(({ at, action, links, previous }) => ({ at, action, links, previous }))
          .sort((a, b) => a.at.getTime() - b.at.getTime()),
      }))
      .sort(byKey),
    mentions: (await prisma.mention.findMany({ where }))
      .map(({ sourceId, provider, account, conversationId, url, fromAddressBar, startAt, endAt }) => ({
        key: `${sourceKey.get(sourceId)} ${provider}:${account}:${conversationId} ${startAt.toISOString()}`,
        url,
        fromAddressBar,
        endAt,
      }))
      .sort(byKey),
    links: byConversation(await prisma.link.findMany({ where, include: { sources: true } }), (link) => ({
      url: link.url,
      source: link.source,
      fromAddressBar: link.fromAddressBar,
      linkedAt: link.linkedAt,
      live: link.live,
      carriers: link.sources.map((carrier) => `${sourceKey.get(carrier.sourceId)} ${carrier.postedAt.toISOString()}`),
    })),
    notes: byConversation(await prisma.linkNote.findMany({ where }), ({ url, note, state }) => ({ url, note, state })),
    enrichment: byConversation(
      await prisma.enrichJob.findMany({ where: { conversationId: { in: links.map((link) => link.conversationId) } } }),
      ({ url, state, generation }) => ({ url, state, generation }),
    ),
    jobs: await prisma.reopenJob.count({ where: { close: { issueId: issue.id } } }),
  };
}

/** Rows of conversations, keyed by theirs, in its order, with what `fields` picks of each. */
function byConversation<Row extends { provider: string; account: string; conversationId: string }>(
  rows: readonly Row[],
  fields: (row: Row) => object,
) {
  return rows
    .map((row) => ({ key: `${row.provider}:${row.account}:${row.conversationId}`, ...fields(row) }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/** A database whose client records its statements: a replica, with its own memory of the rows it saw. */
async function openReplica(url: string): Promise<Database & { recorded: string[] }> {
  const recorded: string[] = [];
  const database = await openDatabase(url, { migrate: true, onStatement: (sql) => recorded.push(statementKind(sql)) });
  // The repository's row is written once (RepositoryRows): only the changes' statements are counted.
  await database.repositoryRows.ensure(REPOSITORY);
  return Object.assign(database, { recorded });
}

async function statementsOf(database: Database & { recorded: string[] }, work: () => Promise<unknown>) {
  database.recorded.length = 0;
  await work();
  return [...database.recorded];
}

/** One change written in the transaction, as every change was before an issue new to the store had its statement. */
async function inTransaction(database: Database, change: SourceChange): Promise<SourceOutcome> {
  await database.repositoryRows.ensure(REPOSITORY);
  return database.prisma.$transaction((tx) => applySourceChangeIn(tx, change));
}

const linksOf = (...changes: SourceChange[]) =>
  changes.flatMap((change) => [...change.links, ...(change.previous ?? [])]);

describe.each(ENGINES)("a change of an issue new to the store on %s", (engine: Engine) => {
  let database: Database & { recorded: string[] };
  let reference: Database;

  beforeAll(async () => {
    database = await openReplica(await freshDatabaseUrl(engine));
    reference = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
  });
  afterAll(async () => {
    await database.close();
    await reference.close();
  });

  // The statement of its own on PostgreSQL; elsewhere, and when the change needs reads, the transaction's.
  const ALONE = engine === "postgresql" ? ["WITH issue"] : undefined;
  const cases: [string, SourceChange, string[] | undefined][] = [
    ["a first comment with two links", created({ number: 1, links: [zendesk(11), zendesk(12)] }), ALONE],
    [
      "the notes off (`notify.linked: false`)",
      created({ number: 2, links: [zendesk(21)], linkNote: undefined }),
      ALONE,
    ],
    [
      "a closed issue: no note",
      created({ number: 3, links: [zendesk(31)], issue: { ...issueRef(3), state: "closed" } }),
      ALONE,
    ],
    [
      "links.max_per_issue below the comment's links",
      created({ number: 4, links: [zendesk(41), zendesk(42), zendesk(43)], maxLinks: 1 }),
      ALONE,
    ],
    [
      "links.max_per_issue 0: nothing linked, no mark",
      created({ number: 5, links: [zendesk(51)], maxLinks: 0 }),
      ALONE,
    ],
    ["an edit processed before its creation", edited({ number: 6, links: [zendesk(62)] }, [zendesk(61)]), ALONE],
    ["no labels in the payload", created({ number: 7, links: [zendesk(71)], seenLabels: undefined }), ALONE],
    [
      "a link from an address bar",
      created({ number: 8, links: [{ ...zendesk(81), fromAddressBar: true }, zendesk(82)] }),
      ALONE,
    ],
    [
      "a delete processed before its comment was seen",
      { ...created({ number: 11, links: [zendesk(111)] }), event: { action: "deleted", at: EDITED } },
      ALONE,
    ],
    // A conversation Front may have merged needs its survivor read: the transaction.
    ["a conversation that may have been merged", created({ number: 9, links: [front(91), zendesk(92)] }), undefined],
    [
      "a delete by an author no longer trusted: only what was stored",
      { ...created({ number: 10, links: [zendesk(101)] }), event: { action: "deleted", at: EDITED }, knownOnly: true },
      [],
    ],
  ];
  it.each(cases)("%s: the transaction's rows", async (_, change, statements) => {
    let outcome!: SourceOutcome;
    const sent = await statementsOf(database, async () => (outcome = await applySourceChange(database, change)));
    if (statements !== undefined && statements.length > 0) expect(sent).toEqual(statements);
    else expect(sent.at(-1) === "COMMIT" || sent.length === 0).toBe(true);
    expect(outcome).toEqual(await inTransaction(reference, change));
    const links = linksOf(change);
    expect(await stored(database, change.issue.number, links)).toEqual(
      await stored(reference, change.issue.number, links),
    );
  });

  it("the outcomes say what was linked, capped and noted", async () => {
    const rows = await stored(database, 4, [zendesk(41), zendesk(42), zendesk(43)]);
    expect(rows!.links.map((link) => link.key)).toEqual(["zendesk:acme:41"]);
    expect(rows!.notes.map((note) => note.key)).toEqual(["zendesk:acme:41"]);
    expect((await stored(database, 3, [zendesk(31)]))!.notes).toEqual([]);
    expect((await stored(database, 5, [zendesk(51)]))!.issue.labelsWanted).toBe(false);
    expect(await stored(database, 10, [zendesk(101)])).toBeNull();
  });
});

/**
 * Two replicas (each its own client and memory) on one PostgreSQL: the guard sees the issue's row whenever another
 * delivery wrote it, however recently, and waits for one that is writing it.
 */
describe("a change of an issue new to the store racing another delivery, on postgresql", () => {
  let url: string;
  let one: Database & { recorded: string[] };
  let two: Database & { recorded: string[] };
  let reference: Database;
  let observer: pg.Client;

  beforeAll(async () => {
    url = await freshDatabaseUrl("postgresql");
    one = await openReplica(url);
    two = await openReplica(url);
    reference = await openDatabase(await freshDatabaseUrl("postgresql"), { migrate: true });
    observer = new pg.Client({ connectionString: url });
    await observer.connect();
  });
  afterAll(async () => {
    await observer.end();
    await Promise.all([one, two, reference].map((database) => database.close()));
  });

  /** Replica one writes `first` in a transaction held open until `second`, by replica two, waits for its issue row. */
  async function whileHeld(first: SourceChange, second: SourceChange, { rollBack = false } = {}) {
    const held = holdTransaction(one.prisma, (tx) => applySourceChangeIn(tx, first), { rollBack });
    await held.held;
    const sent = statementsOf(two, () => applySourceChange(two, second));
    await waitForLockWaits(observer, "the second delivery waiting for the issue's row");
    held.release();
    await held.ended;
    return sent;
  }

  it("a duplicate delivery on another replica: its statement writes nothing, its transaction nothing new", async () => {
    const change = created({ number: 1, links: [zendesk(1)] });
    expect(await statementsOf(one, () => applySourceChange(one, change))).toEqual(["WITH issue"]);
    let again!: SourceOutcome;
    const sent = await statementsOf(two, async () => (again = await applySourceChange(two, change)));
    expect(sent[0]).toBe("WITH issue");
    expect(sent.at(-1)).toBe("COMMIT");
    expect(again).toMatchObject({ added: 0, notesAdded: 0, changed: false });
    await expectInTurn(1, change);
  });

  it("a replica that wrote or found an issue sends its next change straight to the transaction", async () => {
    const later = created({ number: 1, links: [zendesk(2)] }, "2");
    for (const replica of [one, two])
      expect(await statementsOf(replica, () => applySourceChange(replica, later))).not.toContain("WITH issue");
  });

  /** Issue `number` as stored is what processing `changes` in turn in the transaction stores. */
  async function expectInTurn(number: number, ...changes: SourceChange[]) {
    for (const change of changes) await inTransaction(reference, change);
    const links = linksOf(...changes);
    expect(await stored(one, number, links)).toEqual(await stored(reference, number, links));
  }

  it.each([
    [
      "a second comment",
      created({ number: 2, links: [zendesk(21)] }),
      created({ number: 2, links: [zendesk(22), zendesk(21)] }, "2"),
    ],
    [
      "an edit racing its comment's creation",
      created({ number: 3, links: [zendesk(31)] }),
      edited({ number: 3, links: [zendesk(32)] }, [zendesk(31)]),
    ],
  ])(
    "%s while another replica's transaction writes the new issue: waits, then processed after it",
    async (_, first, second) => {
      const sent = await whileHeld(first, second);
      expect(sent[0]).toBe("WITH issue");
      expect(sent.at(-1)).toBe("COMMIT");
      await expectInTurn(first.issue.number, first, second);
    },
  );

  /**
   * A transaction that upserts the enrichment jobs of `first`'s conversations, then, once `then` is called, those of
   * `second`'s in a statement of their own: what a backfill page does (its new sources' links, then a text that takes
   * the general path), so a delivery linking the same conversations in the other order waits for it and it for the
   * delivery.
   */
  function twoUpserts(first: SourceChange, second: SourceChange) {
    let then!: () => void;
    const gate = new Promise<void>((resolve) => (then = resolve));
    let upserted!: () => void;
    const held = new Promise<void>((resolve) => (upserted = resolve));
    const ended = one.prisma.$transaction(
      async (tx) => {
        await applySourceChangeIn(tx, first);
        upserted();
        await gate;
        await applySourceChangeIn(tx, second);
      },
      { timeout: 20_000 },
    );
    return { held, then, ended };
  }

  it.each([
    ["its one statement", 5, false],
    ["its transaction (the replica remembers the issue)", 6, true],
  ])(
    "a delivery deadlocked with a transaction linking the same conversations is tried again: %s",
    async (_, number, remembered) => {
      const [c1, c2] = [zendesk(number * 10 + 1), zendesk(number * 10 + 2)];
      const pageTexts = [
        created({ number: number * 10 + 1, links: [c2] }),
        created({ number: number * 10 + 2, links: [c1] }),
      ];
      const page = twoUpserts(pageTexts[0]!, pageTexts[1]!);
      await page.held;
      const change = created({ number, links: [c1, c2] });
      if (remembered) two.repositoryRows.addIssue(change.issue);
      const delivery = applySourceChange(two, change);
      await waitForLockWaits(observer, "the delivery waiting for the page's job of the second conversation");
      // The page now waits for the delivery's job of the first: PostgreSQL ends the one that waited first.
      page.then();
      await page.ended;
      expect(await delivery).toMatchObject({ added: 2, linked: [c1, c2] });
      // The same rows as the page's texts, then the delivery, processed in turn.
      await expectInTurn(number, ...pageTexts, change);
    },
  );

  it("when the other transaction rolls back, the waiting statement writes the issue itself", async () => {
    const lost = created({ number: 4, links: [zendesk(41)] });
    const change = created({ number: 4, links: [zendesk(42)] }, "2");
    expect(await whileHeld(lost, change, { rollBack: true })).toEqual(["WITH issue"]);
    await expectInTurn(4, change);
  });
});
