import { afterEach, describe, expect, it } from "vitest";
import { openSessionKeys, SessionKeys, tokenHash } from "../../src/dashboard/session-keys.js";
import { SecretKey } from "../../src/domain/secret-key.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { recordSession } from "../../src/store/dashboard-sessions.js";
import { LEGACY_SESSION_KEY, readLegacySessionKey } from "../../src/store/secrets.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";
import { sealedWithOldKey } from "../support/legacy-session-keys.js";

const secret = (fill: number) => new SecretKey(Buffer.alloc(32, fill), "environment");

describe("SessionKeys", () => {
  const keys = new SessionKeys(secret(1));
  const other = new SessionKeys(secret(2));

  it("encrypts a user token so only the same key reads it, and an altered one reads as null", () => {
    const sealed = keys.encrypt("ghu_token");
    expect(sealed).not.toContain("ghu_token");
    expect(keys.encrypt("ghu_token")).not.toBe(sealed);
    expect(keys.decrypt(sealed)).toBe("ghu_token");
    expect(other.decrypt(sealed)).toBeNull();
    const [iv, tag, data] = sealed.split(".");
    expect(keys.decrypt([iv, tag, `${data!.slice(0, -2)}AA`].join("."))).toBeNull();
    expect(keys.decrypt("not sealed")).toBeNull();
  });

  it.each([
    ["the session's own token", (id: string) => keys.csrfToken(id), true],
    ["another session's token", () => keys.csrfToken("session-b"), false],
    ["another key's token", (id: string) => other.csrfToken(id), false],
    ["an empty token", () => "", false],
    ["no token", () => undefined, false],
    ["a File", () => new File([], "x"), false],
  ])("accepts as CSRF token %s: %s", (_, given, accepted) => {
    expect(keys.csrfMatches("session-a", given("session-a"))).toBe(accepted);
  });

  it("takes its keys from CLOSELOOP_SECRET_KEY's derived ones, distinct for cookies, CSRF and tokens", () => {
    expect(new SessionKeys(secret(1)).cookieSecret).toBe(keys.cookieSecret);
    expect(keys.cookieSecret).toBe(secret(1).deriveKey("sessions").toString("base64url"));
    expect(keys.cookieSecret).not.toBe(other.cookieSecret);
    expect(keys.csrfToken("x")).not.toBe(keys.cookieSecret);
    expect(keys.legacyCookieSecret).toBeNull();
    expect(tokenHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe.each(ENGINES)("a database from before CLOSELOOP_SECRET_KEY on %s", (engine) => {
  const opened: Database[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });
  const now = new Date("2026-12-06T10:00:00Z");
  const OLD = "the-old-stored-dashboard-secret";

  async function databaseWithOldSession(expiresAt: Date) {
    const database = await openDatabase(await freshDatabaseUrl(engine), { migrate: true });
    opened.push(database);
    await database.prisma.secret.create({ data: { name: LEGACY_SESSION_KEY, value: OLD } });
    await recordSession(
      database.prisma,
      {
        id: "s1",
        login: "octocat",
        userId: 1n,
        token: sealedWithOldKey(OLD, "ghu_old"),
        createdAt: now,
        expiresAt,
      },
      new Date(0),
    );
    return database;
  }

  it("keeps reading a live session's token sealed with the old key, and says it needs sealing again", async () => {
    const database = await databaseWithOldSession(new Date(now.getTime() + 3_600_000));
    const keys = await openSessionKeys(database.prisma, secret(1), now);
    const row = await database.prisma.dashboardSession.findUniqueOrThrow({ where: { id: "s1" } });
    expect(keys.open(row.token)).toEqual({ text: "ghu_old", legacy: true });
    expect(keys.legacyCookieSecret).not.toBeNull();
    expect(keys.open(keys.encrypt("ghu_old"))).toEqual({ text: "ghu_old", legacy: false });
    expect(await readLegacySessionKey(database.prisma)).toBe(OLD);
  });

  it("deletes the old key once no live session needs it", async () => {
    const database = await databaseWithOldSession(new Date(now.getTime() - 1));
    const keys = await openSessionKeys(database.prisma, secret(1), now);
    expect(keys.legacyCookieSecret).toBeNull();
    expect(await readLegacySessionKey(database.prisma)).toBeNull();
  });
});
