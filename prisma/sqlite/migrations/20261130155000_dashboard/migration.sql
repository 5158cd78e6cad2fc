-- The dashboard (#13): an issue's title and GitHub creation time, filled from the payloads capture sees.
ALTER TABLE "Issue" ADD COLUMN "title" TEXT;
ALTER TABLE "Issue" ADD COLUMN "openedAt" DATETIME;
ALTER TABLE "Issue" ADD COLUMN "titleAt" DATETIME;

-- The impact ranking's counts per issue (src/store/impact.ts), counted when due; every issue with links is due now.
ALTER TABLE "Issue" ADD COLUMN "impactDueAt" DATETIME;
ALTER TABLE "Issue" ADD COLUMN "impactGeneration" INTEGER NOT NULL DEFAULT 0;
UPDATE "Issue" SET "impactDueAt" = '1970-01-01T00:00:00.000+00:00' WHERE EXISTS (SELECT 1 FROM "Link" l WHERE l."issueId" = "Issue"."id");
CREATE INDEX "Issue_impactDueAt_idx" ON "Issue"("impactDueAt");

CREATE TABLE "IssueImpact" (
    "issueId" INTEGER NOT NULL PRIMARY KEY,
    "generation" INTEGER NOT NULL,
    "repositoryId" BIGINT NOT NULL,
    "state" TEXT NOT NULL,
    "reports7" INTEGER NOT NULL,
    "reports14" INTEGER NOT NULL,
    "reports30" INTEGER NOT NULL,
    "reports90" INTEGER NOT NULL,
    "customers7" INTEGER NOT NULL,
    "customers14" INTEGER NOT NULL,
    "customers30" INTEGER NOT NULL,
    "customers90" INTEGER NOT NULL,
    "lastReportAt" DATETIME,
    "helpdesks" TEXT NOT NULL,
    "dueAt" DATETIME,
    CONSTRAINT "IssueImpact_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "IssueImpact_dueAt_idx" ON "IssueImpact"("dueAt");
CREATE INDEX "IssueImpact_reports7_lastReportAt_idx" ON "IssueImpact"("reports7", "lastReportAt");
CREATE INDEX "IssueImpact_reports14_lastReportAt_idx" ON "IssueImpact"("reports14", "lastReportAt");
CREATE INDEX "IssueImpact_reports30_lastReportAt_idx" ON "IssueImpact"("reports30", "lastReportAt");
CREATE INDEX "IssueImpact_reports90_lastReportAt_idx" ON "IssueImpact"("reports90", "lastReportAt");
CREATE INDEX "IssueImpact_lastReportAt_idx" ON "IssueImpact"("lastReportAt");

-- Which managed labels are frequency and which team labels, for the dashboard; labels closeloop added before this
-- release are classified by the default frequency label names.
ALTER TABLE "IssueLabel" ADD COLUMN "kind" TEXT;
CREATE INDEX "IssueLabel_key_idx" ON "IssueLabel"("key");
UPDATE "IssueLabel" SET "kind" = CASE WHEN "key" IN ('reported: daily', 'reported: weekly') THEN 'frequency' ELSE 'team' END WHERE "applied";
