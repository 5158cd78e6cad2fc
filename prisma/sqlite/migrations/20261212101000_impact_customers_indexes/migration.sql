-- The impact page sorted by customers read every issue in the view and sorted them (3.6 s at a million issues on
-- PostgreSQL): each window's index in that order (state, customers, reports, latest report) lets the page stop after
-- its rows, as the ranking by reports does.
CREATE INDEX "IssueImpact_state_customers7_reports7_lastReportAt_idx" ON "IssueImpact"("state", "customers7", "reports7", "lastReportAt");
CREATE INDEX "IssueImpact_state_customers14_reports14_lastReportAt_idx" ON "IssueImpact"("state", "customers14", "reports14", "lastReportAt");
CREATE INDEX "IssueImpact_state_customers30_reports30_lastReportAt_idx" ON "IssueImpact"("state", "customers30", "reports30", "lastReportAt");
CREATE INDEX "IssueImpact_state_customers90_reports90_lastReportAt_idx" ON "IssueImpact"("state", "customers90", "reports90", "lastReportAt");
