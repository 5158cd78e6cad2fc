import type { Logger } from "probot";
import { githubMessage, githubRefused, githubStatus } from "./errors.js";
import type { DatabaseHandle } from "../store/database.js";
import { recordConfigError, clearConfigError } from "../store/config-errors.js";
import { InstallationPurged } from "../store/purged-installations.js";
import {
  CONFIG_FILE,
  CONFIG_PATH,
  DEFAULT_CONFIG,
  parseRepoConfig,
  RepoConfigError,
  type RepoConfig,
} from "../config/repo-config.js";
import type { RepositoryRef } from "../domain/refs.js";

/** What a handler needs to read a repository's `.github/closeloop.yml`: Probot's `context.config`, bound. */
export type ConfigReader = (fileName: string) => Promise<unknown>;

export type RepoKey = RepositoryRef;

interface Entry {
  config: RepoConfig;
  /** the last valid config, used while the file is invalid (README, Configuration) */
  lastValid?: RepoConfig;
  error?: string;
}

/**
 * Reads, validates and caches each repository's config. A push that touches the file (or the org's `.github`
 * repository, for `_extends`) drops the entry; the TTL bounds staleness for changes we were not told about.
 * An invalid file is logged, recorded for `closeloop status`, and replaced by the last valid config or defaults.
 */
export class RepoConfigCache {
  readonly #configs: KeptReads<Entry>;
  /** the owners' `.github` files (by owner and file name) that repositories without their own fall back to */
  readonly #ownerFiles: KeptReads<unknown>;
  /** the config push last seen recorded (pushedAt), as epoch milliseconds */
  #pushedAt: number | undefined;

  constructor(
    private readonly database: DatabaseHandle,
    private readonly log: Logger,
    ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.#configs = new KeptReads(ttlMs, now);
    this.#ownerFiles = new KeptReads(ttlMs, now);
  }

  /**
   * The repository's config. `fresh`: read from GitHub even when one is kept, and kept for the next callers; when
   * GitHub does not answer, its error is thrown rather than the last config used. For the decay sweep's stale issues:
   * a push of the file handled by another replica dropped only that replica's entry.
   */
  async get(key: RepoKey, read: ConfigReader, { fresh = false } = {}): Promise<RepoConfig> {
    const entry = await this.#configs.get(
      cacheKey(key.owner, key.name),
      (stale) => this.#read(key, read, stale, fresh),
      fresh,
    );
    return entry.config;
  }

  async #read(
    key: RepoKey,
    read: ConfigReader,
    cached: Entry | undefined,
    fresh: boolean,
  ): Promise<Entry | Unkept<Entry>> {
    try {
      const config = parseRepoConfig(await read(CONFIG_FILE));
      if (cached?.error !== undefined || cached === undefined) await clearConfigError(this.database.prisma, key.id);
      return { config, lastValid: config };
    } catch (error) {
      if (error instanceof InstallationPurged) throw error;
      const refusal = refusedRead(error);
      if (refusal === undefined && githubStatus(error) !== undefined) {
        if (fresh) throw error;
        // GitHub did not answer: not the file's fault. Use what we have and ask again next time.
        this.log.warn(
          { repository: `${key.owner}/${key.name}`, err: error },
          `${key.owner}/${key.name}: could not read ${CONFIG_PATH}; using the last config`,
        );
        return new Unkept(cached ?? { config: DEFAULT_CONFIG });
      }
      const message = refusal ?? describeConfigError(error);
      const fallback = cached?.lastValid ?? DEFAULT_CONFIG;
      if (cached?.error !== message) {
        this.log.error(
          { repository: `${key.owner}/${key.name}`, configError: message },
          `${key.owner}/${key.name}: ${message}; using the ${cached?.lastValid ? "last valid config" : "defaults"} for labels and reopen`,
        );
      }
      await recordConfigError(this.database, key, {
        path: CONFIG_PATH,
        message,
        commitSha: null,
        seenAt: new Date(this.now()),
      });
      return { config: fallback, lastValid: cached?.lastValid, error: message };
    }
  }

  /**
   * The owner's `.github/<fileName>` (its `.github` repository's, `_extends` followed) as `read` gives it, kept as
   * repositories' configs are (the TTL, a push to the owner's `.github` drops it): every repository of the owner
   * without a file of its own falls back to it, so a backfill of a thousand repositories reads it once, not a thousand
   * times. A read that failed is not kept.
   */
  async ownerFile(owner: string, fileName: string, read: () => Promise<unknown>): Promise<unknown> {
    return this.#ownerFiles.get(`${cacheKey(owner, ".github")}/${fileName}`, read);
  }

  /**
   * A config push was last recorded at `at`, by whichever replica handled it (the markings job's claim reads it): when
   * that is not the last this cache saw, every config kept is dropped. The push dropped only the cached config of the
   * replica that handled it; the others' would apply the config before it to the issues they label for up to the TTL,
   * and the sweep the push asked for may have applied the new one already. No clocks are compared: a push is noticed
   * once per replica, at the cost of reading again the configs it needs next.
   */
  pushedAt(at: Date | null): void {
    if (at === null || at.getTime() === this.#pushedAt) return;
    this.#pushedAt = at.getTime();
    this.#configs.dropWhere(() => true);
    this.#ownerFiles.dropWhere(() => true);
  }

  /** A push changed the file in `owner/repo`; `.github` repositories can be `_extends`-ed by all of the owner's. */
  invalidate(owner: string, repo: string): void {
    if (repo.toLowerCase() === ".github") {
      const prefix = `${owner.toLowerCase()}/`;
      this.#configs.dropWhere((id) => id.startsWith(prefix));
      this.#ownerFiles.dropWhere((id) => id.startsWith(prefix));
    } else {
      this.#configs.drop(cacheKey(owner, repo));
    }
  }
}

