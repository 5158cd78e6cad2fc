import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { HANDLED_EVENTS } from "../src/app.js";
import { readAppDefinition } from "../src/http/setup-flow.js";
import { ROOT } from "./support/process.js";

/**
 * app.yml is what an organisation grants when it installs closeloop (the setup flow registers the app from it): an
 * event handled but not subscribed never arrives, one subscribed but unhandled is a delivery stored for nothing, and
 * GitHub refuses to register an app that subscribes to an event without a permission that carries it.
 */

/** Sent to every GitHub App, and not subscribable (docs.github.com, "Webhook events and payloads"). */
const SENT_TO_EVERY_APP = ["installation", "installation_repositories"];

/** The repository permission GitHub requires before an app may subscribe to the event (the same page, per event). */
const PERMISSION_FOR_EVENT: Record<string, string[]> = {
  issues: ["issues"],
  issue_comment: ["issues", "pull_requests"],
  push: ["contents"],
};

describe("app.yml against the handlers", () => {
  const app = readAppDefinition();

  it("subscribes to every event closeloop handles that GitHub does not send every app, and to nothing else", () => {
    const needed = HANDLED_EVENTS.filter((event) => !SENT_TO_EVERY_APP.includes(event));
    expect([...app.default_events].sort()).toEqual([...needed].sort());
  });

  it.each(SENT_TO_EVERY_APP)("handles %s, which arrives without a subscription", (event) => {
    expect(HANDLED_EVENTS).toContain(event);
  });

  it("grants, for each subscribed event, a permission GitHub requires to send it", () => {
    for (const event of app.default_events) {
      const granted = (PERMISSION_FOR_EVENT[event] ?? []).filter((name) => app.default_permissions[name]);
      expect({ event, granted: granted.length > 0 }).toEqual({ event, granted: true });
    }
  });

  it("grants every permission closeloop's GitHub calls need, and none that no call or event needs", () => {
    const calls = githubCalls();
    const unknown = calls
      .filter(({ call }) => !(call in PERMISSION_FOR_CALL))
      .map(({ call, file }) => `${call} (${file})`);
    expect(unknown, "a GitHub call not in PERMISSION_FOR_CALL: add the permission GitHub's docs give it").toEqual([]);
    const needed = new Map<string, Level>([["metadata", "read"]]);
    const need = (name: string, level: Level) => {
      if (LEVELS.indexOf(level) > LEVELS.indexOf(needed.get(name) ?? "none")) needed.set(name, level);
    };
    for (const { call } of calls)
      for (const [name, level] of Object.entries(PERMISSION_FOR_CALL[call]!)) need(name, level);
    for (const event of app.default_events) need(PERMISSION_FOR_EVENT[event]![0]!, "read");
    expect(app.default_permissions).toEqual(Object.fromEntries(needed));
  });
});

type Level = "none" | "read" | "write";
const LEVELS: Level[] = ["none", "read", "write"];

/**
 * The installation permission each GitHub call in src/ needs (docs.github.com's REST reference, "Fine-grained access
 * tokens" on each endpoint; GraphQL by what the document reads and writes). `{}`: made with the app's JWT or a
 * person's token for their own account, which no installation permission governs.
 */
const PERMISSION_FOR_CALL: Record<string, Record<string, Level>> = {
  "issues.get": { issues: "read" },
  "issues.listForRepo": { issues: "read" },
  "issues.listComments": { issues: "read" },
  "issues.listCommentsForRepo": { issues: "read" },
  "issues.create": { issues: "write" },
  "issues.createComment": { issues: "write" },
  "issues.updateComment": { issues: "write" },
  "issues.addLabels": { issues: "write" },
  "issues.removeLabel": { issues: "write" },
  "issues.createLabel": { issues: "write" },
  "checks.create": { checks: "write" },
  "repos.get": { metadata: "read" },
  "repos.getCollaboratorPermissionLevel": { metadata: "read" },
  "GET /repos/{owner}/{repo}/contents/{path}": { contents: "read" },
  // .github/closeloop.yml through Probot's config plugin (GET …/contents/…)
  config: { contents: "read" },
  // the duplicate's timeline (MarkedAsDuplicateEvent.canonical)
  "graphql in src/github/duplicates.ts": { issues: "read" },
  // an organization's project (v2): find it, create its field, add the issue, set its number
  "graphql in src/github/projects.ts": { organization_projects: "write", issues: "read" },
  "apps.getRepoInstallation": {},
  "apps.listInstallations": {},
  "apps.listReposAccessibleToInstallation": {},
  "users.getAuthenticated": {},
  "GET /user/installations": {},
  "GET /user/installations/{installation_id}/repositories": {},
};

/** Every GitHub call the source makes: Octokit's REST methods, requests by route, GraphQL by file, config reads. */
function githubCalls(): { call: string; file: string }[] {
  const calls: { call: string; file: string }[] = [];
  const src = join(ROOT, "src");
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name) || path.includes(join("store", "generated"))) continue;
    const text = readFileSync(path, "utf8");
    const file = relative(ROOT, path);
    for (const match of text.matchAll(/\brest\.(\w+\.\w+)/g)) calls.push({ call: match[1]!, file });
    // Octokit's older spelling without `.rest`, which Probot's octokit still accepts.
    const bare = /\boctokit\.(?!(?:rest|request|graphql|paginate|config|auth|hook|log)\b)(\w+\.\w+)/g;
    for (const match of text.matchAll(bare)) calls.push({ call: match[1]!, file });
    for (const match of text.matchAll(/\b(?:request|paginate)\("([A-Z]+ [^"]+)"/g))
      calls.push({ call: match[1]!, file });
    if (/\.graphql\b/.test(text)) calls.push({ call: `graphql in ${file}`, file });
    if (/\bconfig\.get\(|\bcontext\.config\(/.test(text)) calls.push({ call: "config", file });
  }
  return calls;
}
