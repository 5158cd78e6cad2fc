import { labelKey } from "../domain/team-labels.js";

/**
 * The labels known to exist in each repository: seen on an issue in a payload, or created by closeloop. Only a label
 * closeloop has not seen is created (with its colour) before it is added; GitHub would otherwise create it on the
 * add, grey. Nothing is listed from GitHub. Entries expire so a label a person deleted is created again, with its
 * colour, within the hour.
 */
export class RepositoryLabels {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly ttlMs = 60 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  learn(repositoryId: bigint, names: Iterable<string>): void {
    for (const name of names) this.#seen.set(`${repositoryId}:${labelKey(name)}`, this.now());
  }

  has(repositoryId: bigint, name: string): boolean {
    const seen = this.#seen.get(`${repositoryId}:${labelKey(name)}`);
    return seen !== undefined && this.now() - seen < this.ttlMs;
  }
}