/**
 * The config error a read GitHub refused is recorded as, or undefined for any other failure. A 403 that is not a rate
 * limit (the app lost the contents permission) or a 451 (the repository blocked for legal reasons) answers the same
 * until someone acts: retried, a fresh read for the decay sweep would leave the repository's stale issues due at every
 * sweep for ever. It is treated as an invalid file is: shown in `closeloop status` and the operations page, the last
 * valid config (or the defaults) used, kept for the TTL, and read again after it. A rate limit, a 5xx or no answer is
 * passing, and asked again.
 */
function refusedRead(error: unknown): string | undefined {
  if (!githubRefused(error)) return undefined;
  return `${CONFIG_PATH}: GitHub refused to let closeloop read it (${githubStatus(error)}: ${githubMessage(error)})`;
}

/** A value a read returns for its caller but not to keep: the next caller reads again. */
class Unkept<T> {
  constructor(readonly value: T) {}
}

/**
 * Values by key, each kept for `ttlMs` after its read; callers asking for a key while it is being read share that
 * read. A read that throws, or returns Unkept, keeps nothing; one past its TTL is handed to the next read as `stale`.
 */
class KeptReads<T> {
  readonly #kept = new Map<string, { value: T; readAt: number }>();
  readonly #reading = new Map<string, Promise<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  /** `fresh`: neither a kept value nor a read already under way (begun before the caller asked) will do. */
  get(id: string, read: (stale: T | undefined) => Promise<T | Unkept<T>>, fresh = false): Promise<T> {
    const kept = this.#kept.get(id);
    if (!fresh && kept && this.now() - kept.readAt < this.ttlMs) return Promise.resolve(kept.value);
    const reading = this.#reading.get(id);
    if (!fresh && reading !== undefined) return reading;
    const begun = this.now();
    const readNow = read(kept?.value)
      .then((value) => {
        if (value instanceof Unkept) return value.value;
        // A read begun before the one kept (a fresh read passed it) does not replace it.
        const newest = this.#kept.get(id);
        if (newest === undefined || newest.readAt <= begun) this.#kept.set(id, { value, readAt: begun });
        return value;
      })
      .finally(() => {
        if (this.#reading.get(id) === readNow) this.#reading.delete(id);
      });
    this.#reading.set(id, readNow);
    return readNow;
  }

  drop(id: string): void {
    this.#kept.delete(id);
  }

  dropWhere(matches: (id: string) => boolean): void {
    for (const id of this.#kept.keys()) if (matches(id)) this.#kept.delete(id);
  }
}

function cacheKey(owner: string, repo: string): string {
  return `${owner}/${repo}`.toLowerCase();
}

export function describeConfigError(error: unknown): string {
  if (error instanceof RepoConfigError) return error.message;
  // js-yaml's errors (thrown by context.config) carry the line and column in their message.
  const message =
    error instanceof Error ? error.message.replace(/^\[@probot\/octokit-plugin-config\] /, "") : String(error);
  const cause =
    error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message.split("\n", 1)[0]}` : "";
  return `${CONFIG_PATH}: ${message.split("\n", 1)[0]}${cause}`;
}
