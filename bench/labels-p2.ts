import { generateKeyPairSync, randomUUID } from "node:crypto";
import pino from "pino";
import { Probot } from "probot";
import { closeloopApp } from "../src/app.js";
import { RepoConfigCache } from "../src/config/repo-config-cache.js";
import { DEFAULT_CONFIG } from "../src/config/repo-config.js";
import { urlMatchers } from "../src/providers/url-matchers.js";
import type { Database } from "../src/store/database.js";
import { FakeGitHub } from "../test/fakes/github-server.js";
import { receive, TestOctokit, webhookExample } from "../test/support/github.js";
import { openMigratedDatabase } from "./bench-database.js";

// P2 (SPEC §10, §6): GitHub API calls per event against the fewest each event needs. A scripted mix of webhook
// deliveries goes through closeloop in process, as in the handler tests, but authenticated as a GitHub App (so
// installation tokens are real calls) against test/fakes/github-server.ts over loopback HTTP: every request Octokit
// makes is counted where it arrives. Octokit's retries and throttling are off, as in the tests: they retry a failed
// call and pace writes, and add no call when GitHub answers.

type Payload = Record<string, any>;

interface Delivery {
  name: string;
  id: string;
  payload: Payload;
}

export interface ScriptStep {
  /** what happens, and why `minimum` is the fewest calls it needs */
  what: string;
  minimum: number;
  deliver(github: ScriptedGitHub): Delivery;
}

export interface P2Step {
  event: string;
  what: string;
  minimum: number;
  /** the event's own calls ("METHOD /path"): token and config reads are counted apart */
  calls: string[];
}

export interface P2Run {
  steps: P2Step[];
  /** installation tokens fetched (`POST /app/installations/{id}/access_tokens`) */
  tokens: string[];
  /** `.github/closeloop.yml` reads: the repository's, then the owner's `.github` repository's; cached afterwards */
  configReads: string[];
}

const APP_ID = 1;
const PRIVATE_KEY = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const OWNER = "Codertocat";
const REPO = "Hello-World";
const INSTALLATION = { id: 77, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzc=" };
/** the ids @octokit/webhooks-examples gives issues #1 and #2 of Codertocat/Hello-World */
const ISSUE_IDS: Record<number, number> = { 1: 444500041, 2: 444500167 };
const { daily: DAILY, weekly: WEEKLY } = DEFAULT_CONFIG.frequency;
const START = Date.parse("2027-03-01T09:00:00Z");
/** two hours between events: the whole script fits in the daily rule's 7 days */
const STEP_MS = 2 * 60 * 60_000;
/** closeloop handles each event, and GitHub answers it, half a minute after the event */
const HANDLED_AFTER_MS = 30_000;
const TOKEN_CALL = /^POST \/app\/installations\/\d+\/access_tokens$/;
const CONFIG_READ = /^GET \/repos\/[^/]+\/[^/]+\/contents\/\.github%2Fcloseloop\.yml/;

const ticket = (n: number) => `https://acme.zendesk.com/agent/tickets/${n}`;
const labelObject = (name: string) => ({ id: 1, node_id: "x", url: `https://api.github.com/repos/${OWNER}/${REPO}/labels/x`, name, color: "ededed", default: false, description: null });

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
    const payload = this.#onIssue(webhookExample("issues", "reopened"), issue, { state: "closed", state_reason: "completed", closed_at: this.at });
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
    Object.assign(payload.issue, { number: issue, id: ISSUE_IDS[issue], created_at: new Date(START).toISOString(), updated_at: this.at, labels: labels.map(labelObject), ...fields });
    return payload;
  }

  #deliver(name: string, payload: Payload): Delivery {
    this.last = { name, id: randomUUID(), payload };
    return this.last;
  }
}

/**
 * The script, on the default config (weekly: 2+ reports in 14 days; daily: 5+ in 7). Its minimums follow SPEC §6 as
 * docs/labels.md designs it: no call when the labels do not change; one call adding every label to add (GitHub's
 * endpoint takes a list); one per label removed; one creating a frequency label with its colour the first time the
 * repository needs it.
 */
export const P2_SCRIPT: readonly ScriptStep[] = [
  { what: "#1 opened, its body links 1 conversation: 1 report, below weekly's 2", minimum: 0, deliver: (g) => g.opened(1, `Customer report: ${ticket(1)}`) },
  { what: "a comment links a 2nd: weekly reached, new to the repository: create + add", minimum: 2, deliver: (g) => g.commented(1, 101, `Same here: ${ticket(2)}`) },
  { what: "the same delivery again (a redelivery)", minimum: 0, deliver: (g) => g.last! },
  { what: "GitHub's echo of closeloop's add (sender closeloop[bot])", minimum: 0, deliver: (g) => g.labelChanged("Bot", "labeled", 1, WEEKLY.label) },
  { what: "that comment edited, its link unchanged", minimum: 0, deliver: (g) => g.commentEdited(101, `Same here, Acme: ${ticket(2)}`) },
  { what: "another comment names the 2nd conversation again: still 2 reports", minimum: 0, deliver: (g) => g.commented(1, 102, `Also ${ticket(2)}`) },
  { what: "a comment links 3 more: 5 reports in 7 days: create daily + add it + remove weekly", minimum: 3, deliver: (g) => g.commented(1, 103, `${ticket(3)} ${ticket(4)} ${ticket(5)}`) },
  { what: "that comment deleted: 2 reports: add weekly (known now) + remove daily", minimum: 2, deliver: (g) => g.commentDeleted(103) },
  { what: "a person removes weekly: closeloop must not add it back", minimum: 0, deliver: (g) => g.labelChanged("User", "unlabeled", 1, WEEKLY.label) },
  { what: "a comment links a 3rd conversation: weekly holds, but a person removed it", minimum: 0, deliver: (g) => g.commented(1, 104, ticket(6)) },
  { what: "the person adds weekly back: on the issue, managed again", minimum: 0, deliver: (g) => g.labelChanged("User", "labeled", 1, WEEKLY.label) },
  { what: "#2: a comment links 2 conversations: weekly, a label the repository has: add", minimum: 1, deliver: (g) => g.commented(2, 201, `${ticket(7)} ${ticket(8)}`) },
  { what: "#1: the 3rd conversation's comment deleted: 2 reports, weekly still", minimum: 0, deliver: (g) => g.commentDeleted(104) },
  { what: "#1's body edited, its conversation taken out: 1 report: remove weekly", minimum: 1, deliver: (g) => g.bodyEdited(1, "Customer report (see the comments)") },
  { what: "#1 closed: reopen jobs queued (their calls go to the helpdesk: P3)", minimum: 0, deliver: (g) => g.closed(1) },
];

