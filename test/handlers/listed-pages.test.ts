import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecognisedLink } from "../../src/domain/link.js";
import type { IssueRef, RepositoryRef } from "../../src/domain/refs.js";
import { splitListedPage, storeListedPage, type ListedText } from "../../src/handlers/listed-pages.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

/**
 * A backfill stores a listing page with a few statements for the whole page (src/handlers/listed-pages.ts), and sends
 * what that path cannot decide alone through the path every change takes. The two must store the same thing: on random
 * pages (conversations repeated across texts and issues, sources and links stored before, merged conversations, the
 * link cap) a page leaves exactly the rows that its texts, each applied as a change in listing order, leave.
 */

const CONVERSATIONS: readonly RecognisedLink[] = [
  { provider: "zendesk", account: "acme", conversationId: "41", url: "https://acme.zendesk.com/agent/tickets/41" },
  { provider: "zendesk", account: "acme", conversationId: "42", url: "https://acme.zendesk.com/agent/tickets/42" },
  {
    provider: "intercom",
    account: "abc123",
    conversationId: "7",
    url: "https://app.intercom.com/a/inbox/abc123/inbox/conversation/7",
  },
  // Front merges conversations: cnv_old is an alias of cnv_new in every database below.
  { provider: "front", account: "", conversationId: "cnv_old", url: "https://app.frontapp.com/open/cnv_old" },
  { provider: "front", account: "", conversationId: "cnv_new", url: "https://app.frontapp.com/open/cnv_new" },
  {
    provider: "front",
    account: "",
    conversationId: "cnv_2bd",
    url: "https://app.frontapp.com/open/3001",
    fromAddressBar: true,
  },
];
const DAY = 86_400_000;
const START = Date.parse("2026-01-01T00:00:00Z");

const textWith = (minLinks: number) =>
  fc.record({
    issue: fc.integer({ min: 1, max: 3 }),
    // the body, or one of a few comments
    key: fc.constantFrom("", "11", "12", "13"),
    links: fc.uniqueArray(fc.integer({ min: 0, max: CONVERSATIONS.length - 1 }), { minLength: minLinks, maxLength: 3 }),
    createdDay: fc.integer({ min: 0, max: 5 }),
    editedAfter: fc.integer({ min: 0, max: 3 }),
  });
const page = fc.record({
  // texts stored before the page, as webhooks would have stored them
  before: fc.array(textWith(0), { maxLength: 3 }),
  // a backfill's page lists the texts that carry links, each once
  texts: fc.uniqueArray(textWith(1), {
    minLength: 1,
    maxLength: 6,
    selector: (generated) => `${generated.issue}|${generated.key}`,
  }),
  closedIssues: fc.subarray([1, 2, 3]),
  maxLinks: fc.integer({ min: 1, max: 4 }),
  // the most issues and texts a part of the page holds (splitListedPage); 20 is the whole page
  partSize: fc.constantFrom(1, 2, 3, 5, 20),
});
type Text = ReturnType<typeof textWith> extends fc.Arbitrary<infer T> ? T : never;

