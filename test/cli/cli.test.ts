import { writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import type { Output } from "../../src/cli/output.js";
import { applySourceChange } from "../../src/store/links.js";
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
  };
  return { out, error: (line: string) => errors.push(line), lines, errors, json: () => json };
}

const repository = { id: 10n, installationId: 1n, owner: "Octo-Org", name: "App" };
const issue = { repository, number: 42, githubId: 900n, state: "open" as const };

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
    await applySourceChange(database.prisma, {
      issue,
      source: { kind: "body", key: "" },
      event: { action: "created", version: new Date("2026-11-01T09:00:00Z") },
      createdAt: new Date("2026-11-01T09:00:00Z"),
      links: [
        {
          provider: "helpscout",
          account: "",
          conversationId: "123456789",
          url: "https://secure.helpscout.net/conversation/123456789/42/",
        },
      ],
    });
    await applySourceChange(database.prisma, {
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
      },
      {
        provider: "freshdesk",
        conversationId: "77",
        url: "https://acme.freshdesk.com/a/tickets/77",
        source: "comment",
        linkedAt: "2026-11-02T09:00:00.000Z",
      },
    ]);
    expect(Object.keys((io.json() as object[])[0]!)).toEqual([
      "provider",
      "conversationId",
      "url",
      "source",
      "linkedAt",
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

  it.each([
    [["links"], "closeloop: usage: closeloop links <owner>/<repo>#<number> [--json]"],
    [["links", "octo-org/app"], "closeloop: links: expected <owner>/<repo>#<number>, e.g. octo-org/app#42"],
    [["links", "octo-org/app#0"], "closeloop: links: expected <owner>/<repo>#<number>, e.g. octo-org/app#42"],
    [
      ["links", "https://github.com/octo-org/app/issues/1"],
      "closeloop: links: expected <owner>/<repo>#<number>, e.g. octo-org/app#42",
    ],
  ])("rejects %j with exit 2 and one line", async (argv, message) => {
    const io = capture();
    expect(await runCli(argv, io.out, io.error)).toBe(2);
    expect(io.errors).toEqual([message]);
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
