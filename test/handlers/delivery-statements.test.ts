import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordLabelError } from "../../src/store/labels.js";
import { listIssueLinks } from "../../src/store/links.js";
import { applyLabelsAtOnce, startHarness, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import { nockConfig, receive, webhookExample } from "../support/github.js";
import { openRecordingDatabase, statementKind, type RecordingDatabase } from "../support/statements.js";
import { PROVIDERS } from "../../src/domain/link.js";
import { HelpdeskWorker } from "../../src/jobs/helpdesk-worker.js";
import { killUnrunnableJobs } from "../../src/store/reopen-jobs.js";
import { conversation, lanesFor, useFakeHelpdesks } from "../support/reopen.js";
import { TIMEOUT_MS } from "../support/helpdesk-worker.js";
import { waitFor } from "../support/wait.js";

/**
 * P8 (#25): a delivery's transaction holds its issue's row lock from its first statement to COMMIT, and on a database
 * another host away every statement is a round trip. These are the statements one issue_comment delivery sends, by
 * kind, so a change that adds one is seen here.
 */

type Payload = Record<string, any>;

const ticket = (id: number) => `https://acme.zendesk.com/agent/tickets/${id}`;

function comment(action: "created" | "edited", issue: number, id: number, body: string, from?: string): Payload {
  const payload = webhookExample<Payload>("issue_comment", action);
  payload.installation = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
  payload.issue.number = issue;
  payload.issue.id = 8_000_000 + issue;
  payload.comment.id = id;
  payload.comment.body = body;
  payload.comment.created_at = "2026-11-20T10:00:00Z";
  payload.comment.updated_at = action === "created" ? "2026-11-20T10:00:00Z" : "2026-11-20T11:00:00Z";
  if (from !== undefined) payload.changes = { body: { from } };
  return payload;
}

/**
 * What a comment's or an issue body's delivery sends before its transaction: nothing. Whether its installation was
 * purged is not asked first: its writes find out (RepositoryRows.ensure, src/app.ts PurgeCheck).
 */
const BEFORE: string[] = [];

describe.each(ENGINES)("the statements of one issue_comment delivery on %s", (engine) => {
  // The new links, their conversations' reads for the labels (enrichment jobs), the links' carriers, the labels' mark
  // and the link notes: one statement on PostgreSQL (WITH parts), five on SQLite.
  const NEW_LINKS =
    engine === "postgresql"
      ? ["WITH link"]
      : ["INSERT EnrichJob", "INSERT Link", "INSERT LinkSource", "UPDATE Issue", "INSERT LinkNote"];
  // The issue's row, the source's row and its versions: one statement on PostgreSQL (WITH parts reading the issue's and
  // the source's ids); a new source's mentions too.
  const SOURCE = engine === "postgresql" ? ["WITH source"] : ["INSERT Issue", "INSERT Source", "INSERT SourceVersion"];
  const NEW_SOURCE = engine === "postgresql" ? SOURCE : [...SOURCE, "INSERT Mention"];
  // An issue new to the store: on PostgreSQL all of it, the issue's row first, in one statement without a transaction
  // (docs/ordering.md, An issue new to the store).
  const NEW_ISSUE = engine === "postgresql" ? ["WITH issue"] : [...NEW_SOURCE, ...NEW_LINKS, "COMMIT"];
  let harness: Harness;
  let recorded: string[] = [];
  const deliver = async (payload: Payload) => {
    recorded = [];
    await receive(harness.probot, "issue_comment", payload);
    return recorded;
  };
  const links = (number: number) =>
    listIssueLinks(harness.database.prisma, "Codertocat/Hello-World", number).then((found) =>
      found?.map((link) => `${link.conversationId} ${link.sources.map((source) => source.key).join(",")}`),
    );

  beforeAll(async () => {
    harness = await startHarness(engine, { onStatement: (sql) => recorded.push(statementKind(sql)) });
    // The markings job runs on its own in service: only the delivery's statements are counted here.
    harness.deps.labelsWanted = async () => {};
    // The repository's config and row are read once; later deliveries of it find them in the caches.
    nockConfig("Codertocat", "Hello-World", null);
    await deliver(comment("created", 1, 101, ticket(1)));
  });
  afterAll(async () => {
    await harness.close();
  });

  it("a new issue's first link: ten statements on SQLite, one on PostgreSQL, where it needs no transaction", async () => {
    expect(await deliver(comment("created", 2, 201, ticket(2)))).toEqual([...BEFORE, ...NEW_ISSUE]);
    expect(await links(2)).toEqual(["2 201"]);
  });

  it("a new issue opened with a link in its body: the same statements as a new issue's first comment", async () => {
    const opened = webhookExample<Payload>("issues", "opened");
    opened.installation = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
    opened.issue.number = 4;
    opened.issue.id = 8_000_004;
    opened.issue.body = `Customer: ${ticket(4)}`;
    recorded = [];
    await receive(harness.probot, "issues", opened);
    expect(recorded).toEqual([...BEFORE, ...NEW_ISSUE]);
    expect(await links(4)).toEqual(["4 "]);
  });

  it("a new comment on an issue with links: its mentions, links, carriers, jobs and closes read in one statement", async () => {
    expect(await deliver(comment("created", 1, 102, `${ticket(1)} and ${ticket(3)}`))).toEqual([
      ...BEFORE,
      ...NEW_SOURCE,
      "SELECT Mention", // with the issue's links, their carriers, jobs and closes: one statement
      ...NEW_LINKS,
      "COMMIT",
    ]);
    expect(await links(1)).toEqual(["1 101,102", "3 102"]);
  });

  it("an edit that removes a link: the source's stored versions and mentions are read, no carriers", async () => {
    expect(await deliver(comment("edited", 1, 102, ticket(1), `${ticket(1)} and ${ticket(3)}`))).toEqual([
      ...BEFORE,
      ...SOURCE,
      "SELECT SourceVersion",
      "SELECT Mention",
      "DELETE Mention",
      "INSERT Mention",
      "SELECT Mention", // with the issue's links, their carriers, jobs and closes: one statement
      "DELETE Link",
      "UPDATE Issue",
      "COMMIT",
    ]);
    expect(await links(1)).toEqual(["1 101,102"]);
  });
});

/**
 * P8 (#25): what a processed delivery costs after its transaction, in the markings job that applies the labels it
 * marked. The claim (answering the claimed issues) and the label inputs' read are one statement each, whatever the
 * issues hold and however many a round claims; PostgreSQL claims without the read SQLite needs before it (there an
 * UPDATE takes the write lock even when it matches nothing).
 */
describe.each(ENGINES)("the statements of the markings job after an issue_comment delivery on %s", (engine) => {
  let harness: Harness;
  let recorded: string[] = [];

  beforeAll(async () => {
    harness = await startHarness(engine, { onStatement: (sql) => recorded.push(statementKind(sql)) });
    harness.deps.labelsWanted = async () => {};
    nockConfig("Codertocat", "Hello-World", null);
    await receive(harness.probot, "issue_comment", comment("created", 1, 101, ticket(1)));
  });
  afterAll(async () => {
    await harness.close();
  });

  /** A round of the job, however many issues it claims. */
  const ROUND = [
    ...(engine === "sqlite" ? ["SELECT Issue"] : []), // is anything claimable?
    "UPDATE Issue", // the claim, answering the claimed issues with their repositories
    // their label inputs: labels, live links, the repository's label error (no label is due)
    "SELECT Issue",
    "UPDATE Issue", // all settled
    ...(engine === "sqlite" ? ["SELECT Issue"] : ["UPDATE Issue"]), // nothing more to claim
  ];

  it("claims the issue with its repository, reads its label inputs and settles: one statement each", async () => {
    recorded = [];
    await applyLabelsAtOnce(harness.database, harness.deps, harness.probot)();
    expect(recorded).toEqual(ROUND);
  });

  /** The statements of the round that applies the labels of comments linking on `issues`, after any earlier round. */
  const roundAfterComments = async (...issues: number[]) => {
    await applyLabelsAtOnce(harness.database, harness.deps, harness.probot)(); // whatever an earlier test left
    for (const issue of issues)
      await receive(harness.probot, "issue_comment", comment("created", issue, issue * 100 + 1, ticket(issue)));
    recorded = [];
    await applyLabelsAtOnce(harness.database, harness.deps, harness.probot)();
    return recorded;
  };

  it("reads the label inputs of a round's issues in one statement, and settles them in one", async () => {
    expect(await roundAfterComments(2, 3, 4)).toEqual(ROUND);
  });

  it("reads the label inputs of a round's issues in one statement while their repository's label writes are paused", async () => {
    // A repository that refuses label writes (its label error) is where a claim's issues pile up: they are read once,
    // not again after each issue that carries the error.
    const { prisma } = harness.database;
    const { id } = await prisma.repository.findFirstOrThrow();
    await recordLabelError(prisma, id, "GitHub answered 403: Resource not accessible by integration", new Date());
    expect(await roundAfterComments(5, 6, 7)).toEqual(ROUND);
  });
});

/**
 * P8 (#25): a delivery that queues a link note wakes the helpdesk worker's link notes alone, and only when a lane here
 * can send the note: not a round of every kind (the reopen jobs' dead-lettering read, the summary claim), which keep
 * their own poll.
 */
describe.each(ENGINES)("the helpdesk worker woken by a delivery's link note on %s", (engine) => {
  const fakes = useFakeHelpdesks();
  let harness: Harness;
  let worker: HelpdeskWorker;
  let recorded: string[] = [];

  beforeAll(async () => {
    harness = await startHarness(engine, { onStatement: (sql) => recorded.push(statementKind(sql)) });
    harness.deps.labelsWanted = async () => {};
    // Zendesk has credentials here, Front none; the poll is far off, so every round after the first is a wake's.
    worker = new HelpdeskWorker(
      harness.database.prisma,
      engine,
      lanesFor([fakes.get("zendesk")!], { timeoutMs: TIMEOUT_MS }),
      (id) => harness.probot.auth(id),
      pino({ level: "silent" }),
      { idlePollMs: 60_000 },
    );
    harness.deps.reopenQueued = () => worker.wake("reopen");
    harness.deps.linkNotesQueued = (helpdesks) => worker.wake("linkNote", helpdesks);
    worker.start();
    // The first round is every kind's; its last statement is the summaries' claim.
    await waitFor(async () => recorded.some((kind) => kind.endsWith(" IssueClose")), 20_000, "the first round");
  });
  afterAll(async () => {
    await worker.stop();
    await harness.close();
  });

  it("a note for a helpdesk with a lane claims link notes only; one for a helpdesk without a lane wakes nothing", async () => {
    nockConfig("Codertocat", "Hello-World", null);
    const front = conversation("front", 1);
    const zendesk = conversation("zendesk", 2);
    fakes.get("zendesk")!.seed({ id: zendesk.conversationId });
    recorded = [];
    await receive(harness.probot, "issue_comment", comment("created", 1, 101, front.url));
    // Time for a round, were one woken.
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The delivery's own insert (with its link's on PostgreSQL), and no claim.
    expect(recorded.filter((kind) => kind.endsWith(" LinkNote") || kind === "WITH link")).toEqual([
      engine === "postgresql" ? "WITH link" : "INSERT LinkNote",
    ]);

    await receive(harness.probot, "issue_comment", comment("created", 2, 201, zendesk.url));
    const sent = await waitFor(
      async () =>
        (await harness.database.prisma.linkNote.findFirst({ where: { provider: "zendesk", state: "done" } })) ?? false,
      20_000,
      "Zendesk's note sent",
    );
    expect(sent.sentAt).not.toBeNull();
    // No other kind's claim or read (the deliveries' own inserts aside).
    expect(
      recorded.filter((kind) => /ReopenJob|IssueClose|EnrichJob|AnswerWatch/.test(kind) && !kind.startsWith("INSERT")),
    ).toEqual([]);
    expect(await harness.database.prisma.linkNote.count({ where: { provider: "front", state: "pending" } })).toBe(1);
  });
});

/**
 * P8 (#25): each poll of the helpdesk worker first dead-letters the jobs of helpdesks not configured here: one read for
 * all of them, not one per helpdesk.
 */
describe.each(ENGINES)("the helpdesk worker's round with no helpdesk configured on %s", (engine) => {
  let database: RecordingDatabase;
  beforeAll(async () => {
    database = await openRecordingDatabase(engine);
  });
  afterAll(async () => {
    await database.close();
  });

  it("looks for the unconfigured helpdesks' jobs in one statement", async () => {
    const reasons = new Map(PROVIDERS.map((provider) => [provider, `${provider}: provider not configured`]));
    expect(await database.statementsOf(() => killUnrunnableJobs(database.prisma, reasons))).toEqual([
      "SELECT ReopenJob",
    ]);
  });
});
