import type { RepositoryRef } from "../domain/refs.js";
import type { Prisma } from "./client.js";
import { Prisma as Sql } from "./generated/sqlite/client.js";
import { InstallationPurged, installationLock, purgeOf } from "./purged-installations.js";
import type { Engine } from "../config/database-url.js";

/**
 * The repository rows one database client saw committed, kept by the `Database` that `openDatabase` returns and
 * handed to every write that needs a repository's row (`DatabaseHandle`).
 *
 * Such a write creates or refreshes the row (renames, installation and visibility changes arrive with any event) in a
 * statement of its own, before the transaction that needs the row. Every delivery of a repository names the same row:
 * written inside each delivery's transaction, it would be locked until that transaction commits, and every other
 * delivery of the repository (in this process or another replica) would wait for it. A row that already holds these
 * values is only read, which takes no lock. Rows seen committed are remembered, so the common case costs no query;
 * they are remembered only once committed, so a concurrent delivery never inserts an issue against a repository row
 * that is not there yet. A purge forgets.
 */
export class RepositoryRows {
  readonly #prisma: Prisma;
  readonly #engine: Engine;
  /** GitHub id → the values its row was seen committed with */
  readonly #committed = new Map<bigint, string>();

  constructor(prisma: Prisma, engine: Engine) {
    this.#prisma = prisma;
    this.#engine = engine;
  }

  /**
   * Creates or refreshes `ref`'s row, committed when this returns; throws InstallationPurged, writing nothing, when its
   * installation was uninstalled and purged, or the repository removed from it and purged. A purge records the
   * installation (or the repository) and deletes the rows in one transaction (purgeRepositories), and every row a
   * delivery writes hangs off its repository's: once the purge has
   * committed, a delivery that needs the row finds it gone (here, or as its insert's foreign key) and comes here, where
   * the insert checks the record in the same statement (on PostgreSQL after the lock that makes it wait for a purge
   * under way: installationLock). So a delivery processed after the purge, or during it, re-creates nothing, without a
   * statement of its own to ask first.
   */
  async ensure(ref: RepositoryRef): Promise<void> {
    const fields = {
      installationId: ref.installationId,
      owner: ref.owner,
      name: ref.name,
      fullName: `${ref.owner}/${ref.name}`.toLowerCase(),
      ...(ref.private === undefined ? {} : { private: ref.private }),
    };
    const signature = `${fields.installationId}:${ref.owner}/${ref.name}:${ref.private ?? "?"}`;
    if (this.#committed.get(ref.id) === signature) return;
    const stored = await this.#prisma.repository.findUnique({
      where: { id: ref.id },
      select: { installationId: true, owner: true, name: true, fullName: true, private: true },
    });
    const current =
      stored !== null &&
      stored.installationId === fields.installationId &&
      stored.owner === fields.owner &&
      stored.name === fields.name &&
      stored.fullName === fields.fullName &&
      (fields.private === undefined || stored.private === fields.private);
    if (!current && (await this.#write(ref.id, fields)).length === 0) {
      const repository = { id: ref.id, fullName: `${ref.owner}/${ref.name}` };
      // Rare (a late delivery): which purge it was is read for the log. One lifted meanwhile still drops this one,
      // as it would have been a moment earlier.
      throw (
        (await purgeOf(this.#prisma, fields.installationId, repository)) ??
        new InstallationPurged(fields.installationId, repository)
      );
    }
    this.#committed.set(ref.id, signature);
  }

  /** The row written (`repositoryUpsert`); on PostgreSQL in a transaction that first waits for a purge under way. */
  async #write(id: bigint, fields: RepositoryFields): Promise<unknown[]> {
    const upsert = this.#prisma.$queryRaw<unknown[]>(repositoryUpsert(id, fields));
    if (this.#engine === "sqlite") return upsert;
    const [, written] = await this.#prisma.$transaction([
      installationLock(this.#prisma, fields.installationId, "shared"),
      upsert,
    ]);
    return written;
  }

  /**
   * After a purge here, or a write that found a repository row missing (another replica purged it), the remembered
   * rows are no longer known to exist.
   */
  forget(): void {
    this.#committed.clear();
    this.#issues.clear();
  }

  /**
   * The issues of these repositories whose rows this client saw stored (`repositoryId#number`), the latest last: a
   * change of one is not tried as one of an issue new to the store, which would cost a statement that writes nothing
   * (src/handlers/source-changes.ts). Only a hint: an issue deleted since is still right to take the transaction.
   */
  readonly #issues = new Map<string, true>();

  /** Whether `issue`'s row was seen stored. */
  hasIssue(issue: IssueKey): boolean {
    return this.#issues.has(`${issue.repository.id}#${issue.number}`);
  }

  /** `issue`'s row is stored; the oldest remembered is let go past ISSUES_KEPT. */
  addIssue(issue: IssueKey): void {
    const key = `${issue.repository.id}#${issue.number}`;
    if (this.#issues.has(key)) return;
    this.#issues.set(key, true);
    if (this.#issues.size > ISSUES_KEPT) this.#issues.delete(this.#issues.keys().next().value!);
  }
}

/** An issue as its repository's GitHub id and its number. */
type IssueKey = { repository: { id: bigint }; number: number };

/** Issues remembered per client: a few MB, the issues a busy installation's replicas see change in days. */
const ISSUES_KEPT = 50_000;

/** The values a repository's row is written with. */
interface RepositoryFields {
  installationId: bigint;
  owner: string;
  name: string;
  fullName: string;
  private?: boolean;
}

/**
 * The repository's row created or refreshed, unless its installation, or the repository from that installation, is
 * recorded as purged: then no row comes back.
 */
function repositoryUpsert(id: bigint, fields: RepositoryFields): Sql.Sql {
  // A payload that does not say whether the repository is private leaves the stored answer alone.
  const known = fields.private === undefined ? [] : [["private", fields.private] as const];
  const columns = [
    ["installationId", fields.installationId],
    ["owner", fields.owner],
    ["name", fields.name],
    ["fullName", fields.fullName],
    ...known,
  ] as const;
  const names = columns.map(([name]) => Sql.raw(`"${name}"`));
  return Sql.sql`
    INSERT INTO "Repository" ("id", ${Sql.join(names)})
    SELECT ${id}, ${Sql.join(columns.map(([, value]) => value))}
    WHERE NOT EXISTS (SELECT 1 FROM "PurgedInstallation" WHERE "id" = ${fields.installationId})
      AND NOT EXISTS (SELECT 1 FROM "PurgedRepository" WHERE "installationId" = ${fields.installationId}
        AND "repositoryId" = ${id})
    ON CONFLICT ("id") DO UPDATE SET ${Sql.join(
      columns.map(([name]) => Sql.raw(`"${name}" = excluded."${name}"`)),
      ", ",
    )}
    RETURNING "id"`;
}

/** The stored repository with GitHub id `id`, or null. */
export async function readRepository(prisma: Prisma, id: bigint): Promise<RepositoryRef | null> {
  return prisma.repository.findUnique({
    where: { id },
    select: { id: true, installationId: true, owner: true, name: true },
  });
}

/** The stored repository named `owner/name` (any case), or null when closeloop has no row for it. */
export async function findRepository(prisma: Prisma, fullName: string): Promise<RepositoryRef | null> {
  return prisma.repository.findFirst({
    where: { fullName: fullName.toLowerCase() },
    select: { id: true, installationId: true, owner: true, name: true },
  });
}
