import { githubStatus } from "../github/errors.js";
import { listTokenRepositoryIds } from "../github/user-token.js";
import { tokenHash } from "./session-keys.js";

/** The repositories a person can read, as GitHub listed them for their user token: by id, with their names. */
export interface ReadableRepositories {
  ids: ReadonlySet<bigint>;
}

/** GitHub refused the person's token (revoked, expired): they must sign in again. */
export class TokenRefused extends Error {
  override name = "TokenRefused";
}

/**
 * Which repositories a signed-in person may see: the ones GitHub lists for their user token under this app's
 * installations (`GET /user/installations`, then `GET /user/installations/{id}/repositories` for each), cached for
 * `ttlMs` per token. The cache is keyed by the token's hash, so no token sits in it as a key or reaches a log. A 401
 * is TokenRefused; any other failure is thrown as it came, so the page says GitHub did not answer rather than showing
 * nothing as if the person could read nothing.
 */
export class RepositoryAccess {
  readonly #entries = new Map<string, { repositories: ReadableRepositories; at: number }>();

  constructor(
    private readonly apiUrl: string,
    private readonly ttlMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
    /** entries kept at most; the oldest goes first */
    private readonly capacity = 10_000,
  ) {}

  async readable(token: string): Promise<ReadableRepositories> {
    const key = tokenHash(token);
    const cached = this.#entries.get(key);
    if (cached && this.now() - cached.at < this.ttlMs) return cached.repositories;
    const repositories = await this.#list(token);
    this.#entries.delete(key);
    this.#entries.set(key, { repositories, at: this.now() });
    if (this.#entries.size > this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    return repositories;
  }

  /** Forgets a token (sign-out), so a later sign-in asks GitHub again. */
  forget(token: string): void {
    this.#entries.delete(tokenHash(token));
  }

  async #list(token: string): Promise<ReadableRepositories> {
    try {
      return { ids: await listTokenRepositoryIds(this.apiUrl, token) };
    } catch (error) {
      if (githubStatus(error) === 401) throw new TokenRefused("GitHub refused the sign-in token");
      throw error;
    }
  }
}
