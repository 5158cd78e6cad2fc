import { existsSync, mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import nock from "nock";
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshdeskAppFiles } from "../../src/sidebar/packages.js";
import { sidebarHandler } from "../../src/sidebar/routes.js";
import type { Database } from "../../src/store/database.js";
import { openDatabase } from "../../src/store/database.js";
import { recordIssueClose } from "../../src/store/issues.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { startFakeFreshdesk, type FakeFreshdesk } from "../providers/freshdesk/fake-server.js";
import { startFakeFront, type FakeFront } from "../providers/front/fake-server.js";
import { startFakeZendesk, type FakeZendesk } from "../providers/zendesk/fake-server.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { GITHUB_API, testProbot } from "../support/github.js";
import { ROOT } from "../support/process.js";
import { helpscoutQuery, SECRETS, sidebarHarness, zafToken, zendeskAppKeys } from "./support.js";

// Debian's chromium (README, Development). Without it the test skips locally with the reason; under CI it must run.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI === "true")
    throw new Error(`the sidebars' browser test needs chromium at ${CHROMIUM}; CI=true, so it may not skip`);
  console.warn(`skipping the sidebars' browser test: no chromium at ${CHROMIUM} (or set CHROMIUM_PATH)`);
}
const ARTIFACTS = join(ROOT, "test-artifacts", "sidebar");
/** Written only on request, so a test run never dirties the tree: UPDATE_SCREENSHOTS=1 npx vitest run <this file>. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs", "sidebar-panel.png") : null;

const REPOSITORY = { id: 31n, installationId: 3n, owner: "Octo", name: "App" } as const;
const ZAF_SDK = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js";
const FRONT_SDK = "https://dl.frontapp.com/libs/plugin-sdk-1.8.1.min.js";
// A conversation page of Help Scout's, standing in for the one that frames the app.
const HELPSCOUT_MAILBOX = "https://secure.helpscout.net/conversation/555/";
// The Freshworks platform serves the app's files and replaces {{{appclient}}} with its client script: both stand here.
const FRESHDESK_APP = "https://closeloop-app.freshdesk.test/app/";
const FRESHWORKS_CLIENT = "https://freshworks-client.test/fresh_client.js";

/** ZAF's client as the page uses it: `get` answers paths with an object keyed by path, `invoke` is recorded. */
const ZAF_STUB = `window.ZAFClient = { init: function () { return {
  get: function (paths) { return Promise.resolve({ "ticket.id": 9001, "currentUser.name": "Ann Agent" }); },
  invoke: function (name, args) { (window.zafCalls = window.zafCalls || []).push([name, args]); return Promise.resolve({}); }
}; } };`;

/** Front's plugin SDK: contextUpdates is an observable the test pushes contexts into; openUrl is recorded. */
const FRONT_STUB = `(function () {
  var listeners = [];
  window.frontOpened = [];
  window.Front = {
    contextUpdates: { subscribe: function (fn) { listeners.push(fn); return { unsubscribe: function () {} }; } },
    openUrl: function (url) { window.frontOpened.push(url); }
  };
  window.pushFrontContext = function (context) { listeners.forEach(function (fn) { fn(context); }); };
})();`;

/**
 * Freshworks' app client: the ticket and the agent from client.data, and client.request.invokeTemplate handed to the
 * test's stand-in for the platform's request proxy (server side, as the platform's is: the page never sees the secret).
 */
const FRESHWORKS_STUB = `window.app = { initialized: function () { return Promise.resolve({
  data: { get: function (name) {
    if (name === "ticket") return Promise.resolve({ ticket: { id: 77, subject: "Refunds" } });
    if (name === "loggedInUser") return Promise.resolve({ loggedInUser: { contact: { name: "Ann Agent" } } });
    return Promise.reject({ message: "unknown data " + name });
  } },
  request: { invokeTemplate: function (name, options) {
    return window.freshworksProxy(name, JSON.stringify(options)).then(function (reply) {
      if (reply.status >= 200 && reply.status < 300) return reply;
      throw reply;
    });
  } },
  instance: { resize: function (size) { (window.freshworksResized = window.freshworksResized || []).push(size); } }
}); } };`;