/** Runs the script through closeloop on `database` (migrated, empty) and counts the GitHub calls of each step. */
export async function runP2Script(database: Database, script: readonly ScriptStep[] = P2_SCRIPT): Promise<P2Run> {
  const fake = new FakeGitHub();
  const host = await fake.start();
  let now = new Date(START);
  fake.clock = () => now;
  const log = pino({ level: "silent" });
  const probot = new Probot({ appId: APP_ID, privateKey: PRIVATE_KEY, baseUrl: `http://${host}`, Octokit: TestOctokit, log });
  await probot.load(closeloopApp({ prisma: database.prisma, configs: new RepoConfigCache(database.prisma, log), matchers: urlMatchers, appId: APP_ID, now: () => now }));
  const github = new ScriptedGitHub(fake);
  const run: P2Run = { steps: [], tokens: [], configReads: [] };
  try {
    for (const [index, step] of script.entries()) {
      github.at = new Date(START + index * STEP_MS).toISOString();
      now = new Date(START + index * STEP_MS + HANDLED_AFTER_MS);
      const before = fake.requests.length;
      const delivery = step.deliver(github);
      await receive(probot, delivery.name, delivery.payload, delivery.id);
      const calls: string[] = [];
      for (const { method, path } of fake.requests.slice(before)) {
        const call = `${method} ${path}`;
        if (TOKEN_CALL.test(call)) run.tokens.push(call);
        else if (CONFIG_READ.test(call)) run.configReads.push(call);
        else calls.push(call);
      }
      run.steps.push({ event: `${delivery.name}.${String(delivery.payload.action)}`, what: step.what, minimum: step.minimum, calls });
    }
  } finally {
    await fake.stop();
  }
  return run;
}

/** P2 for each engine (a new database each), printed as a table of steps and a ratio (called by bench/run.ts). */
export async function runP2(databaseUrls: { engine: string; url: string }[]): Promise<void> {
  const runs: { engine: string; run: P2Run }[] = [];
  for (const { engine, url } of databaseUrls) {
    const database = await openMigratedDatabase(url);
    try {
      runs.push({ engine, run: await runP2Script(database) });
    } finally {
      await database.close();
    }
  }
  const [first] = runs;
  if (!first) return;
  console.log(`\nP2 GitHub API calls per event: ${P2_SCRIPT.length} scripted webhook deliveries through closeloop in process, as a GitHub App, against a fake GitHub over HTTP; default config (weekly ${WEEKLY.reports}+ reports in ${WEEKLY.days} days, daily ${DAILY.reports}+ in ${DAILY.days})`);
  console.log(" #  event                   calls  min  step (and the calls made)");
  for (const [index, step] of first.run.steps.entries()) {
    const made = step.calls.length > 0 ? `  [${step.calls.map(shortCall).join(", ")}]` : "";
    const flag = step.calls.length === step.minimum ? "" : "  ← not the minimum";
    console.log(`${String(index + 1).padStart(2)}  ${step.event.padEnd(22)} ${String(step.calls.length).padStart(5)} ${String(step.minimum).padStart(4)}  ${step.what}${made}${flag}`);
  }
  for (const { engine, run } of runs) {
    const calls = run.steps.reduce((sum, step) => sum + step.calls.length, 0);
    const minimum = run.steps.reduce((sum, step) => sum + step.minimum, 0);
    const everyStep = run.steps.every((step) => step.calls.length === step.minimum);
    const others = run === first.run ? "" : ` (steps off their minimum: ${run.steps.flatMap((step, i) => (step.calls.length === step.minimum ? [] : [`#${i + 1} ${step.calls.length}`])).join(", ") || "none"})`;
    console.log(
      `${engine.padEnd(12)} P2: ${calls} calls for ${run.steps.length} events, minimum ${minimum}: ratio ${(calls / minimum).toFixed(2)}× (target 1.00×, at every step) ${everyStep ? "MET" : "MISSED"}${others}`,
    );
    console.log(
      `${engine.padEnd(12)} overhead, left out of the ratio: ${run.tokens.length} installation token (POST /app/installations/{id}/access_tokens, cached an hour), ${run.configReads.length} config reads (the repository's .github/closeloop.yml, then the owner's .github repository's; cached 5 min)`,
    );
  }
}

/** "POST /repos/Codertocat/Hello-World/issues/1/labels" → "POST issues/1/labels", label names decoded. */
function shortCall(call: string): string {
  return decodeURIComponent(call.replace(`/repos/${OWNER}/${REPO}/`, ""));
}
