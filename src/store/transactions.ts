import type { Prisma, Transaction } from "./database.js";
import { forgetRepositories } from "./repositories.js";

// P2002: a unique row created concurrently by another delivery or replica; P2034: write conflict or deadlock;
// P2003: a row this process remembered writing (a repository) was purged by another replica.
const RETRYABLE = new Set(["P2002", "P2034", "P2003"]);
const ATTEMPTS = 4;

/**
 * Runs `work` in one transaction and runs it again when a concurrent writer got there first: the second run sees
 * the other's rows and converges to the same state. `before` runs ahead of each attempt, outside the transaction:
 * the rows every delivery shares (a repository) are written there, committed at once, so no transaction holds their
 * lock while it does the rest of its round trips.
 */
export async function inTransaction<T>(
  prisma: Prisma,
  work: (tx: Transaction) => Promise<T>,
  options: { before?: (() => Promise<void>) | undefined } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      await options.before?.();
      return await prisma.$transaction(work, { maxWait: 10_000, timeout: 30_000 });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= ATTEMPTS || typeof code !== "string" || !RETRYABLE.has(code)) throw error;
      if (code === "P2003") forgetRepositories(prisma);
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
    }
  }
}
