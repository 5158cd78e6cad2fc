import type { Logger } from "probot";
import { githubStatus } from "./errors.js";
import type { DatabaseHandle } from "../store/database.js";
import { recordConfigError, clearConfigError } from "../store/config-errors.js";
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
  fetchedAt: number;
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
  readonly #entries = new Map<string, Entry>();
  /** reads in flight: callers asking at once (markings jobs of one repository) share one read */
  readonly #reading = new Map<string, Promise<RepoConfig>>();
  /** the owners' `.github` files (by owner and file name) that repositories without their own fall back to */
  readonly #ownerFiles = new Map<string, { content: unknown; fetchedAt: number }>();
  readonly #readingOwnerFiles = new Map<string, Promise<unknown>>();

  constructor(
    private readonly database: DatabaseHandle,
    private readonly log: Logger,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: RepoKey, read: ConfigReader): Promise<RepoConfig> {
    const id = cacheKey(key.owner, key.name);
    const cached = this.#entries.get(id);
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return cached.config;
    const reading = this.#reading.get(id);
    if (reading !== undefined) return reading;
    const fresh = this.#read(id, key, read, cached).finally(() => this.#reading.delete(id));
    this.#reading.set(id, fresh);
    return fresh;
  }

  async #read(id: string, key: RepoKey, read: ConfigReader, cached: Entry | undefined): Promise<RepoConfig> {
    let entry: Entry;
    try {
      const config = parseRepoConfig(await read(CONFIG_FILE));
      entry = { config, fetchedAt: this.now(), lastValid: config };
      if (cached?.error !== undefined || cached === undefined) await clearConfigError(this.database.prisma, key.id);
    } catch (error) {
      if (githubStatus(error) !== undefined) {
        // GitHub did not answer: not the file's fault. Use what we have and ask again next time.
        this.log.warn(
          { repository: `${key.owner}/${key.name}`, err: error },
          `${key.owner}/${key.name}: could not read ${CONFIG_PATH}; using the last config`,
        );
        return cached?.config ?? DEFAULT_CONFIG;
      }
      const message = describeConfigError(error);
      const fallback = cached?.lastValid ?? DEFAULT_CONFIG;
      entry = { config: fallback, fetchedAt: this.now(), lastValid: cached?.lastValid, error: message };
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
    }
    this.#entries.set(id, entry);
    return entry.config;
  }

  /**
   * The owner's `.github/<fileName>` (its `.github` repository's, `_extends` followed) as `read` gives it, kept as
   * repositories' configs are (the TTL, a push to the owner's `.github` drops it): every repository of the owner
   * without a file of its own falls back to it, so a backfill of a thousand repositories reads it once, not a thousand
   * times. A read that failed is not kept.
   */
  async ownerFile(owner: string, fileName: string, read: () => Promise<unknown>): Promise<unknown> {
    const id = `${cacheKey(owner, ".github")}/${fileName}`;
    const cached = this.#ownerFiles.get(id);
    if (cached && this.now() - cached.fetchedAt < this.ttlMs) return cached.content;
    const reading = this.#readingOwnerFiles.get(id);
    if (reading !== undefined) return reading;
    const fresh = read()
      .then((content) => (this.#ownerFiles.set(id, { content, fetchedAt: this.now() }), content))
      .finally(() => this.#readingOwnerFiles.delete(id));
    this.#readingOwnerFiles.set(id, fresh);
    return fresh;
  }

  /** A push changed the file in `owner/repo`; `.github` repositories can be `_extends`-ed by all of the owner's. */
  invalidate(owner: string, repo: string): void {
    if (repo.toLowerCase() === ".github") {
      const prefix = `${owner.toLowerCase()}/`;
      for (const id of this.#entries.keys()) if (id.startsWith(prefix)) this.#entries.delete(id);
      for (const id of this.#ownerFiles.keys()) if (id.startsWith(prefix)) this.#ownerFiles.delete(id);
    } else {
      this.#entries.delete(cacheKey(owner, repo));
    }
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
