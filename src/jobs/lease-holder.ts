import type { Logger } from "probot";
import type { Engine } from "../config/database-url.js";
import type { Prisma, Transaction } from "../store/database.js";
import {
  claimLeases,
  deleteAllLeased,
  extended,
  releaseLeases,
  renewLeases,
  updateAllLeased,
  updateLeased,
  type Holder,
  type LeaseKey,
  type LeasedTable,
  type SqlFragment,
} from "../store/lease.js";

/**
 * What one worker holds of one leased table: the rows it claimed and has not settled, each with the time its lease is
 * known to last until. The worker's heartbeat renews them all (a row waiting for its turn in a queue keeps its lease);
 * settling a row drops it at once, so a renewal never mistakes a finished row for a lost one.
 *
 * `holds(key, marginMs)` is the fence a worker checks before an action it must not do twice (a helpdesk note): the
 * lease must outlast the action. A worker starved of CPU past its lease finds the row gone here, or its settle
 * refused by the database, and stops instead of finishing it a second time beside the worker that took it over.
 */
export class LeaseHolder<Key extends LeaseKey> {
  readonly #held = new Map<string, { key: Key; until: number }>();
  /** rows whose settling write is in flight (`writing`): not renewed meanwhile */
  readonly #writing = new Set<string>();

  constructor(
    private readonly prisma: Prisma,
    private readonly engine: Engine,
    readonly table: LeasedTable,
    private readonly holder: Holder,
    private readonly log: Logger,
    /** the time leases are measured from (a test's clock; the sweep's, which runs on its own) */
    private readonly now: () => Date = () => new Date(),
  ) {}

  get owner(): string {
    return this.holder.owner;
  }

  get size(): number {
    return this.#held.size;
  }

  /**
   * Claims up to `limit` rows (narrowed by `where`), with the `returning` columns. A row already held here (taken
   * back after a lost renewal: it is still running here) is left out.
   */
  async claim<Row extends { key: Key } = { key: Key }>(
    limit: number,
    query: { where?: SqlFragment; returning?: SqlFragment } = {},
  ): Promise<Row[]> {
    const from = this.now();
    const rows = await claimLeases<Row>(
      this.prisma,
      this.engine,
      this.table,
      { ...this.holder, limit, ...query },
      from,
    );
    const fresh = rows.filter((row) => !this.#held.has(String(row.key)));
    const until = from.getTime() + this.holder.leaseMs;
    for (const row of rows) this.#held.set(String(row.key), { key: row.key, until });
    return fresh;
  }

  /** The row is held, with at least `marginMs` of its lease left. */
  holds(key: Key, marginMs = 0): boolean {
    const held = this.#held.get(String(key));
    return held !== undefined && held.until - this.now().getTime() >= marginMs;
  }

  /** Renews every held row; a row found taken over is dropped and logged. */
  async renew(): Promise<void> {
    if (this.#held.size === 0) return;
    const from = this.now();
    const keys = [...this.#held.values()]
      .filter((held) => !this.#writing.has(String(held.key)))
      .map((held) => held.key);
    const missing = new Set((await renewLeases(this.prisma, this.table, this.holder, keys, from)).map(String));
    const lost: string[] = [];
    for (const key of keys) {
      const held = this.#held.get(String(key));
      // Settled while the renewal ran (or settling now): not lost, just done.
      if (held === undefined || this.#writing.has(String(key))) continue;
      if (!missing.has(String(key))) held.until = from.getTime() + this.holder.leaseMs;
      else {
        this.#held.delete(String(key));
        lost.push(String(key));
      }
    }
    if (lost.length > 0)
      this.log.warn(
        { keys: lost },
        `${this.table.kind}: ${lost.length} lease(s) ran out before renewal and were taken over; this worker leaves them to the new holder`,
      );
  }

  /**
   * Settles a held row: writes its outcome `set` (which gives the lease up) fenced by the holder, and lets it go.
   * False when the row was taken over: nothing was written, and the caller stops working on it.
   */
  async settle(key: Key, set: SqlFragment, db: Prisma | Transaction = this.prisma): Promise<boolean> {
    this.#held.delete(String(key));
    const written = await updateLeased(db, this.table, this.owner, key, set);
    if (!written) this.lost(key);
    return written;
  }

  /** Settles several held rows with one `set` in one statement; returns those taken over meanwhile (not written). */
  async settleAll(keys: readonly Key[], set: SqlFragment): Promise<Key[]> {
    for (const key of keys) this.#held.delete(String(key));
    const lost = await updateAllLeased(this.prisma, this.table, this.owner, keys, set);
    for (const key of lost) this.lost(key);
    return lost;
  }

  /** Records progress on a held row (`set`) and extends its lease. False when it was taken over. */
  async progress(key: Key, set: SqlFragment, db: Prisma | Transaction = this.prisma): Promise<boolean> {
    const until = this.now().getTime() + this.holder.leaseMs;
    const written = await updateLeased(db, this.table, this.owner, key, extended(new Date(until), set));
    const held = this.#held.get(String(key));
    if (!written) this.lost(key);
    else if (held !== undefined) held.until = until;
    return written;
  }

  /** Deletes held rows whose work is done, in one statement; returns those taken over meanwhile (not deleted). */
  async deleteAll(keys: readonly Key[]): Promise<Key[]> {
    for (const key of keys) this.#held.delete(String(key));
    const lost = (await deleteAllLeased(this.prisma, this.table, this.owner, keys)) as Key[];
    for (const key of lost) this.lost(key);
    return lost;
  }

  /** Hands rows claimed but never started back at once (stopping), so another worker need not wait for their leases. */
  async release(keys: readonly Key[]): Promise<void> {
    for (const key of keys) this.#held.delete(String(key));
    await releaseLeases(this.prisma, this.table, this.owner, keys);
  }

  /**
   * Runs a write that may settle the row outside this holder (a store function that settles with more than the lease,
   * in one transaction): renewals leave the row alone meanwhile, so one landing just after the commit cannot mistake
   * the settled row for one taken over. `settled` says from the write's result whether it let the row go.
   */
  async writing<T>(key: Key, write: () => Promise<T>, settled: (result: T) => boolean): Promise<T> {
    this.#writing.add(String(key));
    try {
      const result = await write();
      if (settled(result)) this.#held.delete(String(key));
      return result;
    } finally {
      this.#writing.delete(String(key));
    }
  }

  /** Stops tracking a row without writing (its settle failed: the lease expires and the row runs again). */
  drop(key: Key): void {
    this.#held.delete(String(key));
  }

  /** The row was found taken over: stop tracking it, and say so. */
  lost(key: Key): void {
    this.#held.delete(String(key));
    this.log.warn(
      { key: String(key) },
      `${this.table.kind}: lost the lease on ${String(key)} (it ran out and another worker took it over); leaving it to that worker`,
    );
  }
}
