import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { consoleOutput } from "../../src/cli/output.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { FakeGitHub } from "../fakes/github-server.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { freePort } from "../support/ports.js";
import { ROOT, startApp, TEST_PRIVATE_KEY, type RunningApp } from "../support/process.js";
import { reportTicket } from "../support/reports.js";

// Debian's chromium (README, Development). Without it the test skips locally with the reason; under CI it must run.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI === "true")
    throw new Error(
      `the dashboard's browser test needs chromium at ${CHROMIUM} (apt-get install -y chromium); CI=true, so it may not skip`,
    );
  console.warn(
    `skipping the dashboard's browser test: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}
const ARTIFACTS = join(ROOT, "test-artifacts", "dashboard");
/** Written only on request, so a test run never dirties the tree: UPDATE_SCREENSHOTS=1 npx vitest run <this file>. */
const README_PICTURE = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "loop-closed.png") : null;

const DAY = 86_400_000;
const REPOSITORIES = {
  shop: { id: 101n, installationId: 7n, owner: "acme", name: "shop" },
  vault: { id: 202n, installationId: 8n, owner: "acme", name: "vault" },
} as const;

/** Seeds the database the process will serve: reports on issues of two repositories, and a close whose reopen died. */
async function seed(databaseUrl: string): Promise<void> {
  const database = await openDatabase(databaseUrl, { migrate: true });
  const now = Date.now();
  let conversation = 4000;
  const report = async (repository: keyof typeof REPOSITORIES, number: number, daysAgo: number, customer: string) => {
    const id = String(++conversation);
    const at = new Date(now - daysAgo * DAY);
    await reportTicket(database, REPOSITORIES[repository], number, id, at);
    await database.prisma.link.updateMany({
      where: { conversationId: id },
      data: { customerHash: customer, team: "Billing" },
    });
  };
  try {
    for (const [days, customer] of [
      [0.5, "c1"],
      [1, "c2"],
      [2, "c3"],
      [3, "c1"],
      [9, "c4"],
    ] as const)
      await report("shop", 12, days, customer);
    for (const [days, customer] of [
      [0.1, "c5"],
      [5, "c5"],
    ] as const)
      await report("shop", 7, days, customer);
    for (let n = 0; n < 8; n++) await report("vault", 3, 1, `v${n}`);
    await database.prisma.issue.updateMany({
      where: { repositoryId: REPOSITORIES.shop.id, number: 12 },
      data: { title: "Checkout button does nothing", openedAt: new Date(now - 30 * DAY) },
    });
    await database.prisma.issue.updateMany({
      where: { repositoryId: REPOSITORIES.shop.id, number: 7 },
      data: { title: "Invoice PDF is blank", openedAt: new Date(now - 5 * DAY) },
    });
    await database.prisma.issue.updateMany({
      where: { repositoryId: REPOSITORIES.vault.id },
      data: { title: "Vault secret issue" },
    });
    const issue = await database.prisma.issue.findFirstOrThrow({
      where: { repositoryId: REPOSITORIES.shop.id, number: 7 },
    });
    const close = await database.prisma.issueClose.create({
      data: {
        issueId: issue.id,
        closedAt: new Date(now - DAY / 2),
        reason: "completed",
        closedBy: "maintainer",
        note: "closed",
        summary: false,
        jobs: {
          create: [
            {
              linkId: 1,
              provider: "zendesk",
              account: "acme",
              conversationId: "4006",
              url: "https://acme.zendesk.com/agent/tickets/4006",
              state: "done",
              attempts: 1,
              finishedAt: new Date(now - DAY / 3),
            },
            {
              linkId: 2,
              provider: "zendesk",
              account: "acme",
              conversationId: "4007",
              url: "https://acme.zendesk.com/agent/tickets/4007",
              state: "dead",
              attempts: 8,
              lastError: "Zendesk answered 422: closed tickets cannot be reopened",
              lastStatus: 422,
              finishedAt: new Date(now - DAY / 3),
            },
          ],
        },
      },
      include: { jobs: true },
    });
    await watchAnswers(database, close, [{ conversationId: "4006", answeredAfterHours: 3 }]);
    await closeWithAnswers(database, now);
  } finally {
    await database.close();
  }
}

/** One answer watch per done reopen of `close` (docs/answers.md): answered or closed after so many hours, or waiting. */
async function watchAnswers(
  database: Database,
  close: { id: number; jobs: { id: number; conversationId: string; url: string; finishedAt: Date | null }[] },
  answers: { conversationId: string; answeredAfterHours?: number; closedAfterHours?: number; reminded?: boolean }[],
): Promise<void> {
  for (const answer of answers) {
    const job = close.jobs.find((candidate) => candidate.conversationId === answer.conversationId)!;
    const reopenedAt = job.finishedAt!;
    const hours = answer.answeredAfterHours ?? answer.closedAfterHours;
    await database.prisma.answerWatch.create({
      data: {
        reopenJobId: job.id,
        closeId: close.id,
        provider: "zendesk",
        account: "acme",
        conversationId: job.conversationId,
        url: job.url,
        reopenedAt,
        outcome: answer.answeredAfterHours !== undefined ? "answered" : hours !== undefined ? "closed" : null,
        outcomeAt: hours === undefined ? null : new Date(reopenedAt.getTime() + hours * 3_600_000),
        learnedBy: hours === undefined ? null : "webhook",
        reads: 3,
        remindedAt: answer.reminded ? new Date(reopenedAt.getTime() + DAY) : null,
        state: hours === undefined ? "pending" : "done",
        // Nothing for the process to do with them while the test runs: no Zendesk is configured.
        nextAttemptAt: new Date(reopenedAt.getTime() + 30 * DAY),
      },
    });
  }
}

/** #15, closed three days and an hour ago: five customers reopened, two answered, one closed without an answer, two still wait. */
async function closeWithAnswers(database: Database, now: number): Promise<void> {
  const closedAt = new Date(now - 3 * DAY - 3_600_000);
  const reopenedAt = new Date(closedAt.getTime() + 60_000);
  const ids = ["4101", "4102", "4103", "4104", "4105"];
  const issue = await database.prisma.issue.create({
    data: { repositoryId: REPOSITORIES.shop.id, number: 15, title: "Search shows yesterday's prices", state: "closed" },
  });
  const close = await database.prisma.issueClose.create({
    data: {
      issueId: issue.id,
      closedAt,
      reason: "completed",
      closedBy: "maintainer",
      note: "closed",
      summary: true,
      jobs: {
        create: ids.map((id, index) => ({
          linkId: 100 + index,
          provider: "zendesk",
          account: "acme",
          conversationId: id,
          url: `https://acme.zendesk.com/agent/tickets/${id}`,
          state: "done",
          attempts: 1,
          finishedAt: reopenedAt,
        })),
      },
    },
    include: { jobs: true },
  });
  await watchAnswers(database, close, [
    { conversationId: "4101", answeredAfterHours: 2 },
    { conversationId: "4102", answeredAfterHours: 7 },
    { conversationId: "4103", closedAfterHours: 1 },
    { conversationId: "4104", reminded: true },
    { conversationId: "4105" },
  ]);
}