describe("splitting a backfill page into parts", () => {
  const repository: RepositoryRef = { id: 1n, installationId: 1n, owner: "octo", name: "app" };
  const issue = (number: number): IssueRef => ({ repository, number, githubId: BigInt(number), state: "open" });
  const text = (number: number, key: string): ListedText => ({
    issue: issue(number),
    source: { kind: key === "" ? "body" : "comment", key },
    links: [CONVERSATIONS[0]!],
    createdAt: new Date(START),
    updatedAt: new Date(START),
  });
  const kept = (number: number) => ({
    number,
    githubId: BigInt(number),
    nodeId: null,
    state: "open" as const,
    title: `Issue ${number}`,
    openedAt: new Date(START),
    titleAt: new Date(START),
  });
  /** Each part as its issues' numbers: listed, texts (number:key) and kept. */
  const shape = (parts: ReturnType<typeof splitListedPage>) =>
    parts.map((part) => ({
      listed: part.listed.map((listed) => listed.number),
      texts: part.texts.map((listed) => `${listed.issue.number}:${listed.source.key}`),
      kept: part.kept.map((issue) => issue.number),
    }));
  const page = {
    repository,
    listed: [1, 2, 3].map(issue),
    // issue 2's texts are listed apart, as a comments page may list them
    texts: [text(2, "a"), text(1, ""), text(2, "b"), text(3, "")],
    kept: [kept(3)],
    maxLinks: 5,
  };

  it.each([
    ["a size the page fits in: one part", 20, [{ listed: [1, 2, 3], texts: ["1:", "2:a", "2:b", "3:"], kept: [3] }]],
    [
      "issues whole, in the page's order, none over the size but one larger alone",
      2,
      [
        { listed: [1], texts: ["1:"], kept: [] },
        { listed: [2], texts: ["2:a", "2:b"], kept: [] },
        { listed: [3], texts: ["3:"], kept: [3] },
      ],
    ],
    [
      "two issues and their three texts in a part of five",
      5,
      [
        { listed: [1, 2], texts: ["1:", "2:a", "2:b"], kept: [] },
        { listed: [3], texts: ["3:"], kept: [3] },
      ],
    ],
  ])("%s", (_, size, parts) => {
    expect(shape(splitListedPage(page, size))).toEqual(parts);
  });

  it("makes no part of an empty page, and keeps its repository and link cap on every part", () => {
    expect(splitListedPage({ ...page, listed: [], texts: [], kept: [] }, 5)).toEqual([]);
    for (const part of splitListedPage(page, 2)) expect(part).toMatchObject({ repository, maxLinks: 5 });
  });
});

describe.each(ENGINES)("a backfill page on %s", (engine) => {
  let listed: Database;
  let oneByOne: Database;
  let runs = 0;

  beforeAll(async () => {
    [listed, oneByOne] = await Promise.all([
      openDatabase(await freshDatabaseUrl(engine), { migrate: true }),
      openDatabase(await freshDatabaseUrl(engine), { migrate: true }),
    ]);
    for (const database of [listed, oneByOne])
      await database.prisma.conversationAlias.create({
        data: { provider: "front", account: "", aliasId: "cnv_old", conversationId: "cnv_new", createdAt: new Date() },
      });
  });
  afterAll(async () => {
    await Promise.all([listed?.close(), oneByOne?.close()]);
  });

  it("stores what its texts applied one by one store, whole or in parts", async () => {
    await fc.assert(
      fc.asyncProperty(page, async ({ before, texts, closedIssues, maxLinks, partSize }) => {
        // A repository of its own per run: the databases are shared by the runs.
        const repository: RepositoryRef = {
          id: BigInt(1000 + ++runs),
          installationId: 1n,
          owner: "octo",
          name: `r${runs}`,
        };
        const issue = (number: number): IssueRef => ({
          repository,
          number,
          githubId: BigInt(runs * 10 + number),
          state: closedIssues.includes(number) ? "closed" : "open",
          details: { title: `Issue ${number}`, openedAt: new Date(START), at: new Date(START + DAY) },
        });
        const listedText = (generated: Text): ListedText => ({
          issue: issue(generated.issue),
          source: { kind: generated.key === "" ? "body" : "comment", key: generated.key },
          links: generated.links.map((index) => CONVERSATIONS[index]!),
          createdAt: new Date(START + generated.createdDay * DAY),
          updatedAt: new Date(START + (generated.createdDay + generated.editedAfter) * DAY),
        });
        const asChange = (database: Database, listed: ListedText) =>
          applySourceChange(database, {
            issue: listed.issue,
            source: listed.source,
            event: { action: "edited", version: listed.updatedAt },
            links: listed.links,
            createdAt: listed.createdAt,
            previous: listed.links,
            maxLinks,
          });

        for (const database of [listed, oneByOne])
          for (const generated of before) await asChange(database, listedText(generated));
        const pageTexts = texts.map(listedText);
        const whole = {
          repository,
          listed: [...new Set(texts.map((generated) => generated.issue))].map(issue),
          texts: pageTexts,
          kept: [],
          maxLinks,
        };
        const stored = { added: 0 };
        for (const part of splitListedPage(whole, partSize))
          stored.added += (await storeListedPage(listed, part)).added;
        let added = 0;
        for (const listed of pageTexts) added += (await asChange(oneByOne, listed)).added;

        expect(stored.added).toBe(added);
        expect(await rowsOf(listed, repository.id)).toEqual(await rowsOf(oneByOne, repository.id));
      }),
      { numRuns: 30 },
    );
  }, 180_000);
});

