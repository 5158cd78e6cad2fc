import { randomUUID } from "node:crypto";
import pino from "pino";
import { Probot } from "probot";
import { closeloopApp } from "../src/app.js";
import { RepoConfigCache } from "../src/github/repo-config-cache.js";
import { CONFIG_PATH, DEFAULT_CONFIG } from "../src/config/repo-config.js";
import { LabelSweepWorker } from "../src/jobs/label-sweep-worker.js";
import { helpdeskLanes } from "../src/jobs/helpdesk-lanes.js";
import { IssueMarkingsWorker } from "../src/jobs/issue-markings-worker.js";
import { HelpdeskWorker } from "../src/jobs/helpdesk-worker.js";
import { RepositoryPermissions } from "../src/github/permissions.js";
import type { InstallationLabelDeps } from "../src/labels/installation-labels.js";
import type { SweepFigures } from "../src/labels/sweep.js";
import { enabledProviders } from "../src/providers/registry.js";
import { urlMatchers } from "../src/providers/url-matchers.js";
import type { Database } from "../src/store/database.js";
import { FakeGitHub } from "../test/fakes/github-server.js";
import { startFakeZendesk } from "../test/providers/zendesk/fake-server.js";
import { receive, TestOctokit, webhookExample } from "../test/support/github.js";
import { TEST_PRIVATE_KEY as PRIVATE_KEY } from "../test/support/process.js";
import { waitFor } from "../test/support/wait.js";
import { openMigratedDatabase } from "./bench-database.js";
import { GithubMemory } from "../src/github/memory.js";

// P2 (README, Development): GitHub API calls per event against the fewest each event needs. A scripted mix of webhook
// deliveries goes through closeloop in process, as in the handler tests, but authenticated as a GitHub App (so
// installation tokens are real calls) against test/fakes/github-server.ts over loopback HTTP: every request Octokit
// makes is counted where it arrives. Octokit's retries and throttling are off, as in the tests: they retry a failed
// call and pace writes, and add no call when GitHub answers.
//
// Between deliveries the script also runs closeloop's own label work, as the server wires it (src/server.ts): the
// helpdesk worker reading new links' conversations (enrichment, against test/providers/zendesk/fake-server.ts over loopback)
// and the decay sweep, each with the script's clock.

type Payload = Record<string, any>;

interface Delivery {
  name: string;
  id: string;
  payload: Payload;
}

/**
 * closeloop's own work between deliveries: `enrichment`, the helpdesk worker reading every conversation waiting to
 * be read (then stopped, its label writes done); `sweep`, one run of the decay sweep.
 */
export type ScriptWork = "enrichment" | "sweep";

export type ScriptStep = {
  /** what happens, and why `minimum` is the fewest calls it needs */
  what: string;
  minimum: number;
  /** time since the previous step; STEP_MS unless given */
  after?: number;
} & ({ deliver(github: ScriptedGitHub): Delivery } | { work: ScriptWork });

export interface P2Step {
  event: string;
  what: string;
  minimum: number;
  /** the event's own calls ("METHOD /path"): token and config reads are counted apart */
  calls: string[];
  /** an enrichment run's calls to the helpdesk ("METHOD /path", sorted: the reads run concurrently) */
  helpdeskCalls?: string[];
  /** a sweep's figures; null when no sweep was due */
  swept?: SweepFigures | null;
}

/** What a step of closeloop's own work shows in the event column. */
const WORK_EVENTS: Record<ScriptWork, string> = { enrichment: "(enrichment run)", sweep: "(decay sweep)" };

export interface P2Run {
  steps: P2Step[];
  /** installation tokens fetched (`POST /app/installations/{id}/access_tokens`) */
  tokens: string[];
  /**
   * `.github/closeloop.yml` reads: the repository's, then the owner's `.github` repository's, cached afterwards; and
   * the file at a pushed commit that changed it
   */
  configReads: string[];
  /** each issue's labels on the fake GitHub at the end ("#1" → names) */
  issueLabels: Record<string, string[]>;
  /** the project's items at the end: issue node id → its number values by field name */
  projectValues: Record<string, Record<string, number>>;
}

