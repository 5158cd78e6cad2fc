import PQueue from "p-queue";
import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import { writeSummaryComment } from "../github/summary-comment.js";
import { renderReopenSummary, showsDetails, summaryMarker } from "../domain/reopen-summary.js";
import { providers } from "../providers/registry.js";
import type { Engine } from "../config/database-url.js";
import type { Prisma } from "../store/database.js";
import {
  readDueSummaries,
  summaryDue,
  summaryFailed,
  summaryWritten,
  SUMMARIES,
  type DueSummary,
} from "../store/reopen-jobs.js";
import { errorSummary } from "./error-summary.js";
import type { HelpdeskPart, InstallationOctokit } from "./job-runner.js";
import { LeaseHolder } from "./lease-holder.js";
import { decideRetry } from "./retry-policy.js";

const BATCH = 10;

/**
 * The summary comment on a closed issue (docs/reopen.md, Summary comment): once every reopen job of a close has settled, one comment says what
 * was reopened and what failed; a job settling later edits it in place. Claimed under the one lease per close, written
 * two at a time (GitHub paces writes), and retried by the one retry policy until it gives up, keeping the error.
 */
export class SummaryComments implements HelpdeskPart {
  readonly #leases: LeaseHolder<number>;
  readonly #queue = new PQueue({ concurrency: 2 });

  constructor(
    private readonly prisma: Prisma,
    engine: Engine,
    private readonly github: InstallationOctokit,
    private readonly log: Logger,
    owner: string,
    /** `appId`: this GitHub App's id, how its own summary comments are told from a copy of the marker */
    private readonly options: { settings: QueueSettings; dryRun: boolean; appId: number | undefined },
  ) {
    this.#leases = new LeaseHolder(prisma, engine, SUMMARIES, { owner, leaseMs: options.settings.leaseMs }, log);
  }

  get leaseMs(): number {
    return this.options.settings.leaseMs;
  }

  /** Claims the due summaries and starts writing them; true when a full batch was claimed (more may be due). */
  async fill(): Promise<boolean> {
    const claimed = await this.#leases.claim(BATCH, { where: summaryDue() });
    for (const summary of await readDueSummaries(
      this.prisma,
      claimed.map((row) => row.key),
    ))
      void this.#queue.add(() => this.#write(summary));
    return claimed.length === BATCH;
  }

  renew(): Promise<void> {
    return this.#leases.renew();
  }

  inFlight(): Promise<void> {
    return this.#queue.onIdle();
  }

  /** Nothing to hand back: a claimed summary is written at once (two at a time), never left waiting in a lane. */
  release(): Promise<void> {
    return Promise.resolve();
  }

  async #write(summary: DueSummary): Promise<void> {
    const where = `${summary.owner}/${summary.repo}#${summary.number}`;
    const names = Object.fromEntries([...providers.values()].map((definition) => [definition.id, definition.name]));
    const details = showsDetails(summary.details, summary.repositoryPrivate);
    const body = renderReopenSummary({
      closeId: summary.closeId,
      reason: summary.reason,
      jobs: summary.jobs,
      names,
      details,
      answers: summary.answers,
    });
    try {
      if (body === summary.body) {
        await this.#leases.settle(summary.closeId, summaryWritten(summary, { commentId: summary.commentId, body }));
        return;
      }
      if (this.options.dryRun) {
        this.log.info(
          `[dry-run] Would ${summary.commentId === null ? "comment on" : "edit the summary comment on"} ${where}:\n${body}`,
        );
        await this.#leases.settle(summary.closeId, summaryWritten(summary, { commentId: summary.commentId, body }));
        return;
      }
      // Its lease about to run out (this process starved): hand it back rather than post beside another worker.
      if (!this.#leases.holds(summary.closeId, this.options.settings.leaseMs / 3))
        return await this.#leases.release([summary.closeId]);
      const commentId = await this.#post(summary, body);
      if (await this.#leases.settle(summary.closeId, summaryWritten(summary, { commentId, body }))) {
        this.log.info(
          { close: summary.closeId },
          `reopen: ${summary.commentId === null ? "posted" : "updated"} the summary comment on ${where}`,
        );
      }
    } catch (error) {
      const reason = errorSummary(error);
      const decision = decideRetry({ retryable: true }, summary.attempts, this.options.settings);
      const retryAt = decision.retry ? decision.at : null;
      this.log.error(
        { err: error, close: summary.closeId },
        `reopen: could not write the summary comment on ${where}${decision.retry ? "; will retry" : "; giving up"}: ${reason}`,
      );
      await this.#leases
        .settle(summary.closeId, summaryFailed(reason, retryAt))
        .catch(() => this.#leases.drop(summary.closeId));
    }
  }

  /** Edits the summary comment, or posts it; returns its id. */
  async #post(summary: DueSummary, body: string): Promise<bigint> {
    const octokit = await this.github(Number(summary.installationId));
    // A recorded id is one closeloop posted itself. Without one, a previous attempt may have posted and died before
    // recording it: its comment is looked for (by this app's id) rather than posting twice.
    const earlier =
      summary.commentId === null && summary.attempts > 1 && this.options.appId !== undefined
        ? { marker: summaryMarker(summary.closeId), appId: this.options.appId }
        : undefined;
    return writeSummaryComment(octokit, { owner: summary.owner, repo: summary.repo, number: summary.number }, body, {
      commentId: summary.commentId,
      ...(earlier && { earlier }),
    });
  }
}
