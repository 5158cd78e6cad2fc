import nock from "nock";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { recogniseLinks } from "../../src/domain/recognise-links.js";
import { onHelpdeskDelivery, type HelpdeskEventDeps } from "../../src/handlers/helpdesk-events.js";
import { refusals } from "../../src/metrics.js";
import { IssueMarkingsWorker } from "../../src/jobs/issue-markings-worker.js";
import type { HelpdeskEvent } from "../../src/providers/helpdesk-webhook.js";
import { noteAsHtml } from "../../src/providers/note-html.js";
import { urlMatchers } from "../../src/providers/url-matchers.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { listIssueLinks } from "../../src/store/links.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { GITHUB_API, nockConfig, testProbot } from "../support/github.js";
import { parseWebhook, webhookFixture } from "../support/helpdesk-webhooks.js";
import type { ProviderId } from "../../src/domain/link.js";
import { GithubMemory } from "../../src/github/memory.js";
import { captureLogs } from "../support/use-database.js";

const REPOSITORY = { id: 1296269n, installationId: 77n, owner: "octo-org", name: "app" };

function zendeskNote(text: string, at = "2026-11-23T09:00:00.000Z", ticket = "48213"): HelpdeskEvent {
  return {
    provider: "zendesk",
    eventId: `evt-${ticket}-${at}`,
    type: "zen:event-type:ticket.comment_added",
    conversationUrl: `https://acme.zendesk.com/agent/tickets/${ticket}`,
    messages: [{ text, at, byAgent: true }],
    tags: ["billing"],
    occurredAt: at,
  };
}

/**
 * Each helpdesk's webhook fixture (an agent's note naming octo-org/app#42) rewritten as its customer would send the
 * same text: the reply of an Intercom user, an inbound Front message, a Zendesk end user's comment, a Help Scout
 * customer thread, a Freshdesk public comment.
 */
const CUSTOMER_WROTE: Record<ProviderId, (body: any) => void> = {
  intercom: (body) => {
    body.topic = "conversation.user.replied";
    body.data.item.conversation_parts.conversation_parts[0].part_type = "comment";
    body.data.item.conversation_parts.conversation_parts[0].author = { type: "user", id: "6657add46abd0167d9419cd2" };
  },
  front: (body) => {
    body.type = "inbound_received";
    body.payload.target._meta.type = "message";
    body.payload.target.data.is_inbound = true;
  },
  zendesk: (body) => {
    body.event.comment.author.is_staff = false;
    body.event.comment.is_public = true;
  },
  helpscout: (body) => {
    body._embedded.threads[0].type = "customer";
    body._embedded.threads[0].createdBy = { id: 1, type: "customer" };
  },
  freshdesk: (body) => {
    body.freshdesk_webhook.ticket_latest_public_comment = body.freshdesk_webhook.ticket_latest_private_comment;
    body.freshdesk_webhook.ticket_latest_private_comment = "";
  },
};

const delivery = (event: HelpdeskEvent) => ({
  id: `helpdesk.${event.provider}:${event.eventId}`,
  name: `helpdesk.${event.provider}`,
  payload: JSON.stringify(event),
  attempts: 1,
});

