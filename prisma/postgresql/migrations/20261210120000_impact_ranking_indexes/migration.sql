-- The impact page ranks a million issues as a top-N read in the order of an index, and counts its total from that
-- index alone (src/store/impact.ts): each window's index leads with the state every view filters on and ends with the
-- repository the person's scope filters on; the latest-report order has its own, holding what that page checks on each
-- row (so SQLite reads it in order rather than sort a window's range). They replace indexes without the state, which
-- made the default view count a million rows through the table.
DROP INDEX "IssueImpact_reports7_lastReportAt_idx";
DROP INDEX "IssueImpact_reports14_lastReportAt_idx";
DROP INDEX "IssueImpact_reports30_lastReportAt_idx";
DROP INDEX "IssueImpact_reports90_lastReportAt_idx";
DROP INDEX "IssueImpact_lastReportAt_idx";
CREATE INDEX "IssueImpact_state_reports7_lastReportAt_repositoryId_idx" ON "IssueImpact"("state", "reports7", "lastReportAt", "repositoryId");
CREATE INDEX "IssueImpact_state_reports14_lastReportAt_repositoryId_idx" ON "IssueImpact"("state", "reports14", "lastReportAt", "repositoryId");
CREATE INDEX "IssueImpact_state_reports30_lastReportAt_repositoryId_idx" ON "IssueImpact"("state", "reports30", "lastReportAt", "repositoryId");
CREATE INDEX "IssueImpact_state_reports90_lastReportAt_repositoryId_idx" ON "IssueImpact"("state", "reports90", "lastReportAt", "repositoryId");
CREATE INDEX "IssueImpact_state_lastReportAt_idx" ON "IssueImpact"("state", "lastReportAt", "reports7", "reports14", "reports30", "reports90", "repositoryId");
