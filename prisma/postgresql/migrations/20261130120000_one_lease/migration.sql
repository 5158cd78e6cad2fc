-- One lease for every kind of job (src/store/lease.ts): each leased row names the worker holding it, so a worker whose
-- lease ran out and was taken over can tell, and its late writes change nothing.
ALTER TABLE "Delivery" ADD COLUMN "lockedBy" TEXT;
ALTER TABLE "Backfill" ADD COLUMN "lockedBy" TEXT;
ALTER TABLE "IssueClose" ADD COLUMN "summaryLockedBy" TEXT;
