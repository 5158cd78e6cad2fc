import nock from "nock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { RepositoryAccess } from "../../src/dashboard/access.js";
import { SESSION_COOKIE, SIGN_IN_COOKIE } from "../../src/dashboard/auth.js";
import { codeChallenge, readSignIn, type SignIn } from "../../src/dashboard/sign-in.js";
import { dashboardApp, type DashboardAppDeps } from "../../src/dashboard/routes.js";
import { generateSignedCookie } from "hono/cookie";
import { SessionKeys, tokenHash } from "../../src/dashboard/session-keys.js";
import { SecretKey } from "../../src/domain/secret-key.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { readStatus } from "../../src/operations/status.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { oldCookieSecret, sealedWithOldKey } from "../support/legacy-session-keys.js";
import { nockReadable } from "../support/dashboard-access.js";
import { reportTicket } from "../support/reports.js";

const API = "https://api.github.com";
const WEB = "https://github.com";
// Ahead of the wall clock: the ranking counts the issues that writes marked due at the (real) time they were made.
const NOW = new Date(Date.now() + 60_000);
const DAY = 86_400_000;
const REPOSITORIES = {
  app: { id: 10n, installationId: 1n, owner: "Octo", name: "App" },
  secret: { id: 30n, installationId: 2n, owner: "Else", name: "Secret" },
} as const;

/** The browser: cookies it was given, sent back on each request. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly setCookies: string[] = [];
  constructor(private readonly app: ReturnType<typeof dashboardApp>) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
    const response = await this.app.request(path, {
      ...init,
      headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string>) },
    });
    for (const line of response.headers.getSetCookie()) {
      this.setCookies.push(line);
      const [pair] = line.split(";");
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      if (value === "" || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  post(path: string, form: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  }
}

/** The sign-in a browser's (signed) sign-in cookie carries: its state and PKCE verifier. */
function signInOf(browser: Browser, name = SIGN_IN_COOKIE): SignIn {
  const value = decodeURIComponent(browser.cookies.get(name)!);
  return readSignIn(value.slice(0, value.lastIndexOf(".")), new Date(0))!;
}

/** GitHub's code exchange, with exactly the body closeloop must send (the PKCE verifier included), then /user. */
function nockSignIn(login: string, token: string, verifier: string, id = 501, redirect = "http://localhost:3000") {
  nock(WEB)
    .post("/login/oauth/access_token", {
      client_id: "Iv1.client",
      client_secret: "client-secret",
      code: "the-code",
      redirect_uri: `${redirect}/closeloop/auth/callback`,
      code_verifier: verifier,
    })
    .reply(200, { access_token: token, token_type: "bearer", scope: "" });
  nock(API).get("/user").matchHeader("authorization", `token ${token}`).reply(200, { login, id });
}

