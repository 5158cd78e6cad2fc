import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseEnv } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { staleReason } from "../../scripts/build.mjs";
import { FakeGitHub } from "../fakes/github-server.js";
import { startFakeZendesk, type FakeZendesk } from "../providers/zendesk/fake-server.js";
import { webhookExample } from "../support/github.js";
import { postGithubWebhook, ROOT, startApp, type RunningApp } from "../support/process.js";
import { readSetupForm } from "../support/setup-flow.js";
import { waitFor } from "../support/wait.js";

const README = readFileSync(join(ROOT, "README.md"), "utf8");
/** The trial's section of the README: what the test follows, command by command. */
const TRIAL = README.slice(README.indexOf("## The first 15 minutes"), README.indexOf("## Connect a helpdesk"));

/** What a fresh clone holds after `npm install`: the checkout's files and its build, nothing a run wrote (.env, data/). */
const CLONE_ENTRIES = ["package.json", "app.yml", "bin", "scripts", "src", "prisma", "dist", "node_modules"];

/** The console block the README shows after `$ <command>` (its lines, indentation removed). */
function readmeOutput(command: string): string {
  const start = TRIAL.indexOf(`$ ${command}\n`);
  expect(start, `the README's trial shows \`${command}\``).toBeGreaterThan(-1);
  const block = TRIAL.slice(start + command.length + 3, TRIAL.indexOf("```", start));
  return block
    .split("\n")
    .map((line) => line.replace(/^ {3}/, "").trimEnd())
    .filter((line) => line !== "")
    .join("\n");
}

