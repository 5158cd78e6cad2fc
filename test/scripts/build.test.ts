import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { staleReason } from "../../scripts/build.mjs";
import { ROOT } from "../support/process.js";
import { tempFolder } from "../support/temp-folders.js";

/** A checkout's shape as the build sees it: sources, both generated clients, and a dist/server.js `age` ago. */
function checkout(options: { built: boolean }): string {
  const root = tempFolder("closeloop-build-");
  mkdirSync(join(root, "src/store/generated/sqlite"), { recursive: true });
  mkdirSync(join(root, "src/store/generated/postgresql"), { recursive: true });
  writeFileSync(join(root, "src/app.ts"), "export {};\n");
  writeFileSync(join(root, "src/store/generated/sqlite/client.ts"), "export {};\n");
  if (options.built) {
    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "dist/server.js"), "");
  }
  return root;
}

function age(path: string, seconds: number): void {
  const then = new Date(Date.now() - seconds * 1000);
  utimesSync(path, then, then);
}

/** `npm start` in `root` as two processes at once, each with a stand-in build that logs its start and end. */
function start(root: string): Promise<number> {
  const script = `
    import { appendFileSync, writeFileSync } from "node:fs";
    import { ensureBuilt } from ${JSON.stringify(pathToFileURL(join(ROOT, "scripts/build.mjs")).href)};
    const log = (line) => appendFileSync(${JSON.stringify(join(root, "builds.log"))}, line + "\\n");
    await ensureBuilt(${JSON.stringify(root)}, {
      build: async (root) => {
        log("start " + process.pid);
        await new Promise((resolve) => setTimeout(resolve, 500));
        writeFileSync(root + "/dist/server.js", "");
        log("end " + process.pid);
      },
    });`;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
    child.on("exit", (code) => resolve(code ?? -1));
  });
}

describe("npm start's build check (scripts/build.mjs)", () => {
  it.each([
    ["a built tree", (root: string) => age(join(root, "src/app.ts"), 60), null],
    ["a source edited after the build", () => {}, "src/app.ts changed since the last build"],
    [
      "the schema edited after the build",
      (root: string) => {
        age(join(root, "src/app.ts"), 60);
        mkdirSync(join(root, "prisma/sqlite"), { recursive: true });
        writeFileSync(join(root, "prisma/sqlite/schema.prisma"), "");
      },
      "prisma/sqlite/schema.prisma changed since the last build",
    ],
  ])("%s", (_, change, reason) => {
    const root = checkout({ built: true });
    age(join(root, "src/store/generated/sqlite/client.ts"), 60);
    age(join(root, "dist/server.js"), 30);
    change(root);
    expect(staleReason(root)).toBe(reason);
  });

  it("does not count the generated clients, which the build itself writes before dist/", () => {
    const root = checkout({ built: true });
    age(join(root, "src/app.ts"), 60);
    age(join(root, "dist/server.js"), 30);
    expect(staleReason(root)).toBeNull();
  });

  it("builds a tree never built, or one whose generated clients are gone", () => {
    expect(staleReason(checkout({ built: false }))).toBe("dist/server.js is missing");
    const root = checkout({ built: true });
    age(join(root, "src/app.ts"), 60);
    rmSync(join(root, "src/store/generated/postgresql"), { recursive: true });
    expect(staleReason(root)).toBe("src/store/generated/postgresql is missing");
  });

  it("starts a packaged app (dist/ without src/, as in the Docker image) without a check", () => {
    const root = tempFolder("closeloop-build-");
    expect(staleReason(root)).toBeNull();
  });

  it("two starts of a stale tree build once, one after the other, and both go on to start", async () => {
    const root = checkout({ built: true });
    age(join(root, "dist/server.js"), 60);
    const codes = await Promise.all([start(root), start(root)]);
    expect(codes).toEqual([0, 0]);
    const log = readFileSync(join(root, "builds.log"), "utf8").trim().split("\n");
    expect(log).toHaveLength(2);
    const [first, second] = log;
    expect(first).toMatch(/^start \d+$/);
    expect(second).toBe(first!.replace("start", "end"));
  });
});
