import { describe, expect, it } from "vitest";
import { dashboardClient, parseEnv, publicUrl } from "../../src/config/env.js";

describe("parseEnv", () => {
  it("applies the defaults README, Environment lists to an empty environment", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      LOG_LEVEL: "info",
      CLOSELOOP_DRY_RUN: false,
      CLOSELOOP_REOPEN_LEASE_SECONDS: 30,
      CLOSELOOP_SWEEP_INTERVAL_MINUTES: 60,
      GHE_PROTOCOL: "https",
    });
    expect(env.DATABASE_URL).toMatchObject({ engine: "sqlite", path: expect.stringMatching(/data\/closeloop\.db$/) });
    expect(env.APP_ID).toBeUndefined();
  });

  it("reads CLOSELOOP_SECRET_KEY's bytes, and leaves it unset when empty", () => {
    const key = Buffer.alloc(32, 5);
    expect(parseEnv({ CLOSELOOP_SECRET_KEY: key.toString("base64") }).CLOSELOOP_SECRET_KEY?.equals(key)).toBe(true);
    expect(parseEnv({ CLOSELOOP_SECRET_KEY: "" }).CLOSELOOP_SECRET_KEY).toBeUndefined();
  });

  it("reads PostgreSQL URLs and never shows their password", () => {
    const env = parseEnv({ DATABASE_URL: "postgresql://app:s3cret@db.internal:5432/closeloop" });
    expect(env.DATABASE_URL).toMatchObject({
      engine: "postgresql",
      display: "postgresql postgresql://app:***@db.internal:5432/closeloop",
    });
  });

  it.each([
    [{ PORT: "abc" }, 'invalid environment: PORT: must be a port number (got "abc")'],
    [{ PORT: "70000" }, 'invalid environment: PORT: must be a port number from 1 to 65535 (got "70000")'],
    [{ CLOSELOOP_DRY_RUN: "yes" }, 'invalid environment: CLOSELOOP_DRY_RUN: must be "true" or "false" (got "yes")'],
    [
      { CLOSELOOP_REOPEN_LEASE_SECONDS: "0" },
      'invalid environment: CLOSELOOP_REOPEN_LEASE_SECONDS: must be from 1 to 3600 seconds (got "0")',
    ],
    [
      { CLOSELOOP_REOPEN_LEASE_SECONDS: "1.5" },
      'invalid environment: CLOSELOOP_REOPEN_LEASE_SECONDS: must be a whole number of seconds (got "1.5")',
    ],
    [
      { CLOSELOOP_SWEEP_INTERVAL_MINUTES: "0" },
      'invalid environment: CLOSELOOP_SWEEP_INTERVAL_MINUTES: must be from 1 to 1440 minutes (got "0")',
    ],
    [
      { CLOSELOOP_SWEEP_INTERVAL_MINUTES: "hourly" },
      'invalid environment: CLOSELOOP_SWEEP_INTERVAL_MINUTES: must be a number of minutes (got "hourly")',
    ],
    [
      { CLOSELOOP_SECRET_KEY: "hunter2hunter2" },
      "invalid environment: CLOSELOOP_SECRET_KEY: must be at least 32 random bytes (got 10); make one with `openssl rand -base64 32`",
    ],
    [
      { CLOSELOOP_SECRET_KEY: "not a key, a sentence" },
      "invalid environment: CLOSELOOP_SECRET_KEY: must be hex or base64 (for example the output of `openssl rand -base64 32`)",
    ],
    [
      { LOG_LEVEL: "verbose" },
      "invalid environment: LOG_LEVEL: must be one of trace, debug, info, warn, error, fatal, silent",
    ],
    [{ LOG_FORMAT: "prety" }, 'invalid environment: LOG_FORMAT: must be "json" or "pretty" (got "prety")'],
    [
      { DATABASE_URL: "mysql://localhost/x" },
      'invalid environment: DATABASE_URL: unknown scheme "mysql:"; use file:<path> for SQLite or postgres://… for PostgreSQL',
    ],
    [
      { APP_ID: "12", WEBHOOK_SECRET: "s" },
      "invalid environment: PRIVATE_KEY: PRIVATE_KEY or PRIVATE_KEY_PATH is required when APP_ID is set",
    ],
    [
      { APP_ID: "12", PRIVATE_KEY: "k" },
      "invalid environment: WEBHOOK_SECRET: WEBHOOK_SECRET is required when APP_ID is set",
    ],
    [
      { APP_ID: "my-app", PRIVATE_KEY: "k", WEBHOOK_SECRET: "s" },
      "invalid environment: APP_ID: must be the numeric App ID",
    ],
    [
      { PRIVATE_KEY_PATH: "/nonexistent/key.pem", APP_ID: "1", WEBHOOK_SECRET: "s" },
      "invalid environment: PRIVATE_KEY_PATH: file not found",
    ],
    [
      { GHE_HOST: "https://github.example.com" },
      "invalid environment: GHE_HOST: must be a host name such as github.example.com, without https://",
    ],
    [
      { GITHUB_CLIENT_ID: "Iv1.abc" },
      "invalid environment: GITHUB_CLIENT_SECRET: GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set",
    ],
    [
      { GITHUB_CLIENT_SECRET: "s" },
      "invalid environment: GITHUB_CLIENT_ID: GITHUB_CLIENT_ID is required when GITHUB_CLIENT_SECRET is set",
    ],
    [
      { CLOSELOOP_PUBLIC_URL: "closeloop.example.com" },
      'invalid environment: CLOSELOOP_PUBLIC_URL: must be an http:// or https:// address such as https://closeloop.example.com (got "closeloop.example.com")',
    ],
    [
      { CLOSELOOP_ADMINS: "octocat, not a login" },
      'invalid environment: CLOSELOOP_ADMINS: must be GitHub user ids or logins separated by commas (got "octocat, not a login")',
    ],
  ])("rejects %o with one line naming the variable", (source, message) => {
    expect(() => parseEnv(source)).toThrow(message);
  });

  it("reads the dashboard's OAuth client, public address and admins", () => {
    const off = parseEnv({ PORT: "8080" });
    expect([dashboardClient(off), publicUrl(off), off.CLOSELOOP_ADMINS]).toEqual([
      null,
      "http://localhost:8080",
      undefined,
    ]);
    const on = parseEnv({
      GITHUB_CLIENT_ID: "Iv1.abc",
      GITHUB_CLIENT_SECRET: "s3",
      CLOSELOOP_PUBLIC_URL: "https://cl.example.com/",
      CLOSELOOP_ADMINS: " octocat,Hubot-2 ,583231, @1234,",
    });
    expect([dashboardClient(on), publicUrl(on), on.CLOSELOOP_ADMINS]).toEqual([
      { clientId: "Iv1.abc", clientSecret: "s3" },
      "https://cl.example.com",
      ["octocat", "Hubot-2", "583231", "@1234"],
    ]);
  });

  it("does not echo secrets", () => {
    expect(() =>
      parseEnv({ APP_ID: "1", PRIVATE_KEY: "k", WEBHOOK_SECRET: "s", DATABASE_URL: "redis://:pw@h" }),
    ).toThrow(/^invalid environment: DATABASE_URL: unknown scheme "redis:"/);
    expect(() => parseEnv({ DATABASE_URL: "redis://:pw@h" })).not.toThrow(/pw/);
  });
});
