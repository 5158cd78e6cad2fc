import { writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";
import type { RecognisedLink } from "../../src/domain/link.js";
import { applySourceChange } from "../../src/handlers/source-changes.js";
import { recordProjectError } from "../../src/store/project-fields.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "../support/databases.js";

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  let json: unknown;
  const out: Output = {
    line: (text) => lines.push(text),
    table: (header, rows) => lines.push([header, ...rows].map((r) => r.join("|")).join("\n")),
    json: (value) => (json = value),
    text: () => {},
  };
  return { out, error: (line: string) => errors.push(line), lines, errors, json: () => json };
}

const repository = { id: 10n, installationId: 1n, owner: "Octo-Org", name: "App" };
const issue = { repository, number: 42, githubId: 900n, state: "open" as const };

/** The issue's body, first posted on 1 November, carrying `links`. */
const postBody = (database: Database, links: RecognisedLink[]) =>
  applySourceChange(database, {
    issue,
    source: { kind: "body", key: "" },
    event: { action: "created", version: new Date("2026-11-01T09:00:00Z") },
    createdAt: new Date("2026-11-01T09:00:00Z"),
    links,
  });

describe.each(ENGINES)("closeloop CLI on %s", (engine) => {
  let database: Database;
  let url: string;
  const saved = process.env.DATABASE_URL;

  beforeEach(async () => {
    url = await freshDatabaseUrl(engine);
    database = await openDatabase(url, { migrate: true });
    process.env.DATABASE_URL = url;
  });
  afterEach(async () => {
    await database.close();
    process.env.DATABASE_URL = saved;
  });

  it("links --json prints the exact shape README, CLI gives, oldest first", async () => {
    await postBody(database, [
      {
        provider: "helpscout",
        account: "",
        conversationId: "123456789",
        url: "https://secure.helpscout.net/conversation/123456789/42/",
      },
    ]);
    await applySourceChange(database, {
      issue,
      source: { kind: "comment", key: "555" },
      event: { action: "created", version: new Date("2026-11-02T09:00:00Z") },
      createdAt: new Date("2026-11-02T09:00:00Z"),
      links: [
        {
          provider: "freshdesk",
          account: "acme",
          conversationId: "77",
          url: "https://acme.freshdesk.com/a/tickets/77",
        },
      ],
    });
    const io = capture();
    expect(await runCli(["links", "octo-org/app#42", "--json"], io.out, io.error)).toBe(0);
    expect(io.json()).toEqual([
      {
        provider: "helpscout",
        conversationId: "123456789",
        url: "https://secure.helpscout.net/conversation/123456789/42/",
        source: "body",
        linkedAt: "2026-11-01T09:00:00.000Z",
        fromAddressBar: false,
      },
      {
        provider: "freshdesk",
        conversationId: "77",
        url: "https://acme.freshdesk.com/a/tickets/77",
        source: "comment",
        linkedAt: "2026-11-02T09:00:00.000Z",
        fromAddressBar: false,
      },
    ]);
    expect(Object.keys((io.json() as object[])[0]!)).toEqual([
      "provider",
      "conversationId",
      "url",
      "source",
      "linkedAt",
      "fromAddressBar",
    ]);
  });

  it("links of an unknown issue is an empty list, not an error", async () => {
    const io = capture();
    expect(await runCli(["links", "octo-org/app#7", "--json"], io.out, io.error)).toBe(0);
    expect(io.json()).toEqual([]);
    const human = capture();
    expect(await runCli(["links", "octo-org/app#7"], human.out, human.error)).toBe(0);
    expect(human.lines).toEqual(["octo-org/app#7: no links (closeloop has seen no link on this issue)"]);
  });

  it("links takes the issue's URL as pasted from the browser", async () => {
    await postBody(database, [
      { provider: "zendesk", account: "acme", conversationId: "9", url: "https://acme.zendesk.com/agent/tickets/9" },
    ]);
    for (const url of [
      "https://github.com/octo-org/app/issues/42",
      "https://github.com/Octo-Org/App/issues/42/",
      "https://github.com/octo-org/app/issues/42#issuecomment-1234567",
      "https://github.com/octo-org/app/issues/42?notification_referrer_id=NT_1#event-99",
      "<https://github.com/octo-org/app/issues/42>",
    ]) {
      const io = capture();
      expect(await runCli(["links", url, "--json"], io.out, io.error), url).toBe(0);
      expect(io.errors).toEqual([]);
      expect(io.json(), url).toMatchObject([{ provider: "zendesk", conversationId: "9" }]);
    }
  });

  it("status --json reports a ready database and no config errors", async () => {
    const io = capture();
    await runCli(["status", "--json"], io.out, io.error);
    expect(io.json()).toMatchObject({
      database: { engine, ready: true },
      migrations: { pending: [] },
      links: 0,
      issues: 0,
      configErrors: [],
      projectErrors: [],
    });
  });

  it("status lists the sidebars whose secret is set", async () => {
    process.env.HELPSCOUT_SIDEBAR_SECRET = "helpscout-app-secret";
    process.env.INTERCOM_CLIENT_SECRET = "intercom-client-secret";
    try {
      const io = capture();
      await runCli(["status", "--json"], io.out, io.error);
      expect(io.json()).toMatchObject({ sidebars: ["intercom", "helpscout"] });
      const human = capture();
      await runCli(["status"], human.out, human.error);
      expect(human.lines).toContain("sidebars    intercom, helpscout");
    } finally {
      delete process.env.HELPSCOUT_SIDEBAR_SECRET;
      delete process.env.INTERCOM_CLIENT_SECRET;
    }
  });

  it("status lists a repository whose project field cannot be kept", async () => {
    await database.prisma.repository.create({
      data: { id: repository.id, installationId: 1n, owner: "Octo-Org", name: "App", fullName: "octo-org/app" },
    });
    const url = "https://github.com/orgs/octo-org/projects/3";
    const message = "organization octo-org's project 3 was not found or is not visible to closeloop";
    await recordProjectError(database.prisma, repository.id, {
      url,
      message,
      seenAt: new Date("2026-11-30T10:00:00Z"),
    });
    const io = capture();
    await runCli(["status", "--json"], io.out, io.error);
    expect(io.json()).toMatchObject({
      projectErrors: [{ repository: "Octo-Org/App", url, message, seenAt: "2026-11-30T10:00:00.000Z" }],
    });
    const human = capture();
    await runCli(["status"], human.out, human.error);
    expect(human.lines).toContain(
      `project     Octo-Org/App: cannot keep the project field: ${message} (seen 2026-11-30T10:00:00.000Z)`,
    );
  });
});

