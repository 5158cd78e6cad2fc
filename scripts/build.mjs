#!/usr/bin/env node
// `npm run build` (and `npm install`'s postinstall): generates both Prisma clients and compiles src/ to dist/, one
// build at a time per checkout. `npm start` calls ensureBuilt, which builds only when a source is newer than the build.
//
// Why a lock: `prisma generate` deletes and rewrites src/store/generated, and tsc rewrites dist/; a second process
// building or starting in the same checkout meanwhile read half-written files and crashed with ENOENT (issue #22).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What the build reads: a change to any of them makes dist/ stale. */
const INPUT_FILES = ["prisma/sqlite/schema.prisma", "tsconfig.json", "tsconfig.build.json"];
const GENERATED = "src/store/generated";
/** The build's last output: tsc writes every file of dist/ on each build, and server.js is the one `npm start` runs. */
const OUTPUT = "dist/server.js";
const LOCK = "dist/.build-lock";
/** A lock whose holder left no pid after this long was left by a process killed between mkdir and the write. */
const ORPHAN_LOCK_MS = 10_000;

/** Why dist/ must be built again before it runs, or null when it is up to date (or there are no sources to build). */
export function staleReason(root = ROOT) {
  if (!existsSync(join(root, "src"))) return null;
  if (!existsSync(join(root, OUTPUT))) return `${OUTPUT} is missing`;
  for (const engine of ["sqlite", "postgresql"])
    if (!existsSync(join(root, GENERATED, engine))) return `${GENERATED}/${engine} is missing`;
  const built = statSync(join(root, OUTPUT)).mtimeMs;
  const newer = inputs(root).find((path) => statSync(path).mtimeMs > built);
  return newer === undefined ? null : `${newer.slice(root.length + 1)} changed since the last build`;
}

function inputs(root) {
  const sources = readdirSync(join(root, "src"), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((path) => !path.startsWith(join(root, GENERATED)));
  return [...INPUT_FILES.map((file) => join(root, file)).filter((path) => existsSync(path)), ...sources];
}

/** Runs `fn` while holding the checkout's build lock, waiting (polling) for another process's build to finish. */
export async function withBuildLock(root, fn) {
  const lock = join(root, LOCK);
  mkdirSync(dirname(lock), { recursive: true });
  let said = false;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
    }
    if (lockIsOrphaned(lock)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (!said) console.error("closeloop: another build is running in this folder; waiting for it");
    said = true;
    await new Promise((resolve) => globalThis.setTimeout(resolve, 200));
  }
  try {
    writeFileSync(join(lock, "pid"), String(process.pid));
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockIsOrphaned(lock) {
  let pid;
  try {
    pid = Number(readFileSync(join(lock, "pid"), "utf8"));
  } catch {
    try {
      return Date.now() - statSync(lock).mtimeMs > ORPHAN_LOCK_MS;
    } catch {
      return false; // released meanwhile: the next mkdir takes it
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === "ESRCH";
  }
}

export class BuildError extends Error {}

/** The build itself: both Prisma clients, then tsc (their output goes to this process's terminal). */
export function build(root = ROOT) {
  const tsc = join(root, "node_modules/.bin/tsc");
  if (!existsSync(tsc))
    throw new BuildError("typescript is not installed (npm install without --omit=dev), cannot build");
  for (const [command, args] of [
    [process.execPath, [join(root, "scripts/prisma-schemas.mjs"), "--generate"]],
    [tsc, ["-p", join(root, "tsconfig.build.json")]],
  ]) {
    const run = spawnSync(command, args, { cwd: root, stdio: "inherit" });
    if (run.status !== 0) throw new BuildError(`${args.join(" ")} failed (exit ${run.status ?? run.signal})`);
  }
}

/**
 * Builds when dist/ is stale, under the lock, and checks again once it holds it: of two starts that found the tree
 * stale, the second finds the first one's build and starts on it.
 */
export async function ensureBuilt(root = ROOT, options = { build }) {
  if (staleReason(root) === null) return false;
  return withBuildLock(root, async () => {
    const reason = staleReason(root);
    if (reason === null) return false;
    console.error(`closeloop: building first (${reason})`);
    await options.build(root);
    return true;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await withBuildLock(ROOT, () => build(ROOT));
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    console.error(`closeloop: ${error.message}`);
    process.exitCode = 1;
  }
}
