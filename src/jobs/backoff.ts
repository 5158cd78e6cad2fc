/**
 * Exponential backoff with full jitter: attempt 1 waits up to `baseMs`, each further attempt up to twice as long,
 * capped at `maxMs`. Jitter spreads replicas and retries so they do not hit a recovering service together.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