/** Runs `closeloop …` as the README does after `npm link`: the package's bin found on PATH, in the trial's folder. */
function closeloop(
  args: string[],
  folder: string,
  path: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("closeloop", args, { cwd: folder, env: { PATH: path, TMPDIR: tmpdir() } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The README's first 15 minutes, step by step, in a fresh folder with the fakes (GitHub in this process, Zendesk on
 * loopback): `.env` with the tunnel's address and GH_ORG, `npm start` and *Register GitHub App* (the manifest flow,
 * answered by the fake GitHub), Ctrl-C and `npm start` again, a conversation URL pasted in a comment, and
 * `closeloop links` showing it, in dry run: nothing is written to the helpdesk. It runs the built dist (`npm start`
 * builds only when a source changed), so it costs two server starts and one CLI run.
 */
describe("the documented trial (README, The first 15 minutes)", () => {
  const github = new FakeGitHub();
  let zendesk: FakeZendesk | undefined;
  const running: RunningApp[] = [];
  const folder = mkdtempSync(join(tmpdir(), "closeloop-trial-"));
  afterAll(async () => {
    for (const app of running) await app.stop();
    await github.stop();
    await zendesk?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it("registers on GH_ORG, starts in dry run, and the first pasted link shows in closeloop links", async () => {
    // `npm start` builds first when a source changed since the last build: a fresh clone's `npm install` built it, so
    // the test runs against a fresh build too (`npm test` builds first) rather than building in the middle of it.
    expect(staleReason(ROOT), "dist/ is older than the sources: run npm run build before this test").toBeNull();
    const clone = join(folder, "closeloop");
    mkdirSync(clone);
    for (const entry of CLONE_ENTRIES) symlinkSync(join(ROOT, entry), join(clone, entry));
    // `npm link`: the package's bin on PATH as `closeloop`.
    const bin = join(folder, "bin");
    mkdirSync(bin);
    symlinkSync(join(ROOT, "bin/closeloop.js"), join(bin, "closeloop"));
    const path = [bin, dirname(process.execPath), process.env.PATH ?? ""].join(":");

    // Step 2: .env, exactly as the README writes it.
    const dotEnv = /create `\.env`:\n\n\s*```sh\n([\s\S]*?)```/.exec(TRIAL)?.[1];
    expect(dotEnv).toContain("GH_ORG=acme");
    writeFileSync(join(clone, ".env"), dotEnv!.replace(/^ +/gm, ""));
    zendesk = await startFakeZendesk();
    zendesk.seed({ id: "48213" });
    // LOG_FORMAT as a person's `npm start` has it (pretty), so the README's log lines are matched as printed.
    const env = {
      PATH: path,
      LOG_FORMAT: "pretty",
      GHE_HOST: await github.start(),
      GHE_PROTOCOL: "http",
      ...zendesk.env(),
    };
    const npmStart = () => startApp(env, ["start"], { cwd: clone, production: false, command: "npm" });

    // Step 3: `npm start` without credentials serves the setup flow; Register GitHub App posts the manifest to GitHub.
    expect(TRIAL).toContain("**Register the app.** `npm start`");
    const setup = await npmStart();
    running.push(setup);
    const form = await readSetupForm(setup.baseUrl);
    expect(form.page).toContain("acme");
    expect(form.page).toContain("https://words-words.trycloudflare.com/api/github/webhooks");
    const created = await fetch(form.action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ manifest: form.manifest }).toString(),
      redirect: "manual",
    });
    const done = await fetch(created.headers.get("location")!, { redirect: "manual" });
    expect(done.headers.get("location")).toBe("http://fake-github/apps/closeloop/installations/new");
    const [app] = github.registeredApps;
    expect(app!.organisation).toBe("acme");
    expect(app!.manifest.hook_attributes.url).toBe("https://words-words.trycloudflare.com/api/github/webhooks");
    expect(app!.manifest.callback_urls).toContain("https://words-words.trycloudflare.com/closeloop/auth/callback");
    const written = parseEnv(readFileSync(join(clone, ".env"), "utf8"));
    expect(written).toMatchObject({
      GH_ORG: "acme",
      APP_ID: String(app!.id),
      WEBHOOK_SECRET: app!.converted!.webhookSecret,
      GITHUB_CLIENT_ID: app!.converted!.clientId,
      GITHUB_CLIENT_SECRET: app!.converted!.clientSecret,
      CLOSELOOP_DRY_RUN: "true",
    });
    expect(written.PRIVATE_KEY).toContain("PRIVATE KEY");

    // Step 4: Ctrl-C, then `npm start` again: it has its credentials from .env, creates the database, runs in dry run.
    await setup.stop();
    const server = await npmStart();
    running.push(server);
    expect(server.output()).toContain("dry run: no change is made on GitHub or in helpdesks");
    expect(existsSync(join(clone, "data/closeloop.db"))).toBe(true);

    // Step 5: the README's conversation URL pasted in a comment on acme/test#1.
    const payload = webhookExample<Record<string, any>>("issue_comment", "created");
    payload.installation = { id: 77, node_id: "x" };
    payload.repository.name = "test";
    payload.repository.full_name = "acme/test";
    payload.repository.owner.login = "acme";
    payload.issue.html_url = "https://github.com/acme/test/issues/1";
    payload.comment.id = 2184390117;
    payload.comment.created_at = payload.comment.updated_at = "2026-12-06T10:14:02Z";
    payload.comment.body = "Customer hit this: https://acme.zendesk.com/agent/tickets/48213";
    const delivered = await postGithubWebhook(
      server,
      written.WEBHOOK_SECRET!,
      "issue_comment",
      JSON.stringify(payload),
    );
    expect(delivered.status).toBe(200);
    const logLine = /the log\s+says `([^`]+)`/.exec(TRIAL)![1]!;
    expect(logLine).toBe("acme/test#1 comment 2184390117: 1 link(s) added, 0 removed; 1 link note(s) queued");
    await waitFor(async () => server.output().includes(logLine), 20_000, "the README's log line");

    const links = await closeloop(["links", "acme/test#1"], clone, path);
    expect({ code: links.code, stderr: links.stderr }).toEqual({ code: 0, stderr: "" });
    expect(links.stdout.trimEnd().replace(/ +$/gm, "")).toBe(readmeOutput("closeloop links acme/test#1"));

    // With Zendesk connected, the log shows the note it would write, and nothing is written there.
    await waitFor(
      async () => server.output().includes('[dry-run] Would add a note to Zendesk conversation 48213: "Engineering'),
      20_000,
      "the dry-run note",
    );
    expect(zendesk.http.requests.filter((request) => request.method !== "GET")).toEqual([]);
  }, 120_000);
});