describe.skipIf(!hasChromium)("the sidebar pages in headless Chromium (SQLite, stubbed vendor SDKs)", () => {
  let database: Database;
  let zendesk: FakeZendesk;
  let front: FakeFront;
  let freshdesk: FakeFreshdesk;
  let keys: Awaited<ReturnType<typeof zendeskAppKeys>>;
  let server: Server;
  let base: string;
  let browser: Browser;
  let freshdeskApp: Record<string, string | Buffer>;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [database, zendesk, front, freshdesk, keys, browser] = await Promise.all([
      freshDatabaseUrl("sqlite").then((url) => openDatabase(url, { migrate: true })),
      startFakeZendesk(),
      startFakeFront(),
      startFakeFreshdesk(),
      zendeskAppKeys(),
      // The stand-in Help Scout page is "public" and frames closeloop on loopback, which Chromium's local network
      // access checks would block; in production both are public.
      chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ["--no-sandbox", "--disable-features=LocalNetworkAccessChecks"],
      }),
    ]);
    zendesk.seed({ id: "9001" });
    front.seed({ id: "cnv_abc" });
    front.seed({ id: "cnv_def" });
    freshdesk.seed({ id: "77" });
    const sidebar = sidebarHarness(
      database,
      { ...SECRETS, ...zendesk.env(), ...front.env(), ...freshdesk.env(), ZENDESK_APP_PUBLIC_KEY: keys.pem },
      testProbot(),
      { repositories: "octo/app" },
    );
    const handle = sidebarHandler(sidebar.app);
    server = createServer((request, response) => {
      void handle(request, response).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    freshdeskApp = freshdeskAppFiles(base) as Record<string, string | Buffer>;
    await seed();
  });
  afterAll(async () => {
    await browser?.close();
    // Chromium's keep-alive sockets would hold close() open until they time out.
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await Promise.all([database?.close(), zendesk?.close(), front?.close(), freshdesk?.close()]);
  });

  /**
   * Octo/App#1 (labelled, counted) and #2 are open; #2 is linked to each helpdesk's conversation from a GitHub comment;
   * #5 closed as completed and its reopen of Zendesk ticket 9001 is done.
   */
  async function seed() {
    const at = new Date(Date.now() - 3_600_000);
    const conversations = [
      {
        provider: "helpscout",
        account: "",
        conversationId: "555",
        url: "https://secure.helpscout.net/conversation/555/",
      },
      {
        provider: "zendesk",
        account: "acme",
        conversationId: "9001",
        url: "https://acme.zendesk.com/agent/tickets/9001",
      },
      { provider: "front", account: "", conversationId: "cnv_abc", url: "https://app.frontapp.com/open/cnv_abc" },
      { provider: "freshdesk", account: "acme", conversationId: "77", url: "https://acme.freshdesk.com/a/tickets/77" },
    ] as const;
    const issue = (number: number, title: string) => ({
      repository: REPOSITORY,
      number,
      githubId: BigInt(700 + number),
      state: "open" as const,
      details: { title, openedAt: at, at },
    });
    await applySourceChange(database, {
      issue: issue(1, "Checkout fails with a 500 when the cart holds a gift card"),
      source: { kind: "comment", key: "c1" },
      event: { action: "created", version: at },
      createdAt: at,
      links: [
        {
          provider: "zendesk",
          account: "acme",
          conversationId: "8000",
          url: "https://acme.zendesk.com/agent/tickets/8000",
        },
      ],
    });
    await applySourceChange(database, {
      issue: issue(2, "Export to CSV drops rows"),
      source: { kind: "comment", key: "c2" },
      event: { action: "created", version: at },
      createdAt: at,
      links: [...conversations],
    });
    await applySourceChange(database, {
      issue: issue(5, "Invoice PDF is blank"),
      source: { kind: "comment", key: "c5" },
      event: { action: "created", version: at },
      createdAt: at,
      links: [conversations[1]],
    });
    await recordIssueClose(
      database,
      { repository: REPOSITORY, number: 5, githubId: 705n, state: "closed" },
      {
        closedAt: new Date(at.getTime() + 60_000),
        stateReason: "completed",
        closedBy: "maintainer",
        reopen: true,
        note: "closed",
        summary: false,
        details: "private",
        closedTickets: "follow_up",
      },
    );
    await database.prisma.reopenJob.updateMany({ data: { state: "done", finishedAt: new Date() } });
    const first = await database.prisma.issue.findFirstOrThrow({ where: { number: 1 } });
    for (const [name, kind] of [
      ["reported: daily", "frequency"],
      ["team: billing", "team"],
    ] as const)
      await database.prisma.issueLabel.create({
        data: { issueId: first.id, key: name, name, present: true, seenAt: at, kind },
      });
    await database.prisma.issueImpact.create({
      data: {
        issueId: first.id,
        generation: 0,
        repositoryId: REPOSITORY.id,
        state: "open",
        reports7: 6,
        reports14: 6,
        reports30: 6,
        reports90: 6,
        customers7: 5,
        customers14: 5,
        customers30: 5,
        customers90: 5,
        helpdesks: ",zendesk,",
        ageOrder: new Date("2026-11-01T00:00:00Z"),
      },
    });
  }

  /**
   * A browser context whose every request outside closeloop is refused and recorded, except the vendor scripts, which
   * are stubs: nothing reaches the internet.
   */
  async function openContext(width = 320): Promise<{ context: BrowserContext; page: Page; outside: string[] }> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const outside: string[] = [];
    const stubs: Record<string, string> = {
      [ZAF_SDK]: ZAF_STUB,
      [FRONT_SDK]: FRONT_STUB,
      [FRESHWORKS_CLIENT]: FRESHWORKS_STUB,
    };
    await context.route("**/*", async (route) => {
      const url = route.request().url();
      if (url.startsWith(base)) return route.continue();
      if (stubs[url] !== undefined)
        return route.fulfill({ status: 200, contentType: "text/javascript", body: stubs[url] });
      if (url.startsWith(FRESHDESK_APP)) {
        const file = freshdeskApp[`app/${new URL(url).pathname.slice("/app/".length)}`];
        if (file === undefined) return route.fulfill({ status: 404, body: "not in the app package" });
        const type = url.endsWith(".html") ? "text/html" : url.endsWith(".css") ? "text/css" : "text/javascript";
        const body = String(file).replace("{{{appclient}}}", FRESHWORKS_CLIENT);
        return route.fulfill({ status: 200, contentType: type, body });
      }
      outside.push(url);
      return route.abort();
    });
    const page = await context.newPage();
    page.on("pageerror", (error) => outside.push(`page error: ${error.message}`));
    return { context, page, outside };
  }

  /** ZAF posts the app's first load as a form with the JWT in `token` (signedUrls): so does this, from a blank page. */
  async function loadZendesk(page: Page) {
    await page.goto("about:blank");
    await page.setContent(
      `<form method="post" action="${base}/closeloop/sidebar/zendesk"><input name="token" value="${await zafToken(keys.privateKey)}"></form>`,
    );
    await Promise.all([
      page.waitForURL(`${base}/closeloop/sidebar/zendesk`),
      page.locator("form").evaluate((form) => (form as unknown as { submit(): void }).submit()),
    ]);
  }

  const links = (conversationId: string) =>
    database.prisma.link.findMany({
      where: { conversationId },
      orderBy: { issue: { number: "asc" } },
      select: { source: true, issue: { select: { number: true } } },
    });
  /** The panel's own height in CSS pixels, as the adapters report it to the vendor. */
  const panelHeight = (page: Page | Frame) =>
    page.evaluate(() =>
      Math.ceil((globalThis as any).document.getElementById("closeloop-panel").getBoundingClientRect().height),
    );
  const notice = (page: Page | Frame, text: string) =>
    page.locator("p.notice").getByText(text, { exact: true }).waitFor();
  const items = (page: Page | Frame) => page.locator("li.issue a.ref").allTextContents();

  /** Nothing wider than the 320 px sidebar: no horizontal scroll, every control inside. */
  async function fitsSidebar(page: Page | Frame) {
    const overflow = await page.evaluate(() => {
      const { document, innerWidth } = globalThis as any;
      const wide = [...document.querySelectorAll("#closeloop-panel *")]
        .filter((node) => node.getBoundingClientRect().right > innerWidth + 0.5)
        .map((node) => node.outerHTML.slice(0, 80));
      return { scroll: document.documentElement.scrollWidth, width: innerWidth, wide };
    });
    expect(overflow).toEqual({ scroll: overflow.width, width: 320, wide: [] });
  }

  /**
   * What a rep does in every panel: sees the issue a GitHub comment links (not removable), links one by its pasted URL,
   * unlinks it, links it again from a title search, and creates an issue from the conversation.
   */
  async function linkUnlinkCreate(
    page: Page | Frame,
    conversation: { id: string; url: string; helpdesk: string },
    created: number,
    seeded: number[] = [2],
  ) {
    const refs = seeded.map((number) => `Octo/App#${number}`).reverse();
    const rows = seeded.map((number) => ({ source: "comment", issue: { number } }));
    await page.locator("li.issue").first().waitFor();
    expect(await items(page)).toEqual(refs);
    const fromGithub = page.locator("li.issue", { hasText: "Octo/App#2" });
    expect(await fromGithub.locator(".muted").last().textContent()).toBe("From GitHub: remove the URL there to unlink");
    expect(await fromGithub.textContent()).toContain("linked from a GitHub comment");
    expect(await fromGithub.locator("button").count()).toBe(0);
    await fitsSidebar(page);

    await page.getByLabel("Link an issue").fill("https://github.com/Octo/App/issues/1");
    await page.getByRole("button", { name: "Link", exact: true }).click();
    await notice(page, "Linked Octo/App#1");
    expect(await items(page)).toEqual(["Octo/App#1", ...refs]);
    const linked = page.locator("li.issue").first();
    expect(await linked.locator(".labels .label").allTextContents()).toEqual(["reported: daily", "team: billing"]);
    expect(await linked.textContent()).toContain("6 reports in 30 days · linked from this sidebar");
    expect(await links(conversation.id)).toEqual([{ source: "sidebar", issue: { number: 1 } }, ...rows]);

    await page.getByRole("button", { name: "Unlink Octo/App#1" }).click();
    await notice(page, "Unlinked Octo/App#1");
    expect(await items(page)).toEqual(refs);
    expect(await links(conversation.id)).toEqual(rows);

    await page.getByLabel("Link an issue").pressSequentially("gift card");
    const hit = page.getByRole("button", {
      name: "Octo/App#1 Checkout fails with a 500 when the cart holds a gift card",
    });
    await hit.click();
    await notice(page, "Linked Octo/App#1");
    expect(await links(conversation.id)).toEqual([{ source: "sidebar", issue: { number: 1 } }, ...rows]);

    nock(GITHUB_API)
      .post("/repos/Octo/App/issues", {
        title: "Refund button missing",
        body: `The customer cannot find it.\n\n---\nConversation: ${conversation.url}\n\nReported via ${conversation.helpdesk} by Ann Agent`,
      })
      .reply(201, {
        id: 9_000 + created,
        node_id: `I_${created}`,
        number: created,
        state: "open",
        title: "Refund button missing",
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      });
    expect(await page.getByLabel("Repository").inputValue()).toBe("octo/app");
    await page.getByLabel("Title").fill("Refund button missing");
    await page.getByLabel("Description").fill("The customer cannot find it.");
    await page.getByRole("button", { name: "Create and link" }).click();
    await notice(page, `Created and linked Octo/App#${created}`);
    expect(await items(page)).toEqual([`Octo/App#${created}`, "Octo/App#1", ...refs]);
    expect(await links(conversation.id)).toEqual([
      { source: "sidebar", issue: { number: 1 } },
      ...rows,
      { source: "sidebar", issue: { number: created } },
    ]);
    await fitsSidebar(page);
  }

  it("Help Scout: the signed callback page, framed by Help Scout, links, unlinks, creates and sets its height", async () => {
    const { context, page, outside } = await openContext();
    // What Help Scout signs: identifiers only, in kebab case.
    const query = helpscoutQuery({ "conversation-id": "555", "mailbox-id": "31", "customer-id": "77", "user-id": "8" });
    // Help Scout's side of its app SDK's window messages: the app frame is named app-<id>; the context answers
    // GET_APP_CONTEXT, and SET_APP_HEIGHT sets the frame's height, as Help Scout does.
    await context.route(HELPSCOUT_MAILBOX, (route) =>
      route.fulfill({
        status: 200,
        contentType: "text/html",
        body: `<!doctype html><body style="margin:0">
<iframe name="app-42" style="width:320px;height:150px;border:0" src="${base}/closeloop/sidebar/helpscout?${query}"></iframe>
<script>
window.appMessages = [];
addEventListener("message", function (event) {
  var frame = document.querySelector("iframe");
  if (event.source !== frame.contentWindow) return;
  window.appMessages.push(event.data);
  if (event.data.type === "GET_APP_CONTEXT")
    frame.contentWindow.postMessage({ type: "SEND_APP_CONTEXT", user: { id: 8, firstName: "Ann", lastName: "Agent" }, conversation: { id: 555 } }, "*");
  if (event.data.type === "SET_APP_HEIGHT") frame.style.height = event.data.value + "px";
});
</script></body>`,
      }),
    );
    await page.goto(HELPSCOUT_MAILBOX);
    const frame = page.frame({ name: "app-42" })!;
    // The rep's name in "Reported via Help Scout by Ann Agent" came from the app context, not the signed URL.
    await linkUnlinkCreate(
      frame,
      { id: "555", url: "https://secure.helpscout.net/conversation/555/", helpdesk: "Help Scout" },
      11,
    );
    const open = frame.getByRole("link", { name: "Octo/App#11" });
    expect([await open.getAttribute("href"), await open.getAttribute("target")]).toEqual([
      "https://github.com/Octo/App/issues/11",
      "_blank",
    ]);
    const messages = (await page.evaluate(() => (globalThis as any).appMessages)) as Record<string, unknown>[];
    expect(messages[0]).toEqual({ type: "GET_APP_CONTEXT", appId: "42", iframeId: "app-42" });
    const heights = messages.filter((m) => m.type === "SET_APP_HEIGHT").map((m) => m.value as number);
    expect(messages.filter((m) => m.type === "SET_APP_HEIGHT").at(-1)).toEqual({
      type: "SET_APP_HEIGHT",
      value: await panelHeight(frame),
      appId: "42",
      iframeId: "app-42",
    });
    // The frame follows the panel down as well as up (the unlink made it shorter).
    expect(heights.some((height, i) => i > 0 && height < heights[i - 1]!)).toBe(true);
    // Search hits appear without a new render: the frame grows to show them too.
    await frame.getByLabel("Link an issue").pressSequentially("gift card");
    await frame.locator("button.hit").first().waitFor();
    await expect
      .poll(async () => {
        const sent = (await page.evaluate(() => (globalThis as any).appMessages)) as Record<string, unknown>[];
        return sent.filter((m) => m.type === "SET_APP_HEIGHT").at(-1)?.value;
      })
      .toBe(await panelHeight(frame));
    await page.screenshot({ path: join(ARTIFACTS, "helpscout.png"), fullPage: true });
    expect(outside).toEqual([]);
    await context.close();
  });

  it("Zendesk: the page ZAF posts with its signed token reads the ticket from the ZAF client and resizes the app", async () => {
    const { context, page, outside } = await openContext();
    await loadZendesk(page);
    await linkUnlinkCreate(
      page,
      { id: "9001", url: "https://acme.zendesk.com/agent/tickets/9001", helpdesk: "Zendesk" },
      12,
      [2, 5],
    );
    // Ticket 9001 was read through Zendesk's API before each write.
    expect(zendesk.http.requestsTo("GET", /^\/api\/v2\/tickets\/9001\.json/).length).toBeGreaterThanOrEqual(3);
    const closed = page.locator("li.issue", { hasText: "Octo/App#5" });
    expect(await closed.locator(".state").textContent()).toBe("closed (completed)");
    expect(await closed.locator(".reopen").textContent()).toMatch(
      /^Reopened this conversation when the issue closed \(\d{4}-\d\d-\d\d\)\.$/,
    );
    expect(await page.locator("li.issue", { hasText: "Octo/App#2" }).locator(".reopen").textContent()).toBe(
      "Closing this issue as completed or not planned will reopen this conversation, if whoever closes it has triage permission or more. Closing as duplicate will not.",
    );
    // ZAF's resize takes CSS sizes: the full sidebar width, and the panel's own height (closeloop caps it at 800 px).
    const resized = await page.evaluate(() => (globalThis as any).zafCalls);
    expect(resized.at(-1)).toEqual([
      "resize",
      { width: "100%", height: `${Math.min(await panelHeight(page), 800)}px` },
    ]);
    await page.screenshot({ path: join(ARTIFACTS, "zendesk.png"), fullPage: true });
    if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(outside).toEqual([]);
    await context.close();
  });

  it("Front: the plugin page follows the selected conversation and opens issues through the SDK", async () => {
    const { context, page, outside } = await openContext();
    await page.goto(`${base}/closeloop/sidebar/front?auth_secret=${SECRETS.FRONT_PLUGIN_SECRET}`);
    await page.evaluate(() =>
      (globalThis as any).pushFrontContext({ type: "noConversation", teammate: { name: "Ann Agent" } }),
    );
    expect(await page.locator("#closeloop-panel").textContent()).toBe(
      "Open a conversation to see its linked GitHub issues.",
    );
    await page.evaluate(() =>
      (globalThis as any).pushFrontContext({
        type: "singleConversation",
        teammate: { name: "Ann Agent" },
        conversation: { id: "cnv_abc" },
      }),
    );
    await linkUnlinkCreate(
      page,
      { id: "cnv_abc", url: "https://app.frontapp.com/open/cnv_abc", helpdesk: "Front" },
      13,
    );
    expect(front.http.requestsTo("GET", /^\/conversations\/cnv_abc/).length).toBeGreaterThanOrEqual(3);
    await page.getByRole("link", { name: "Octo/App#13" }).click();
    expect(await page.evaluate(() => (globalThis as any).frontOpened)).toEqual([
      "https://github.com/Octo/App/issues/13",
    ]);
    expect(context.pages()).toHaveLength(1);
    await page.screenshot({ path: join(ARTIFACTS, "front.png"), fullPage: true });
    expect(outside).toEqual([]);
    await context.close();
  });

  it("Front: an answer for the conversation the rep left does not replace the one they opened", async () => {
    const { context, page, outside } = await openContext();
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/closeloop/sidebar/api/links?helpdesk=front&conversation=cnv_abc", async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${base}/closeloop/sidebar/front?auth_secret=${SECRETS.FRONT_PLUGIN_SECRET}`);
    const select = (id: string) =>
      page.evaluate(
        (conversation) =>
          (globalThis as any).pushFrontContext({
            type: "singleConversation",
            teammate: { name: "Ann Agent" },
            conversation: { id: conversation },
          }),
        id,
      );
    await select("cnv_abc");
    await select("cnv_def");
    await page.locator("p.empty").waitFor();
    release();
    await page.waitForResponse((response) => response.url().includes("conversation=cnv_abc"));
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
    expect(await page.locator("li.issue").count()).toBe(0);
    expect(await page.locator("p.empty").textContent()).toMatch(/^No GitHub issue is linked to this conversation yet/);
    expect(outside).toEqual([]);
    await context.close();
  });

  it("never leaves the panel blank: a refused proof, closeloop unreachable, a vendor script that did not load", async () => {
    const { context, page } = await openContext();
    const alert = async () => {
      await page.getByRole("alert").waitFor();
      return page.getByRole("alert").textContent();
    };
    const forged = helpscoutQuery({ "conversation-id": "555" }).replace(/Signature=[^&]+/, "Signature=AAAA");
    expect((await page.goto(`${base}/closeloop/sidebar/helpscout?${forged}`))?.status()).toBe(401);
    expect(await alert()).toBe(
      "Help Scout's signature does not match: HELPSCOUT_SIDEBAR_SECRET must be the app's secret key",
    );

    const api = (url: URL) => url.pathname.startsWith("/closeloop/sidebar/api/");
    await page.route(api, (route) => route.abort());
    await page.goto(`${base}/closeloop/sidebar/helpscout?${helpscoutQuery({ "conversation-id": "555" })}`);
    expect(await alert()).toBe("closeloop did not answer; check your connection and try again");
    await page.unroute(api);

    await page.route(ZAF_SDK, (route) => route.abort());
    await loadZendesk(page);
    expect(await alert()).toMatch(/^Zendesk's app framework \(static\.zdassets\.com\) did not load/);

    await page.route(FRONT_SDK, (route) => route.abort());
    await page.goto(`${base}/closeloop/sidebar/front?auth_secret=${SECRETS.FRONT_PLUGIN_SECRET}`);
    expect(await alert()).toMatch(/^Front's plugin SDK \(dl\.frontapp\.com\) did not load/);
    await context.close();
  });

  it("Freshdesk: the generated app's page calls closeloop through the request templates with the secure secret", async () => {
    const { context, page, outside } = await openContext();
    const templates = JSON.parse(String(freshdeskApp["config/requests.json"])) as Record<
      string,
      {
        schema: {
          protocol: string;
          method: string;
          host: string;
          path: string;
          headers: Record<string, string>;
          query?: Record<string, string>;
        };
      }
    >;
    const proxied: string[] = [];
    const bodies: Record<string, boolean> = {};
    // The platform's proxy: fills the template with the secure iparam and the call's context, server side.
    await page.exposeFunction("freshworksProxy", async (name: string, options: string) => {
      const { context: values, body } = JSON.parse(options) as { context: Record<string, string>; body?: string };
      const fill = (text: string) =>
        text
          .replace("<%= iparam.closeloop_secret %>", SECRETS.FRESHDESK_SIDEBAR_SECRET)
          .replace(/<%= context\.(\w+) %>/g, (_, key: string) => values[key] ?? "");
      const { schema } = templates[name]!;
      const query = new URLSearchParams(
        Object.entries(schema.query ?? {}).map(([key, value]): [string, string] => [key, fill(value)]),
      );
      const url = `${schema.protocol}://${schema.host}${schema.path}${schema.query ? `?${query.toString()}` : ""}`;
      proxied.push(`${schema.method} ${url.slice(base.length)}`);
      bodies[schema.method] = (bodies[schema.method] ?? false) || body !== undefined;
      const response = await fetch(url, {
        method: schema.method,
        headers: Object.fromEntries(Object.entries(schema.headers).map(([key, value]) => [key, fill(value)])),
        ...(schema.method === "GET" ? {} : { body }),
      });
      return { status: response.status, headers: {}, response: await response.text() };
    });
    await page.goto(`${FRESHDESK_APP}index.html`);
    await linkUnlinkCreate(
      page,
      { id: "77", url: "https://acme.freshdesk.com/a/tickets/77", helpdesk: "Freshdesk" },
      14,
    );
    expect(proxied).toContain("GET /closeloop/sidebar/api/links?helpdesk=freshdesk&conversation=77");
    expect(proxied).toContain("DELETE /closeloop/sidebar/api/links");
    expect(proxied).toContain("POST /closeloop/sidebar/api/issues");
    // Reads carry their parameters in the template's query and send no body; writes send the JSON body.
    expect(bodies).toEqual({ GET: false, POST: true, DELETE: true });
    // The page itself never holds the secret.
    expect(await page.content()).not.toContain(SECRETS.FRESHDESK_SIDEBAR_SECRET);
    // The sidebar's iframe is sized to the panel through the app client.
    const resized = await page.evaluate(() => (globalThis as any).freshworksResized);
    expect(resized.at(-1)).toEqual({ height: `${Math.min(await panelHeight(page), 800)}px` });
    await page.screenshot({ path: join(ARTIFACTS, "freshdesk.png"), fullPage: true });
    expect(outside).toEqual([]);
    await context.close();
  });
});