/** What a repository's issues hold, by natural keys (row ids differ between the two paths); times of the run as "now". */
async function rowsOf(database: Database, repositoryId: bigint) {
  const { prisma } = database;
  const began = START + 30 * DAY;
  const when = (value: Date | null) => (value === null ? null : value.getTime() > began ? "now" : value.toISOString());
  const issues = await prisma.issue.findMany({
    where: { repositoryId },
    include: {
      sources: { include: { versions: true, mentions: true } },
      links: { include: { sources: { include: { source: true } } } },
    },
    orderBy: { number: "asc" },
  });
  const conversations = issues.flatMap((issue) => issue.links.map((link) => link));
  const enrichment = await prisma.enrichJob.findMany({
    where: {
      OR: conversations.map(({ provider, account, conversationId }) => ({ provider, account, conversationId })),
    },
    orderBy: [{ provider: "asc" }, { account: "asc" }, { conversationId: "asc" }],
  });
  const byKey = <T extends object>(rows: T[], key: (row: T) => string) =>
    [...rows].sort((a, b) => key(a).localeCompare(key(b)));
  return {
    issues: issues.map((issue) => ({
      number: issue.number,
      state: issue.state,
      title: issue.title,
      openedAt: when(issue.openedAt),
      titleAt: when(issue.titleAt),
      labelsWantedAt: when(issue.labelsWantedAt),
      sources: byKey(issue.sources, (source) => `${source.kind}|${source.key}`).map((source) => ({
        kind: source.kind,
        key: source.key,
        createdAt: when(source.createdAt),
        versions: byKey(source.versions, (version) => `${version.at.toISOString()}|${version.action}`).map(
          ({ at, action, links, previous }) => ({ at: when(at), action, links, previous }),
        ),
        mentions: byKey(source.mentions, (mention) => `${mention.conversationId}|${mention.startAt.toISOString()}`).map(
          ({ provider, account, conversationId, url, fromAddressBar, startAt, endAt }) => ({
            provider,
            account,
            conversationId,
            url,
            fromAddressBar,
            startAt: when(startAt),
            endAt: when(endAt),
          }),
        ),
      })),
      links: byKey(issue.links, (link) => `${link.provider}|${link.account}|${link.conversationId}`).map((link) => ({
        provider: link.provider,
        account: link.account,
        conversationId: link.conversationId,
        url: link.url,
        source: link.source,
        fromAddressBar: link.fromAddressBar,
        linkedAt: when(link.linkedAt),
        carriers: byKey(link.sources, (carrier) => `${carrier.source.kind}|${carrier.source.key}`).map((carrier) => ({
          kind: carrier.source.kind,
          key: carrier.source.key,
          postedAt: when(carrier.postedAt),
        })),
      })),
    })),
    // `generation` is left out: a page bumps it once for all its texts, a change once each; either way a run that
    // began before is done again. So is `url`: the job keeps the URL of the first link that asked, and a page stores
    // its new texts before the others, so a merged conversation's job may keep its alias's URL where one by one kept
    // the survivor's (seed 255428312). Both open the same conversation, and the job reads it by id.
    enrichment: enrichment.map(({ provider, account, conversationId, state }) => ({
      provider,
      account,
      conversationId,
      state,
    })),
  };
}
