/**
 * A chore a worker may ask for on every round but that runs at most once an hour per process (a purge of what has
 * expired): the first ask runs it, and the asks within the hour after are answered at once. Every replica may run it;
 * the chore must be idempotent.
 */
export function hourly(chore: (now: Date) => Promise<void>, clock: () => number = Date.now): () => Promise<void> {
  let ranAt = -Infinity;
  return async () => {
    const now = clock();
    if (now - ranAt < HOUR_MS) return;
    ranAt = now;
    await chore(new Date(now));
  };
}

const HOUR_MS = 60 * 60_000;
