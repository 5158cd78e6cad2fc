import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readConversationLinks, type SidebarLinkView } from "../../src/store/sidebar-links.js";
import { ENGINES } from "../support/databases.js";
import { openRecordingDatabase, type RecordingDatabase } from "../support/statements.js";

const REPOSITORY = { id: 10n, installationId: 1n, owner: "Octo", name: "App" };
const TICKET = { provider: "zendesk", account: "acme", conversationId: "9001" };
const at = (minute: number) => new Date(Date.UTC(2026, 10, 20, 10, minute));

describe.each(ENGINES)("a sidebar panel's links on %s", (engine) => {
  let database: RecordingDatabase;

  /**
   * Ticket 9001 is linked to three issues of Octo/App: #1 open, labelled and counted, carried by a comment and a
   * helpdesk note; #2 closed twice, its latest close's reopen of the ticket dead; #3 closed by someone without
   * `reopen.by`, its link carried by nothing now. Ticket 9002 is linked to #1 too.
   */
  beforeAll(async () => {
    database = await openRecordingDatabase(engine);
    const prisma = database.prisma;
    await prisma.repository.create({ data: { ...REPOSITORY, fullName: "octo/app" } });
    const issue = (number: number, state: string, stateReason: string | null = null) =>
      prisma.issue.create({
        data: { repositoryId: REPOSITORY.id, number, state, stateReason, title: `Issue ${number}` },
      });
    const [one, two, three] = [
      await issue(1, "open"),
      await issue(2, "closed", "completed"),
      await issue(3, "closed", "not_planned"),
    ];
    const link = (issueId: number, minute: number, conversationId = TICKET.conversationId) =>
      prisma.link.create({
        data: {
          ...TICKET,
          conversationId,
          issueId,
          url: `https://acme.zendesk.com/agent/tickets/${conversationId}`,
          source: "comment",
          linkedAt: at(minute),
        },
      });
    const carry = async (linkId: number, issueId: number, kind: string, key: string) => {
      const source = await prisma.source.upsert({
        where: { issueId_kind_key: { issueId, kind, key } },
        create: { issueId, kind, key },
        update: {},
      });
      await prisma.linkSource.create({ data: { linkId, sourceId: source.id, postedAt: at(0) } });
    };
    const first = await link(one.id, 1);
    await carry(first.id, one.id, "comment", "c1");
    await carry(first.id, one.id, "helpdesk", "zendesk:acme:9001");
    const other = await link(one.id, 2, "9002");
    await carry(other.id, one.id, "comment", "c1");
    for (const [key, name, present, kind] of [
      ["team: billing", "Team: Billing", true, "team"],
      ["reported: daily", "reported: daily", true, "frequency"],
      ["bug", "bug", true, null],
      ["team: old", "team: old", false, "team"],
    ] as const)
      await prisma.issueLabel.create({ data: { issueId: one.id, key, name, present, seenAt: at(0), kind } });
    await prisma.issueImpact.create({
      data: {
        issueId: one.id,
        generation: 0,
        repositoryId: REPOSITORY.id,
        state: "open",
        ...{ reports7: 2, reports14: 4, reports30: 6, reports90: 8 },
        ...{ customers7: 1, customers14: 2, customers30: 3, customers90: 4 },
        helpdesks: ",zendesk,",
        ageOrder: new Date("2026-11-01T00:00:00Z"),
      },
    });

    const second = await link(two.id, 3);
    await carry(second.id, two.id, "helpdesk", "zendesk:acme:9001");
    const close = (issueId: number, minute: number, reason: string, refusal: string | null = null) =>
      prisma.issueClose.create({
        data: { issueId, closedAt: at(minute), reason, reopen: refusal === null, refusal, note: "", summary: false },
      });
    const job = (closeId: number, linkId: number, conversationId: string, state: string, lastError: string | null) =>
      prisma.reopenJob.create({
        data: { ...TICKET, conversationId, closeId, linkId, url: "u", state, lastError },
      });
    const earlier = await close(two.id, 10, "not_planned");
    await job(earlier.id, second.id, "9001", "done", null);
    const latest = await close(two.id, 20, "completed");
    await job(latest.id, second.id, "9001", "dead", "Zendesk answered 403");
    await job(latest.id, 999, "9003", "done", null);

    await link(three.id, 4);
    await close(three.id, 30, "not_planned", "closed by someone without triage permission");
  });
  afterAll(async () => {
    await database.close();
  });

  const view = (number: number, linkedAt: Date, rest: Partial<SidebarLinkView>): SidebarLinkView => ({
    repository: REPOSITORY,
    owner: "Octo",
    name: "App",
    number,
    title: `Issue ${number}`,
    state: "closed",
    stateReason: null,
    labels: [],
    reports30: null,
    sources: ["comment"],
    removable: false,
    linkedAt,
    reopen: { close: null, job: null },
    ...rest,
  });

  it("lists every linked issue with its labels, counts, carriers and latest close, newest link first", async () => {
    expect(await readConversationLinks(database.prisma, TICKET)).toEqual([
      view(3, at(4), {
        stateReason: "not_planned",
        reopen: {
          close: {
            closedAt: at(30),
            reason: "not_planned",
            reopen: false,
            refusal: "closed by someone without triage permission",
          },
          job: null,
        },
      }),
      view(2, at(3), {
        stateReason: "completed",
        sources: ["helpdesk"],
        removable: true,
        reopen: {
          close: { closedAt: at(20), reason: "completed", reopen: true, refusal: null },
          job: { state: "dead", lastError: "Zendesk answered 403" },
        },
      }),
      view(1, at(1), {
        state: "open",
        labels: [
          { name: "reported: daily", kind: "frequency" },
          { name: "Team: Billing", kind: "team" },
        ],
        reports30: 6,
        sources: ["comment", "helpdesk"],
      }),
    ]);
    expect(await readConversationLinks(database.prisma, { ...TICKET, conversationId: "9004" })).toEqual([]);
  });

  it("reads them in one statement, however many issues, labels, sources, closes and jobs", async () => {
    expect(await database.statementsOf(() => readConversationLinks(database.prisma, TICKET))).toEqual(["SELECT Link"]);
  });
});
