/** Polls `probe` until it returns a value (not undefined or false), or fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Polls `probe` until it reports `done`, failing only when its `progress` (a count that grows as work finishes: jobs
 * done, deliveries processed) has not moved for `stallMs`. A long run on a loaded machine (CI runs two test files
 * on two cores) is slow but moving, and passes; a stuck one fails `stallMs` after its last step, naming `what` and
 * how far it got. The test's own timeout must then leave room for the slowest moving run (`PROGRESSING_TIMEOUT_MS`).
 */
export async function waitForProgress(
  probe: () => Promise<{ done: boolean; progress: number }>,
  stallMs: number,
  what: string,
): Promise<void> {
  let best = -Infinity;
  let movedAt = Date.now();
  for (;;) {
    const { done, progress } = await probe();
    if (done) return;
    if (progress > best) [best, movedAt] = [progress, Date.now()];
    else if (Date.now() - movedAt > stallMs)
      throw new Error(`no progress for ${stallMs}ms waiting for ${what} (stuck at ${best})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The timeout of a test that waits with `waitForProgress`: a backstop far beyond any run that keeps moving. */
export const PROGRESSING_TIMEOUT_MS = 10 * 60_000;
