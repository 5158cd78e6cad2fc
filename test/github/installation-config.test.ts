import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, describe, expect, it } from "vitest";
import { installationConfigReader } from "../../src/github/installation-config.js";

/**
 * installationConfigReader with the owner's files kept (backfills) reads a repository's own file itself, and falls
 * back to Probot's reader for anything unusual. Both must give the same config, or the same failure, for any file:
 * each case serves one set of files and reads them both ways.
 */
const probot = new Probot({
  appId: 1,
  githubToken: "test-token",
  log: pino({ level: "silent" }),
  Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
});
const OWN = "/repos/octo-org/app/contents/.github%2Fcloseloop.yml";
const OWNERS = "/repos/octo-org/.github/contents/.github%2Fcloseloop.yml";
const OTHER = "/repos/octo-org/shared/contents/.github%2Fcloseloop.yml";
type Served = { status: number; body: string | object; json?: boolean };
const file = (body: string): Served => ({ status: 200, body });
const missing: Served = { status: 404, body: { message: "Not Found" } };

function serve(files: Record<string, Served>) {
  const scope = nock("https://api.github.com").persist();
  for (const [path, served] of Object.entries(files))
    scope.get(path).reply(served.status, served.body, {
      "content-type": served.json ? "application/json; charset=utf-8" : "application/vnd.github.raw; charset=utf-8",
    });
}

async function outcome(read: () => Promise<unknown>): Promise<{ config: unknown } | { error: string }> {
  try {
    return { config: await read() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

afterEach(() => {
  nock.cleanAll();
});

describe("a repository's config read for a backfill", () => {
  it.each<[string, boolean, Record<string, Served>]>([
    ["a map", true, { [OWN]: file("labels:\n  daily: 3\nreopen:\n  enabled: false\n") }],
    ["an empty file", true, { [OWN]: file("") }],
    ["a file of comments only", true, { [OWN]: file("# nothing yet\n") }],
    ["YAML null", true, { [OWN]: file("~\n") }],
    ["a number", true, { [OWN]: file("0\n") }],
    ["a list", true, { [OWN]: file("- a\n- b\n") }],
    ["a string", false, { [OWN]: file("just words\n") }],
    ["invalid YAML", false, { [OWN]: file("labels: [unclosed\n") }],
    [
      "a file that extends another repository's",
      true,
      { [OWN]: file("_extends: shared\nreopen:\n  enabled: false\n"), [OTHER]: file("labels:\n  daily: 5\n") },
    ],
    ["a directory at the path", false, { [OWN]: { status: 200, body: [{ name: "x.yml" }], json: true } }],
    ["no file: the owner's", true, { [OWN]: missing, [OWNERS]: file("labels:\n  weekly: 2\n") }],
    ["no file anywhere", true, { [OWN]: missing, [OWNERS]: missing }],
    ["GitHub failing", false, { [OWN]: { status: 502, body: { message: "Bad Gateway" } } }],
  ])("%s: the same as Probot's reader", async (_, read, files) => {
    serve(files);
    const octokit = await probot.auth();
    const asProbot = await outcome(() => installationConfigReader(octokit, "octo-org", "app")("closeloop.yml"));
    const ownerReads: string[] = [];
    const kept = await outcome(() =>
      installationConfigReader(octokit, "octo-org", "app", (fileName, read) => {
        ownerReads.push(fileName);
        return read();
      })("closeloop.yml"),
    );
    expect(kept).toEqual(asProbot);
    expect("config" in asProbot).toBe(read);
    // The owner's file is asked for through the kept files exactly when the repository has none.
    expect(ownerReads).toEqual(files[OWN] === missing ? ["closeloop.yml"] : []);
  });
});