const APP_ID = 1;
const OWNER = "Codertocat";
const REPO = "Hello-World";
const INSTALLATION = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
/** the ids @octokit/webhooks-examples gives issues #1 and #2 of Codertocat/Hello-World */
const ISSUE_IDS: Record<number, number> = { 1: 444500041, 2: 444500167 };
/** the node id (GraphQL) the fake GitHub gives an issue, as its lookup answers it */
const issueNodeId = (number: number) => `I_${OWNER}/${REPO}#${number}`;
const { daily: DAILY, weekly: WEEKLY } = DEFAULT_CONFIG.frequency;
const START = Date.parse("2027-03-01T09:00:00Z");
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** two hours between events unless a step says otherwise: the deliveries fit in the daily rule's 7 days */
const STEP_MS = 2 * HOUR;
/** closeloop handles each event, and GitHub answers it, half a minute after the event */
const HANDLED_AFTER_MS = 30_000;
const TOKEN_CALL = /^POST \/app\/installations\/\d+\/access_tokens$/;
const CONFIG_READ = /^GET \/repos\/[^/]+\/[^/]+\/contents\/\.github%2Fcloseloop\.yml/;

const ticket = (n: number) => `https://acme.zendesk.com/agent/tickets/${n}`;
/** the helpdesk's side: tickets 9 and 10 are in the Billing group, from two customers; 1 to 8 have no group, tag or customer */
const BILLING_TICKETS = [9, 10];
const TICKETS = Array.from({ length: 10 }, (_, i) => i + 1).map((n) =>
  BILLING_TICKETS.includes(n)
    ? { id: String(n), team: "Billing", tags: [], customerId: String(5000 + n) }
    : { id: String(n), team: null, tags: [], customerId: null },
);
/** the HMAC key customer ids are stored under (the server's WEBHOOK_SECRET) */
const CUSTOMER_KEY = "p2 bench webhook secret";
/** a pushed config that renames every team label */
const AREA_PREFIX = "area: ";
const labelObject = (name: string) => ({
  id: 1,
  node_id: "x",
  url: `https://api.github.com/repos/${OWNER}/${REPO}/labels/x`,
  name,
  color: "ededed",
  default: false,
  description: null,
});

/**
 * GitHub's side of the script: builds each delivery as GitHub would send it at the current event's time, with the
 * issue's labels as they are on the fake GitHub (closeloop's writes included), and plays a person's label changes.
 */
export class ScriptedGitHub {
  /** the current event's time (ISO 8601) */
  at = new Date(START).toISOString();
  last: Delivery | undefined;
  readonly #comments = new Map<number, { issue: number; body: string; createdAt: string }>();
  readonly #bodies = new Map<number, string>();

  constructor(private readonly fake: FakeGitHub) {}

  opened(issue: number, body: string): Delivery {
    this.#bodies.set(issue, body);
    return this.#deliver("issues", this.#onIssue(webhookExample("issues", "opened"), issue, { body }));
  }

  bodyEdited(issue: number, body: string): Delivery {
    const payload = this.#onIssue(webhookExample("issues", "edited"), issue, { body });
    payload.changes = { body: { from: this.#bodies.get(issue) ?? "" } };
    this.#bodies.set(issue, body);
    return this.#deliver("issues", payload);
  }

  /** The examples have no `issues.closed`: the `reopened` one, turned around. */
  closed(issue: number): Delivery {
    const payload = this.#onIssue(webhookExample("issues", "reopened"), issue, {
      state: "closed",
      state_reason: "completed",
      closed_at: this.at,
    });
    payload.action = "closed";
    return this.#deliver("issues", payload);
  }

  commented(issue: number, id: number, body: string): Delivery {
    this.#comments.set(id, { issue, body, createdAt: this.at });
    return this.#comment("created", id);
  }

  commentEdited(id: number, body: string): Delivery {
    const comment = this.#comments.get(id)!;
    const previous = comment.body;
    comment.body = body;
    return this.#comment("edited", id, previous);
  }

  commentDeleted(id: number): Delivery {
    return this.#comment("deleted", id);
  }

