import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, startApp, TEST_PRIVATE_KEY, type RunningApp } from "../support/process.js";
import { tempFolder } from "../support/temp-folders.js";

/**
 * The Dockerfile, read as `docker build` runs it (CI has no Docker daemon): what its COPY lines take from the build
 * context, and the run stage's files put together as its COPY lines say, with the build stage's node_modules pruned by
 * the Dockerfile's own `npm prune` line, started as its CMD.
 */

const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
const runStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
const buildStage = dockerfile.slice(0, dockerfile.lastIndexOf("\nFROM "));

/** `COPY [--from=…] src… dest` lines of a stage: the sources, and the stage they come from (undefined: the context). */
function copies(stage: string): { from: string | undefined; sources: string[] }[] {
  return [...stage.matchAll(/^COPY (?:--from=(\S+) )?(.+) \S+$/gm)].map((match) => ({
    from: match[1],
    sources: match[2]!.split(/\s+/),
  }));
}

/**
 * .dockerignore's patterns as docker matches them: relative to the context's root, `*` within one path segment, `**`
 * and a slash any number of folders.
 */
function ignoredByDocker(path: string): boolean {
  const patterns = readFileSync(join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  const segments = path.split("/");
  return patterns.some((pattern) => {
    const glob = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*\//g, "\0")
        .replace(/\*/g, "[^/]*")
        .replace(/\0/g, "(?:.*/)?")}$`,
    );
    // A pattern naming a folder leaves out everything under it.
    return segments.some((_, i) => glob.test(segments.slice(0, i + 1).join("/")));
  });
}

describe("Dockerfile", () => {
  let running: RunningApp | undefined;
  afterAll(async () => running?.stop());

  it("copies from the build context only files that exist and that .dockerignore sends", () => {
    const sources = copies(dockerfile)
      .filter((copy) => copy.from === undefined)
      .flatMap((copy) => copy.sources);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources)
      expect({ source, exists: existsSync(join(ROOT, source)), ignored: ignoredByDocker(source) }).toEqual({
        source,
        exists: true,
        ignored: false,
      });
  });

  it.each([
    "src/.env",
    "prisma/closeloop.env",
    "deploy/closeloop.private-key.pem",
    "prisma/sqlite/dev.db",
    "data/x.db",
  ])("leaves %s out of the build context: a secret or a database in any folder stays off the image", (path) => {
    expect(ignoredByDocker(path)).toBe(true);
  });

  it("checks /healthz, with a start period for the migrations the server applies before it listens", () => {
    const check = /^HEALTHCHECK (.*) CMD (.*)$/m.exec(runStage);
    expect(check?.[2]).toContain("/healthz");
    expect(check?.[1]).toMatch(/--start-period=\d+m\b/);
  });

  it("ships no package only the tests or the build use, and the run stage's files start and are ready", async () => {
    const image = tempFolder("closeloop-image-");
    // The build stage after `npm ci` and `npm run build`: this checkout's tree, node_modules linked rather than copied
    // (npm prune removes entries; it writes only the lockfiles, which are copied).
    for (const file of ["package.json", "package-lock.json"]) cpSync(join(ROOT, file), join(image, file));
    try {
      execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(image, "node_modules")]);
    } catch {
      // another filesystem than the checkout's: a copy
      cpSync(join(ROOT, "node_modules"), join(image, "node_modules"), { recursive: true, verbatimSymlinks: true });
    }
    rmSync(join(image, "node_modules/.package-lock.json"));
    cpSync(join(ROOT, "node_modules/.package-lock.json"), join(image, "node_modules/.package-lock.json"));
    const prune = /^RUN (npm prune .*)$/m.exec(buildStage)![1]!.split(" ");
    // Offline and without the update check: pruning needs nothing from the registry, and a CI machine may have no
    // network. Its output is kept for the error a failure throws.
    execFileSync(prune[0]!, prune.slice(1), {
      cwd: image,
      env: { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false" },
      stdio: "pipe",
    });
    rmSync(join(image, "package-lock.json"));

    // What only the tests and the build use: the lockfile's dev packages, and its devOptional ones (@prisma/client's
    // optional peers prisma and typescript, which the root lists as devDependencies, and theirs).
    const { packages } = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
    };
    const devOnly = Object.entries(packages).filter(([path, entry]) => path !== "" && (entry.dev || entry.devOptional));
    expect(devOnly.length).toBeGreaterThan(100);
    expect(devOnly.map(([path]) => path).filter((path) => existsSync(join(image, path)))).toEqual([]);

    // The run stage's other COPY lines: the build stage's compiled app and migrations, and the context's files.
    for (const copy of copies(runStage))
      for (const source of copy.sources) {
        const path = copy.from === "build" ? source.replace(/^\/app\//, "") : source;
        if (path !== "node_modules") cpSync(join(ROOT, path), join(image, path), { recursive: true });
      }
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(runStage)![1]!) as string[];
    expect(cmd[0]).toBe("node");
    const env = {
      APP_ID: "4242",
      PRIVATE_KEY: TEST_PRIVATE_KEY,
      WEBHOOK_SECRET: "image-webhook-secret",
      DATABASE_URL: `file:${join(image, "data/closeloop.db")}`,
    };
    running = await startApp(env, cmd.slice(1), { cwd: image });
    const ready = await fetch(`${running.baseUrl}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready" }]);
    // README: `docker exec closeloop node bin/closeloop.js status`, in the same folder and environment.
    // Its exit code also says whether the server was seen lately; the line read here is what needs the packages.
    const { stdout: status } = spawnSync(process.execPath, ["bin/closeloop.js", "status"], {
      cwd: image,
      env: { PATH: process.env.PATH ?? "", TMPDIR: tmpdir(), ...env },
      encoding: "utf8",
    });
    expect(status).toMatch(/^database +sqlite .*: ready$/m);
  });
});
