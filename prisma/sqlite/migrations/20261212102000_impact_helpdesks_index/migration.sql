-- The impact page filtered on a rarely used helpdesk read the whole ranking index, checking each issue's helpdesks
-- with a LIKE (1.6 s at a million issues on PostgreSQL): such a filter is now asked as the few values of the column
-- that list the helpdesk (src/store/impact.ts, readsFewByIndex), read through this index.
CREATE INDEX "IssueImpact_helpdesks_state_idx" ON "IssueImpact"("helpdesks", "state");
