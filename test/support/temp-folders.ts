import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished, TestRunner } from "vitest";

const afterTheFile: (() => unknown)[] = [];

/**
 * A new folder in the temp folder for a test. Made in a test or its `beforeEach`, it is removed when the test has
 * finished, after the `afterEach` hooks that close what was opened in it; made in a `beforeAll`, once the file's tests
 * are done.
 */
export function tempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  if (TestRunner.getCurrentTest() === undefined) atFileEnd(remove);
  else onTestFinished(remove);
  return folder;
}

/** Runs `cleanup` once the file's tests are done, after the file's own `afterAll` hooks (test/setup.ts). */
export function atFileEnd(cleanup: () => unknown): void {
  afterTheFile.push(cleanup);
}

/** Runs what `atFileEnd` was given, last first, every one even when one fails; test/setup.ts calls it. */
export async function runFileEndCleanups(): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of afterTheFile.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, "cleaning up after the file's tests");
}
