import { InstallationBudgets } from "./installation-budgets.js";
import type { ProjectIds } from "./projects.js";
import { RepositoryLabels } from "./repository-labels.js";

/**
 * What one app remembers of GitHub while it writes issues' labels and project fields: built once by the server (a
 * test builds its own) and passed to the webhook handlers, the markings job, the sweep and backfills, which must share
 * it. Nothing here is needed for correctness across restarts: it only saves calls and keeps one issue's writes apart.
 */
export class GithubMemory {
  /** labels known to exist in each repository, so only a label closeloop has not seen is created first */
  readonly labels = new RepositoryLabels();
  /**
   * each installation's project and field node ids by project URL and field name: a changed value is then one call.
   * Dropped when GitHub says the project is gone (NOT_FOUND), so a re-created project is found again.
   */
  readonly projectIds = new Map<string, ProjectIds>();
  /** what each installation's answers said is left of its hourly budget, so a backfill waits for the reset (#25) */
  readonly budgets = new InstallationBudgets();
  readonly #running = new Map<string, Promise<unknown>>();

  /** Runs `work` after any earlier work under the same key (one issue) in this app, so two deliveries do not both add a label. */
  async serialised<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#running.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.#running.set(key, next);
    try {
      return await next;
    } finally {
      if (this.#running.get(key) === next) this.#running.delete(key);
    }
  }
}
