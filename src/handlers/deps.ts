import type { UrlMatcher } from "../domain/link.js";
import type { RepoConfigCache } from "../config/repo-config-cache.js";
import type { Prisma } from "../store/database.js";

/** What the webhook handlers share; built once by the server (or a test). */
export interface HandlerDeps {
  prisma: Prisma;
  configs: RepoConfigCache;
  matchers: readonly UrlMatcher[];
  /** this app's id: comments it wrote itself are not read for links */
  appId: number;
  /** a close enqueued reopen jobs: the server wakes its reopen worker */
  reopenQueued?: () => void;
}
