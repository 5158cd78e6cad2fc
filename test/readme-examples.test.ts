import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getPrivateKey } from "@probot/get-private-key";
import { describe, expect, it } from "vitest";
import { runCli } from "../src/cli/main.js";
import { consoleOutput } from "../src/cli/output.js";
import { envSchema, parseEnv } from "../src/config/env.js";
import { recogniseLinks } from "../src/domain/recognise-links.js";
import { applySourceChange } from "../src/handlers/source-changes.js";
import { urlMatchers } from "../src/providers/url-matchers.js";
import { openDatabase } from "../src/store/database.js";
import { ENGINES, freshDatabaseUrl } from "./support/databases.js";
import { ROOT, startApp, TEST_PRIVATE_KEY } from "./support/process.js";
import { readmeCommands } from "./support/readme-commands.js";
import { tempFolder } from "./support/temp-folders.js";

/**
 * The README's examples that no feature's own test runs as written (test/readme-commands.test.ts lists where every
 * command is run): the opening example, the environment settings it shows, and its Docker env file.
 */

const README = readFileSync(join(ROOT, "README.md"), "utf8");

describe.each(ENGINES)("the README's opening example on %s", (engine) => {
  it("stores the comment's two conversations, and `closeloop links` prints what the README shows", async () => {
    const comment = /A comment on `octo-org\/app#42`:\n\n((?:> .*\n)+)/.exec(README)![1]!.replace(/^> /gm, "");
    const block = /```console\n\$ closeloop links octo-org\/app#42\n([\s\S]*?)```/.exec(README)![1]!;
    const at = new Date("2026-11-23T09:14:02Z");
    const url = await freshDatabaseUrl(engine);
    const database = await openDatabase(url, { migrate: true });
    const saved = process.env.DATABASE_URL;
    try {
      await applySourceChange(database, {
        issue: {
          repository: { id: 1n, installationId: 1n, owner: "octo-org", name: "app" },
          number: 42,
          githubId: 42n,
          state: "open",
        },
        source: { kind: "comment", key: "1" },
        event: { action: "created", version: at },
        createdAt: at,
        links: recogniseLinks(comment, urlMatchers).links,
      });
      process.env.DATABASE_URL = url;
      let printed = "";
      const errors: string[] = [];
      const code = await runCli(
        ["links", "octo-org/app#42"],
        consoleOutput((text) => (printed += text)),
        (line) => errors.push(line),
      );
      expect({ code, errors, printed }).toEqual({ code: 0, errors: [], printed: block });
    } finally {
      process.env.DATABASE_URL = saved;
      await database.close();
    }
  });
});

describe("the README's environment settings", () => {
  /**
   * closeloop's own variables set as `NAME=value` in the README's prose and shell lines (placeholders `…` and command
   * substitutions left out; the Docker env file is read whole below).
   */
  const known = new Set(Object.keys(envSchema.shape));
  const settings = readmeCommands(README)
    .filter((command) => !command.includes("\n"))
    .flatMap((command) => command.replace(/^export /, "").split(/\s+(?=[A-Z][A-Z0-9_]*=)/))
    .filter((part) => /^[A-Z][A-Z0-9_]*=\S+$/.test(part) && !part.includes("…") && !part.includes("$("))
    .filter((part) => known.has(part.slice(0, part.indexOf("="))));

  it.each(settings)("%s is read by closeloop", (setting) => {
    const [name, value] = [setting.slice(0, setting.indexOf("=")), setting.slice(setting.indexOf("=") + 1)];
    expect(() => parseEnv({ [name]: value })).not.toThrow();
  });

  it("reads the values the README gives as what they say", () => {
    expect(settings).toEqual(
      expect.arrayContaining([
        "CLOSELOOP_DRY_RUN=true",
        "CLOSELOOP_DRY_RUN=false",
        "DATABASE_URL=file:/data/closeloop.db",
      ]),
    );
    expect(parseEnv({ CLOSELOOP_DRY_RUN: "false" }).CLOSELOOP_DRY_RUN).toBe(false);
    expect(parseEnv({ CLOSELOOP_DRY_RUN: "true" }).CLOSELOOP_DRY_RUN).toBe(true);
    expect(parseEnv({ DATABASE_URL: "postgres://user:password@host:5432/closeloop" }).DATABASE_URL.engine).toBe(
      "postgresql",
    );
  });

  it("takes `openssl rand -base64 32` as CLOSELOOP_SECRET_KEY and `openssl rand -hex 24` in a PostgreSQL URL", () => {
    expect(README).toContain("`CLOSELOOP_SECRET_KEY`: at least 32 random bytes (`openssl rand -base64 32`)");
    const key = execFileSync("openssl", ["rand", "-base64", "32"], { encoding: "utf8" }).trim();
    expect(parseEnv({ CLOSELOOP_SECRET_KEY: key }).CLOSELOOP_SECRET_KEY).toHaveLength(32);
    expect(README).toContain("POSTGRES_PASSWORD=$(openssl rand -hex 24)");
    const password = execFileSync("openssl", ["rand", "-hex", "24"], { encoding: "utf8" }).trim();
    // compose.yaml puts it in DATABASE_URL unescaped: hex needs no escaping in a URL.
    const url = new URL(`postgres://closeloop:${password}@postgres:5432/closeloop`);
    expect(url.password).toBe(password);
  });

  it("writes the Docker env file the README's heredoc makes, with a key Probot reads back", () => {
    const heredoc = readmeCommands(README).find((command) => command.startsWith("cat > closeloop.env <<ENV"))!;
    const folder = tempFolder("closeloop-docker-env-");
    writeFileSync(join(folder, "closeloop.private-key.pem"), TEST_PRIVATE_KEY);
    execFileSync("bash", ["-c", heredoc], { cwd: folder });
    // `docker run --env-file` takes each line's value as written, up to the line's end.
    const lines = readFileSync(join(folder, "closeloop.env"), "utf8").trimEnd().split("\n");
    const env = Object.fromEntries(
      lines.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(Object.keys(env)).toEqual([
      "APP_ID",
      "WEBHOOK_SECRET",
      "PRIVATE_KEY",
      "ZENDESK_SUBDOMAIN",
      "ZENDESK_EMAIL",
      "ZENDESK_API_TOKEN",
    ]);
    expect(() => parseEnv(env)).not.toThrow();
    expect(env.PRIVATE_KEY).not.toContain("\n");
    expect(getPrivateKey({ env: { PRIVATE_KEY: env.PRIVATE_KEY } })).toBe(TEST_PRIVATE_KEY);
  });

  it("with NODE_ENV=production and no credentials, `npm start`'s server stops with a line saying so", async () => {
    expect(README).toContain("`npm start` with `NODE_ENV=production`\nand no credentials stops with a line saying so");
    await expect(startApp({ NODE_ENV: "production" })).rejects.toThrow(
      "the setup flow that registers the app does not run when NODE_ENV=production",
    );
  });
});