  /** A label added or removed by a person (done on GitHub first), or GitHub's echo of closeloop's own change. */
  labelChanged(by: "User" | "Bot", action: "labeled" | "unlabeled", issue: number, name: string): Delivery {
    const key = `${OWNER}/${REPO}#${issue}`;
    if (by === "User") {
      const labels = (this.fake.issueLabels.get(key) ?? []).filter((label) => label !== name);
      this.fake.issueLabels.set(key, action === "labeled" ? [...labels, name] : labels);
    }
    const payload = this.#onIssue(webhookExample("issues", action), issue);
    payload.label = labelObject(name);
    payload.sender.type = by;
    if (by === "Bot") payload.sender.login = "closeloop[bot]";
    return this.#deliver("issues", payload);
  }

  /** A person pushes a commit to the default branch that changes `.github/closeloop.yml` to `yaml`. */
  configPushed(yaml: string): Delivery {
    this.fake.configs.set(`${OWNER}/${REPO}`.toLowerCase(), yaml);
    const payload = webhookExample("push", undefined, 4);
    payload.installation = INSTALLATION;
    for (const commit of [payload.commits[0], payload.head_commit])
      Object.assign(commit, { added: [], modified: [CONFIG_PATH], removed: [], timestamp: this.at });
    return this.#deliver("push", payload);
  }

  #comment(action: "created" | "edited" | "deleted", id: number, previous?: string): Delivery {
    const comment = this.#comments.get(id)!;
    const payload = this.#onIssue(webhookExample("issue_comment", action), comment.issue);
    Object.assign(payload.comment, { id, body: comment.body, created_at: comment.createdAt, updated_at: this.at });
    if (previous !== undefined) payload.changes = { body: { from: previous } };
    return this.#deliver("issue_comment", payload);
  }

  #onIssue(payload: Payload, issue: number, fields: Record<string, unknown> = {}): Payload {
    payload.installation = INSTALLATION;
    const labels = this.fake.issueLabels.get(`${OWNER}/${REPO}#${issue}`) ?? [];
    Object.assign(payload.issue, {
      number: issue,
      id: ISSUE_IDS[issue],
      node_id: issueNodeId(issue),
      created_at: new Date(START).toISOString(),
      updated_at: this.at,
      labels: labels.map(labelObject),
      ...fields,
    });
    return payload;
  }

  #deliver(name: string, payload: Payload): Delivery {
    this.last = { name, id: randomUUID(), payload };
    return this.last;
  }
}

/**
 * The script, on the default config (weekly: 2+ reports in 14 days; daily: 5+ in 7) until a push changes
 * `teams.prefix`. Its minimums follow docs/labels.md (Applying): no call when the labels do not change; one
 * call adding every label to add (GitHub's endpoint takes a list); one per label removed; one creating a frequency
 * label with its colour the first time the repository needs it. A config push's `closeloop config` check run
 * is the push's own call, in its minimum: README, Configuration promises it on every such commit, so no design does without it.
 */
