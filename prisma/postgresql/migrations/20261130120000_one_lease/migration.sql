-- One lease for every kind of job (src/store/lease.ts): each leased row names the worker holding it, so a worker whose
-- lease ran out and was taken over can tell, and its late writes change nothing.
ALTER TABLE "Delivery" ADD COLUMN "lockedBy" TEXT;
ALTER TABLE "Backfill" ADD COLUMN "lockedBy" TEXT;
ALTER TABLE "IssueClose" ADD COLUMN "summaryLockedBy" TEXT;

-- Labels off the delivery path: a change marks the issue's labels wanted, and a label job applies them.
ALTER TABLE "Issue" ADD COLUMN "labelsWantedAt" TIMESTAMP(3);
ALTER TABLE "Issue" ADD COLUMN "labelsMarkedAt" TIMESTAMP(3);
ALTER TABLE "Issue" ADD COLUMN "labelsSeen" TEXT;
ALTER TABLE "Issue" ADD COLUMN "labelsLockedBy" TEXT;
ALTER TABLE "Issue" ADD COLUMN "labelsLockedUntil" TIMESTAMP(3);
ALTER TABLE "Issue" ADD COLUMN "labelsAttempts" INTEGER NOT NULL DEFAULT 0;
CREATE INDEX "Issue_labelsWantedAt_idx" ON "Issue"("labelsWantedAt");
