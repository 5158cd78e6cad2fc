/**
 * One line for a log or a stored error: the last non-empty line of the message (Prisma and Octokit put the useful part
 * last), of the first inner error when it is an AggregateError (as @octokit/webhooks throws).
 */
export function errorSummary(error: unknown): string {
  const inner = (error as { errors?: unknown[] }).errors?.[0] ?? error;
  return (inner instanceof Error ? inner.message : String(inner)).split("\n").filter(Boolean).at(-1) ?? "unknown error";
}
