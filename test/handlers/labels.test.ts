import { Writable } from "node:stream";
import nock from "nock";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeloopApp } from "../../src/app.js";
import { Prisma } from "../../src/store/generated/sqlite/client.js";
import { applyIssuesWithApp } from "../../src/labels/installation-labels.js";
import { listLabelErrors, markLabelsDue, recordIssueLabels, recordLabelError } from "../../src/store/labels.js";
import { REFUSAL_PAUSE_MS } from "../../src/config/queues.js";
import { applyLabelsAtOnce, startHarness, TEST_NOW, type Harness } from "../support/app.js";
import { ENGINES } from "../support/databases.js";
import {
  GITHUB_API,
  nockConfig,
  nockRepositoryInstallation,
  receive,
  testProbot,
  webhookExample,
} from "../support/github.js";
import { listIssueLinks } from "../../src/store/links.js";

type Payload = Record<string, any>;

const OWNER = "Codertocat";
const REPO = "Hello-World";
const INSTALLATION = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
const WEEKLY = "reported: weekly";
const DAILY = "reported: daily";
const ticket = (n: number) => `https://acme.zendesk.com/agent/tickets/${n}`;
// The harness evaluates labels at TEST_NOW (2027-01-01T00:00:00Z): these are all within the last day.
const at = (hour: number) => `2026-12-31T${String(hour).padStart(2, "0")}:00:00Z`;

const labelObject = (name: string) => ({
  id: 1,
  node_id: "x",
  url: `${GITHUB_API}/repos/${OWNER}/${REPO}/labels/x`,
  name,
  color: "ededed",
  default: false,
  description: null,
});

function comment(
  id: number,
  body: string,
  hour: number,
  labels: string[] = ["bug"],
  action: "created" | "edited" | "deleted" = "created",
  createdHour = hour,
): Payload {
  const payload = webhookExample<Payload>("issue_comment", action);
  payload.installation = INSTALLATION;
  Object.assign(payload.comment, { id, body, created_at: at(createdHour), updated_at: at(hour) });
  Object.assign(payload.issue, { labels: labels.map(labelObject), updated_at: at(hour) });
  return payload;
}

function issueBody(
  action: "opened" | "edited",
  body: string,
  hour: number,
  labels: string[],
  previous?: string,
): Payload {
  const payload = webhookExample<Payload>("issues", action);
  payload.installation = INSTALLATION;
  Object.assign(payload.issue, { body, created_at: at(0), updated_at: at(hour), labels: labels.map(labelObject) });
  if (previous !== undefined) payload.changes = { body: { from: previous } };
  return payload;
}

function labelEvent(
  action: "labeled" | "unlabeled",
  name: string,
  hour: number,
  sender: "User" | "Bot" = "User",
  labels: string[] = [],
): Payload {
  const payload = webhookExample<Payload>("issues", action);
  payload.installation = INSTALLATION;
  payload.label = labelObject(name);
  payload.sender.type = sender;
  if (sender === "Bot") payload.sender.login = "closeloop[bot]";
  Object.assign(payload.issue, { labels: labels.map(labelObject), updated_at: at(hour) });
  return payload;
}

/** GitHub's side of the test: each expected call once, recorded in order, answered with GitHub's Date header. */
class GitHubCalls {
  readonly made: string[] = [];
  /** GitHub's clock: half a minute after the event being handled */
  time = new Date(at(0));

  expect(
    method: "post" | "delete",
    path: string,
    reply: { status?: number; body?: unknown; headers?: Record<string, string>; match?: (body: any) => boolean } = {},
  ): void {
    const interceptor =
      method === "post" ? nock(GITHUB_API).post(path, reply.match ?? (() => true)) : nock(GITHUB_API).delete(path);
    interceptor.reply((uri, body) => {
      this.made.push(
        `${method.toUpperCase()} ${decodeURIComponent(uri)}${method === "post" ? ` ${JSON.stringify(body)}` : ""}`,
      );
      return [
        reply.status ?? 200,
        (reply.body ?? {}) as nock.Body,
        { date: this.time.toUTCString(), ...reply.headers },
      ];
    });
  }

  createLabel(name: string, color: string, status = 201, body: unknown = { name, color }): void {
    this.expect("post", `/repos/${OWNER}/${REPO}/labels`, {
      status,
      body,
      match: (sent) => sent.name === name && sent.color === color,
    });
  }

