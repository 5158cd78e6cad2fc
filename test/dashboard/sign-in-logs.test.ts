import nock from "nock";
import { pino } from "pino";
import { Probot, Server } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RepositoryAccess } from "../../src/dashboard/access.js";
import { SIGN_IN_COOKIE } from "../../src/dashboard/auth.js";
import { dashboardApp, dashboardHandler } from "../../src/dashboard/routes.js";
import { SessionKeys } from "../../src/dashboard/session-keys.js";
import { readSignIn } from "../../src/dashboard/sign-in.js";
import { SecretKey } from "../../src/domain/secret-key.js";
import { logOptions, redactSecretQuery } from "../../src/log.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { freshDatabaseUrl } from "../support/databases.js";
import { freePort } from "../support/ports.js";

const API = "https://api.github.com";
const WEB = "https://github.com";

describe("redactSecretQuery", () => {
  it.each([
    [
      "GET /closeloop/auth/callback?code=abc123&state=xyz 303 - 4ms",
      "GET /closeloop/auth/callback?code=[redacted]&state=[redacted] 303 - 4ms",
    ],
    ["/cb?state=s&code=c#frag", "/cb?state=[redacted]&code=[redacted]#frag"],
    [
      "https://github.com/login/oauth/authorize?client_id=Iv1&state=s1",
      "https://github.com/login/oauth/authorize?client_id=Iv1&state=[redacted]",
    ],
    ["/closeloop/?zipcode=1&statement=2", "/closeloop/?zipcode=1&statement=2"],
    ["no url here", "no url here"],
  ])("%s → %s", (text, shown) => {
    expect(redactSecretQuery(text)).toBe(shown);
  });
});

describe("the log of a real sign-in", () => {
  const lines: string[] = [];
  let database: Database;
  let server: Server;
  let base = "";

  beforeAll(async () => {
    database = await openDatabase(await freshDatabaseUrl("sqlite"), { migrate: true });
    const log = pino(logOptions({ LOG_LEVEL: "debug" }), { write: (line: string) => void lines.push(line) });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = new Server({
      host: "127.0.0.1",
      port,
      log,
      Probot: Probot.defaults({ appId: 1, githubToken: "test-token", log }),
    });
    await server.load((_app, { addHandler }) =>
      addHandler(
        dashboardHandler(
          dashboardApp({
            prisma: database.prisma,
            client: { clientId: "Iv1.client", clientSecret: "client-secret" },
            publicUrl: base,
            apiUrl: API,
            githubUrl: WEB,
            admins: [],
            keys: new SessionKeys(new SecretKey(Buffer.alloc(32, 9), "environment")),
            access: new RepositoryAccess(API),
            log,
            readStatus: () => Promise.reject(new Error("not used")),
            reopenQueued: () => {},
          }),
        ),
      ),
    );
    await server.start();
  });
  afterAll(async () => {
    await server.stop();
    await database.close();
  });

  /** Starts a sign-in as a browser does: the cookie it is given, and the state GitHub is sent. */
  async function start() {
    const login = await fetch(`${base}/closeloop/auth/login`, { redirect: "manual" });
    const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    const value = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
    const signIn = readSignIn(value.slice(0, value.lastIndexOf(".")), new Date(0))!;
    expect(cookie.startsWith(`${SIGN_IN_COOKIE}=`)).toBe(true);
    return { cookie, signIn };
  }

  async function logged(fragment: string): Promise<string[]> {
    // pino-http writes its line when the response has finished, which may be just after the client has it.
    for (let tries = 0; tries < 200 && !lines.some((line) => line.includes(fragment)); tries++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    return lines;
  }

  it("never writes the callback's code or state, nor the sign-in cookie, to a log line", async () => {
    const { cookie, signIn } = await start();
    nock(WEB)
      .post("/login/oauth/access_token")
      .reply(200, { access_token: "ghu_logged", token_type: "bearer", scope: "" });
    nock(API).get("/user").reply(200, { login: "octocat", id: 5 });
    const code = "c0de-that-must-not-be-logged";
    const callback = await fetch(`${base}/closeloop/auth/callback?code=${code}&state=${signIn.state}`, {
      headers: { cookie },
      redirect: "manual",
    });
    expect(callback.status).toBe(303);
    // A refused one (another state) and one GitHub refuses are logged the same way.
    const other = await start();
    const wrong = await fetch(`${base}/closeloop/auth/callback?code=${code}-2&state=${other.signIn.state}x`, {
      headers: { cookie: other.cookie },
    });
    expect(wrong.status).toBe(400);
    const third = await start();
    nock(WEB).post("/login/oauth/access_token").reply(200, { error: "bad_verification_code" });
    const refused = await fetch(`${base}/closeloop/auth/callback?code=${code}-3&state=${third.signIn.state}`, {
      headers: { cookie: third.cookie },
    });
    expect(refused.status).toBe(400);

    const all = (await logged("callback?code=[redacted]&state=[redacted] 400")).join("");
    expect(all).toContain("GET /closeloop/auth/callback?code=[redacted]&state=[redacted] 303");
    expect(all).toContain('"url":"/closeloop/auth/callback?code=[redacted]&state=[redacted]"');
    expect(all).toContain('"cookie":"[Redacted]"');
    expect(all).toContain("dashboard: octocat signed in");
    for (const secret of [code, signIn.state, other.signIn.state, third.signIn.state, signIn.verifier, "ghu_logged"])
      expect(all).not.toContain(secret);
  });
});