export const P2_SCRIPT: readonly ScriptStep[] = [
  {
    what: "#1 opened, its body links 1 conversation: 1 report, below weekly's 2",
    minimum: 0,
    deliver: (g) => g.opened(1, `Customer report: ${ticket(1)}`),
  },
  {
    what: "a comment links a 2nd: weekly reached, new to the repository: create + add",
    minimum: 2,
    deliver: (g) => g.commented(1, 101, `Same here: ${ticket(2)}`),
  },
  { what: "the same delivery again (a redelivery)", minimum: 0, deliver: (g) => g.last! },
  {
    what: "GitHub's echo of closeloop's add (sender closeloop[bot])",
    minimum: 0,
    deliver: (g) => g.labelChanged("Bot", "labeled", 1, WEEKLY.label),
  },
  {
    what: "that comment edited, its link unchanged",
    minimum: 0,
    deliver: (g) => g.commentEdited(101, `Same here, Acme: ${ticket(2)}`),
  },
  {
    what: "another comment names the 2nd conversation again: still 2 reports",
    minimum: 0,
    deliver: (g) => g.commented(1, 102, `Also ${ticket(2)}`),
  },
  {
    what: "a comment links 3 more: 5 reports in 7 days: create daily + add it + remove weekly",
    minimum: 3,
    deliver: (g) => g.commented(1, 103, `${ticket(3)} ${ticket(4)} ${ticket(5)}`),
  },
  {
    what: "that comment deleted: 2 reports: add weekly (known now) + remove daily",
    minimum: 2,
    deliver: (g) => g.commentDeleted(103),
  },
  {
    what: "a person removes weekly: closeloop must not add it back",
    minimum: 0,
    deliver: (g) => g.labelChanged("User", "unlabeled", 1, WEEKLY.label),
  },
  {
    what: "a comment links a 3rd conversation: weekly holds, but a person removed it",
    minimum: 0,
    deliver: (g) => g.commented(1, 104, ticket(6)),
  },
  {
    what: "the person adds weekly back: on the issue, managed again",
    minimum: 0,
    deliver: (g) => g.labelChanged("User", "labeled", 1, WEEKLY.label),
  },
  {
    what: "#2: a comment links 2 conversations: weekly, a label the repository has: add",
    minimum: 1,
    deliver: (g) => g.commented(2, 201, `${ticket(7)} ${ticket(8)}`),
  },
  {
    what: "#1: the 3rd conversation's comment deleted: 2 reports, weekly still",
    minimum: 0,
    deliver: (g) => g.commentDeleted(104),
  },
  {
    what: "#1's body edited, its conversation taken out: 1 report: remove weekly",
    minimum: 1,
    deliver: (g) => g.bodyEdited(1, "Customer report (see the comments)"),
  },
  // Enrichment (docs/labels.md): each new link's conversation is read, and the issues whose team, tags or customer
  // changed are relabelled. Before #1's close, so the helpdesk worker has no reopen (and summary comment) to do.
  {
    what: "the helpdesk worker reads the 3 conversations still linked (no group): nothing to relabel; the 5 taken out are dropped unread",
    minimum: 0,
    work: "enrichment",
  },
  {
    what: "#2: a comment links a 3rd conversation: 3 reports, weekly still",
    minimum: 0,
    deliver: (g) => g.commented(2, 202, ticket(9)),
  },
  { what: "its conversation is read: group Billing: add team: billing", minimum: 1, work: "enrichment" },
  {
    what: "#2: a comment links a 4th conversation: 4 reports, weekly still",
    minimum: 0,
    deliver: (g) => g.commented(2, 203, ticket(10)),
  },
  { what: "its conversation is read: Billing too: team: billing is on already", minimum: 0, work: "enrichment" },
  // The decay sweep: time alone takes reports out of the windows; a config change marks the labels stale.
  {
    what: "15 days on, no new report: the sweep takes weekly off #2 (its team label stays)",
    minimum: 1,
    after: 15 * DAY,
    work: "sweep",
  },
  { what: "the next hourly sweep: nothing due", minimum: 0, after: HOUR, work: "sweep" },
  {
    what: `a push sets teams.prefix "${AREA_PREFIX}": the closeloop config check run; labels are left to the sweep`,
    minimum: 1,
    after: 10 * MINUTE,
    deliver: (g) => g.configPushed(`teams:\n  prefix: "${AREA_PREFIX}"\n`),
  },
  {
    what: "the sweep the push brought forward: remove team: billing + add area: billing",
    minimum: 2,
    after: MINUTE,
    work: "sweep",
  },
  {
    what: "#1 closed: reopen jobs queued (their calls go to the helpdesk: P3)",
    minimum: 0,
    deliver: (g) => g.closed(1),
  },
];

const PROJECT_NUMBER = 3;
const PROJECT_URL = `https://github.com/orgs/${OWNER}/projects/${PROJECT_NUMBER}`;

/**
 * The project field (docs/projects.md): a push sets `project.url`, then links come and reports age out. Its minimums
 * follow docs/projects.md: no call when the value is unchanged; one set for a new value; for an issue entering the
 * project the add and the set (the payload's node_id is what addProjectV2ItemById takes; the add returns the item the
 * set needs, so the two cannot share one request), after one query of the project's ids the first time; once per
 * project, the field's creation. Labels as in P2_SCRIPT.
 */
