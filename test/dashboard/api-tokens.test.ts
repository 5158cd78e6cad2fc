import { readFileSync } from "node:fs";
import { generateSignedCookie } from "hono/cookie";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RepositoryAccess } from "../../src/dashboard/access.js";
import { SESSION_COOKIE } from "../../src/dashboard/auth.js";
import { dashboardApp } from "../../src/dashboard/routes.js";
import { SessionKeys, tokenHash } from "../../src/dashboard/session-keys.js";
import { SecretKey } from "../../src/domain/secret-key.js";
import { readStatus } from "../../src/operations/status.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { nockReadable } from "../support/dashboard-access.js";
import { ROOT } from "../support/process.js";
import { reportTicket } from "../support/reports.js";

const API = "https://api.github.com";
// Ahead of the wall clock: the ranking counts the issues that writes marked due at the (real) time they were made.
const NOW = new Date(Date.now() + 60_000);
const DAY_AGO = new Date(NOW.getTime() - 86_400_000);
const REPOSITORIES = {
  app: { id: 10n, installationId: 1n, owner: "Octo", name: "App" },
  web: { id: 20n, installationId: 1n, owner: "Octo", name: "Web" },
  secret: { id: 30n, installationId: 1n, owner: "Else", name: "Secret" },
} as const;
const ADMIN = { login: "Admin-Person", id: 501n, githubToken: "ghu_admin" };

