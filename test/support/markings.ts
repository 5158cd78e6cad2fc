import type { Engine } from "../../src/config/database-url.js";
import type { Prisma } from "../../src/store/database.js";
import {
  CLAIMED_MARKING,
  claimedMarking,
  ISSUE_MARKINGS,
  markingsApplied,
  type ClaimedMarking,
  type ClaimedMarkingRow,
} from "../../src/store/issue-markings.js";
import { claimLeases, updateLeased } from "../../src/store/lease.js";

/**
 * A markings job run by hand, as a worker (another replica, a server beside the CLI) claims and settles it: the claim
 * answers the issues with the marks they carry, and the settle is the one a run that applied them makes.
 */
export function markingsRun(database: { prisma: Prisma; engine: Engine }, owner: string) {
  return {
    claim: async (now?: Date): Promise<ClaimedMarking[]> =>
      (
        await claimLeases<ClaimedMarkingRow & { key: number }>(
          database.prisma,
          database.engine,
          ISSUE_MARKINGS,
          { owner, leaseMs: 60_000, limit: 5, returning: CLAIMED_MARKING },
          now,
        )
      ).map(claimedMarking),
    applied: (job: ClaimedMarking): Promise<boolean> =>
      updateLeased(database.prisma, ISSUE_MARKINGS, owner, job.issueId, markingsApplied(database.engine, job)),
  };
}