export const P2_PROJECT_SCRIPT: readonly ScriptStep[] = [
  {
    what: "a push sets project.url: the closeloop config check run",
    minimum: 1,
    deliver: (g) => g.configPushed(`project:\n  url: ${PROJECT_URL}\n`),
  },
  { what: "the sweep the push brought forward: no linked issue", minimum: 0, after: MINUTE, work: "sweep" },
  {
    what: "#1 opened, its body links 1 conversation: query the project + create the field + read its fields back + add + set 1",
    minimum: 5,
    deliver: (g) => g.opened(1, `Customer report: ${ticket(1)}`),
  },
  { what: "the same delivery again (a redelivery)", minimum: 0, deliver: (g) => g.last! },
  {
    what: "a comment links a 2nd: weekly (create + add), set 2",
    minimum: 3,
    deliver: (g) => g.commented(1, 101, `Same here: ${ticket(2)}`),
  },
  {
    what: "another comment names the 2nd conversation again: still 2",
    minimum: 0,
    deliver: (g) => g.commented(1, 102, `Also ${ticket(2)}`),
  },
  {
    what: "#2: a comment links 1 conversation: add + set 1 (the project's ids and #2's node id are known)",
    minimum: 2,
    deliver: (g) => g.commented(2, 201, ticket(7)),
  },
  { what: "#1: a comment links a 3rd: set 3", minimum: 1, deliver: (g) => g.commented(1, 103, ticket(3)) },
  {
    what: "15 days on: the sweep takes weekly off #1; 30-day counts unchanged",
    minimum: 1,
    after: 15 * DAY,
    work: "sweep",
  },
  {
    what: "16 days later every report is past 30 days: #1 and #2 set to 0 in one document (aliases): 0.5 calls per changed issue, ceil(N / 20) / N for N",
    minimum: 1,
    after: 16 * DAY,
    work: "sweep",
  },
  { what: "the next hourly sweep: nothing due", minimum: 0, after: HOUR, work: "sweep" },
];

