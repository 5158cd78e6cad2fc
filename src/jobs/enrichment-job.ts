import type { Logger } from "probot";
import type { QueueSettings } from "../config/queues.js";
import { customerHash } from "../domain/customer-hash.js";
import type { IssueRef } from "../domain/refs.js";
import type { Prisma } from "../store/database.js";
import { recordMerge } from "../store/merges.js";
import {
  dropUnlinkedJob,
  readClaimedEnrichJobs,
  recordEnrichment,
  type ClaimedEnrichJob,
} from "../store/enrich-jobs.js";
import { ENRICH_JOBS } from "../store/helpdesk-jobs.js";
import { errorSummary } from "./error-summary.js";
import type { HelpdeskJobKind } from "./helpdesk-jobs.js";
import { laggingLookahead } from "./reopen-job.js";

/** What enrichment needs beyond the helpdesk: the key customer ids are hashed with, and how labels are applied. */
export interface Enrichment {
  /** HMAC key for customer ids (the server's is generated once and stored, src/store/secrets.ts): ids are stored only as keyed hashes */
  customerKey: string;
  /** applies the labels of issues whose linked conversations' team, tags or customer changed */
  applyLabels(issues: IssueRef[]): Promise<void>;
}

/**
 * Reading a linked conversation's team, tags, customer and creation time for the labels (docs/labels.md): a read, so
 * made in a dry run too, in the lane below every reopen call. The details go on every link to the conversation; the
 * issues whose team, tags or customer changed get their labels applied (if that fails, they stay marked and the next
 * sweep applies them; the job is done either way).
 */
export function enrichmentJobs(
  prisma: Prisma,
  log: Logger,
  enrichment: Enrichment,
  options: { settings: QueueSettings; lookaheadSeconds: number },
): HelpdeskJobKind<ClaimedEnrichJob> {
  return {
    name: "enrichment",
    table: ENRICH_JOBS,
    settings: options.settings,
    // Reads go after reopen calls in the budget they share, so fewer are claimed ahead.
    lookahead: (lanes, lane) => laggingLookahead(lanes.callsPerSecond(lane.provider, "read"), options.lookaheadSeconds),
    read: (ids, owner) => readClaimedEnrichJobs(prisma, ids, owner),
    async run(job, { lane, leases, send }) {
      // Its links went (edited out, or purged) while it waited: nothing needs its details.
      if (
        await leases.writing(
          job.id,
          () => dropUnlinkedJob(prisma, job, leases.owner),
          (dropped) => dropped,
        )
      )
        return;
      const details = await send("read", () =>
        lane.client.readConversation({ account: job.account, conversationId: job.conversationId }),
      );
      // The helpdesk answered for the conversation this one was merged into: the links move to it, and get its details.
      const survivor = details.mergedInto ?? job.conversationId;
      if (survivor !== job.conversationId) {
        const merge = { provider: job.provider, account: job.account, from: job.conversationId, to: survivor };
        const moved = await recordMerge(prisma, merge, { readSurvivor: false });
        log.info(
          { job: job.id, ...merge },
          `enrichment: ${lane.name} conversation ${job.conversationId} was merged into ${survivor}; ${moved.length} issue(s) now link that one`,
        );
      }
      const issues = await leases.writing(
        job.id,
        () =>
          recordEnrichment(prisma, { ...job, conversationId: survivor }, leases.owner, {
            team: details.team,
            tags: details.tags,
            customerHash: customerHash(enrichment.customerKey, job.provider, job.account, details.customerId),
            conversationCreatedAt: details.createdAt,
          }),
        // Settled by recordEnrichment (the lease is given up) unless another worker held the job.
        (recorded) => recorded !== null,
      );
      if (issues === null) return leases.lost(job.id);
      log.debug(
        { job: job.id, provider: lane.provider, conversationId: job.conversationId },
        `enrichment: read ${lane.name} conversation ${job.conversationId}; ${issues.length} issue(s) to relabel`,
      );
      if (issues.length === 0) return;
      await enrichment
        .applyLabels(issues)
        .catch((error: unknown) =>
          log.warn(
            { err: error },
            `enrichment: could not apply the labels after reading ${lane.name} conversation ${job.conversationId}; the next sweep applies them: ${errorSummary(error)}`,
          ),
        );
    },
  };
}
