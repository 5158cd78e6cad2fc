import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RecognisedLink } from "../../src/domain/link.js";
import { applySourceChange, applySourceChangeIn, type SourceChange } from "../../src/handlers/source-changes.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { listIssueLinks } from "../../src/store/links.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { issueRef } from "../support/reopen.js";
import { holdTransaction, waitForLockWaits } from "../support/held-transactions.js";

const zendesk = (id: string): RecognisedLink => ({
  provider: "zendesk",
  account: "acme",
  conversationId: id,
  url: `https://acme.zendesk.com/agent/tickets/${id}`,
});
const CREATED = new Date("2026-11-20T10:00:00Z");
const EDITED = new Date("2026-11-20T11:00:00Z");

/** A comment on issue `number` created with ticket 2, then edited to ticket 3. */
const created = (number: number): SourceChange => ({
  issue: issueRef(number),
  source: { kind: "comment", key: `${number}-2` },
  event: { action: "created", version: CREATED },
  createdAt: CREATED,
  links: [zendesk("2")],
});
const edited = (number: number): SourceChange => ({
  ...created(number),
  event: { action: "edited", version: EDITED },
  links: [zendesk("3")],
  previous: [zendesk("2")],
});

/**
 * On PostgreSQL a change's issue and source are written in one statement (recordIssueSource), whose reads see the
 * database as it was when it began, while the issue's row lock may come only after another delivery's transaction on
 * the issue committed. Two deliveries of one issue processed at once by replicas must end as when processed in turn.
 */
describe("two changes of one issue's comment at once, on postgresql", () => {
  let url: string;
  let database: Database;
  let observer: pg.Client;

  beforeEach(async () => {
    url = await freshDatabaseUrl("postgresql");
    database = await openDatabase(url, { migrate: true });
    observer = new pg.Client({ connectionString: url });
    await observer.connect();
  });
  afterEach(async () => {
    await observer.end();
    await database.close();
  });

  const state = async (number: number) => ({
    links: (await listIssueLinks(database.prisma, "Codertocat/Hello-World", number))?.map(
      (link) => `${link.conversationId} ${link.sources.map((source) => source.key).join(",")}`,
    ),
    mentions: (
      await database.prisma.mention.findMany({
        where: { issue: { number } },
        orderBy: [{ conversationId: "asc" }, { startAt: "asc" }],
      })
    ).map((mention) => `${mention.conversationId} ${mention.startAt.toISOString()}-${mention.endAt?.toISOString()}`),
  });

  it("an edit waiting for the creation's transaction sees what it wrote, as if processed after it", async () => {
    // Both issues exist with a first link, so the edit's transaction waits for the issue's row, not a new one.
    for (const number of [1, 2])
      await applySourceChange(database, {
        ...created(number),
        source: { kind: "body", key: "" },
        links: [zendesk("1")],
      });
    await applySourceChange(database, created(1));
    await applySourceChange(database, edited(1));

    const creation = holdTransaction(database.prisma, (tx) => applySourceChangeIn(tx, created(2)));
    await creation.held;
    const edit = applySourceChange(database, edited(2));
    await waitForLockWaits(observer, "the edit waiting for the issue's row");
    creation.release();
    await creation.ended;
    await edit;
    const inTurn = await state(1);
    expect(inTurn.links).toEqual(["1 ", "3 1-2"]);
    expect(await state(2)).toEqual({
      links: inTurn.links!.map((link) => link.replace("1-2", "2-2")),
      mentions: inTurn.mentions,
    });
  });
});