/** Runs the script through closeloop on `database` (migrated, empty) and counts the GitHub calls of each step. */
export async function runP2Script(database: Database, script: readonly ScriptStep[] = P2_SCRIPT): Promise<P2Run> {
  const fake = new FakeGitHub();
  // The organization's project the project script names; the field is not there yet.
  fake.projects.set(`${OWNER}/${PROJECT_NUMBER}`, { id: "PVT_1", fields: new Map(), items: new Map() });
  const host = await fake.start();
  const helpdesk = await startFakeZendesk();
  for (const seed of TICKETS) helpdesk.seed(seed);
  // The fake gives each seeded team a group of its own: the Billing tickets share one, as in Zendesk.
  helpdesk.tickets.get(String(BILLING_TICKETS[1]))!.groupId = helpdesk.tickets.get(String(BILLING_TICKETS[0]))!.groupId;
  let now = new Date(START);
  fake.clock = () => now;
  const log = pino({ level: "silent" });
  const probot = new Probot({
    appId: APP_ID,
    privateKey: PRIVATE_KEY,
    baseUrl: `http://${host}`,
    Octokit: TestOctokit,
    log,
  });
  const configs = new RepoConfigCache(database, log);
  // Each run is a new process: nothing known of the project or the labels yet.
  const memory = new GithubMemory();
  const labels: InstallationLabelDeps = {
    prisma: database.prisma,
    github: (installationId) => probot.auth(installationId),
    configs,
    memory,
    log,
    now: () => now,
  };
  const sweep = new LabelSweepWorker({ ...labels, target: database.target });
  // The markings job as src/server.ts wires it, run after each step: its calls are counted with the step's.
  const markings = new IssueMarkingsWorker({ ...labels, engine: database.engine }, { coalesceMs: 0 });
  // The helpdesk worker as src/server.ts wires it with enrichment; started for each enrichment step, stopped after.
  const helpdeskWorker = new HelpdeskWorker(
    database.prisma,
    database.engine,
    helpdeskLanes(enabledProviders(helpdesk.env())),
    labels.github,
    log,
    {
      idlePollMs: 20,
      enrichment: {
        customerKey: CUSTOMER_KEY,
        // recordEnrichment marked the issues' labels wanted; the step applies them after the reads.
        applyLabels: async () => {},
      },
    },
  );
  await probot.load(
    closeloopApp({
      prisma: database.prisma,
      repositoryRows: database.repositoryRows,
      configs,
      memory,
      matchers: urlMatchers,
      appId: APP_ID,
      permissions: new RepositoryPermissions(),
      githubApp: () => probot.auth(),
      now: () => now,
      sweepRequested: () => sweep.request(),
      labelsWanted: async () => void (await markings.drain()),
    }),
  );
  const work: Record<ScriptWork, () => Promise<Pick<P2Step, "helpdeskCalls" | "swept">>> = {
    enrichment: async () => {
      const before = helpdesk.http.requests.length;
      await readWaitingConversations(database, helpdeskWorker);
      await markings.drain();
      return {
        helpdeskCalls: helpdesk.http.requests
          .slice(before)
          .map((request) => `${request.method} ${request.path}`)
          .sort(),
      };
    },
    // The sweep hands project values that changed with time to the markings job (docs/projects.md); it runs right after.
    sweep: async () => {
      const swept = await sweep.runOnce();
      await markings.drain();
      return { swept };
    },
  };
  const github = new ScriptedGitHub(fake);
  const run: P2Run = { steps: [], tokens: [], configReads: [], issueLabels: {}, projectValues: {} };
  try {
    let at = START;
    for (const [index, step] of script.entries()) {
      if (index > 0) at += step.after ?? STEP_MS;
      github.at = new Date(at).toISOString();
      now = new Date(at + HANDLED_AFTER_MS);
      const before = fake.requests.length;
      let event: string;
      let done: Pick<P2Step, "helpdeskCalls" | "swept"> = {};
      if ("work" in step) {
        done = await work[step.work]();
        event = WORK_EVENTS[step.work];
      } else {
        const delivery = step.deliver(github);
        await receive(probot, delivery.name, delivery.payload, delivery.id);
        event =
          delivery.payload.action === undefined ? delivery.name : `${delivery.name}.${String(delivery.payload.action)}`;
      }
      const calls: string[] = [];
      for (const { method, path, body } of fake.requests.slice(before)) {
        const call = path === "/graphql" ? `${method} ${path} ${graphqlField(body)}` : `${method} ${path}`;
        if (TOKEN_CALL.test(call)) run.tokens.push(call);
        else if (CONFIG_READ.test(call)) run.configReads.push(call);
        else calls.push(call);
      }
      run.steps.push({ event, what: step.what, minimum: step.minimum, calls, ...done });
    }
    for (const number of Object.keys(ISSUE_IDS))
      run.issueLabels[`#${number}`] = fake.issueLabels.get(`${OWNER}/${REPO}#${number}`) ?? [];
    for (const project of fake.projects.values()) {
      const names = new Map([...project.fields].map(([name, field]) => [field.id, name]));
      for (const [content, item] of project.items)
        run.projectValues[content] = Object.fromEntries(
          [...item.values].map(([field, value]) => [names.get(field)!, value]),
        );
    }
  } finally {
    await Promise.all([fake.stop(), helpdesk.close()]);
  }
  return run;
}

/**
 * A GraphQL call by its root field: `organization` (the project lookup), `addProjectV2ItemById`, …; with `x<n>` when
 * the document makes n of them (aliases).
 */
