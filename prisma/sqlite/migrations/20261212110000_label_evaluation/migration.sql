-- An issue's last label evaluation (frequency, due time, stale mark) moves from Issue to a narrow table of its own:
-- the decay sweep writes it for every issue it looks at, and on Issue each write rewrote a wide row and its indexes.
-- Only issues with something to keep get a row.
CREATE TABLE "LabelEvaluation" (
    "issueId" INTEGER NOT NULL PRIMARY KEY,
    "frequency" TEXT,
    "dueAt" DATETIME,
    "staleAt" DATETIME,
    CONSTRAINT "LabelEvaluation_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

INSERT INTO "LabelEvaluation" ("issueId", "frequency", "dueAt", "staleAt")
SELECT "id", "frequency", "labelsDueAt", "labelsStaleAt" FROM "Issue"
WHERE "frequency" IS NOT NULL OR "labelsDueAt" IS NOT NULL OR "labelsStaleAt" IS NOT NULL;

CREATE INDEX "LabelEvaluation_dueAt_issueId_idx" ON "LabelEvaluation"("dueAt", "issueId");

DROP INDEX "Issue_labelsDueAt_id_idx";
ALTER TABLE "Issue" DROP COLUMN "frequency";
ALTER TABLE "Issue" DROP COLUMN "labelsDueAt";
ALTER TABLE "Issue" DROP COLUMN "labelsStaleAt";
