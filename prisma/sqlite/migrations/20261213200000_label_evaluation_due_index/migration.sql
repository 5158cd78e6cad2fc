-- The decay sweep reads due evaluations in issue order instead (src/store/label-sweep.ts): it gives every issue it
-- evaluates a due time spread over the next weeks, and moving each one's entry in this index to a random place wrote
-- about one database page per issue on SQLite at ten million links (docs/labels.md, The decay sweep).
DROP INDEX "LabelEvaluation_dueAt_issueId_idx";
