-- One vocabulary for every lease (docs/jobs.md): the label job's lease on Issue and the summary comment's on
-- IssueClose are named as every other leased table's, so the lease's queries are written once (src/store/lease.ts).
ALTER TABLE "Issue" RENAME COLUMN "labelsLockedBy" TO "lockedBy";
ALTER TABLE "Issue" RENAME COLUMN "labelsLockedUntil" TO "lockedUntil";
ALTER TABLE "IssueClose" RENAME COLUMN "summaryLockedBy" TO "lockedBy";
ALTER TABLE "IssueClose" RENAME COLUMN "summaryLockedUntil" TO "lockedUntil";
