-- Someone who may read a few repositories: the impact page names their ids in its statements (src/store/id-table.ts,
-- idList), so the planner knows how few issues they hold and reads them through this index, rather than the whole
-- ranking index of every repository with the scope checked on each row.
CREATE INDEX "IssueImpact_repositoryId_state_idx" ON "IssueImpact"("repositoryId", "state");
