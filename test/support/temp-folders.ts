import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { getCurrentTest } from "vitest/suite";

const leftForTheFile: string[] = [];

/**
 * A new folder in the temp folder for a test. Made in a test or its `beforeEach`, it is removed when the test has
 * finished, after the `afterEach` hooks that close what was opened in it; made in a `beforeAll`, once the file's tests
 * are done (test/setup.ts), after its `afterAll` hooks.
 */
export function tempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  if (getCurrentTest() === undefined) leftForTheFile.push(folder);
  else onTestFinished(() => removeFolder(folder));
  return folder;
}

/** Removes the folders made outside a test; test/setup.ts calls it when a file's tests are done. */
export function removeFileTempFolders(): void {
  for (const folder of leftForTheFile.splice(0)) removeFolder(folder);
}

function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}