describe.each(ENGINES)("helpdesk events on %s", (engine) => {
  let database: Database;
  let deps: HelpdeskEventDeps;
  const { log, messages: logged } = captureLogs("debug");

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    const probot = testProbot();
    deps = {
      prisma: database.prisma,
      repositoryRows: database.repositoryRows,
      githubHost: "github.com",
      github: (installationId) => probot.auth(installationId),
      configs: new RepoConfigCache(database, log),
      memory: new GithubMemory(),
      log,
    };
    // The markings jobs the event marked, applied before the handler returns (the server's markings worker does it later).
    deps.labelsWanted = async () =>
      void (await new IssueMarkingsWorker({ ...deps, engine: database.engine }, { coalesceMs: 0 }).drain());
  });
  afterAll(async () => {
    await database?.close();
  });
  beforeEach(async () => {
    // A config read per test: each test's GitHub calls are its own.
    deps.configs = new RepoConfigCache(database, deps.log);
    await database.prisma.repository.deleteMany();
    await database.prisma.enrichJob.deleteMany();
    await database.prisma.repository.create({ data: { ...REPOSITORY, fullName: "octo-org/app" } });
    await database.prisma.issue.create({
      data: { repositoryId: REPOSITORY.id, number: 42, githubId: 4242n, state: "open" },
    });
  });

  const links = async (number = 42) => (await listIssueLinks(database.prisma, "octo-org/app", number)) ?? [];

  it("links the conversation to the issue its note names, source helpdesk, dated by the note", async () => {
    nockConfig("octo-org", "app", null);
    await onHelpdeskDelivery(
      deps,
      delivery(zendeskNote('<p>Tracked in <a href="https://github.com/Octo-Org/App/issues/42">#42</a></p>')),
    );
    expect(await links()).toEqual([
      {
        provider: "zendesk",
        account: "acme",
        conversationId: "48213",
        url: "https://acme.zendesk.com/agent/tickets/48213",
        source: "helpdesk",
        fromAddressBar: false,
        linkedAt: new Date("2026-11-23T09:00:00Z"),
        sources: [{ kind: "helpdesk", key: "zendesk:acme:48213", postedAt: new Date("2026-11-23T09:00:00Z") }],
      },
    ]);
    expect(logged).toContain(
      "zendesk zen:event-type:ticket.comment_added (https://acme.zendesk.com/agent/tickets/48213): linked to octo-org/app#42",
    );
    // An agent made this link in the helpdesk: no note tells them what they just wrote.
    expect(await database.prisma.linkNote.count()).toBe(0);
  });

  it.each(Object.keys(CUSTOMER_WROTE) as ProviderId[])(
    "%s: a customer's message naming the issue links nothing; an agent's links",
    async (provider) => {
      const customer = JSON.parse(webhookFixture(provider));
      CUSTOMER_WROTE[provider](customer);
      const fromCustomer = parseWebhook(provider, JSON.stringify(customer));
      if (!("event" in fromCustomer)) throw new Error(`${provider}: ${fromCustomer.ignore}`);
      // Without team and tags (other tests' subject): only the message can change anything.
      const textOnly = (event: HelpdeskEvent): HelpdeskEvent => ({ ...event, team: undefined, tags: undefined });
      const refused = async () =>
        (await refusals.get()).values.find((value) => value.labels.reason === "customer_message")?.value ?? 0;
      const before = await refused();
      await onHelpdeskDelivery(deps, delivery(textOnly(fromCustomer.event)));
      expect(await links()).toEqual([]);
      expect((await refused()) - before).toBe(1);
      expect(logged.some((line) => line.includes("not written by an agent"))).toBe(true);

      nockConfig("octo-org", "app", null);
      const fromAgent = parseWebhook(provider, webhookFixture(provider));
      if (!("event" in fromAgent)) throw new Error(`${provider}: ${fromAgent.ignore}`);
      await onHelpdeskDelivery(deps, delivery(textOnly(fromAgent.event)));
      expect((await links()).map((link) => link.provider)).toEqual([provider]);
    },
  );

  it("is idempotent: the same delivery twice, or the URL pasted again later, is one link with its first date", async () => {
    nockConfig("octo-org", "app", null);
    const note = zendeskNote("https://github.com/octo-org/app/issues/42");
    await onHelpdeskDelivery(deps, delivery(note));
    await onHelpdeskDelivery(deps, delivery(note));
    await onHelpdeskDelivery(
      deps,
      delivery(zendeskNote("again: https://github.com/octo-org/app/issues/42", "2026-11-24T09:00:00.000Z")),
    );
    const stored = await links();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.linkedAt).toEqual(new Date("2026-11-23T09:00:00Z"));
    expect(await database.prisma.source.count({ where: { kind: "helpdesk" } })).toBe(1);
  });

  it("makes the same link as the conversation URL pasted into the issue: one link, carried by both", async () => {
    const comment = recogniseLinks(
      "Customer: https://acme.zendesk.com/agent/tickets/048213?folder=1",
      urlMatchers,
    ).links;
    await applySourceChange(database, {
      issue: { repository: REPOSITORY, number: 42, githubId: 4242n, state: "open" },
      source: { kind: "comment", key: "1001" },
      event: { action: "created", version: new Date("2026-11-22T09:00:00Z") },
      links: comment,
      createdAt: new Date("2026-11-22T09:00:00Z"),
    });
    nockConfig("octo-org", "app", null);
    await onHelpdeskDelivery(deps, delivery(zendeskNote("https://github.com/octo-org/app/issues/42")));
    const stored = await links();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ source: "comment", linkedAt: new Date("2026-11-22T09:00:00Z") });
    expect(stored[0]!.sources.map((source) => source.kind)).toEqual(["comment", "helpdesk"]);
  });

  it("writes the team and tags an event carries on every link to the conversation, and brings the issues' team labels up to date", async () => {
    const ticket = recogniseLinks("https://acme.freshdesk.com/a/tickets/4242", urlMatchers).links;
    for (const number of [42, 43]) {
      await applySourceChange(database, {
        issue: { repository: REPOSITORY, number, githubId: BigInt(number * 100), state: "open" },
        source: { kind: "comment", key: String(number) },
        event: { action: "created", version: new Date("2026-11-22T09:00:00Z") },
        links: ticket,
        createdAt: new Date("2026-11-22T09:00:00Z"),
      });
    }
    const groupChanged: HelpdeskEvent = {
      provider: "freshdesk",
      eventId: "sha256:1",
      type: "{group_id:[1,2]}",
      conversationUrl: "https://acme.freshdesk.com/a/tickets/4242",
      messages: [],
      team: "Billing",
      tags: ["export", "vip"],
      occurredAt: "2026-11-23T09:00:00.000Z",
    };
    const added: string[] = [];
    nockConfig("octo-org", "app", "teams:\n  from: [team, tags]\n");
    for (const number of [42, 43]) {
      nock(GITHUB_API)
        .post(`/repos/octo-org/app/issues/${number}/labels`)
        .reply(200, (_uri, body) => {
          added.push(`#${number} ${JSON.stringify(body)}`);
          return [];
        });
    }
    await onHelpdeskDelivery(deps, delivery(groupChanged));
    const rows = await database.prisma.link.findMany({
      orderBy: { issueId: "asc" },
      select: { team: true, tags: true },
    });
    expect(rows).toEqual([
      { team: "Billing", tags: '["export","vip"]' },
      { team: "Billing", tags: '["export","vip"]' },
    ]);
    expect(added.sort()).toEqual([
      '#42 {"labels":["team: billing","team: export","team: vip"]}',
      '#43 {"labels":["team: billing","team: export","team: vip"]}',
    ]);

    // The same team and tags again: nothing to write, no GitHub call.
    await onHelpdeskDelivery(deps, delivery({ ...groupChanged, eventId: "sha256:2" }));
    // The event named the team: no need to read the conversation again (generation 1 is the second issue's link).
    expect(await database.prisma.enrichJob.findMany({ select: { state: true, generation: true } })).toEqual([
      { state: "pending", generation: 1 },
    ]);
  });

  it("asks for a linked conversation to be read again (its team may have changed) when an event does not name the team", async () => {
    await onHelpdeskDelivery(deps, delivery(zendeskNote("no issue named here")));
    expect(await database.prisma.enrichJob.count()).toBe(0); // not linked: nothing to read

    nockConfig("octo-org", "app", null);
    await onHelpdeskDelivery(
      deps,
      delivery(zendeskNote("Tracked in https://github.com/octo-org/app/issues/42", "2026-11-23T09:00:00.000Z")),
    );
    await database.prisma.enrichJob.updateMany({ data: { state: "done" } });
    await onHelpdeskDelivery(deps, delivery(zendeskNote("a later note", "2026-11-23T10:00:00.000Z")));
    expect(
      await database.prisma.enrichJob.findMany({ select: { conversationId: true, state: true, generation: true } }),
    ).toEqual([{ conversationId: "48213", state: "pending", generation: 1 }]);
  });

  it("ignores closeloop's own reopen note when the helpdesk sends it back: no new source, no read", async () => {
    nockConfig("octo-org", "app", null);
    await onHelpdeskDelivery(
      deps,
      delivery(zendeskNote("Tracked in https://github.com/octo-org/app/issues/42", "2026-11-23T09:00:00.000Z")),
    );
    await database.prisma.enrichJob.updateMany({ data: { state: "done" } });
    const issue = await database.prisma.issue.findFirstOrThrow({ where: { number: 42 } });
    const note =
      "The GitHub issue https://github.com/octo-org/app/issues/42 linked to this conversation was closed (completed). Follow up with the customer.";
    await database.prisma.issueClose.create({
      data: {
        issueId: issue.id,
        closedAt: new Date("2026-11-24T09:00:00Z"),
        reason: "completed",
        note,
        summary: false,
      },
    });

    await onHelpdeskDelivery(deps, delivery(zendeskNote(noteAsHtml(note), "2026-11-24T09:01:00.000Z")));
    expect((await links()).map((link) => link.sources.map((source) => source.kind))).toEqual([["helpdesk"]]);
    expect((await links())[0]!.sources[0]!.postedAt).toEqual(new Date("2026-11-23T09:00:00Z"));
    expect(await database.prisma.enrichJob.findMany({ select: { state: true, generation: true } })).toEqual([
      { state: "done", generation: 0 },
    ]);
    expect(logged).toContain(
      "zendesk zen:event-type:ticket.comment_added (https://acme.zendesk.com/agent/tickets/48213): closeloop's own note; ignored",
    );

    // A person's note naming the issue in the same conversation still counts (and asks for a read).
    await onHelpdeskDelivery(
      deps,
      delivery(zendeskNote("Still broken, see https://github.com/octo-org/app/issues/42", "2026-11-24T10:00:00.000Z")),
    );
    expect(await database.prisma.enrichJob.findMany({ select: { state: true, generation: true } })).toEqual([
      { state: "pending", generation: 1 },
    ]);
  });

  it("ignores closeloop's own link note when the helpdesk sends it back: the link still rests on the comment alone", async () => {
    const note =
      "Engineering is tracking this in https://github.com/octo-org/app/issues/42 (Export fails). This conversation will be reopened when the issue is closed.";
    const [link] = recogniseLinks("https://acme.zendesk.com/agent/tickets/48213", urlMatchers).links;
    const issue = { repository: REPOSITORY, number: 42, githubId: 4242n, state: "open" as const };
    const posted = new Date("2026-11-23T09:00:00Z");
    await applySourceChange(database, {
      issue,
      source: { kind: "comment", key: "7" },
      event: { action: "created", version: posted },
      createdAt: posted,
      links: [link!],
      linkNote: note,
    });
    expect(await database.prisma.linkNote.findMany({ select: { conversationId: true, note: true } })).toEqual([
      { conversationId: "48213", note },
    ]);

    await onHelpdeskDelivery(deps, delivery(zendeskNote(noteAsHtml(note), "2026-11-23T09:01:00.000Z")));
    expect((await links()).map((row) => row.sources.map((source) => source.kind))).toEqual([["comment"]]);
    expect(logged).toContain(
      "zendesk zen:event-type:ticket.comment_added (https://acme.zendesk.com/agent/tickets/48213): closeloop's own note; ignored",
    );
  });

  it("ignores, with a log line, an issue in a repository of no installation closeloop knows", async () => {
    await onHelpdeskDelivery(deps, delivery(zendeskNote("https://github.com/someone-else/app/issues/42")));
    expect(await database.prisma.link.count()).toBe(0);
    expect(logged.at(-1)).toMatch(
      /someone-else\/app#42 is not in a repository of an installation closeloop knows; ignored$/,
    );
  });

  it("ignores URLs on another host than GHE_HOST", async () => {
    await onHelpdeskDelivery(
      { ...deps, githubHost: "github.example.com" },
      delivery(zendeskNote("https://github.com/octo-org/app/issues/42")),
    );
    expect(await database.prisma.link.count()).toBe(0);
  });

  it("asks GitHub about an issue it has not seen, and links it when it exists", async () => {
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues/7")
      .reply(200, {
        id: 7007,
        number: 7,
        state: "closed",
        title: "Export times out",
        created_at: "2026-01-02T03:04:05Z",
        updated_at: "2026-01-03T00:00:00Z",
        repository_url: `${GITHUB_API}/repos/octo-org/app`,
      });
    nockConfig("octo-org", "app", null);
    await onHelpdeskDelivery(deps, delivery(zendeskNote("https://github.com/octo-org/app/issues/7")));
    expect((await links(7)).map((link) => link.conversationId)).toEqual(["48213"]);
    expect(
      await database.prisma.issue.findFirst({
        where: { number: 7 },
        select: { githubId: true, state: true, title: true, openedAt: true },
      }),
    ).toEqual({
      githubId: 7007n,
      state: "closed",
      title: "Export times out",
      openedAt: new Date("2026-01-02T03:04:05Z"),
    });
  });

  it("drops the link with a log line when GitHub says the issue does not exist, and ignores a pull request", async () => {
    nock(GITHUB_API).get("/repos/octo-org/app/issues/8").reply(404, { message: "Not Found" });
    nock(GITHUB_API)
      .get("/repos/octo-org/app/issues/9")
      .reply(200, {
        id: 9009,
        number: 9,
        state: "open",
        pull_request: { url: "x" },
        repository_url: `${GITHUB_API}/repos/octo-org/app`,
      });
    await onHelpdeskDelivery(
      deps,
      delivery(zendeskNote("https://github.com/octo-org/app/issues/8 and https://github.com/octo-org/app/issues/9")),
    );
    expect(await database.prisma.link.count()).toBe(0);
    expect(await database.prisma.issue.count()).toBe(1);
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/octo-org\/app#8: GitHub has no such issue \(404\); the link is dropped$/),
        expect.stringMatching(/octo-org\/app#9: is a pull request/),
      ]),
    );
  });

  it("fails the delivery (so the inbox retries it) when GitHub cannot answer, and stores nothing", async () => {
    nock(GITHUB_API).get("/repos/octo-org/app/issues/7").reply(502, { message: "Bad Gateway" });
    await expect(
      onHelpdeskDelivery(deps, delivery(zendeskNote("https://github.com/octo-org/app/issues/7"))),
    ).rejects.toMatchObject({ status: 502 });
    expect(await database.prisma.link.count()).toBe(0);
  });
});