describe("closeloop CLI errors", () => {
  const saved = process.env.DATABASE_URL;
  afterEach(() => {
    process.env.DATABASE_URL = saved;
  });

  it.each([
    [
      "postgres://closeloop:pw@127.0.0.1:1/none",
      /^closeloop: .*cannot reach the database: .*(ECONNREFUSED|Can't reach database server at 127.0.0.1:1)/,
    ],
    ["sqlserver://db/x", /^closeloop: DATABASE_URL: unknown scheme "sqlserver:"/],
  ])("exits 1 with one line for DATABASE_URL=%s", async (url, message) => {
    process.env.DATABASE_URL = url;
    const io = capture();
    expect(await runCli(["links", "o/r#1"], io.out, io.error)).toBe(1);
    expect(io.errors).toHaveLength(1);
    expect(io.errors[0]).toMatch(message);
    expect(io.errors[0]).not.toContain("pw@");
  });

  it.each([
    [["links"], "closeloop: usage: closeloop links <owner>/<repo>#<number> | <issue URL> [--json]"],
    [
      ["links", "octo-org/app"],
      "closeloop: links: expected https://github.com/<owner>/<repo>/issues/<number> or <owner>/<repo>#<number>",
    ],
    [
      ["links", "octo-org/app#0"],
      "closeloop: links: expected https://github.com/<owner>/<repo>/issues/<number> or <owner>/<repo>#<number>",
    ],
    [["links", "https://github.com/octo-org/app/pull/1"], "closeloop: links: that is a pull request, not an issue"],
    [
      ["links", "https://gitlab.com/octo-org/app/issues/1"],
      "closeloop: links: that URL is on gitlab.com, not on closeloop's GitHub (github.com)",
    ],
  ])("links rejects %j with exit 2 and one line, before opening any database", async (argv, message) => {
    process.env.DATABASE_URL = "file:/nonexistent/closeloop.db";
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    expect(io.errors).toEqual([message]);
  });

  it("links takes issue URLs on the Enterprise host GHE_HOST names, and no longer github.com's", async () => {
    process.env.DATABASE_URL = await freshDatabaseUrl("sqlite");
    await (await openDatabase(process.env.DATABASE_URL, { migrate: true })).close();
    process.env.GHE_HOST = "github.acme.test";
    try {
      const io = capture();
      expect(
        await runCli(["links", "https://github.acme.test/octo-org/app/issues/7", "--json"], io.out, io.error),
      ).toBe(0);
      expect(io.json()).toEqual([]);
      const other = capture();
      expect(await runCli(["links", "https://github.com/octo-org/app/issues/7"], other.out, other.error)).toBe(2);
      expect(other.errors).toEqual([
        "closeloop: links: that URL is on github.com, not on closeloop's GitHub (github.acme.test)",
      ]);
    } finally {
      delete process.env.GHE_HOST;
    }
  });

  it("says how to fix an unmigrated database", async () => {
    process.env.DATABASE_URL = await freshDatabaseUrl("sqlite");
    // An empty file is an empty SQLite database: there, but never migrated.
    writeFileSync(process.env.DATABASE_URL.slice("file:".length), "");
    const io = capture();
    expect(await runCli(["links", "o/r#1"], io.out, io.error)).toBe(1);
    expect(io.errors).toEqual([
      expect.stringMatching(/database not migrated: run `closeloop migrate` or start the server$/),
    ]);
  });

  it("names an unknown command", async () => {
    const io = capture();
    expect(await runCli(["frobnicate"], io.out, io.error)).toBe(2);
    expect(io.errors[0]).toMatch(/^closeloop: unknown command "frobnicate"/);
  });
});