describe.skipIf(!hasChromium)(
  "the dashboard in headless Chromium, against the real process (SQLite, GitHub Enterprise-style fake)",
  () => {
    const github = new FakeGitHub();
    let app: RunningApp;
    let browser: Browser;
    let base: string;
    let databaseUrl: string;

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      github.users.set("rep", { login: "rep", id: 11, installations: { 7: [101] } });
      github.users.set("stranger", { login: "stranger", id: 12, installations: {} });
      const host = await github.start();
      databaseUrl = await freshDatabaseUrl("sqlite");
      await seed(databaseUrl);
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      app = await startApp({
        APP_ID: "4242",
        PRIVATE_KEY: TEST_PRIVATE_KEY,
        WEBHOOK_SECRET: "e2e-dashboard",
        GHE_HOST: host,
        GHE_PROTOCOL: "http",
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        GITHUB_CLIENT_ID: github.oauthClient.id,
        GITHUB_CLIENT_SECRET: github.oauthClient.secret,
        CLOSELOOP_PUBLIC_URL: base,
        CLOSELOOP_ADMINS: "rep",
      });
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
    });
    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await github.stop();
    });

    const shot = (page: Page, name: string) =>
      page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

    /** `closeloop waiting` as a terminal shows it, run against the database the process serves. */
    async function waitingOutput(): Promise<string> {
      const saved = process.env.DATABASE_URL;
      process.env.DATABASE_URL = databaseUrl;
      let text = "";
      try {
        expect(
          await runCli(
            ["waiting"],
            consoleOutput((chunk) => (text += chunk)),
          ),
        ).toBe(0);
      } finally {
        process.env.DATABASE_URL = saved;
      }
      const lines = text.trimEnd().split("\n");
      expect(lines.slice(0, 2)).toEqual([
        "2 reopened conversations waiting for an agent, oldest first",
        "  waiting  provider  conversation  issue         reminded  url",
      ]);
      expect(lines.slice(2).map((line) => line.split(/\s+/).slice(1, 6))).toEqual([
        ["3", "days", "zendesk", "4104", "acme/shop#15"],
        ["3", "days", "zendesk", "4105", "acme/shop#15"],
      ]);
      return text;
    }

    /** README, Loop closed: the Closed view as a rep sees it, above `closeloop waiting` in a terminal. */
    async function pictureForReadme(closed: Page, waiting: string): Promise<void> {
      const view = await closed.locator("main").screenshot();
      const page = await closed.context().newPage();
      const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
      await page.setViewportSize({ width: 1280, height: 400 });
      await page.setContent(
        `<body style="margin:0;padding:16px;background:#f6f8fa;font:14px system-ui,sans-serif">` +
          `<img alt="" src="data:image/png;base64,${view.toString("base64")}" style="display:block;max-width:100%;border:1px solid #d0d7de;background:#fff">` +
          `<pre style="margin:16px 0 0;padding:12px 16px;background:#1f2328;color:#e6edf3;border-radius:6px;font:13px/1.45 ui-monospace,monospace;white-space:pre">` +
          `<span style="color:#7ee787">$</span> closeloop waiting\n${escape(waiting)}</pre></body>`,
      );
      const picture = await page.screenshot({ fullPage: true });
      await page.close();
      writeFileSync(join(ARTIFACTS, "loop-closed.png"), picture);
      if (README_PICTURE) writeFileSync(README_PICTURE, picture);
    }

    it("says at start where the dashboard is and its callback", () => {
      expect(app.output()).toContain(
        `dashboard at ${base}/closeloop/ (OAuth callback ${base}/closeloop/auth/callback; admins: rep)`,
      );
    });

    it("signs a rep in through GitHub, ranks, filters and sorts, opens an issue, downloads CSV, retries from operations, makes an API token, signs out", async () => {
      // No script runs: the dashboard has none, and must work without.
      const context = await browser.newContext({ acceptDownloads: true, javaScriptEnabled: false });
      const page = await context.newPage();
      github.signInAs = "rep";
      const first = await page.goto(`${base}/closeloop/`);
      expect(first?.status()).toBe(200);
      expect(page.url()).toBe(`${base}/closeloop/`);
      const cookies = await context.cookies();
      expect(cookies.find((cookie) => cookie.name === "closeloop_session")).toMatchObject({
        httpOnly: true,
        sameSite: "Lax",
        secure: false,
        path: "/closeloop",
      });

      // The ranking: only acme/shop's issues (the vault is not the rep's), most reports first.
      const rows = page.locator("main table tbody tr");
      expect(await rows.locator("th[scope=row] a").allTextContents()).toEqual([
        "Checkout button does nothing",
        "Invoice PDF is blank",
      ]);
      expect(await page.locator("main table thead th").allTextContents()).toEqual([
        "Issue",
        "Reports",
        "Customers",
        "Labels",
        "Helpdesks",
        "First report",
        "Last report",
        "Per day (30 days)",
      ]);
      expect(await rows.first().locator("td.num").allTextContents()).toEqual(["4", "4"]);
      expect(await page.locator("svg.chart").count()).toBe(2);
      await shot(page, "1-impact");

      // Filter and sort through the form: the query lands in the URL.
      await page.getByLabel("Window").selectOption("7");
      await page.getByLabel("Sort by").selectOption("last");
      await page.getByLabel("Repository").fill("acme/shop");
      await page.getByRole("button", { name: "Apply" }).click();
      await page.waitForURL(/sort=last/);
      expect(new URL(page.url()).searchParams.toString()).toBe(
        "days=7&sort=last&state=open&repository=acme%2Fshop&team=&helpdesk=&label=",
      );
      expect(await rows.locator("th[scope=row] a").allTextContents()).toEqual([
        "Invoice PDF is blank",
        "Checkout button does nothing",
      ]);
      await shot(page, "2-impact-filtered");

      // CSV of the same view.
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("link", { name: "Download CSV" }).click(),
      ]);
      const csv = readFileSync((await download.path())!, "utf8").split("\r\n");
      expect(csv[0]).toMatch(/^repository,number,title,state,url,reports,customers/);
      expect(csv.slice(1, 3).map((line) => line.split(",").slice(0, 3).join(","))).toEqual([
        "acme/shop,7,Invoice PDF is blank",
        "acme/shop,12,Checkout button does nothing",
      ]);

      // The issue page.
      await page.getByRole("link", { name: "Checkout button does nothing" }).click();
      await page.waitForURL(`${base}/closeloop/issues/acme/shop/12`);
      expect(await page.locator("h1").textContent()).toContain("Checkout button does nothing");
      expect(await page.getByRole("link", { name: "4001" }).getAttribute("href")).toBe(
        "https://acme.zendesk.com/agent/tickets/4001",
      );
      expect(await page.locator("#conversations + table tbody tr").count()).toBe(5);
      await shot(page, "3-issue");

      // The closed page: the reopen that failed, and why.
      await page.getByRole("link", { name: "Closed", exact: true }).click();
      await expect.poll(() => page.locator("main table tbody tr").first().textContent()).toContain("acme/shop#7");
      expect(await page.locator("main").textContent()).toContain(
        "Zendesk answered 422: closed tickets cannot be reopened",
      );
      await shot(page, "4-closed");

      // Who was answered: per close the counts, the median time to answer, and who still waits (by title, as #15).
      const answered = page.locator("main table tbody tr", { hasText: "acme/shop#15" });
      expect(await answered.locator("th[scope=row]").textContent()).toBe("Search shows yesterday's pricesacme/shop#15");
      expect(await answered.locator("td.num").allTextContents()).toEqual(["5", "2", "2", "1", "4 hours"]);
      expect(await answered.locator("td li").allTextContents()).toEqual([
        "Zendesk 4104 for 3 days (reminded)",
        "Zendesk 4105 for 3 days",
      ]);
      expect(await answered.getByRole("link", { name: "4104" }).getAttribute("href")).toBe(
        "https://acme.zendesk.com/agent/tickets/4104",
      );
      const answeredOnce = page.locator("main table tbody tr", { hasText: "acme/shop#7" });
      expect(await answeredOnce.locator("td.num").allTextContents()).toEqual(["1", "1", "0", "0", "3 hours"]);
      await pictureForReadme(page, await waitingOutput());

      // Another repository's issue, by direct URL: 404, and the API shows nothing of it either.
      const hidden = await page.goto(`${base}/closeloop/issues/acme/vault/3`);
      expect(hidden?.status()).toBe(404);
      const api = await page.request.get(`${base}/closeloop/api/issues?state=all`);
      expect(
        ((await api.json()) as { issues: { repository: string }[] }).issues.map((issue) => issue.repository),
      ).toEqual(["acme/shop", "acme/shop"]);

      // Operations: retry the dead job.
      await page.goto(`${base}/closeloop/ops`);
      await shot(page, "5-ops");
      await page.getByRole("button", { name: /^Retry job \d+$/ }).click();
      await page.waitForURL(/\/closeloop\/ops\?retried=1$/);
      expect(await page.getByRole("status").textContent()).toBe(
        "1 job queued again; the workers pick them up within a second.",
      );
      await shot(page, "6-ops-retried");

      // A read-only API token for a script: made on the operations page, shown once, sent as a bearer token.
      await page.getByLabel("New token's name").fill("weekly export");
      await page.getByRole("button", { name: "Create API token" }).click();
      await page.waitForURL(`${base}/closeloop/ops/tokens`);
      const token = await page.getByLabel("API token").inputValue();
      expect(token).toMatch(/^clt_[A-Za-z0-9_-]{43}$/);
      await shot(page, "6-api-token");
      const bearer = { authorization: `Bearer ${token}` };
      const scripted = await fetch(`${base}/closeloop/api/issues?state=all`, { headers: bearer });
      expect(
        ((await scripted.json()) as { issues: { repository: string }[] }).issues.map((issue) => issue.repository),
      ).toEqual(["acme/shop", "acme/shop"]);
      expect((await fetch(`${base}/closeloop/ops`, { headers: bearer })).status).toBe(403);

      // Sign out: the session is gone for the browser and the API.
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(`${base}/closeloop/auth/signed-out`);
      expect(await page.locator("h1").textContent()).toBe("Signed out");
      await shot(page, "7-signed-out");
      expect((await page.request.get(`${base}/closeloop/api/issues`)).status()).toBe(401);
      await context.close();
    }, 60_000);

    it("shows a person without access to the repositories nothing, and 404 for their issues and for operations", async () => {
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      github.signInAs = "stranger";
      await page.goto(`${base}/closeloop/`);
      expect(await page.locator("main").textContent()).toContain("0 issues with reports in the last 30 days");
      expect(await page.locator("main table").count()).toBe(0);
      await shot(page, "8-stranger");
      expect((await page.goto(`${base}/closeloop/issues/acme/shop/12`))?.status()).toBe(404);
      await shot(page, "9-not-found");
      expect((await page.goto(`${base}/closeloop/ops`))?.status()).toBe(404);
      await context.close();
    });
  },
);