describe.each(ENGINES)("read-only API tokens on %s", (engine) => {
  let database: Database;
  const keys = new SessionKeys(new SecretKey(Buffer.alloc(32, 9), "environment"));
  let accessClock = 0;
  const access = new RepositoryAccess(API, 5 * 60_000, () => accessClock);
  const app = (admins: readonly string[] = [ADMIN.login]) =>
    dashboardApp({
      prisma: database.prisma,
      client: { clientId: "Iv1.client", clientSecret: "client-secret" },
      publicUrl: "https://closeloop.example.com",
      apiUrl: API,
      githubUrl: "https://github.com",
      admins,
      keys,
      access,
      log: { info: () => {}, warn: () => {}, error: () => {} },
      now: () => NOW,
      readStatus: async () => (await readStatus(database, {})).status,
      reopenQueued: () => {},
    });

  /** A signed-in person: their session row and the signed cookie a browser sends, with the session's CSRF token. */
  let sessions = 0;
  async function session(person: { login: string; id: bigint; githubToken: string }) {
    const cookieToken = `cookie-${person.login}-${++sessions}`;
    await database.prisma.dashboardSession.create({
      data: {
        id: tokenHash(cookieToken),
        login: person.login,
        userId: person.id,
        token: keys.encrypt(person.githubToken),
        createdAt: NOW,
        expiresAt: new Date(NOW.getTime() + 3_600_000),
      },
    });
    const cookie = (await generateSignedCookie(SESSION_COOKIE, cookieToken, keys.cookieSecret)).split(";")[0]!;
    return { cookie, csrf: keys.csrfToken(tokenHash(cookieToken)) };
  }

  function post(path: string, form: Record<string, string>, headers: Record<string, string>) {
    return app().request(path, {
      method: "POST",
      body: new URLSearchParams(form),
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const ranked = async (response: Response) =>
    ((await response.json()) as { issues: { repository: string; number: number }[] }).issues.map(
      (issue) => `${issue.repository}#${issue.number}`,
    );

  /** The admin creates a token on the operations page; the page shows it once. */
  async function createToken(name: string): Promise<string> {
    const admin = await session(ADMIN);
    const created = await post("/closeloop/ops/tokens", { _csrf: admin.csrf, name }, { cookie: admin.cookie });
    expect(created.status).toBe(201);
    const token = /value="(clt_[A-Za-z0-9_-]{43})"/.exec(await created.text())?.[1];
    expect(token).toBeDefined();
    return token!;
  }

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    let conversation = 100;
    for (const [repository, number] of [
      ["app", 1],
      ["web", 2],
      ["secret", 3],
    ] as const) {
      await reportTicket(database, REPOSITORIES[repository], number, String(conversation++), DAY_AGO);
    }
    // The admin can read Octo/App and Octo/Web, not Else/Secret.
    nockReadable(ADMIN.githubToken, [10, 20]);
  });
  afterAll(async () => {
    await database.close();
  });

  it("reads the JSON and CSV of exactly its creator's repositories, and keeps only the token's HMAC", async () => {
    const token = await createToken("weekly export");
    const row = await database.prisma.apiToken.findFirstOrThrow({ where: { name: "weekly export" } });
    expect(row).toMatchObject({ createdBy: ADMIN.login, createdById: ADMIN.id, lastUsedAt: null, revokedAt: null });
    expect(row.hash).toBe(keys.apiTokenHash(token));
    expect(row.hash).not.toBe(tokenHash(token));
    expect(Object.values(row).map(String)).not.toContain(token);
    expect(JSON.parse(row.repositoryIds)).toEqual(["10", "20"]);

    const json = await app().request("/closeloop/api/issues", { headers: bearer(token) });
    expect(json.status).toBe(200);
    expect((await ranked(json)).sort()).toEqual(["Octo/App#1", "Octo/Web#2"]);
    const csv = await app().request("/closeloop/?format=csv&sort=age", { headers: bearer(token) });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = (await csv.text()).trim().split("\n").slice(1);
    expect(rows.map((line) => line.split(",").slice(0, 2).join("#"))).toEqual(["Octo/App#1", "Octo/Web#2"]);
    // A repository the creator cannot read is not found, as for a session.
    const secret = await app().request("/closeloop/api/issues?repository=Else/Secret", { headers: bearer(token) });
    expect(secret.status).toBe(404);
    const used = await database.prisma.apiToken.findUniqueOrThrow({ where: { id: row.id } });
    expect(used.lastUsedAt).toEqual(NOW);
  });

  it.each([
    ["malformed", "abc"],
    ["unknown", `clt_${"A".repeat(43)}`],
  ])("answers a %s token 401, on a JSON view and on a page, without falling back to the session", async (_, token) => {
    const admin = await session(ADMIN);
    for (const path of ["/closeloop/api/issues", "/closeloop/?format=csv", "/closeloop/ops"]) {
      const response = await app().request(path, { headers: { ...bearer(token), cookie: admin.cookie } });
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="closeloop", error="invalid_token"');
      expect(((await response.json()) as { error: string }).error).toMatch(/malformed|unknown or revoked/);
    }
  });

  it("cannot POST, nor reach a page or the operations page (403), and changes nothing", async () => {
    const token = await createToken("no pages");
    const before = await database.prisma.apiToken.count();
    for (const [method, path] of [
      ["GET", "/closeloop/"],
      ["GET", "/closeloop/issues/Octo/App/1"],
      ["GET", "/closeloop/closed"],
      ["GET", "/closeloop/ops"],
      ["POST", "/closeloop/ops/retry"],
      ["POST", "/closeloop/ops/tokens"],
      ["POST", "/closeloop/ops/tokens/revoke"],
      ["POST", "/closeloop/api/issues"],
    ] as const) {
      const response = await app().request(path, {
        method,
        headers: { ...bearer(token), "content-type": "application/x-www-form-urlencoded" },
        ...(method === "POST" && { body: new URLSearchParams({ name: "x", job: "dead", token: "1" }) }),
      });
      expect([path, response.status]).toEqual([path, 403]);
    }
    expect(await database.prisma.apiToken.count()).toBe(before);
    expect(await database.prisma.apiToken.count({ where: { revokedAt: { not: null } } })).toBe(0);
  });

  it("is 401 once revoked on the operations page, and listed there as revoked", async () => {
    const token = await createToken("to revoke");
    const { id } = await database.prisma.apiToken.findFirstOrThrow({ where: { name: "to revoke" } });
    expect((await app().request("/closeloop/api/issues", { headers: bearer(token) })).status).toBe(200);
    const admin = await session(ADMIN);
    const revoked = await post(
      "/closeloop/ops/tokens/revoke",
      { _csrf: admin.csrf, token: String(id) },
      { cookie: admin.cookie },
    );
    expect([revoked.status, revoked.headers.get("location")]).toEqual([303, "/closeloop/ops#api-tokens"]);
    const refused = await app().request("/closeloop/api/issues", { headers: bearer(token) });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "unknown or revoked API token" });
    const page = await (await app().request("/closeloop/ops", { headers: { cookie: admin.cookie } })).text();
    expect(page).toContain("to revoke");
    expect(page).toMatch(/revoked \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(page).not.toContain(token);
  });

  it("is 401 once its creator is no longer one of CLOSELOOP_ADMINS", async () => {
    const token = await createToken("admin leaves");
    const response = await app(["someone-else"]).request("/closeloop/api/issues", { headers: bearer(token) });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: "this API token's creator is no longer one of CLOSELOOP_ADMINS" });
  });

  it("reads what GitHub says its creator can read when the dashboard asks again", async () => {
    const token = await createToken("follows access");
    // Five minutes on, the admin's next page asks GitHub again: they lost Octo/Web.
    accessClock += 5 * 60_000;
    nockReadable(ADMIN.githubToken, [10]);
    const admin = await session(ADMIN);
    expect((await app().request("/closeloop/closed", { headers: { cookie: admin.cookie } })).status).toBe(200);
    const json = await app().request("/closeloop/api/issues", { headers: bearer(token) });
    expect(await ranked(json)).toEqual(["Octo/App#1"]);
  });

  it("answers the README's curl commands for product teams", async () => {
    const token = await createToken("readme");
    const readme = readFileSync(`${ROOT}README.md`, "utf8");
    const section = readme.slice(readme.indexOf("#### Pulling the ranking from a script"));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!.replace(/\\\n\s*/g, "");
    const urls = [...block.matchAll(/^curl .*"https:\/\/closeloop\.example\.com(\/[^"]+)"$/gm)].map(
      (match) => match[1]!,
    );
    expect(urls).toHaveLength(2);
    for (const url of urls) {
      expect(block).toContain('-H "Authorization: Bearer $CLOSELOOP_TOKEN"');
      const response = await app().request(url, { headers: bearer(token) });
      expect([url, response.status]).toEqual([url, 200]);
    }
  });

  it("is created only by an admin, with a name, and a CSRF token", async () => {
    const person = await session({ login: "octocat", id: 502n, githubToken: "ghu_octocat" });
    nockReadable("ghu_octocat", [10]);
    const notAdmin = await post(
      "/closeloop/ops/tokens",
      { _csrf: person.csrf, name: "mine" },
      { cookie: person.cookie },
    );
    expect(notAdmin.status).toBe(404);
    const admin = await session(ADMIN);
    const forged = await post("/closeloop/ops/tokens", { _csrf: "forged", name: "x" }, { cookie: admin.cookie });
    expect(forged.status).toBe(403);
    const nameless = await post("/closeloop/ops/tokens", { _csrf: admin.csrf, name: "  " }, { cookie: admin.cookie });
    expect(nameless.status).toBe(400);
    expect(await nameless.text()).toContain("name: give the token a name of 1 to 100 characters");
    expect(await database.prisma.apiToken.count({ where: { name: { in: ["mine", "x", ""] } } })).toBe(0);
  });
});
