import type { ProviderId, UrlMatcher } from "../domain/link.js";
import type { GithubMemory } from "../github/memory.js";
import type { RepoConfigCache } from "../github/repo-config-cache.js";
import type { Prisma } from "../store/database.js";
import type { RepositoryRows } from "../store/repositories.js";
import type { RepositoryPermissions } from "../github/permissions.js";
import type { GithubApp } from "../github/installations.js";

/** What the webhook handlers share; built once by the server (or a test). */
export interface HandlerDeps {
  prisma: Prisma;
  /** the database's repository rows known committed (`Database.repositoryRows`) */
  repositoryRows: RepositoryRows;
  configs: RepoConfigCache;
  /** the app's memory of GitHub: labels seen in payloads are learnt into it, for the label writers */
  memory: GithubMemory;
  matchers: readonly UrlMatcher[];
  /** this app's id: comments it wrote itself are not read for links */
  appId: number;
  /** closers' roles on repositories, cached briefly: a close reopens only when its closer has `reopen.by` */
  permissions: RepositoryPermissions;
  /** GitHub as the app itself (its JWT): which installation includes a repository an issue was transferred to */
  githubApp: GithubApp["app"];
  /** an issue's labels were marked wanted: the server wakes its markings worker (tests apply them at once) */
  labelsWanted?: () => void | Promise<void>;
  /** a close (or a link processed after it) enqueued reopen jobs: the server wakes its helpdesk worker's reopen jobs */
  reopenQueued?: () => void;
  /** new links queued their notes, for these helpdesks: the server wakes its link notes, where a lane can send them */
  linkNotesQueued?: (helpdesks: readonly ProviderId[]) => void;
  /** repositories were added to an installation: the server wakes its backfill worker */
  backfillRequested?: () => void;
  /** the config changed and issues were marked for their labels: the server brings the next sweep forward */
  sweepRequested?: () => Promise<void>;
  /** CLOSELOOP_DRY_RUN: log each label and check-run write instead of making it */
  dryRun?: boolean;
  /** the clock labels are evaluated against (report windows); tests fix it */
  now?: () => Date;
}