  addLabels(
    labels: string[],
    status = 200,
    body: unknown = labels.map(labelObject),
    headers?: Record<string, string>,
  ): void {
    this.expect("post", `/repos/${OWNER}/${REPO}/issues/1/labels`, {
      status,
      body,
      headers,
      match: (sent) => JSON.stringify(sent.labels) === JSON.stringify(labels),
    });
  }

  removeLabel(name: string, status = 200): void {
    this.expect("delete", `/repos/${OWNER}/${REPO}/issues/1/labels/${encodeURIComponent(name)}`, {
      status,
      body: status === 200 ? [] : { message: "Label does not exist" },
    });
  }
}

/** The ref of issue `number` of the test's repository, as a markings claim names it. */
const issueRef = (repository: { id: bigint; installationId: bigint }, number: number) => ({
  repository: { id: repository.id, installationId: repository.installationId, owner: OWNER, name: REPO },
  number,
  githubId: 0n,
  state: "open" as const,
});

describe.each(ENGINES)("frequency and team labels on %s", (engine) => {
  let harness: Harness;
  let github: GitHubCalls;
  const send = (name: string, payload: Payload) => {
    github.time = new Date(Date.parse(payload.issue.updated_at) + 30_000);
    return receive(harness.probot, name, payload);
  };
  const stored = async () =>
    (await harness.database.prisma.issueLabel.findMany({ orderBy: { key: "asc" } })).map(
      (row) =>
        `${row.name} ${row.present ? "on" : "off"}${row.applied ? " applied" : ""}${row.suppressed ? " suppressed" : ""}`,
    );
  const setTeam = (conversationId: string, team: string | null, tags: string[] = []) =>
    harness.database.prisma.link.updateMany({ where: { conversationId }, data: { team, tags: JSON.stringify(tags) } });

  /** What the markings job applies a claim with, on `prisma` (a test may count its statements), at TEST_NOW. */
  const claimDeps = (prisma: typeof harness.database.prisma) => ({
    prisma,
    github: (id: number) => harness.probot.auth(id),
    configs: harness.deps.configs,
    memory: harness.deps.memory,
    log: pino({ level: "silent" }),
    now: () => TEST_NOW,
  });

  /** Issues 1 and 2 get two reports each, marked for one claim of the markings job: their label inputs read together. */
  const markTwoIssues = async () => {
    nockConfig(OWNER, REPO, null);
    harness.deps.labelsWanted = async () => {};
    await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));
    const second = comment(2, `${ticket(3)} ${ticket(4)}`, 1);
    Object.assign(second.issue, { number: 2, id: second.issue.id + 1, node_id: "I_second" });
    await send("issue_comment", second);
  };

  beforeEach(async () => {
    harness = await startHarness(engine);
    github = new GitHubCalls();
  });
  afterEach(async () => {
    await harness.close();
  });

  it("creates the frequency label with its colour and adds it when a second report arrives; nothing for the first", async () => {
    nockConfig(OWNER, REPO, null);
    await send("issue_comment", comment(1, `first ${ticket(1)}`, 1));
    expect(github.made).toEqual([]);

    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY]);
    await send("issue_comment", comment(2, `second ${ticket(2)}`, 2));
    expect(github.made).toEqual([
      `POST /repos/${OWNER}/${REPO}/labels {"name":"${WEEKLY}","color":"fbca04","description":"closeloop: 2+ customer reports in the last 14 days"}`,
      `POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["${WEEKLY}"]}`,
    ]);
    expect(await stored()).toEqual([`${WEEKLY} on applied`]);
    const evaluation = await harness.database.prisma.labelEvaluation.findFirstOrThrow();
    expect(evaluation.frequency).toBe("weekly");
    // due when the second-newest report (posted at 01:00 on 31 Dec) leaves the 14-day window
    expect(evaluation.dueAt).toEqual(new Date(Date.parse(at(1)) + 14 * 86_400_000 + 1));
  });

  it("makes no call when nothing changes, even when the payload predates closeloop's own change", async () => {
    nockConfig(OWNER, REPO, null);
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY]);
    await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));
    // sent before closeloop's label landed: the payload still shows only "bug"
    await send("issue_comment", comment(2, `${ticket(3)}`, 0));
    // the same conversation again, and a comment without links
    await send("issue_comment", comment(3, `again ${ticket(1)}`, 3, ["bug", WEEKLY]));
    await send("issue_comment", comment(4, "no links here", 4, ["bug", WEEKLY]));
    expect(github.made).toHaveLength(2);
  });

  it("does not create a label the repository is known to have", async () => {
    nockConfig(OWNER, REPO, null);
    // a person labelled another issue with it: the label exists
    const elsewhere = labelEvent("labeled", WEEKLY, 1, "User", [WEEKLY]);
    elsewhere.issue.number = 2;
    await send("issues", elsewhere);
    github.addLabels([WEEKLY]);
    await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 2));
    expect(github.made).toEqual([`POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["${WEEKLY}"]}`]);
  });

  it("swaps weekly for daily with one add and one remove, creating daily first; a 422 already_exists counts as created", async () => {
    nockConfig(OWNER, REPO, "frequency:\n  daily: { reports: 3 }\n");
    github.createLabel(WEEKLY, "fbca04", 422, {
      message: "Validation Failed",
      errors: [{ resource: "Label", code: "already_exists", field: "name" }],
    });
    github.addLabels([WEEKLY]);
    await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));

    github.createLabel(DAILY, "b60205");
    github.addLabels([DAILY]);
    github.removeLabel(WEEKLY);
    await send("issue_comment", comment(2, `${ticket(3)}`, 2, ["bug", WEEKLY]));
    expect(github.made.slice(2).map((call) => call.split(" {")[0])).toEqual([
      `POST /repos/${OWNER}/${REPO}/labels`,
      `POST /repos/${OWNER}/${REPO}/issues/1/labels`,
      `DELETE /repos/${OWNER}/${REPO}/issues/1/labels/${WEEKLY}`,
    ]);
    expect(await stored()).toEqual([`${DAILY} on applied`, `${WEEKLY} off`]);
  });

  it("adds team labels with the frequency label in one call and removes them when no live link carries the team", async () => {
    nockConfig(OWNER, REPO, "teams:\n  from: [team, tags]\n  map: { Billing: 'team: money' }\n");
    await send("issue_comment", comment(1, `${ticket(1)}`, 1));
    await setTeam("1", "Billing", ["VIP", "a,b"]);

    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY, "team: money", "team: vip", "team: a b"]);
    await send("issue_comment", comment(2, `${ticket(2)}`, 2));
    // which of its labels is which, for the dashboard
    const kinds = await harness.database.prisma.issueLabel.findMany({
      orderBy: { key: "asc" },
      select: { name: true, kind: true },
    });
    expect(kinds.map((row) => `${row.name}: ${row.kind}`)).toEqual([
      `${WEEKLY}: frequency`,
      "team: a b: team",
      "team: money: team",
      "team: vip: team",
    ]);

    // the comment carrying the Billing conversation is deleted: its link goes, and with it every label
    github.removeLabel(WEEKLY);
    github.removeLabel("team: money");
    github.removeLabel("team: vip");
    github.removeLabel("team: a b");
    await send(
      "issue_comment",
      comment(1, `${ticket(1)}`, 3, ["bug", WEEKLY, "team: money", "team: vip", "team: a b"], "deleted"),
    );
    expect(github.made).toHaveLength(6);
    expect(await stored()).toEqual([`${WEEKLY} off`, "team: a b off", "team: money off", "team: vip off"]);
  });

  it("leaves a team label a person put on the issue", async () => {
    nockConfig(OWNER, REPO, null);
    await send("issue_comment", comment(1, `${ticket(1)}`, 1, ["team: billing"]));
    await setTeam("1", "Billing");
    await send("issue_comment", comment(2, `${ticket(1)} again`, 2, ["team: billing"]));
    // the link goes; the label was the person's, so it stays
    await send("issue_comment", comment(1, "", 3, ["team: billing"], "deleted"));
    await send("issue_comment", comment(2, "", 4, ["team: billing"], "deleted"));
    expect(github.made).toEqual([]);
  });

  it("does not add a label a person removed until a person adds it back", async () => {
    nockConfig(OWNER, REPO, null);
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY]);
    await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));

    await send("issues", labelEvent("unlabeled", WEEKLY, 2));
    expect(await stored()).toEqual([`${WEEKLY} off applied suppressed`]);
    await send("issue_comment", comment(2, `${ticket(3)}`, 3, ["bug"]));
    expect(github.made).toHaveLength(2);

    // added back by a person: closeloop manages it again, so it removes it when the reports drop below weekly
    await send("issues", labelEvent("labeled", WEEKLY, 4, "User", ["bug", WEEKLY]));
    expect(await stored()).toEqual([`${WEEKLY} on applied`]);
    await send("issue_comment", comment(2, "", 5, ["bug", WEEKLY], "deleted"));
    github.removeLabel(WEEKLY);
    const edited = comment(1, `only ${ticket(1)}`, 6, ["bug", WEEKLY], "edited", 1);
    edited.changes = { body: { from: `${ticket(1)} ${ticket(2)}` } };
    await send("issue_comment", edited);
    expect(github.made.at(-1)).toBe(`DELETE /repos/${OWNER}/${REPO}/issues/1/labels/${WEEKLY}`);
  });

  it("is not stopped by a bot removing its label, and ignores an older person's event delivered late", async () => {
    nockConfig(OWNER, REPO, null);
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY]);
    await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));
    await send("issues", labelEvent("labeled", WEEKLY, 5, "User", [WEEKLY]));
    await send("issues", labelEvent("unlabeled", WEEKLY, 4, "User"));
    expect(await stored()).toEqual([`${WEEKLY} on applied`]);

    await send("issues", labelEvent("unlabeled", WEEKLY, 6, "Bot"));
    expect(await stored()).toEqual([`${WEEKLY} off applied`]);
    github.addLabels([WEEKLY]);
    await send("issue_comment", comment(2, `${ticket(3)}`, 7, ["bug"]));
    expect(github.made).toHaveLength(3);
  });

  it("puts the labels back on a transferred issue, which GitHub moves without the labels closeloop added", async () => {
    const transferred = webhookExample<Payload>("issues", "transferred");
    transferred.installation = INSTALLATION;
    const from = transferred.repository as { owner: { login: string }; name: string };
    nockConfig(from.owner.login, from.name, null);
    const date = { date: new Date(Date.parse(at(1)) + 30_000).toUTCString() };
    nock(GITHUB_API).post(`/repos/${from.owner.login}/${from.name}/labels`).reply(201, labelObject(WEEKLY), date);
    nock(GITHUB_API)
      .post(`/repos/${from.owner.login}/${from.name}/issues/1/labels`)
      .reply(200, [labelObject(WEEKLY)], date);
    const reported = comment(1, `${ticket(1)} ${ticket(2)}`, 1);
    reported.repository = transferred.repository;
    await send("issue_comment", reported);
    expect(await stored()).toEqual([`${WEEKLY} on applied`]);

    // In the new repository the issue has only the labels GitHub kept: closeloop's weekly label is not among them.
    Object.assign(transferred.changes.new_issue, { labels: [labelObject("bug")], updated_at: at(2) });
    transferred.issue.updated_at = at(2);
    nockRepositoryInstallation(OWNER, REPO, INSTALLATION.id);
    nockConfig(OWNER, REPO, null);
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY]);
    await send("issues", transferred);
    expect(github.made).toEqual([
      `POST /repos/${OWNER}/${REPO}/labels {"name":"${WEEKLY}","color":"fbca04","description":"closeloop: 2+ customer reports in the last 14 days"}`,
      `POST /repos/${OWNER}/${REPO}/issues/1/labels {"labels":["${WEEKLY}"]}`,
    ]);
    expect(await stored()).toEqual([`${WEEKLY} on applied`]);
  });

  it("writes nothing to a repository the installation does not cover when an issue is transferred there; its links go", async () => {
    const transferred = webhookExample<Payload>("issues", "transferred");
    transferred.installation = INSTALLATION;
    const from = transferred.repository as { owner: { login: string }; name: string; full_name: string };
    nockConfig(from.owner.login, from.name, null);
    const reported = comment(1, `${ticket(1)}`, 1);
    reported.repository = transferred.repository;
    await send("issue_comment", reported);
    expect(await listIssueLinks(harness.database.prisma, from.full_name, 1)).toHaveLength(1);

    // GitHub: installation 77 does not include the new repository (the app's JWT asks).
    nockRepositoryInstallation(OWNER, REPO, null);
    transferred.issue.updated_at = at(2);
    await send("issues", transferred);

    expect(github.made).toEqual([]);
    expect(await listLabelErrors(harness.database.prisma)).toEqual([]);
    // Neither repository shows the issue: it left closeloop's sight, and its old address is GitHub's redirect now.
    expect(await listIssueLinks(harness.database.prisma, from.full_name, 1)).toBeNull();
    expect(await listIssueLinks(harness.database.prisma, `${OWNER}/${REPO}`, 1)).toBeNull();
    expect(await harness.database.prisma.issue.count()).toBe(0);
    expect(await harness.database.prisma.repository.findMany({ select: { fullName: true } })).toEqual([
      { fullName: from.full_name },
    ]);
  });

  it("asks GitHub nothing for the transfer of an issue it does not store", async () => {
    const transferred = webhookExample<Payload>("issues", "transferred");
    transferred.installation = INSTALLATION;
    await send("issues", transferred);
    expect(github.made).toEqual([]);
    expect(await harness.database.prisma.issue.count()).toBe(0);
  });

  it("ignores label events on issues it does not know", async () => {
    await send("issues", labelEvent("unlabeled", WEEKLY, 2));
    expect(await harness.database.prisma.issueLabel.count()).toBe(0);
  });

  it("logs what it would do in a dry run and calls nothing", async () => {
    const lines: string[] = [];
    const probot = testProbot(
      pino(
        { level: "info" },
        new Writable({ write: (chunk, _, done) => (lines.push(JSON.parse(String(chunk)).msg), done()) }),
      ),
    );
    harness.deps.dryRun = true;
    harness.deps.labelsWanted = applyLabelsAtOnce(harness.database, harness.deps, probot, probot.log);
    await probot.load(closeloopApp(harness.deps));
    nockConfig(OWNER, REPO, null);
    await receive(probot, "issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));
    expect(lines.filter((line) => line.startsWith("[dry-run]"))).toEqual([
      `[dry-run] Would create label "${WEEKLY}" (#fbca04) in ${OWNER}/${REPO}`,
      `[dry-run] Would add label "${WEEKLY}" to ${OWNER}/${REPO}#1`,
    ]);
    expect(await stored()).toEqual([]);
  });

  it.each([
    [403, "Resource not accessible by integration"],
    [451, "Repository access blocked"],
  ])(
    "stops writing labels to a repository that refuses them (%s), with one log line and a status entry",
    async (refusal, reason) => {
      nockConfig(OWNER, REPO, null);
      github.createLabel(WEEKLY, "fbca04");
      github.addLabels([WEEKLY], refusal, { message: reason });
      await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));
      // more events: no call while the pause lasts, and no error for the inbox to retry
      await send("issue_comment", comment(2, `${ticket(3)}`, 2));
      await send("issue_comment", comment(3, `${ticket(4)}`, 3));
      expect(github.made).toHaveLength(2);
      expect(await listLabelErrors(harness.database.prisma)).toEqual([
        { repository: `${OWNER}/${REPO}`, message: `GitHub answered ${refusal}: ${reason}`, seenAt: TEST_NOW },
      ]);
    },
  );

  it.each([
    ["", false],
    [", in the same millisecond as an earlier one the claim read", true],
  ])(
    "a config change marked while a claim's issue is applied keeps it due for the sweep it asked for%s",
    async (_, twice) => {
      await markTwoIssues();
      github.createLabel(WEEKLY, "fbca04");
      github.addLabels([WEEKLY]);
      github.expect("post", `/repos/${OWNER}/${REPO}/issues/2/labels`, { body: [labelObject(WEEKLY)] });
      const { prisma } = harness.database;
      const repository = await prisma.repository.findFirstOrThrow();
      const changed = new Date(TEST_NOW.getTime() - 1_000);
      // Two pushes within one millisecond (two replicas): the claim reads the first one's mark.
      if (twice) await markLabelsDue(prisma, { repositoryId: repository.id }, changed);
      let turn = 0;
      const failures = await applyIssuesWithApp(
        claimDeps(prisma),
        repository.installationId,
        [{ issue: issueRef(repository, 1) }, { issue: issueRef(repository, 2) }],
        async () => {
          // After the claim's read, before issue 2's labels: a push of the config marks the repository's issues.
          if (++turn === 2) await markLabelsDue(prisma, { repositoryId: repository.id }, changed);
        },
      );
      expect(failures).toEqual([null, null]);
      const second = await prisma.issue.findFirstOrThrow({ where: { number: 2 }, include: { evaluation: true } });
      // Issue 2 was applied from what was read before the mark: the mark, and its due time, stand for the sweep (a
      // mark in the same millisecond as the one it replaces is a millisecond later).
      const staleAt = new Date(changed.getTime() + (twice ? 1 : 0));
      expect(second.evaluation).toMatchObject({ staleAt, dueAt: changed, frequency: "weekly" });
    },
  );

  it("a refusal (403) for one issue of a claim pauses the writes for the claim's later issues of the repository", async () => {
    await markTwoIssues();
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY], 403, { message: "Resource not accessible by integration" });
    await applyLabelsAtOnce(harness.database, harness.deps, harness.probot)();
    // none for issue 2: it read the refusal recorded for issue 1
    expect(github.made).toHaveLength(2);
  });

  it("a claim's issue that clears its repository's refusal leaves the writes of the claim's later issues tried too", async () => {
    await markTwoIssues();
    const { prisma } = harness.database;
    const { id } = await prisma.repository.findFirstOrThrow();
    const over = new Date(TEST_NOW.getTime() - REFUSAL_PAUSE_MS - 1);
    await recordLabelError(prisma, id, "GitHub answered 403: Resource not accessible by integration", over);
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY]);
    github.expect("post", `/repos/${OWNER}/${REPO}/issues/2/labels`, { body: [labelObject(WEEKLY)] });
    await applyLabelsAtOnce(harness.database, harness.deps, harness.probot)();
    expect(github.made).toHaveLength(3);
    expect(await listLabelErrors(prisma)).toEqual([]);
  });

  it("reads a claim's later issue again when it is reached more than a second after the claim's read", async () => {
    await markTwoIssues();
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY]);
    const { prisma } = harness.database;
    const repository = await prisma.repository.findFirstOrThrow();
    const ref = (number: number) => issueRef(repository, number);
    const deps = claimDeps(prisma);
    let turn = 0;
    const failures = await applyIssuesWithApp(
      deps,
      repository.installationId,
      [{ issue: ref(1) }, { issue: ref(2) }],
      async () => {
        if (++turn !== 2) return;
        // Meanwhile issue 2 got the label (another closeloop process applied it), and a second went by.
        const { id } = await prisma.issue.findFirstOrThrow({ where: { number: 2 } });
        await recordIssueLabels(prisma, id, [{ name: WEEKLY, present: true, at: TEST_NOW, applied: true }]);
        await new Promise((resolve) => setTimeout(resolve, 1_100));
      },
    );
    expect(failures).toEqual([null, null]);
    // issue 1's label only: issue 2's was read again, with its label on
    expect(github.made).toHaveLength(2);
  });

  it("reads a claim's later issues one at a time once the claim's read has gone stale, not all those still to come", async () => {
    // GitHub paces an installation's label writes at about one a second: in a claim whose labels change, the read ahead
    // goes stale after an issue or two. Reading every issue still to come again at each turn read the claim's rows a
    // number of times growing with the square of its size.
    nockConfig(OWNER, REPO, null);
    harness.deps.labelsWanted = async () => {};
    for (const number of [1, 2, 3, 4]) {
      const payload = comment(number, `${ticket(number * 10)} ${ticket(number * 10 + 1)}`, 1);
      Object.assign(payload.issue, { number, id: payload.issue.id + number, node_id: `I_${number}` });
      await send("issue_comment", payload);
    }
    github.createLabel(WEEKLY, "fbca04");
    for (const number of [1, 2, 3, 4])
      github.expect("post", `/repos/${OWNER}/${REPO}/issues/${number}/labels`, { body: [labelObject(WEEKLY)] });
    const { prisma } = harness.database;
    const repository = await prisma.repository.findFirstOrThrow();
    const ref = (number: number) => issueRef(repository, number);
    // The issues each read of label inputs named (each is named in its three parts, by repository and number).
    const reads: number[] = [];
    const counting = new Proxy(prisma, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== "$queryRaw") return value;
        return (query: TemplateStringsArray, ...values: unknown[]) => {
          if (query.join("?").includes(`'issue' AS "row"`))
            reads.push(
              // an array parameter on PostgreSQL, a pair of values an issue on SQLite
              Prisma.sql(query, ...values).values.reduce<number>(
                (sum, value) => sum + (Array.isArray(value) ? value.length : 1),
                0,
              ) / 6,
            );
          return (value as (...args: unknown[]) => unknown).call(target, query, ...values);
        };
      },
    });
    let turn = 0;
    const failures = await applyIssuesWithApp(
      claimDeps(counting),
      repository.installationId,
      [1, 2, 3, 4].map((number) => ({ issue: ref(number) })),
      async () => {
        if (++turn > 1) await new Promise((resolve) => setTimeout(resolve, 1_100));
      },
    );
    expect(failures).toEqual([null, null, null, null]);
    expect(github.made).toHaveLength(5);
    expect(reads).toEqual([4, 1, 1, 1]);
  });

  it("retries the labels after a secondary rate limit's Retry-After, without failing the delivery", async () => {
    nockConfig(OWNER, REPO, null);
    github.createLabel(WEEKLY, "fbca04");
    github.addLabels([WEEKLY], 403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "90" });
    const before = Date.now();
    await send("issue_comment", comment(1, `${ticket(1)} ${ticket(2)}`, 1));
    expect(await listLabelErrors(harness.database.prisma)).toEqual([]);
    // The link is stored; its markings job waits for the rate limit to pass, not less, and holds no lease meanwhile.
    expect(await harness.database.prisma.link.count()).toBe(2);
    const issue = await harness.database.prisma.issue.findFirstOrThrow();
    expect(issue).toMatchObject({ lockedBy: null, labelsAttempts: 1 });
    expect(issue.labelsWantedAt!.getTime()).toBeGreaterThanOrEqual(before + 90_000);
    expect(issue.labelsWantedAt!.getTime()).toBeLessThan(Date.now() + 91_000);
  });

  it("P2: a scripted mix of events makes exactly the minimum number of GitHub calls", async () => {
    nockConfig(OWNER, REPO, null); // read once (the repository's file, then the org's), then cached
    const body = `Reported in ${ticket(1)}`;
    const commentB = `${ticket(3)} ${ticket(4)}`;
    // [event, the fewest label calls it needs, the calls expected]
    const script: [string, Payload, number, () => void][] = [
      ["issues", issueBody("opened", body, 0, ["bug"]), 0, () => {}],
      [
        "issue_comment",
        comment(10, `${ticket(2)}`, 1),
        2,
        () => (github.createLabel(WEEKLY, "fbca04"), github.addLabels([WEEKLY])),
      ],
      ["issue_comment", comment(10, `${ticket(2)}`, 1), 0, () => {}], // redelivered
      ["issue_comment", comment(11, commentB, 2, ["bug", WEEKLY]), 0, () => {}], // 4 reports: still weekly
      [
        "issue_comment",
        Object.assign(comment(11, `${commentB} ${ticket(5)}`, 3, ["bug", WEEKLY], "edited", 2), {
          changes: { body: { from: commentB } },
        }),
        3,
        () => (github.createLabel(DAILY, "b60205"), github.addLabels([DAILY]), github.removeLabel(WEEKLY)),
      ],
      ["issue_comment", comment(12, "no links, just talk", 4, ["bug", DAILY]), 0, () => {}],
      ["issues", labelEvent("labeled", DAILY, 3, "Bot", ["bug", DAILY]), 0, () => {}], // closeloop's own change
      ["issues", labelEvent("unlabeled", "bug", 5, "User", [DAILY]), 0, () => {}],
      [
        "issue_comment",
        comment(11, "", 6, [DAILY], "deleted", 2),
        2,
        () => (github.addLabels([WEEKLY]), github.removeLabel(DAILY)),
      ], // 2 reports left
      ["issues", issueBody("edited", "Reported by a customer", 7, [WEEKLY], body), 1, () => github.removeLabel(WEEKLY)], // 1 report left
      ["issues", issueBody("edited", "Reported by a customer", 7, [WEEKLY], body), 0, () => {}], // redelivered
      ["issue_comment", comment(13, `same conversation ${ticket(2)}`, 8, []), 0, () => {}],
    ];
    let minimum = 0;
    for (const [name, payload, fewest, expectCalls] of script) {
      const before = github.made.length;
      expectCalls();
      await send(name, payload);
      expect({ event: `${name}.${payload.action}`, calls: github.made.length - before }).toEqual({
        event: `${name}.${payload.action}`,
        calls: fewest,
      });
      minimum += fewest;
    }
    expect(github.made).toHaveLength(minimum);
    expect(minimum).toBe(8);
  });
});
