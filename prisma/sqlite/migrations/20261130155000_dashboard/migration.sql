-- The dashboard (#13): an issue's title and GitHub creation time, filled from the payloads capture sees.
ALTER TABLE "Issue" ADD COLUMN "title" TEXT;
ALTER TABLE "Issue" ADD COLUMN "openedAt" DATETIME;
ALTER TABLE "Issue" ADD COLUMN "titleAt" DATETIME;

-- The impact ranking's counts per issue (src/store/impact.ts), counted when due; every issue with links is due now.
ALTER TABLE "Issue" ADD COLUMN "reports7" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "reports14" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "reports30" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "reports90" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "customers7" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "customers14" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "customers30" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "customers90" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Issue" ADD COLUMN "lastReportAt" DATETIME;
ALTER TABLE "Issue" ADD COLUMN "impactHelpdesks" TEXT;
ALTER TABLE "Issue" ADD COLUMN "impactDueAt" DATETIME;
ALTER TABLE "Issue" ADD COLUMN "impactGeneration" INTEGER NOT NULL DEFAULT 0;
UPDATE "Issue" SET "impactDueAt" = '1970-01-01T00:00:00.000+00:00' WHERE EXISTS (SELECT 1 FROM "Link" l WHERE l."issueId" = "Issue"."id");
CREATE INDEX "Issue_impactDueAt_idx" ON "Issue"("impactDueAt");

-- Which managed labels are frequency and which team labels, for the dashboard; labels closeloop added before this
-- release are classified by the default frequency label names.
ALTER TABLE "IssueLabel" ADD COLUMN "kind" TEXT;
UPDATE "IssueLabel" SET "kind" = CASE WHEN "key" IN ('reported: daily', 'reported: weekly') THEN 'frequency' ELSE 'team' END WHERE "applied";
