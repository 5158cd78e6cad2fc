import type { Logger, ProbotOctokit } from "probot";
import type { InstallationLabelDeps } from "../labels/installation-labels.js";
import type { ProviderId, UrlMatcher } from "../domain/link.js";
import type { DatabaseTarget, Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import type { StoredDelivery } from "../store/deliveries.js";
import type { RepositoryRows } from "../store/repositories.js";
import type { Enrichment } from "./enrichment-job.js";
import type { IngestActive } from "./ingest-hold-back.js";
import { HelpdeskJobs, type HelpdeskJob, type HelpdeskJobKind } from "./helpdesk-jobs.js";
import type { HelpdeskLanes } from "./helpdesk-lanes.js";

/** An installation's Octokit, for the summary comment (the server passes Probot's `app.auth`). */
export type InstallationOctokit = (installationId: number) => Promise<ProbotOctokit>;

/** What the server does with a worker: start it, wake it when work arrives, stop it. */
export interface BackgroundWorker {
  start(): void;
  wake(): void;
  stop(): Promise<void>;
}

/** What the server gives every worker it builds from the registry. */
export interface WorkerDeps extends InstallationLabelDeps {
  /** the database's repository rows known committed (`Database.repositoryRows`) */
  repositoryRows: RepositoryRows;
  engine: Engine;
  target: DatabaseTarget;
  matchers: readonly UrlMatcher[];
  /** the GitHub App's id (APP_ID): its own comments are not read */
  appId: number;
  /** CLOSELOOP_SWEEP_INTERVAL_MINUTES, in milliseconds */
  sweepIntervalMs: number;
  /** runs a stored delivery's handlers (Probot's, or a helpdesk event's) */
  dispatch: (delivery: StoredDelivery) => Promise<void>;
  /** true while a burst of webhooks is arriving (the inbox's), so the workers wait it out */
  ingestActive: IngestActive;
}

/** The helpdesk worker's options that the kinds it runs read. */
export interface HelpdeskKindOptions {
  /** how long a claimed job is held before another worker may take it over; renewed while held */
  leaseMs?: number;
  /** claims of a job before a retryable failure dead-letters it */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** attempts at writing a summary comment before giving up on it */
  maxSummaryAttempts?: number;
  /**
   * the GitHub App's id (APP_ID): a summary comment a crashed attempt posted is recognised as this app's by it.
   * Without it none is, and such a summary is posted again rather than a comment of someone else's edited.
   */
  appId?: number;
  /** reads linked conversations' details for the labels (enrichment jobs); without it those jobs wait */
  enrichment?: Enrichment;
  /**
   * helpdesks whose webhooks closeloop receives (their secret is set): their answers after a reopen come by webhook;
   * the others are read (docs/answers.md)
   */
  webhooks?: ReadonlySet<ProviderId>;
  /** an issue's address on GitHub (GHE_HOST's, or github.com), for reminder notes */
  issueUrl?: (owner: string, repo: string, number: number) => string;
}

/** What the helpdesk worker gives each kind it runs. */
export interface HelpdeskPartDeps {
  prisma: Prisma;
  engine: Engine;
  log: Logger;
  /** the helpdesk worker's name in the lease columns */
  owner: string;
  lanes: HelpdeskLanes;
  github: InstallationOctokit;
  options: HelpdeskKindOptions;
  /** jobs claimed ahead per lane, in seconds of its budget */
  lookaheadSeconds: number;
  dryRun: boolean;
  /** a reopen job of this close settled: its summary comment may be due */
  settled: (closeId: number) => Promise<void>;
  /** look again now */
  wake: () => void;
}

/**
 * One kind's share of the helpdesk worker: it claims in `fill`, renews what it holds, is waited for on stop, and hands
 * back what it had not started.
 */
export interface HelpdeskPart {
  /** its lease: the worker's heartbeat renews every third of the shortest */
  readonly leaseMs: number;
  /** claims and starts what fits; true when more may be waiting now */
  fill(running: () => boolean): Promise<boolean | void>;
  renew(): Promise<void>;
  inFlight(): Promise<void>;
  release(): Promise<void>;
}

/**
 * How a kind's rows are worked: by a worker of its own (`worker`: its class, for docs/jobs.md, and how the server
 * builds it), or as a part of the helpdesk worker (`helpdesk`: how that worker builds the part; null when the part is
 * off here, as enrichment without its key).
 */
export type JobRunner =
  | { worker: { name: string }; build(deps: WorkerDeps): BackgroundWorker }
  | { helpdesk(deps: HelpdeskPartDeps): HelpdeskPart | null };

/** A kind with a worker of its own. */
export function ownWorker<W extends BackgroundWorker>(
  worker: abstract new (...args: never[]) => W,
  build: (deps: WorkerDeps) => W,
): JobRunner {
  return { worker, build };
}

/** A kind of helpdesk job (`HelpdeskJobKind`), run in the helpdesk lanes by the helpdesk worker. */
export function inHelpdeskLanes<Job extends HelpdeskJob>(
  kind: (deps: HelpdeskPartDeps) => HelpdeskJobKind<Job> | null,
): JobRunner {
  return {
    helpdesk(deps) {
      const defined = kind(deps);
      if (defined === null) return null;
      const jobs = new HelpdeskJobs(defined, deps.lanes, deps.prisma, deps.engine, deps.owner, deps.log, deps.wake);
      return {
        leaseMs: defined.settings.leaseMs,
        fill: (running) => jobs.fill(running),
        renew: () => jobs.renew(),
        inFlight: () => jobs.inFlight(),
        release: () => jobs.release(),
      };
    },
  };
}

/** A kind run by the helpdesk worker beside its lanes (the summary comments: GitHub calls, not helpdesk ones). */
export function besideHelpdeskLanes(part: (deps: HelpdeskPartDeps) => HelpdeskPart): JobRunner {
  return { helpdesk: part };
}
