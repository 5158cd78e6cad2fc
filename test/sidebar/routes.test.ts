import nock from "nock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/store/database.js";
import { openDatabase } from "../../src/store/database.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { RepoConfigCache } from "../../src/github/repo-config-cache.js";
import { reopenRulesReader } from "../../src/sidebar/reopen-rules.js";
import { GITHUB_API, nockConfig, testProbot } from "../support/github.js";
import { startFakeFreshdesk, type FakeFreshdesk } from "../providers/freshdesk/fake-server.js";
import { startFakeFront, type FakeFront } from "../providers/front/fake-server.js";
import { startFakeZendesk, type FakeZendesk } from "../providers/zendesk/fake-server.js";
import {
  helpscoutQuery,
  intercomRequest,
  pageToken,
  SECRETS,
  sidebarHarness,
  zafToken,
  zendeskAppKeys,
  type SidebarHarness,
} from "./support.js";

const REPOSITORY = { id: 10n, installationId: 1n, owner: "Octo", name: "App" } as const;

describe.each(ENGINES)("the sidebars' HTTP surface on %s", (engine) => {
  let database: Database;
  let zendesk: FakeZendesk;
  let front: FakeFront;
  let freshdesk: FakeFreshdesk;
  let keys: Awaited<ReturnType<typeof zendeskAppKeys>>;
  let sidebar: SidebarHarness;
  let clock = new Date();

  const env = () => ({
    ...SECRETS,
    ...zendesk.env(),
    ...front.env(),
    ...freshdesk.env(),
    ZENDESK_APP_PUBLIC_KEY: keys.pem,
  });

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    [zendesk, front, freshdesk, keys] = await Promise.all([
      startFakeZendesk(),
      startFakeFront(),
      startFakeFreshdesk(),
      zendeskAppKeys(),
    ]);
    zendesk.seed({ id: "9001" });
    front.seed({ id: "cnv_abc" });
    freshdesk.seed({ id: "77" });
    sidebar = sidebarHarness(database, env(), testProbot(), {
      now: () => clock,
      repositories: "octo/app",
    });
    // Issue 1 is known with its title; issue 2 links a Help Scout conversation from a GitHub comment.
    for (const [number, title, conversationId] of [
      [1, "Checkout fails with a 500", "1"],
      [2, "Export to CSV drops rows", "444"],
    ] as const) {
      const at = new Date(Date.now() - 3_600_000);
      await applySourceChange(database, {
        issue: {
          repository: REPOSITORY,
          number,
          githubId: BigInt(500 + number),
          state: "open",
          details: { title, openedAt: at, at },
        },
        source: { kind: "comment", key: `c${number}` },
        event: { action: "created", version: at },
        createdAt: at,
        links: [
          {
            provider: "helpscout",
            account: "",
            conversationId,
            url: `https://secure.helpscout.net/conversation/${conversationId}/`,
          },
        ],
      });
    }
  });
  afterAll(async () => {
    await Promise.all([database.close(), zendesk.close(), front.close(), freshdesk.close()]);
  });

  const api = (token: string, path: string, init: RequestInit = {}) =>
    sidebar.app.request(`/closeloop/sidebar/api/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
    });
  const links = (conversationId: string) =>
    database.prisma.link.findMany({
      where: { conversationId },
      select: { provider: true, account: true, source: true, issue: { select: { number: true } } },
    });

  describe("Help Scout", () => {
    const signed = (conversationId: string) =>
      helpscoutQuery({ "conversation-id": conversationId, "mailbox-id": "31", "customer-id": "77", "user-id": "8" });

    it("refuses a page whose signature does not match, and says why instead of a blank panel", async () => {
      const forged = signed("555").replace(/X-HelpScout-Signature=[^&]+/, "X-HelpScout-Signature=AAAA");
      const response = await sidebar.app.request(`/closeloop/sidebar/helpscout?${forged}`);
      expect(response.status).toBe(401);
      const html = await response.text();
      expect(pageToken(html)).toBeNull();
      expect(html).toContain("Help Scout&#39;s signature does not match");
    });

    it("reads the conversation from Help Scout's own parameter names (conversation-id), nothing else", async () => {
      const camel = await sidebar.app.request(
        `/closeloop/sidebar/helpscout?${helpscoutQuery({ conversationId: "555" })}`,
      );
      expect(camel.status).toBe(200);
      const html = await camel.text();
      expect(pageToken(html)).toBeNull();
      expect(html).toContain("Open a conversation to see its linked GitHub issues.");
      const kebab = await (await sidebar.app.request(`/closeloop/sidebar/helpscout?${signed("555")}`)).text();
      expect(sidebar.tokens.verify(pageToken(kebab)!, new Date())).toMatchObject({
        helpdesk: "helpscout",
        conversation: "555",
        rep: "Help Scout user 8",
      });
    });

    it("serves the page to a signed load, framed only by Help Scout, with no referrer", async () => {
      const response = await sidebar.app.request(`/closeloop/sidebar/helpscout?${signed("555")}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors https://secure.helpscout.net");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("set-cookie")).toBeNull();
      const html = await response.text();
      expect(html).toContain('data-conversation="555"');
      expect(html).not.toContain('<script src="https://'); // no vendor script
      const token = pageToken(html)!;
      expect(await (await api(token, "links?helpdesk=helpscout&conversation=555")).json()).toMatchObject({
        helpdesk: "helpscout",
        conversation: "555",
        links: [],
        repositories: ["octo/app"],
      });
    });

    it("links, lists and unlinks, with source sidebar and no link note; the token's conversation only", async () => {
      const html = await (await sidebar.app.request(`/closeloop/sidebar/helpscout?${signed("555")}`)).text();
      const token = pageToken(html)!;
      const before = sidebar.wakes();
      const linked = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({
          helpdesk: "helpscout",
          conversation: "555",
          issue: "https://github.com/Octo/App/issues/1",
        }),
      });
      expect(linked.status).toBe(200);
      expect(await linked.json()).toEqual({ linked: "Octo/App#1", added: true });
      expect(await links("555")).toEqual([
        { provider: "helpscout", account: "", source: "sidebar", issue: { number: 1 } },
      ]);
      expect(await database.prisma.linkNote.count()).toBe(0);
      expect(sidebar.wakes()).toBe(before + 1);
      const issue = await database.prisma.issue.findFirstOrThrow({ where: { number: 1 } });
      expect(issue.labelsWantedAt).not.toBeNull();

      const panel = (await (await api(token, "links?helpdesk=helpscout&conversation=555")).json()) as {
        links: Record<string, unknown>[];
      };
      expect(panel.links).toMatchObject([
        {
          owner: "Octo",
          name: "App",
          number: 1,
          title: "Checkout fails with a 500",
          state: "open",
          sources: ["sidebar"],
          removable: true,
          url: "https://github.com/Octo/App/issues/1",
          // The routes' environment has no Help Scout API credentials: closeloop could not reopen it.
          reopen: {
            state: "never",
            text: "Closing this issue will not reopen this conversation: closeloop has no Help Scout API credentials.",
          },
        },
      ]);

      // The token was minted for conversation 555: another conversation is refused and nothing is stored.
      const other = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "helpscout", conversation: "556", issue: "octo/app#1" }),
      });
      expect(other.status).toBe(403);
      expect(await links("556")).toEqual([]);

      const unlinked = await api(token, "links", {
        method: "DELETE",
        body: JSON.stringify({ helpdesk: "helpscout", conversation: "555", issue: "octo/app#1" }),
      });
      expect(await unlinked.json()).toEqual({ unlinked: "Octo/App#1" });
      expect(await links("555")).toEqual([]);

      // A rep who unlinked by mistake links again.
      const again = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "helpscout", conversation: "555", issue: "octo/app#1" }),
      });
      expect(await again.json()).toEqual({ linked: "Octo/App#1", added: true });
      expect(await links("555")).toEqual([
        { provider: "helpscout", account: "", source: "sidebar", issue: { number: 1 } },
      ]);
      await api(token, "links", {
        method: "DELETE",
        body: JSON.stringify({ helpdesk: "helpscout", conversation: "555", issue: "octo/app#1" }),
      });
      expect(await links("555")).toEqual([]);
    });

    it("refuses to unlink a link a GitHub comment carries, and keeps it", async () => {
      const token = pageToken(
        await (await sidebar.app.request(`/closeloop/sidebar/helpscout?${signed("444")}`)).text(),
      )!;
      const response = await api(token, "links", {
        method: "DELETE",
        body: JSON.stringify({ helpdesk: "helpscout", conversation: "444", issue: "octo/app#2" }),
      });
      expect(response.status).toBe(409);
      expect(((await response.json()) as { error: string }).error).toContain("from GitHub (comment)");
      expect(await links("444")).toHaveLength(1);
      const panel = (await (await api(token, "links?helpdesk=helpscout&conversation=444")).json()) as {
        links: { removable: boolean; sources: string[] }[];
      };
      expect(panel.links).toMatchObject([{ removable: false, sources: ["comment"] }]);
    });

    it("refuses an expired token, a forged one, and none", async () => {
      const token = pageToken(
        await (await sidebar.app.request(`/closeloop/sidebar/helpscout?${signed("555")}`)).text(),
      )!;
      clock = new Date(Date.now() + 2 * 3_600_000);
      try {
        const expired = await api(token, "links", {
          method: "POST",
          body: JSON.stringify({ helpdesk: "helpscout", conversation: "555", issue: "octo/app#1" }),
        });
        expect(expired.status).toBe(401);
        expect(((await expired.json()) as { error: string }).error).toContain("expired");
      } finally {
        clock = new Date();
      }
      const forged = `${token.split(".")[0]}.${"A".repeat(43)}`;
      expect((await api(forged, "links?helpdesk=helpscout&conversation=555")).status).toBe(401);
      expect(
        (await sidebar.app.request("/closeloop/sidebar/api/links?helpdesk=helpscout&conversation=555")).status,
      ).toBe(401);
      // Without a token, whatever the request asks: who asks is checked before what is asked.
      for (const [method, path] of [
        ["GET", "links"],
        ["POST", "links"],
        ["DELETE", "links"],
        ["GET", "issues?q=checkout"],
        ["POST", "issues"],
      ] as const) {
        const anonymous = await sidebar.app.request(`/closeloop/sidebar/api/${path}`, {
          method,
          headers: { "content-type": "application/json" },
          ...(method === "GET" ? {} : { body: "{}" }),
        });
        expect([method, path, anonymous.status, await anonymous.json()]).toEqual([
          method,
          path,
          401,
          { error: "no sidebar token: open the panel from the helpdesk" },
        ]);
      }
      expect(await links("555")).toEqual([]);
    });
  });

  describe("Zendesk", () => {
    const load = async (token: string) =>
      sidebar.app.request("/closeloop/sidebar/zendesk", {
        method: "POST",
        body: new URLSearchParams({ token }),
        headers: { "content-type": "application/x-www-form-urlencoded" },
      });

    it("refuses a token signed with another key, for another account, or expired", async () => {
      const stranger = await zendeskAppKeys();
      for (const token of [
        await zafToken(stranger.privateKey),
        await zafToken(keys.privateKey, { subdomain: "evil" }),
        await zafToken(keys.privateKey, {
          issuedAt: new Date(Date.now() - 3_600_000),
          expiresIn: new Date(Date.now() - 3_000_000),
        }),
      ]) {
        const response = await load(token);
        expect(response.status).toBe(401);
        const html = await response.text();
        expect(pageToken(html)).toBeNull();
        expect(html).toContain("Zendesk&#39;s signed token was refused");
      }
    });

    it("links a ticket after reading it through Zendesk's API; a ticket Zendesk does not have is refused", async () => {
      const response = await load(await zafToken(keys.privateKey));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors https://acme.zendesk.com");
      const html = await response.text();
      expect(html).toContain('src="https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"');
      const token = pageToken(html)!;
      const linked = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "zendesk", conversation: "9001", issue: "octo/app#1" }),
      });
      expect(linked.status).toBe(200);
      expect(zendesk.http.requestsTo("GET", /^\/api\/v2\/tickets\/9001\.json/)).toHaveLength(1);
      expect(await links("9001")).toEqual([
        { provider: "zendesk", account: "acme", source: "sidebar", issue: { number: 1 } },
      ]);

      const missing = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "zendesk", conversation: "9999", issue: "octo/app#1" }),
      });
      expect(missing.status).toBe(404);
      expect(await links("9999")).toEqual([]);

      // A Zendesk token does not open another helpdesk's panel.
      const crossed = await api(token, "links?helpdesk=front&conversation=cnv_abc");
      expect(crossed.status).toBe(403);
    });

    it("creates an issue as the app in an allowed repository and links it at once", async () => {
      const token = pageToken(await (await load(await zafToken(keys.privateKey))).text())!;
      nock(GITHUB_API)
        .post("/repos/Octo/App/issues", (body: { title: string; body: string }) => {
          expect(body.title).toBe("Refund button missing");
          expect(body.body).toBe(
            "The customer cannot find it.\n\n---\nConversation: https://acme.zendesk.com/agent/tickets/9001\n\nReported via Zendesk by Ann Agent",
          );
          return true;
        })
        .reply(201, {
          id: 9_903,
          node_id: "I_903",
          number: 3,
          state: "open",
          title: "Refund button missing",
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        });
      const response = await api(token, "issues", {
        method: "POST",
        body: JSON.stringify({
          helpdesk: "zendesk",
          conversation: "9001",
          repository: "octo/app",
          title: "Refund button missing",
          body: "The customer cannot find it.",
          rep: "Ann Agent",
        }),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual({ created: "Octo/App#3", url: "https://github.com/Octo/App/issues/3" });
      const link = await database.prisma.link.findFirstOrThrow({
        where: { conversationId: "9001", issue: { number: 3 } },
        select: { source: true, issue: { select: { title: true } } },
      });
      expect(link).toEqual({ source: "sidebar", issue: { title: "Refund button missing" } });

      const refused = await api(token, "issues", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "zendesk", conversation: "9001", repository: "else/where", title: "x" }),
      });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: string }).error).toContain(
        "not one of CLOSELOOP_SIDEBAR_REPOSITORIES",
      );
    });

    it("says whether closing each issue will reopen the ticket, from the repository's reopen.on and reopen.by", async () => {
      const probot = testProbot();
      const reading = sidebarHarness(database, env(), probot, {
        reopenRules: reopenRulesReader(new RepoConfigCache(database, probot.log), {
          app: () => probot.auth(),
          installation: (id) => probot.auth(id),
        }),
      });
      // One read of the repository's file for both of its issues linked to the ticket.
      nockConfig("Octo", "App", "reopen:\n  on: [completed]\n  by: write\n");
      const token = pageToken(
        await (
          await reading.app.request("/closeloop/sidebar/zendesk", {
            method: "POST",
            body: new URLSearchParams({ token: await zafToken(keys.privateKey) }),
            headers: { "content-type": "application/x-www-form-urlencoded" },
          })
        ).text(),
      )!;
      const response = await reading.app.request("/closeloop/sidebar/api/links?helpdesk=zendesk&conversation=9001", {
        headers: { authorization: `Bearer ${token}` },
      });
      const panel = (await response.json()) as { links: { number: number; reopen: unknown }[] };
      const will = {
        state: "on-close",
        text: "Closing this issue as completed will reopen this conversation, if whoever closes it has write permission or more. Closing as not planned or duplicate will not.",
      };
      expect(panel.links).toEqual([
        expect.objectContaining({ number: 3, reopen: will }),
        expect.objectContaining({ number: 1, reopen: will }),
      ]);
    });

    it("refuses an issue of a repository the app is not installed on, saying so", async () => {
      const token = pageToken(await (await load(await zafToken(keys.privateKey))).text())!;
      nock(GITHUB_API).get("/repos/else/thing/installation").reply(404, { message: "Not Found" });
      const response = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({
          helpdesk: "zendesk",
          conversation: "9001",
          issue: "https://github.com/else/thing/issues/4",
        }),
      });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: string }).error).toBe(
        "closeloop is not installed on else/thing: install the GitHub App on that repository to link its issues",
      );
    });
  });

  describe("Front", () => {
    it("refuses a page without the plugin's auth secret, then links a conversation Front confirms", async () => {
      const wrong = await sidebar.app.request("/closeloop/sidebar/front?auth_secret=guess");
      expect(wrong.status).toBe(401);
      expect(pageToken(await wrong.text())).toBeNull();

      const response = await sidebar.app.request(`/closeloop/sidebar/front?auth_secret=${SECRETS.FRONT_PLUGIN_SECRET}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-security-policy")).toContain(
        "frame-ancestors https://*.frontapp.com https://*.frontapplication.com",
      );
      const token = pageToken(await response.text())!;
      const linked = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "front", conversation: "cnv_abc", issue: "octo/app#1" }),
      });
      expect(linked.status).toBe(200);
      expect(await links("cnv_abc")).toEqual([
        { provider: "front", account: "", source: "sidebar", issue: { number: 1 } },
      ]);
      const unknown = await api(token, "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "front", conversation: "cnv_nope", issue: "octo/app#1" }),
      });
      expect(unknown.status).toBe(404);
      expect(await links("cnv_nope")).toEqual([]);
    });
  });

  describe("Freshdesk", () => {
    it("takes the bearer secret the request proxy adds, and refuses any other", async () => {
      const wrong = await api("not-the-secret", "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "freshdesk", conversation: "77", issue: "octo/app#1" }),
      });
      expect(wrong.status).toBe(401);
      const linked = await api(SECRETS.FRESHDESK_SIDEBAR_SECRET, "links", {
        method: "POST",
        body: JSON.stringify({ helpdesk: "freshdesk", conversation: "77", issue: "octo/app#1" }),
      });
      expect(linked.status).toBe(200);
      expect(freshdesk.http.requestsTo("GET", /^\/api\/v2\/tickets\/77/)).toHaveLength(1);
      expect(await links("77")).toEqual([
        { provider: "freshdesk", account: "acme", source: "sidebar", issue: { number: 1 } },
      ]);
      // The secret is Freshdesk's: it opens no other helpdesk's panel.
      const crossed = await api(SECRETS.FRESHDESK_SIDEBAR_SECRET, "links?helpdesk=zendesk&conversation=9001");
      expect(crossed.status).toBe(401);
    });

    it("searches the stored titles, case-insensitively, with no GitHub call", async () => {
      const hits = await api(SECRETS.FRESHDESK_SIDEBAR_SECRET, "issues?helpdesk=freshdesk&q=CHECKOUT%20500");
      expect(await hits.json()).toEqual([
        { owner: "Octo", name: "App", number: 1, title: "Checkout fails with a 500", state: "open" },
      ]);
      const none = await api(SECRETS.FRESHDESK_SIDEBAR_SECRET, "issues?helpdesk=freshdesk&q=50%25");
      expect(await none.json()).toEqual([]);
    });
  });

  describe("Intercom", () => {
    const initialize = (conversationId: string, workspace = "abc123") => ({
      workspace_id: workspace,
      workspace_region: "us",
      admin: { id: "814860", name: "Ann Agent", type: "admin" },
      conversation: { id: conversationId, type: "conversation" },
      context: { location: "conversation" },
    });

    it("refuses a wrong X-Body-Signature and another workspace", async () => {
      const forged = await sidebar.app.request(
        "/closeloop/sidebar/intercom/initialize",
        intercomRequest(initialize("1234"), "not-the-secret"),
      );
      expect(forged.status).toBe(401);
      const other = await sidebar.app.request(
        "/closeloop/sidebar/intercom/initialize",
        intercomRequest(initialize("1234", "zzz999")),
      );
      expect(other.status).toBe(403);
    });

    it("answers initialize with a canvas, and links from submit", async () => {
      const response = await sidebar.app.request(
        "/closeloop/sidebar/intercom/initialize",
        intercomRequest(initialize("1234")),
      );
      expect(response.status).toBe(200);
      const canvas = (await response.json()) as {
        canvas: { content: { components: { id?: string; text?: string }[] } };
      };
      expect(canvas.canvas.content.components.map((c) => c.id ?? c.text)).toContain("issue");
      const submit = {
        ...initialize("1234"),
        component_id: "link",
        input_values: { issue: "https://github.com/Octo/App/issues/1" },
      };
      const linked = await sidebar.app.request("/closeloop/sidebar/intercom/submit", intercomRequest(submit));
      const after = (await linked.json()) as { canvas: { content: { components: { id?: string; text?: string }[] } } };
      expect(after.canvas.content.components.map((c) => c.text).filter(Boolean)).toContain("Linked Octo/App#1");
      expect(after.canvas.content.components.map((c) => c.id)).toContain("unlink:Octo/App#1");
      expect(await links("1234")).toEqual([
        { provider: "intercom", account: "abc123", source: "sidebar", issue: { number: 1 } },
      ]);
    });

    type Canvas = { canvas: { content: { components: Record<string, any>[] } } };
    const submit = async (conversationId: string, componentId: string, inputs: Record<string, string> = {}) => {
      const response = await sidebar.app.request(
        "/closeloop/sidebar/intercom/submit",
        intercomRequest({ ...initialize(conversationId), component_id: componentId, input_values: inputs }),
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as Canvas).canvas.content.components;
    };
    const texts = (components: Record<string, any>[], style?: string) =>
      components.filter((c) => c.type === "text" && (style === undefined || c.style === style)).map((c) => c.text);
    const ids = (components: Record<string, any>[]) => components.map((c) => c.id).filter(Boolean);

    it("searches stored titles from the search button and from words in the link field, then links a pick", async () => {
      const searched = await submit("2001", "search", { issue: "checkout" });
      expect(searched.filter((c) => String(c.id).startsWith("pick:"))).toEqual([
        {
          type: "button",
          id: "pick:Octo/App#1",
          label: "Octo/App#1 Checkout fails with a 500",
          style: "link",
          action: { type: "submit" },
        },
      ]);
      // Words typed into the link field are a search too, not a refused issue URL.
      const typed = await submit("2001", "link", { issue: "csv rows" });
      expect(ids(typed)).toContain("pick:Octo/App#2");
      expect(texts(typed, "error")).toEqual([]);
      const none = await submit("2001", "search", { issue: "no such words" });
      expect(texts(none, "muted")).toContain("No stored issue title has those words");
      expect(ids(none).filter((id: string) => id.startsWith("pick:"))).toEqual([]);
      expect(await links("2001")).toEqual([]);

      const picked = await submit("2001", "pick:Octo/App#1");
      expect(texts(picked, "muted")).toContain("Linked Octo/App#1");
      expect(texts(picked, "muted")).toContain(
        "Closing this issue will not reopen this conversation: closeloop has no Intercom API credentials.",
      );
      expect(await links("2001")).toEqual([
        { provider: "intercom", account: "abc123", source: "sidebar", issue: { number: 1 } },
      ]);
    });

    it("unlinks a sidebar link from its button; a link a GitHub comment carries has no button and is refused", async () => {
      await submit("2002", "link", { issue: "octo/app#2" });
      expect(await links("2002")).toHaveLength(1);
      const unlinked = await submit("2002", "unlink:Octo/App#2");
      expect(texts(unlinked, "muted")).toContain("Unlinked Octo/App#2");
      expect(ids(unlinked)).not.toContain("unlink:Octo/App#2");
      expect(await links("2002")).toEqual([]);

      await applySourceChange(database, {
        issue: { repository: REPOSITORY, number: 2, githubId: 502n, state: "open" },
        source: { kind: "comment", key: "c-intercom" },
        event: { action: "created", version: new Date() },
        createdAt: new Date(),
        links: [
          {
            provider: "intercom",
            account: "abc123",
            conversationId: "2003",
            url: "https://app.intercom.com/a/inbox/abc123/inbox/conversation/2003",
          },
        ],
      });
      const shown = await submit("2003", "search", { issue: "" });
      expect(ids(shown)).toContain("open:Octo/App#2");
      expect(ids(shown)).not.toContain("unlink:Octo/App#2");
      // A stale canvas (or a forged component id) still cannot remove it.
      const refused = await submit("2003", "unlink:Octo/App#2");
      expect(texts(refused, "error")).toEqual([
        "Octo/App#2 links this conversation from GitHub (comment): remove the URL there; the GitHub text is the source of truth",
      ]);
      expect(await links("2003")).toHaveLength(1);
    });

    it("creates an issue as the app from the create form and links it; a missing title calls no one", async () => {
      const initial = await submit("2004", "search", { issue: "" });
      // One repository: Canvas Kit's dropdown takes 2 to 10 options, so a text input already holding it.
      expect(initial.find((c) => c.id === "repository")).toEqual({
        type: "input",
        id: "repository",
        label: "Repository",
        placeholder: "owner/repo",
        value: "octo/app",
      });
      const untitled = await submit("2004", "create", { repository: "octo/app", title: "  ", body: "x" });
      expect(texts(untitled, "error")).toEqual(["the issue needs a title"]);

      nock(GITHUB_API)
        .post("/repos/Octo/App/issues", {
          title: "Dark mode resets",
          body: "Every login.\n\n---\nConversation: https://app.intercom.com/a/inbox/abc123/inbox/conversation/2004\n\nReported via Intercom by Ann Agent",
        })
        .reply(201, {
          id: 9_904,
          node_id: "I_904",
          number: 4,
          state: "open",
          title: "Dark mode resets",
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        });
      const created = await submit("2004", "create", {
        repository: "octo/app",
        title: "Dark mode resets",
        body: "Every login.",
      });
      expect(texts(created, "muted")).toContain("Created and linked Octo/App#4");
      expect(ids(created)).toContain("unlink:Octo/App#4");
      expect(await links("2004")).toEqual([
        { provider: "intercom", account: "abc123", source: "sidebar", issue: { number: 4 } },
      ]);
    });
  });
});
