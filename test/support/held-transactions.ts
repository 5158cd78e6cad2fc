import type pg from "pg";
import type { Prisma, Transaction } from "../../src/store/database.js";
import { waitFor } from "./wait.js";

/**
 * A transaction that does `work` and is then held open, its row locks with it, until `release()`: what another
 * delivery does meanwhile (on PostgreSQL, where two deliveries of one issue can run at once). `held` resolves once the
 * work is done, `ended` once the transaction committed, or rolled back (`rollBack`).
 */
export function holdTransaction(
  prisma: Prisma,
  work: (tx: Transaction) => Promise<unknown>,
  { rollBack = false } = {},
): { held: Promise<void>; release: () => void; ended: Promise<void> } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let done!: () => void;
  let failed!: (error: unknown) => void;
  const held = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  const ROLLED_BACK = "rolled back as the test asked";
  const ended = prisma
    .$transaction(
      async (tx) => {
        await work(tx).catch((error: unknown) => {
          failed(error);
          throw error;
        });
        done();
        await gate;
        if (rollBack) throw new Error(ROLLED_BACK);
      },
      { timeout: 20_000 },
    )
    .then(
      () => undefined,
      (error: Error) => {
        if (!rollBack || error.message !== ROLLED_BACK) throw error;
      },
    );
  return { held, release, ended };
}

/** Waits until `count` sessions of the database `observer` is connected to wait for a lock. */
export async function waitForLockWaits(observer: pg.Client, what: string, count = 1): Promise<void> {
  await waitFor(
    async () =>
      (
        await observer.query<{ waiting: number }>(
          `SELECT count(*)::int AS "waiting" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        )
      ).rows[0]!.waiting === count,
    10_000,
    what,
  );
}
