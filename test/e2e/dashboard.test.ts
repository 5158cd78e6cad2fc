import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/database.js";
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
    await reportTicket(database.prisma, REPOSITORIES[repository], number, id, at);
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
    await database.prisma.issueClose.create({
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
    });
  } finally {
    await database.close();
  }
}

describe.skipIf(!hasChromium)(
  "the dashboard in headless Chromium, against the real process (SQLite, GitHub Enterprise-style fake)",
  () => {
    const github = new FakeGitHub();
    let app: RunningApp;
    let browser: Browser;
    let base: string;

    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      github.users.set("rep", { login: "rep", id: 11, installations: { 7: [101] } });
      github.users.set("stranger", { login: "stranger", id: 12, installations: {} });
      const host = await github.start();
      const databaseUrl = await freshDatabaseUrl("sqlite");
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
