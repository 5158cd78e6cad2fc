-- The dashboard (#13): an issue's title and GitHub creation time, filled from the payloads capture sees.
ALTER TABLE "Issue" ADD COLUMN "title" TEXT;
ALTER TABLE "Issue" ADD COLUMN "openedAt" TIMESTAMP(3);

-- The impact ranking reads a window's reports from this index alone, and filters issues by state and repository.
CREATE INDEX "Issue_state_repositoryId_idx" ON "Issue"("state", "repositoryId");
CREATE INDEX "Link_linkedAt_issueId_customerHash_idx" ON "Link"("linkedAt", "issueId", "customerHash");

-- Which managed labels are frequency and which team labels, for the dashboard; labels closeloop added before this
-- release are classified by the default frequency label names.
ALTER TABLE "IssueLabel" ADD COLUMN "kind" TEXT;
UPDATE "IssueLabel" SET "kind" = CASE WHEN "key" IN ('reported: daily', 'reported: weekly') THEN 'frequency' ELSE 'team' END WHERE "applied";