function graphqlField(body: string): string {
  const { query } = JSON.parse(body) as { query: string };
  const field = /\{\s*(?:\w+:\s*)?(\w+)/.exec(query)?.[1] ?? "?";
  const count = query.split(`${field}(`).length - 1;
  return count > 1 ? `${field} x${count}` : field;
}

/**
 * Runs the helpdesk worker until no conversation waits to be read and no link note waits to be sent (both go through
 * the same lanes); stopping it waits for the label writes after the reads.
 */
async function readWaitingConversations(database: Database, worker: HelpdeskWorker): Promise<void> {
  worker.start();
  try {
    const busy = { state: { in: ["pending", "running"] } };
    const waiting = async () =>
      (await database.prisma.enrichJob.count({ where: busy })) +
      (await database.prisma.linkNote.count({ where: busy }));
    await waitFor(
      async () => (await waiting()) === 0,
      10_000,
      "P2: the helpdesk worker to read every waiting conversation and send every link note",
    );
  } finally {
    await worker.stop();
  }
}

/** P2 for each engine (a new database each), printed as a table of steps and a ratio, per script (called by bench/run.ts). */
export async function runP2(databaseUrls: P2Database[]): Promise<void> {
  const deliveries = P2_SCRIPT.filter((step) => "deliver" in step).length;
  const workOf = (kind: ScriptWork) => P2_SCRIPT.filter((step) => "work" in step && step.work === kind).length;
  await printP2(
    databaseUrls,
    P2_SCRIPT,
    `\nP2 GitHub API calls per event: ${P2_SCRIPT.length} scripted steps (${deliveries} webhook deliveries, ${workOf("enrichment")} enrichment runs against a fake Zendesk, ${workOf("sweep")} decay sweeps) through closeloop in process, as a GitHub App, against a fake GitHub over HTTP; default config (weekly ${WEEKLY.reports}+ reports in ${WEEKLY.days} days, daily ${DAILY.reports}+ in ${DAILY.days}) until a push sets teams.prefix`,
  );
  await printP2(
    databaseUrls,
    P2_PROJECT_SCRIPT,
    `\nP2 project field: ${P2_PROJECT_SCRIPT.length} scripted steps, project.url set to an organization's project (GraphQL calls counted like the REST ones)`,
  );
}

/** An engine, and a new empty database of it for each script. */
export interface P2Database {
  engine: string;
  url: () => string | Promise<string>;
}

async function printP2(databaseUrls: P2Database[], script: readonly ScriptStep[], title: string): Promise<void> {
  const runs: { engine: string; run: P2Run }[] = [];
  for (const { engine, url } of databaseUrls) {
    const database = await openMigratedDatabase(await url());
    try {
      runs.push({ engine, run: await runP2Script(database, script) });
    } finally {
      await database.close();
    }
  }
  const [first] = runs;
  if (!first) return;
  console.log(title);
  console.log(" #  event                   calls  min  step (and the calls made)");
  for (const [index, step] of first.run.steps.entries()) {
    const made = step.calls.length > 0 ? `  [${step.calls.map(shortCall).join(", ")}]` : "";
    const flag = step.calls.length === step.minimum ? "" : "  ← not the minimum";
    console.log(
      `${String(index + 1).padStart(2)}  ${step.event.padEnd(22)} ${String(step.calls.length).padStart(5)} ${String(step.minimum).padStart(4)}  ${step.what}${made}${flag}`,
    );
  }
  for (const { engine, run } of runs) {
    const calls = run.steps.reduce((sum, step) => sum + step.calls.length, 0);
    const minimum = run.steps.reduce((sum, step) => sum + step.minimum, 0);
    const everyStep = run.steps.every((step) => step.calls.length === step.minimum);
    const others =
      run === first.run
        ? ""
        : ` (steps off their minimum: ${run.steps.flatMap((step, i) => (step.calls.length === step.minimum ? [] : [`#${i + 1} ${step.calls.length}`])).join(", ") || "none"})`;
    console.log(
      `${engine.padEnd(12)} P2: ${calls} calls for ${run.steps.length} steps, minimum ${minimum}: ratio ${(calls / minimum).toFixed(2)}× (target 1.00×, at every step) ${everyStep ? "MET" : "MISSED"}${others}`,
    );
    console.log(
      `${engine.padEnd(12)} overhead, left out of the ratio: ${run.tokens.length} installation token (POST /app/installations/{id}/access_tokens, cached an hour), ${run.configReads.length} config reads (the repository's .github/closeloop.yml, then the owner's .github repository's, cached 5 min; and the file at the pushed commit, then again by the sweep it brings forward)`,
    );
  }
}

/** "POST /repos/Codertocat/Hello-World/issues/1/labels" → "POST issues/1/labels", label names decoded. */
function shortCall(call: string): string {
  return decodeURIComponent(call.replace(`/repos/${OWNER}/${REPO}/`, ""));
}