/** Every table's row count, by name. */
async function rowCounts(database: Database): Promise<Record<string, number>> {
  const tables = await database.prisma.$queryRawUnsafe<{ name: string }[]>(
    database.engine === "sqlite"
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
      : `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await database.prisma.$queryRawUnsafe<{ n: bigint | number }[]>(
      `SELECT COUNT(*) AS n FROM "${name}"`,
    );
    counts[name] = Number(row!.n);
  }
  return counts;
}

describe.each(ENGINES)("the dashboard's routes on %s", (engine) => {
  let database: Database;
  let clock = NOW;
  let wakes = 0;
  const secretKey = new SecretKey(Buffer.alloc(32, 7), "environment");
  const keys = new SessionKeys(secretKey);
  const app = (publicUrl = "http://localhost:3000", sessionKeys = keys, extra: Partial<DashboardAppDeps> = {}) =>
    dashboardApp({
      prisma: database.prisma,
      client: { clientId: "Iv1.client", clientSecret: "client-secret" },
      publicUrl,
      apiUrl: API,
      githubUrl: WEB,
      admins: ["Admin-Person"],
      keys: sessionKeys,
      access: new RepositoryAccess(API),
      log: { info: () => {}, warn: () => {}, error: () => {} },
      now: () => clock,
      readStatus: async () => ({ ...(await readStatus(database, {})).status, sidebars: ["zendesk", "front"] }),
      reopenQueued: () => void wakes++,
      ...extra,
    });

  /** Signs `login` in through the real flow (login → GitHub → callback) and returns the browser holding the session. */
  async function signedIn(
    login: string,
    token: string,
    returnTo = "/closeloop/",
    id = 501,
    made = () => app(),
  ): Promise<Browser> {
    const browser = new Browser(made());
    const login302 = await browser.request(`/closeloop/auth/login?return=${encodeURIComponent(returnTo)}`);
    const state = new URL(login302.headers.get("location")!).searchParams.get("state")!;
    nockSignIn(login, token, signInOf(browser).verifier, id);
    const callback = await browser.request(`/closeloop/auth/callback?code=the-code&state=${state}`);
    expect(callback.status).toBe(303);
    expect(callback.headers.get("location")).toBe(returnTo);
    return browser;
  }

  const report = (repository: keyof typeof REPOSITORIES, number: number, daysAgo: number, ticket: string) =>
    reportTicket(database, REPOSITORIES[repository], number, ticket, new Date(NOW.getTime() - daysAgo * DAY));

  let deadJobId = 0;
  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    await report("app", 1, 1, "101");
    await report("app", 1, 2, "102");
    await report("app", 2, 3, "201");
    await report("secret", 9, 1, "901");
    await report("secret", 9, 1, "902");
    await database.prisma.issue.updateMany({
      where: { repositoryId: 10n, number: 1 },
      data: { title: "Checkout fails" },
    });
    await database.prisma.issue.updateMany({
      where: { repositoryId: 30n, number: 9 },
      data: { title: "Secret thing" },
    });
    const issue = await database.prisma.issue.findFirstOrThrow({ where: { repositoryId: 10n, number: 2 } });
    const close = await database.prisma.issueClose.create({
      data: {
        issueId: issue.id,
        closedAt: new Date(NOW.getTime() - DAY),
        reason: "completed",
        note: "n",
        summary: true,
        jobs: {
          create: [
            {
              linkId: 1,
              provider: "zendesk",
              account: "acme",
              conversationId: "201",
              url: "https://acme.zendesk.com/agent/tickets/201",
              state: "dead",
              attempts: 8,
              lastError: "ticket is closed",
              lastStatus: 422,
              finishedAt: NOW,
            },
            {
              linkId: 2,
              provider: "zendesk",
              account: "acme",
              conversationId: "202",
              url: "https://acme.zendesk.com/agent/tickets/202",
              state: "done",
              attempts: 1,
              followUpId: "977",
              finishedAt: NOW,
            },
          ],
        },
      },
      include: { jobs: true },
    });
    deadJobId = close.jobs[0]!.id;
  });
  afterAll(async () => {
    await database.close();
  });
  beforeEach(() => {
    clock = NOW;
  });

  it("sends a person without a session to sign in, and answers the JSON API and CSV 401", async () => {
    const browser = new Browser(app());
    const page = await browser.request("/closeloop/issues/Octo/App/1?x=1");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toBe(
      `/closeloop/auth/login?return=${encodeURIComponent("/closeloop/issues/Octo/App/1?x=1")}`,
    );
    expect((await browser.request("/closeloop/api/issues")).status).toBe(401);
    expect((await browser.request("/closeloop/?format=csv")).status).toBe(401);
  });

  it("signs in with a state checked against the browser's signed cookie, then sets a signed HttpOnly SameSite=Lax session cookie", async () => {
    const browser = new Browser(app());
    const login = await browser.request("/closeloop/auth/login?return=%2Fcloseloop%2Fclosed");
    const authorize = new URL(login.headers.get("location")!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(authorize.searchParams.get("client_id")).toBe("Iv1.client");
    expect(authorize.searchParams.get("redirect_uri")).toBe("http://localhost:3000/closeloop/auth/callback");
    const state = authorize.searchParams.get("state")!;
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.setCookies[0]).toMatch(
      new RegExp(`^${SIGN_IN_COOKIE}=.+; Max-Age=600; Path=/closeloop/auth; HttpOnly; SameSite=Lax$`),
    );
    // PKCE: the challenge is S256 of the verifier, which stays in the browser's signed cookie.
    const signIn = signInOf(browser);
    expect(signIn).toMatchObject({ state, returnTo: "/closeloop/closed" });
    expect(signIn.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorize.searchParams.get("code_challenge")).toBe(codeChallenge(signIn.verifier));
    nockSignIn("octocat", "ghu_one", signIn.verifier);
    const callback = await browser.request(`/closeloop/auth/callback?code=the-code&state=${state}`);
    expect([callback.status, callback.headers.get("location")]).toEqual([303, "/closeloop/closed"]);
    const session = browser.setCookies.find((line) => line.startsWith(`${SESSION_COOKIE}=`))!;
    expect(session).toMatch(/; Max-Age=28800; Path=\/closeloop; HttpOnly; SameSite=Lax$/);
    const rows = await database.prisma.dashboardSession.findMany({ where: { login: "octocat" } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token).not.toContain("ghu_one");
    expect(keys.decrypt(rows[0]!.token)).toBe("ghu_one");
  });

  it("writes no row for a visitor who opens the sign-in page, however often", async () => {
    const before = await rowCounts(database);
    expect(Object.keys(before)).toContain("DashboardSession");
    for (let visit = 0; visit < 5; visit++) {
      const login = await new Browser(app()).request(`/closeloop/auth/login?return=%2Fcloseloop%2Fclosed`);
      expect(login.status).toBe(302);
    }
    expect(await rowCounts(database)).toEqual(before);
  });

  it("uses __Host- cookies (Secure, Path=/) when the public address is https", async () => {
    const https = "https://closeloop.example.com";
    const browser = new Browser(app(https));
    const login = await browser.request("/closeloop/auth/login");
    expect(browser.setCookies[0]).toMatch(
      new RegExp(`^__Host-${SIGN_IN_COOKIE}=.+; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax$`),
    );
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    nockSignIn("secure-person", "ghu_secure", signInOf(browser, `__Host-${SIGN_IN_COOKIE}`).verifier, 501, https);
    const callback = await browser.request(`/closeloop/auth/callback?code=the-code&state=${state}`);
    expect(callback.status).toBe(303);
    const session = browser.setCookies.find((line) => line.startsWith(`__Host-${SESSION_COOKIE}=`))!;
    expect(session).toMatch(/; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(session).not.toMatch(/Domain=/i);
    expect(browser.cookies.has(`__Host-${SIGN_IN_COOKIE}`)).toBe(false);
    nockReadable("ghu_secure", [10]);
    expect((await browser.request("/closeloop/")).status).toBe(200);
  });

  it("reads a session cookie of its plain name once behind https, and moves it to the __Host- name", async () => {
    const https = "https://closeloop.example.com";
    await database.prisma.dashboardSession.create({
      data: {
        id: tokenHash("plain-session"),
        login: "upgrader",
        userId: 78n,
        token: keys.encrypt("ghu_upgrader"),
        createdAt: NOW,
        expiresAt: new Date(NOW.getTime() + 3_600_000),
      },
    });
    const browser = new Browser(app(https));
    const [pair] = (await generateSignedCookie(SESSION_COOKIE, "plain-session", keys.cookieSecret)).split(";");
    browser.cookies.set(SESSION_COOKIE, pair!.slice(pair!.indexOf("=") + 1));
    nockReadable("ghu_upgrader", [10]);
    expect((await browser.request("/closeloop/")).status).toBe(200);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(browser.setCookies.find((line) => line.startsWith(`__Host-${SESSION_COOKIE}=`))).toMatch(
      /; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect((await browser.request("/closeloop/")).status).toBe(200);
  });

  it.each([
    ["a state that is not the browser's", (state: string) => `state=${state}x`, true],
    ["no state", () => "", true],
    ["a browser without the sign-in cookie", (state: string) => `state=${state}`, false],
  ])("refuses a callback with %s (400) and signs no one in", async (_, query, keepCookie) => {
    const browser = new Browser(app());
    const login = await browser.request("/closeloop/auth/login");
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    if (!keepCookie) browser.cookies.clear();
    const before = await database.prisma.dashboardSession.count();
    const callback = await browser.request(`/closeloop/auth/callback?code=the-code&${query(state)}`);
    expect(callback.status).toBe(400);
    expect(await callback.text()).toContain("This sign-in was not started in this browser");
    expect(await database.prisma.dashboardSession.count()).toBe(before);
  });

  it("says GitHub did not sign the person in when they declined, refuses a body over 16 KiB, and sends its security headers", async () => {
    const browser = new Browser(app());
    const login = await browser.request("/closeloop/auth/login");
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    const declined = await browser.request(`/closeloop/auth/callback?error=access_denied&state=${state}`);
    expect(declined.status).toBe(400);
    expect(await declined.text()).toContain("GitHub did not sign you in (access_denied).");
    const big = await browser.post("/closeloop/auth/logout", { _csrf: "x".repeat(17 * 1024) });
    expect(big.status).toBe(413);
    expect(declined.headers.get("cache-control")).toBe("no-store");
    expect(declined.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(declined.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("refuses a replayed callback (GitHub takes a code once), an expired one and a forged cookie", async () => {
    const browser = new Browser(app());
    const login = await browser.request("/closeloop/auth/login");
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    const cookie = browser.cookies.get(SIGN_IN_COOKIE)!;
    const { verifier } = signInOf(browser);
    nockSignIn("octocat", "ghu_two", verifier);
    expect((await browser.request(`/closeloop/auth/callback?code=the-code&state=${state}`)).status).toBe(303);
    expect(browser.cookies.has(SIGN_IN_COOKIE)).toBe(false);
    browser.cookies.set(SIGN_IN_COOKIE, cookie);
    nock(WEB)
      .post("/login/oauth/access_token")
      .reply(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
    const sessions = await database.prisma.dashboardSession.count();
    const replay = await browser.request(`/closeloop/auth/callback?code=the-code&state=${state}`);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("GitHub did not accept the sign-in code");
    expect(await database.prisma.dashboardSession.count()).toBe(sessions);

    const late = new Browser(app());
    const again = await late.request("/closeloop/auth/login");
    const lateState = new URL(again.headers.get("location")!).searchParams.get("state")!;
    clock = new Date(NOW.getTime() + 11 * 60_000);
    const expired = await late.request(`/closeloop/auth/callback?code=the-code&state=${lateState}`);
    expect(expired.status).toBe(400);
    expect(await expired.text()).toContain("This sign-in has expired");

    // A cookie of the right shape that this process did not sign is no sign-in at all.
    clock = NOW;
    const forger = new Browser(app());
    const forged = await forger.request("/closeloop/auth/login");
    const forgedState = new URL(forged.headers.get("location")!).searchParams.get("state")!;
    const [pair] = (await generateSignedCookie(SIGN_IN_COOKIE, "x", "another-secret")).split(";");
    const signature = pair!.slice(pair!.lastIndexOf("."));
    const value = decodeURIComponent(forger.cookies.get(SIGN_IN_COOKIE)!);
    forger.cookies.set(SIGN_IN_COOKIE, encodeURIComponent(value.slice(0, value.lastIndexOf(".")) + signature));
    const refused = await forger.request(`/closeloop/auth/callback?code=the-code&state=${forgedState}`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("This sign-in was not started in this browser");
  });

  it("ranks only the repositories GitHub lists for the person, as the page, CSV and JSON", async () => {
    const browser = await signedIn("octocat", "ghu_rank");
    nockReadable("ghu_rank", [10]);
    const page = await browser.request("/closeloop/");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Checkout fails");
    expect(html).not.toContain("Secret thing");
    expect(html).toContain('<th scope="col" class="num">Reports</th>');
    const csv = await browser.request("/closeloop/?days=7&format=csv");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines.map((line) => line.split(",").slice(0, 3).join(","))).toEqual([
      "repository,number,title",
      "Octo/App,1,Checkout fails",
      "Octo/App,2,",
    ]);
    const json = (await (await browser.request("/closeloop/api/issues?sort=customers")).json()) as {
      total: number;
      issues: { repository: string; number: number; reports: number }[];
    };
    expect(json.total).toBe(2);
    expect(json.issues.map((issue) => `${issue.repository}#${issue.number} ${issue.reports}`)).toEqual([
      "Octo/App#1 2",
      "Octo/App#2 1",
    ]);
    // Naming a repository the person cannot read is 404 everywhere, exactly as naming one that does not exist.
    const answers = [];
    for (const path of [
      "/closeloop/api/issues?repository=",
      "/closeloop/?format=csv&repository=",
      "/closeloop/?repository=",
    ]) {
      for (const repository of ["Else/Secret", "Else/Nothing"]) {
        const response = await browser.request(`${path}${encodeURIComponent(repository)}`);
        answers.push(`${response.status} ${(await response.text()).length}`);
      }
    }
    expect(answers.map((answer) => answer.split(" ")[0])).toEqual(["404", "404", "404", "404", "404", "404"]);
    expect([answers[0] === answers[1], answers[2] === answers[3], answers[4] === answers[5]]).toEqual([
      true,
      true,
      true,
    ]);
    expect((await browser.request("/closeloop/api/issues?repository=octo%2Fapp")).status).toBe(200);
  });

  it("says the ranking is still being counted on the page and its JSON, and refuses the CSV with 503 until it is", async () => {
    const browser = await signedIn("octocat", "ghu_counting");
    nockReadable("ghu_counting", [10]);
    expect((await browser.request("/closeloop/")).status).toBe(200); // counts the issues reported so far
    // More issues due than the three requests below count themselves (2,000 each), as during the first count after an
    // upgrade.
    const epoch = new Date(0);
    await database.prisma
      .$executeRaw`WITH RECURSIVE n("i") AS (SELECT 1 UNION ALL SELECT "i" + 1 FROM n WHERE "i" < 7000)
      INSERT INTO "Issue" ("repositoryId", "number", "state", "createdAt", "impactDueAt")
      SELECT 30, 1000 + "i", 'open', ${epoch}, ${epoch} FROM n`;
    try {
      const page = await browser.request("/closeloop/");
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<p role="status">Still counting: closeloop is counting the reports of issues linked');
      expect(html).toContain("Checkout fails");
      const csv = await browser.request("/closeloop/?format=csv");
      expect([csv.status, csv.headers.get("retry-after"), await csv.json()]).toEqual([
        503,
        "60",
        { error: "still counting the issues' reports: try again in a minute" },
      ]);
      const json = (await (await browser.request("/closeloop/api/issues")).json()) as { complete: boolean };
      expect(json.complete).toBe(false);
    } finally {
      await database.prisma.issue.deleteMany({ where: { repositoryId: 30n, number: { gte: 1000 } } });
    }
    const counted = await browser.request("/closeloop/");
    expect(await counted.text()).not.toContain("Still counting");
    expect((await browser.request("/closeloop/?format=csv")).status).toBe(200);
  });

  it("counts the matching issues up to a cap: past it the page says N+ and offers each next page there is, the JSON totalCapped", async () => {
    // Two readable open issues (Octo/App #1 and #2), a cap of one.
    const browser = await signedIn("octocat", "ghu_capped", "/closeloop/", 501, () =>
      app(undefined, keys, { impactLimits: { totalCap: 1 } }),
    );
    nockReadable("ghu_capped", [10]);
    const first = await (await browser.request("/closeloop/?per_page=1")).text();
    expect(first).toContain("<p>1+ issues with reports in the last 30 days · ");
    expect(first).toContain("<caption>Issues ranked by reports, page 1 of 2+</caption>");
    expect(first).toContain('<span>Page 1 of 2+</span><a href="/closeloop/?page=2&amp;per_page=1" rel="next">Next</a>');
    // Past the issues the cap counted, the next page is still offered while there is one, and the last is said as such.
    const second = await (await browser.request("/closeloop/?page=2&per_page=1")).text();
    expect(second).toContain("<p>1+ issues with reports in the last 30 days · ");
    expect(second).toContain("Octo/App#2");
    expect(second).toContain(
      '<nav class="pages" aria-label="Pages"><a href="/closeloop/?per_page=1" rel="prev">Previous</a><span>Page 2 of 2</span></nav>',
    );
    const json = (await (await browser.request("/closeloop/api/issues?per_page=1")).json()) as {
      total: number;
      totalCapped: boolean;
      issues: { number: number }[];
    };
    expect([json.total, json.totalCapped, json.issues.map((issue) => issue.number)]).toEqual([1, true, [1]]);

    // A total that reaches the cap, no more, is exact.
    const exact = await signedIn("octocat", "ghu_exact", "/closeloop/", 501, () =>
      app(undefined, keys, { impactLimits: { totalCap: 2 } }),
    );
    nockReadable("ghu_exact", [10]);
    const page = await (await exact.request("/closeloop/?per_page=1")).text();
    expect(page).toContain("<p>2 issues with reports in the last 30 days · ");
    expect(page).toContain('<span>Page 1 of 2</span><a href="/closeloop/?page=2&amp;per_page=1" rel="next">Next</a>');
    expect(await (await exact.request("/closeloop/api/issues")).json()).toMatchObject({
      total: 2,
      totalCapped: false,
    });
  });

  it("answers an unknown sort or filter value 400 with the allowed values, on the page and the API", async () => {
    const browser = await signedIn("octocat", "ghu_bad");
    nockReadable("ghu_bad", [10]);
    const page = await browser.request("/closeloop/?sort=title");
    expect(page.status).toBe(400);
    expect(await page.text()).toContain("sort: must be one of reports, customers, last, age, waiting");
    const api = await browser.request("/closeloop/api/issues?days=3");
    expect(api.status).toBe(400);
    expect(await api.json()).toEqual({
      error: "days: must be one of 7, 14, 30, 90",
      parameter: "days",
      allowed: ["7", "14", "30", "90"],
    });
    const format = await browser.request("/closeloop/?format=xlsx");
    expect([format.status, await format.json()]).toEqual([
      400,
      { error: "format: must be csv", parameter: "format", allowed: ["csv"] },
    ]);
  });

  it("shows an issue the person can read, and 404s one they cannot exactly like one that does not exist", async () => {
    const browser = await signedIn("octocat", "ghu_issue");
    nockReadable("ghu_issue", [10]);
    const page = await browser.request("/closeloop/issues/octo/app/1");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<a href="https://acme.zendesk.com/agent/tickets/101" rel="noreferrer">101</a>');
    expect(html).toContain('<a href="https://github.com/Octo/App/issues/1">Open on GitHub</a>');
    const hidden = await browser.request("/closeloop/issues/Else/Secret/9");
    const missing = await browser.request("/closeloop/issues/Else/Nothing/9");
    expect([hidden.status, missing.status]).toEqual([404, 404]);
    expect(await hidden.text()).toBe(await missing.text());
    const closed = await browser.request("/closeloop/issues/Octo/App/2");
    const closedHtml = await closed.text();
    expect(closedHtml).toContain("ticket is closed (HTTP 422)");
    // A closed Zendesk ticket got a follow-up instead of a reopen: shown, and linked in the helpdesk.
    expect(closedHtml).toContain(
      '(closed for good: follow-up <a href="https://acme.zendesk.com/agent/tickets/977" rel="noreferrer">977</a>)',
    );
  });

  it("lists recent closes with the reopens that failed and why", async () => {
    const browser = await signedIn("octocat", "ghu_closed");
    nockReadable("ghu_closed", [10, 30]);
    const html = await (await browser.request("/closeloop/closed")).text();
    expect(html).toContain("Octo/App#2");
    expect(html).toContain('<span class="error">ticket is closed</span>');
  });

  /** Closes issue `number` with one done reopen per conversation, each watched for its answer as given. */
  async function closeWatched(
    repositoryId: bigint,
    number: number,
    title: string,
    conversations: { id: string; outcome: "answered" | "closed" | null; afterHours?: number; reminded?: boolean }[],
  ) {
    const reopenedAt = new Date(NOW.getTime() - 3 * DAY);
    const issue = await database.prisma.issue.create({
      data: { repositoryId, number, title, state: "closed" },
    });
    const close = await database.prisma.issueClose.create({
      data: {
        issueId: issue.id,
        closedAt: reopenedAt,
        reason: "completed",
        note: "n",
        summary: true,
        jobs: {
          create: conversations.map((conversation, index) => ({
            linkId: 1000 + number * 10 + index,
            provider: "zendesk",
            account: "acme",
            conversationId: conversation.id,
            url: `https://acme.zendesk.com/agent/tickets/${conversation.id}`,
            state: "done",
            attempts: 1,
            finishedAt: reopenedAt,
          })),
        },
      },
      include: { jobs: true },
    });
    for (const [index, conversation] of conversations.entries())
      await database.prisma.answerWatch.create({
        data: {
          reopenJobId: close.jobs[index]!.id,
          closeId: close.id,
          provider: "zendesk",
          account: "acme",
          conversationId: conversation.id,
          url: `https://acme.zendesk.com/agent/tickets/${conversation.id}`,
          reopenedAt,
          outcome: conversation.outcome,
          outcomeAt:
            conversation.afterHours === undefined
              ? null
              : new Date(reopenedAt.getTime() + conversation.afterHours * 3_600_000),
          remindedAt: conversation.reminded ? new Date(reopenedAt.getTime() + DAY) : null,
          state: conversation.outcome === null ? "pending" : "done",
        },
      });
  }

  /** The text of each cell of the table row whose header cell says `name`. */
  function rowCells(html: string, name: string): string[] {
    const row = html.split("<tr>").find((part) => part.includes(name)) ?? "";
    return row
      .split(/<\/t[hd]>/)
      .slice(0, -1)
      .map((cell) => cell.replace(/<[^>]+>/g, "").trim());
  }

  it("shows per close who was answered, who waits and for how long, the median time to answer, by title", async () => {
    await closeWatched(10n, 3, "Export times out", [
      { id: "301", outcome: "answered", afterHours: 2 },
      { id: "302", outcome: "answered", afterHours: 6 },
      { id: "303", outcome: "closed", afterHours: 1 },
      { id: "304", outcome: null, reminded: true },
      { id: "305", outcome: null },
    ]);
    await closeWatched(30n, 4, "Secret waiting", [{ id: "401", outcome: null }]);
    const browser = await signedIn("octocat", "ghu_answers");
    nockReadable("ghu_answers", [10]);

    const closed = await browser.request("/closeloop/closed");
    const html = await closed.text();
    expect(rowCells(html, "Octo/App#3")).toEqual([
      "Export times outOcto/App#3",
      `${new Date(NOW.getTime() - 3 * DAY).toISOString().slice(0, 16).replace("T", " ")} UTC (completed)`,
      "5",
      "2",
      "2",
      "1",
      "4 hours",
      "Zendesk 304 for 3 days (reminded)Zendesk 305 for 3 days",
      "none",
    ]);
    expect(html).toContain('<a href="https://acme.zendesk.com/agent/tickets/304" rel="noreferrer">304</a>');
    expect(html).not.toContain("Secret waiting");
    expect(html).not.toContain("tickets/401");

    const issue = await (await browser.request("/closeloop/issues/Octo/App/3")).text();
    expect(rowCells(issue, ">301<").at(-1)).toBe("answered after 2 hours");
    expect(rowCells(issue, ">303<").at(-1)).toBe("closed without an answer after 60 minutes");
    expect(rowCells(issue, ">304<").at(-1)).toBe("waiting for 3 days (reminded)");
    expect(rowCells(issue, ">305<").at(-1)).toBe("waiting for 3 days");
    expect((await browser.request("/closeloop/issues/Else/Secret/4")).status).toBe(404);
  });

  it("ends a session whose token GitHub refuses, and one that expired", async () => {
    const browser = await signedIn("revoked", "ghu_revoked");
    nock(API).get("/user/installations").query({ per_page: 100 }).reply(401, { message: "Bad credentials" });
    expect((await browser.request("/closeloop/")).status).toBe(302);
    expect(await database.prisma.dashboardSession.count({ where: { login: "revoked" } })).toBe(0);
    const late = await signedIn("later", "ghu_late");
    clock = new Date(NOW.getTime() + 8 * 3_600_000 + 1);
    const expired = await late.request("/closeloop/");
    expect([expired.status, expired.headers.get("location")]).toEqual([
      302,
      "/closeloop/auth/login?return=%2Fcloseloop%2F",
    ]);
  });

  it("keeps a session made before CLOSELOOP_SECRET_KEY, and moves its token and cookie to the new key on first use", async () => {
    const OLD = "the-stored-dashboard-secret";
    await database.prisma.dashboardSession.create({
      data: {
        id: tokenHash("old-session"),
        login: "veteran",
        userId: 77n,
        token: sealedWithOldKey(OLD, "ghu_veteran"),
        createdAt: NOW,
        expiresAt: new Date(NOW.getTime() + 3_600_000),
      },
    });
    const browser = new Browser(app(undefined, new SessionKeys(secretKey, OLD)));
    const [pair] = (await generateSignedCookie(SESSION_COOKIE, "old-session", oldCookieSecret(OLD))).split(";");
    browser.cookies.set(SESSION_COOKIE, pair!.slice(pair!.indexOf("=") + 1));
    nockReadable("ghu_veteran", [10]);
    expect((await browser.request("/closeloop/")).status).toBe(200);
    const row = await database.prisma.dashboardSession.findUniqueOrThrow({ where: { id: tokenHash("old-session") } });
    expect(keys.open(row.token)).toEqual({ text: "ghu_veteran", legacy: false });
    // The cookie is signed again with the new key: a process that no longer knows the old key still finds the session.
    nockReadable("ghu_veteran", [10]);
    const again = new Browser(app());
    again.cookies.set(SESSION_COOKIE, browser.cookies.get(SESSION_COOKIE)!);
    expect((await again.request("/closeloop/")).status).toBe(200);
  });

  it("signs out only with the session's CSRF token, and the cookie then signs no one in", async () => {
    const browser = await signedIn("leaver", "ghu_leave");
    const forged = await browser.post("/closeloop/auth/logout", { _csrf: "forged" });
    expect(forged.status).toBe(403);
    expect(await database.prisma.dashboardSession.count({ where: { login: "leaver" } })).toBe(1);
    const session = await database.prisma.dashboardSession.findFirstOrThrow({ where: { login: "leaver" } });
    const cookie = browser.cookies.get(SESSION_COOKIE)!;
    const out = await browser.post("/closeloop/auth/logout", { _csrf: keys.csrfToken(session.id) });
    expect([out.status, out.headers.get("location")]).toEqual([303, "/closeloop/auth/signed-out"]);
    expect(await database.prisma.dashboardSession.count({ where: { login: "leaver" } })).toBe(0);
    expect(browser.cookies.has(SESSION_COOKIE)).toBe(false);
    browser.cookies.set(SESSION_COOKIE, cookie);
    expect((await browser.request("/closeloop/")).status).toBe(302);
  });

  it("shows operations to CLOSELOOP_ADMINS only, and retries a dead job only with the session's CSRF token", async () => {
    const person = await signedIn("not-admin", "ghu_ops_person");
    nockReadable("ghu_ops_person", [10]);
    expect((await person.request("/closeloop/ops")).status).toBe(404);
    const personSession = await database.prisma.dashboardSession.findFirstOrThrow({ where: { login: "not-admin" } });
    expect(
      (await person.post("/closeloop/ops/retry", { _csrf: keys.csrfToken(personSession.id), job: String(deadJobId) }))
        .status,
    ).toBe(404);

    const admin = await signedIn("admin-person", "ghu_ops_admin");
    nockReadable("ghu_ops_admin", [10]);
    // What closeloop status shows, the link notes waiting and a project closeloop may not use included.
    const issue = await database.prisma.issue.findFirstOrThrow({ where: { repositoryId: 10n, number: 1 } });
    await database.prisma.linkNote.create({
      data: {
        issueId: issue.id,
        provider: "front",
        account: "",
        conversationId: "cnv_ops",
        url: "https://app.frontapp.com/open/cnv_ops",
        note: "n",
      },
    });
    await database.prisma.projectError.create({
      data: {
        repositoryId: 10n,
        url: "https://github.com/orgs/Octo/projects/3",
        message: "no access to the project",
        seenAt: NOW,
      },
    });
    const ops = await admin.request("/closeloop/ops");
    expect(ops.status).toBe(200);
    const opsHtml = await ops.text();
    expect(opsHtml).toContain(`aria-label="Retry job ${deadJobId}"`);
    expect(opsHtml).toMatch(/<th scope="row">Front<\/th>\s*<td>link note<\/td>\s*<td class="num">1<\/td>/);
    expect(opsHtml).toContain("cannot keep the project field (https://github.com/orgs/Octo/projects/3)");
    expect(opsHtml).toMatch(/<th scope="row">Sidebars<\/th>\s*<td>Zendesk, Front<\/td>/);
    const forged = await admin.post("/closeloop/ops/retry", {
      _csrf: keys.csrfToken("another-session"),
      job: String(deadJobId),
    });
    expect(forged.status).toBe(403);
    expect((await database.prisma.reopenJob.findUniqueOrThrow({ where: { id: deadJobId } })).state).toBe("dead");
    const session = await database.prisma.dashboardSession.findFirstOrThrow({ where: { login: "admin-person" } });
    const retried = await admin.post("/closeloop/ops/retry", {
      _csrf: keys.csrfToken(session.id),
      job: String(deadJobId),
    });
    expect([retried.status, retried.headers.get("location")]).toEqual([303, "/closeloop/ops?retried=1"]);
    expect(await database.prisma.reopenJob.findUniqueOrThrow({ where: { id: deadJobId } })).toMatchObject({
      state: "pending",
      attempts: 0,
    });
    expect(wakes).toBe(1);
    const again = await admin.post("/closeloop/ops/retry", { _csrf: keys.csrfToken(session.id), job: "99999" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("no job 99999");
  });

  it("takes CLOSELOOP_ADMINS by user id, pins a login to the first account, and refuses a later account with it", async () => {
    const warnings: string[] = [];
    const admins = ["9001", "Pinned-Login", "@4242"];
    const made = () =>
      app(undefined, keys, {
        admins,
        log: { info: () => {}, warn: (line: string) => void warnings.push(line), error: () => {} },
      });
    const opsStatus = async (browser: Browser, token: string) => {
      nockReadable(token, [10]);
      return (await browser.request("/closeloop/ops")).status;
    };
    // By id: whatever the login, and nothing is pinned.
    expect(
      await opsStatus(await signedIn("renamed-anything", "ghu_by_id", "/closeloop/", 9001, made), "ghu_by_id"),
    ).toBe(200);
    // By login: the first account pins it, and stays an admin.
    expect(await opsStatus(await signedIn("pinned-login", "ghu_first", "/closeloop/", 7001, made), "ghu_first")).toBe(
      200,
    );
    // `@4242` is the login "4242", not the id 4242.
    expect(await opsStatus(await signedIn("4242", "ghu_digits", "/closeloop/", 7002, made), "ghu_digits")).toBe(200);
    expect(await opsStatus(await signedIn("someone", "ghu_id_4242", "/closeloop/", 4242, made), "ghu_id_4242")).toBe(
      404,
    );
    expect(
      (
        await database.prisma.adminLogin.findMany({
          where: { login: { in: ["4242", "pinned-login", "renamed-anything"] } },
          orderBy: { login: "asc" },
        })
      ).map((pin) => [pin.login, pin.userId]),
    ).toEqual([
      ["4242", 7002n],
      ["pinned-login", 7001n],
    ]);
    expect(warnings).toEqual([]);

    // A restart: a new process on the same database still knows the pin, and refuses another account with the login.
    const reopened = await openDatabase(database.target);
    try {
      const afterRestart = () =>
        dashboardApp({
          prisma: reopened.prisma,
          client: { clientId: "Iv1.client", clientSecret: "client-secret" },
          publicUrl: "http://localhost:3000",
          apiUrl: API,
          githubUrl: WEB,
          admins,
          keys,
          access: new RepositoryAccess(API),
          log: { info: () => {}, warn: (line: string) => void warnings.push(line), error: () => {} },
          now: () => clock,
          readStatus: async () => ({ ...(await readStatus(reopened, {})).status, sidebars: [] }),
          reopenQueued: () => {},
        });
      const impostor = await signedIn("Pinned-Login", "ghu_second", "/closeloop/", 7999, afterRestart);
      expect(await opsStatus(impostor, "ghu_second")).toBe(404);
      expect(warnings).toEqual([
        'dashboard: Pinned-Login (GitHub user id 7999) is not an admin: CLOSELOOP_ADMINS\' login "Pinned-Login" is pinned to user id 7001, the account that first signed in with it (renamed or recycled login); list the new account by its id to make it an admin',
      ]);
      const original = await signedIn("pinned-login", "ghu_first_again", "/closeloop/", 7001, afterRestart);
      expect(await opsStatus(original, "ghu_first_again")).toBe(200);
    } finally {
      await reopened.close();
    }
  });
});
