import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./support/process.js";
import { readmeCommands } from "./support/readme-commands.js";

/**
 * Every command the README shows a person (its shell and console blocks, and commands and settings in its prose) is run
 * by a test or by CI: each has its place below, the file that runs it and the text there that does, and this test
 * fails when the README gains a command without one, or the place stops holding it. The few that CI cannot run (they
 * need Docker's daemon or the internet) say so, and name what of them is tested instead.
 */

type RunBy =
  /** `file` (a test, .ci/run, package.json) holds `runs`, the line that runs the command; `note` when not verbatim */
  | { file: string; runs: string; note?: string }
  /** run by nothing here, for the reason given; `file` holds `runs`, what of it is tested */
  | { notRun: string; file: string; runs: string };

const TRIAL = "test/e2e/trial.test.ts";
const COMPOSE = "test/deploy/compose.test.ts";
const EXAMPLES = "test/readme-examples.test.ts";
const BACKUPS = "test/e2e/backup-and-upgrade.test.ts";
const NO_DOCKER = "CI has no Docker daemon";

const RUN_BY: Record<string, RunBy> = {
  "closeloop links octo-org/app#42": { file: EXAMPLES, runs: '["links", "octo-org/app#42"]' },
  "npm install": {
    file: ".ci/run",
    runs: "npm ci --no-audit --no-fund",
    note: "npm ci is npm install from package-lock.json that fails where install would change the lock",
  },
  "npm start": { file: TRIAL, runs: 'startApp(env, ["start"], { cwd: clone, production: false, command: "npm" })' },
  "npm test": { file: ".ci/run", runs: "\nnpm test\n" },
  "CLOSELOOP_PUBLIC_URL=https://words-words.trycloudflare.com": {
    file: TRIAL,
    runs: 'expect(dotEnv).toContain("GH_ORG=acme")',
  },
  "GH_ORG=acme": { file: TRIAL, runs: 'expect(dotEnv).toContain("GH_ORG=acme")' },
  "closeloop links acme/test#1": { file: TRIAL, runs: 'closeloop(["links", "acme/test#1"], clone, path)' },
  "umask 077": {
    notRun: "a shell builtin (files made after it are its owner's alone), nothing of closeloop",
    file: EXAMPLES,
    runs: 'execFileSync("bash", ["-c", heredoc]',
  },
  "cp deploy/closeloop.env.example closeloop.env": {
    file: COMPOSE,
    runs: 'envFile(readFileSync(join(ROOT, "deploy/closeloop.env.example"), "utf8"))',
    note: "compose's env_file closeloop.env, read from the example the README copies it from",
  },
  "export CLOSELOOP_HOST=closeloop.example.com POSTGRES_PASSWORD=$(openssl rand -hex 24)": {
    file: EXAMPLES,
    runs: 'execFileSync("openssl", ["rand", "-hex", "24"]',
    note: "compose.test.ts interpolates CLOSELOOP_HOST and POSTGRES_PASSWORD into compose.yaml",
  },
  "docker compose up -d": {
    notRun: NO_DOCKER,
    file: COMPOSE,
    runs: "starts its app command line with its environment",
  },
  "docker build -t closeloop .": {
    notRun: NO_DOCKER,
    file: COMPOSE,
    runs: "the Dockerfile builds what that line starts",
  },
  "cat > closeloop.env <<ENV\nAPP_ID=123456\nWEBHOOK_SECRET=…\nPRIVATE_KEY=$(awk '{printf \"%s\\\\n\", $0}' closeloop.private-key.pem)\nZENDESK_SUBDOMAIN=acme\nZENDESK_EMAIL=bot@acme.com\nZENDESK_API_TOKEN=…\nENV":
    { file: EXAMPLES, runs: 'execFileSync("bash", ["-c", heredoc]' },
  "docker run -d --name closeloop -p 3000:3000 --env-file closeloop.env -v closeloop-data:/data closeloop": {
    notRun: NO_DOCKER,
    file: EXAMPLES,
    runs: "with a key Probot reads back",
  },
  "export CLOSELOOP_TOKEN=clt_…": {
    file: "test/dashboard/api-tokens.test.ts",
    runs: "answers the README's curl commands",
  },
  'curl -fsS -H "Authorization: Bearer $CLOSELOOP_TOKEN" "https://closeloop.example.com/closeloop/api/issues?days=30&sort=customers&per_page=500"':
    { file: "test/dashboard/api-tokens.test.ts", runs: "answers the README's curl commands" },
  'curl -fsS -H "Authorization: Bearer $CLOSELOOP_TOKEN" -o impact.csv "https://closeloop.example.com/closeloop/?format=csv&days=90&team=team:%20billing"':
    { file: "test/dashboard/api-tokens.test.ts", runs: "answers the README's curl commands" },
  "npm run lint": { file: "package.json", runs: "&& npm run lint &&", note: "npm test runs it" },
  "npx vitest run test/domain": {
    file: "package.json",
    runs: "&& vitest run",
    note: "npm test runs vitest over every folder, test/domain among them",
  },
  "npm run bench": {
    notRun: "the benchmarks take minutes and measure the machine; CI runs the scripts they measure, as tests",
    file: "test/bench/p2-script.test.ts",
    runs: "runP2Script",
  },
  "node build-bench/bench/cpu-profiles.js p8-output.txt /tmp/p8prof": {
    notRun:
      "it reads the output and profiles of a profiled P8 run, as npm run bench; its reading is tested on a made profile",
    file: "test/bench/cpu-profiles.test.ts",
    runs: "breakdown([PROFILE], [[11_500, 70_000]])",
  },
  "BENCH_ONLY=p2,p4 npm run bench": {
    notRun: "as npm run bench",
    file: "test/bench/label-sweep-seed.test.ts",
    runs: 'import { seed } from "../../bench/labels.js"',
  },
  "BENCH_LABEL_LINKS=1000000,10000000": {
    notRun: "as npm run bench",
    file: "test/bench/label-sweep-seed.test.ts",
    runs: 'import { seed } from "../../bench/labels.js"',
  },
  "BENCH_LABEL_ISSUES=100000,1000000": {
    notRun: "as npm run bench",
    file: "test/bench/label-sweep-seed.test.ts",
    runs: 'import { seed } from "../../bench/labels.js"',
  },
  "BENCH_BACKFILL_REPOSITORIES=1000 BENCH_BACKFILL_ISSUES=100000 BENCH_BACKFILL_COMMENTS=1000000": {
    notRun: "as npm run bench; the installation it backfills is generated the same way in the kill test",
    file: "test/e2e/backfill-kill.test.ts",
    runs: "new GeneratedInstallation({",
  },
  "BENCH_ONLY=burst BENCH_BASELINE=../other-checkout npm run bench": {
    notRun: "as npm run bench, and it needs another checkout",
    file: "test/bench/p2-script.test.ts",
    runs: "runP2Script",
  },
  "npx vitest run test/e2e/dashboard.test.ts": {
    file: "package.json",
    runs: "&& vitest run",
    note: "npm test runs every test file, this one among them",
  },
  "closeloop config": {
    notRun: "not a command: the name of the check run closeloop posts",
    file: "test/handlers/config-pushes.test.ts",
    runs: 'name: "closeloop config"',
  },
  "closeloop backfill --all": {
    file: "test/cli/backfill-command.test.ts",
    runs: "backfillCommand(database, [], { all: true, json: true }, out, github)",
  },
  "closeloop copy-database postgres://user:password@host:5432/closeloop": {
    file: "test/cli/copy-database.test.ts",
    runs: 'cli(sourceUrl, ["copy-database", targetUrl, "--json"])',
    note: "into a PostgreSQL database of the test server, from a SQLite file with rows in every table",
  },
  "closeloop backfill": { file: "test/cli/backfill-command.test.ts", runs: 'runCli(["backfill", "octo-org/app"]' },
  "cloudflared tunnel --url http://localhost:3000": {
    notRun: "a tunnel from the internet, which CI has none of; the trial test uses its address",
    file: TRIAL,
    runs: "https://words-words.trycloudflare.com/api/github/webhooks",
  },
  "ngrok http 3000": {
    notRun: "as cloudflared",
    file: TRIAL,
    runs: "https://words-words.trycloudflare.com/api/github/webhooks",
  },
  "CLOSELOOP_DRY_RUN=true": { file: TRIAL, runs: 'CLOSELOOP_DRY_RUN: "true"' },
  "npm link": {
    notRun: "it writes to the machine's global npm folder; the trial test puts the package's bin on PATH as it does",
    file: TRIAL,
    runs: 'symlinkSync(join(ROOT, "bin/closeloop.js"), join(bin, "closeloop"))',
  },
  "CLOSELOOP_DRY_RUN=false": { file: EXAMPLES, runs: 'parseEnv({ CLOSELOOP_DRY_RUN: "false" })' },
  "NODE_ENV=production": { file: EXAMPLES, runs: 'startApp({ NODE_ENV: "production" })' },
  "closeloop status": { file: "test/cli/reopen-commands.test.ts", runs: 'runCli(["status"], human.out, human.error)' },
  "CLOSELOOP_PUBLIC_URL=https://closeloop.example.com": { file: EXAMPLES, runs: "is read by closeloop" },
  "openssl rand -base64 32": { file: EXAMPLES, runs: 'execFileSync("openssl", ["rand", "-base64", "32"]' },
  "docker compose exec app node bin/closeloop.js status": {
    notRun: `${NO_DOCKER}; the command it runs in the container is run as a process`,
    file: BACKUPS,
    runs: 'runCliProcess(["status", "--json"]',
  },
  "DATABASE_URL=file:/data/closeloop.db": { file: EXAMPLES, runs: "is read by closeloop" },
  "docker exec closeloop node bin/closeloop.js status": {
    notRun: `${NO_DOCKER}; the command it runs in the container is run as a process`,
    file: BACKUPS,
    runs: 'runCliProcess(["status", "--json"]',
  },
  'sqlite3 data/closeloop.db ".backup backup.db"': {
    file: BACKUPS,
    runs: "`.backup '${join(dir, \"dot-backup.db\")}'`",
  },
  "closeloop migrate": { file: BACKUPS, runs: 'runCliProcess(["migrate"]' },
  "closeloop migrate now": { file: "test/cli/missing-database.test.ts", runs: '["migrate", "now"]' },
  "DATABASE_URL=postgres://user:password@host:5432/closeloop": { file: EXAMPLES, runs: "is read by closeloop" },
  "closeloop links owner/repo#42": {
    file: "test/cli/cli.test.ts",
    runs: 'runCli(["links", "octo-org/app#42", "--json"]',
  },
  "closeloop links": { file: "test/cli/cli.test.ts", runs: 'runCli(["links", "octo-org/app#7"], human.out' },
  "closeloop top": { file: "test/cli/top-command.test.ts", runs: 'runCli(["top"], io.out, io.error)' },
  "closeloop top --json": { file: "test/cli/top-command.test.ts", runs: 'runCli(["top", "--page", "2", "--json"]' },
  "closeloop retry <id>": { file: "test/cli/reopen-commands.test.ts", runs: 'runCli(["retry", String(ids.dead)]' },
  "closeloop sidebar zendesk --out zendesk-app": {
    file: "test/cli/sidebar-command.test.ts",
    runs: 'sidebarCommand(["zendesk"], { out: folder',
  },
  "openssl rand -hex 24": { file: EXAMPLES, runs: 'execFileSync("openssl", ["rand", "-hex", "24"]' },
  "closeloop sidebar freshdesk --out freshdesk-app": {
    file: "test/cli/sidebar-command.test.ts",
    runs: 'sidebarCommand(["freshdesk"], { out: folder',
  },
  "fdk pack": {
    notRun: "Freshworks' own CLI (fdk), not installed here; the test checks the package it would pack",
    file: "test/cli/sidebar-command.test.ts",
    runs: 'sidebarCommand(["freshdesk"], { out: folder',
  },
  "UPDATE_SCREENSHOTS=1 npx vitest run test/sidebar/browser.test.ts": {
    file: "test/sidebar/browser.test.ts",
    runs: 'process.env.UPDATE_SCREENSHOTS === "1"',
    note: "npm test runs the file; the variable only writes its screenshot into docs/",
  },
  "UPDATE_SCREENSHOTS=1 npx vitest run test/e2e/dashboard.test.ts": {
    file: "test/e2e/dashboard.test.ts",
    runs: 'process.env.UPDATE_SCREENSHOTS === "1"',
    note: "npm test runs the file; the variable only writes its picture into docs/",
  },
  "closeloop waiting [--json]": { file: "test/cli/waiting-command.test.ts", runs: 'runCli(["waiting", "--json"]' },
  "closeloop <command>": { file: TRIAL, runs: 'closeloop(["links", "acme/test#1"], clone, path)' },
  "node bin/closeloop.js <command>": {
    file: "test/support/process.ts",
    runs: 'join(ROOT, "bin/closeloop.js"), ...args',
  },
  "npx closeloop": {
    notRun: "named only to say why not to use it",
    file: TRIAL,
    runs: 'symlinkSync(join(ROOT, "bin/closeloop.js"), join(bin, "closeloop"))',
  },
  "closeloop --version": { file: "test/cli/commands.test.ts", runs: 'runCli(["--version"], io.out, io.error)' },
  "closeloop <command> --help": { file: "test/cli/commands.test.ts", runs: 'runCli(["jobs", "--help"]' },
  "closeloop help <command>": { file: "test/cli/commands.test.ts", runs: 'runCli(["help", "retry"]' },
  "apt-get install -y chromium": { file: ".ci/run", runs: "packages+=(chromium)" },
  "apt-get install -y postgresql": { file: ".ci/run", runs: "packages+=(postgresql)" },
  "CI=true": { file: "test/e2e/dashboard.test.ts", runs: 'process.env.CI === "true"' },
  "node scripts/prisma-schemas.mjs --generate": {
    file: "scripts/build.mjs",
    runs: '[join(root, "scripts/prisma-schemas.mjs"), "--generate"]',
    note: "npm ci's postinstall builds, which runs it",
  },
};

describe("the README's commands", () => {
  const shown = readmeCommands(readFileSync(join(ROOT, "README.md"), "utf8"));

  it("each has a test or CI step that runs it (or says why none can)", () => {
    const unplaced = shown.filter((command) => !(command in RUN_BY));
    expect(
      unplaced,
      "README commands without a place in RUN_BY (this file): add the test or CI line running each",
    ).toEqual([]);
  });

  it("are all still in the README (no place kept for a command it no longer shows)", () => {
    expect(Object.keys(RUN_BY).filter((command) => !shown.includes(command))).toEqual([]);
  });

  it.each(Object.entries(RUN_BY))("%s: the file named holds what runs it", (_command, place) => {
    expect(existsSync(join(ROOT, place.file)), place.file).toBe(true);
    expect(readFileSync(join(ROOT, place.file), "utf8")).toContain(place.runs);
  });
});
