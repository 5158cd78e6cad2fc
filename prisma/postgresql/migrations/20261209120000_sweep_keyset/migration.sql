-- The decay sweep pages through due issues by (due time, id) instead of sorting every due issue by id on each page,
-- which made a sweep over a million due issues quadratic.
DROP INDEX "Issue_labelsDueAt_idx";

CREATE INDEX "Issue_labelsDueAt_id_idx" ON "Issue"("labelsDueAt", "id");
