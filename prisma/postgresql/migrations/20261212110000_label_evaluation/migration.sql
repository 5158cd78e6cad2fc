-- An issue's last label evaluation (frequency, due time, stale mark) moves from Issue to a narrow table of its own:
-- the decay sweep writes it for every issue it looks at, and on Issue each write was an update of a wide row that
-- changed an indexed column, so it added an entry to every index on Issue. Only issues with something to keep get a row.
CREATE TABLE "LabelEvaluation" (
    "issueId" INTEGER NOT NULL,
    "frequency" TEXT,
    "dueAt" TIMESTAMP(3),
    "staleAt" TIMESTAMP(3),

    CONSTRAINT "LabelEvaluation_pkey" PRIMARY KEY ("issueId")
);

INSERT INTO "LabelEvaluation" ("issueId", "frequency", "dueAt", "staleAt")
SELECT "id", "frequency", "labelsDueAt", "labelsStaleAt" FROM "Issue"
WHERE "frequency" IS NOT NULL OR "labelsDueAt" IS NOT NULL OR "labelsStaleAt" IS NOT NULL;

CREATE INDEX "LabelEvaluation_dueAt_issueId_idx" ON "LabelEvaluation"("dueAt", "issueId");

ALTER TABLE "LabelEvaluation" ADD CONSTRAINT "LabelEvaluation_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue"("id") ON DELETE CASCADE ON UPDATE CASCADE;

DROP INDEX "Issue_labelsDueAt_id_idx";
ALTER TABLE "Issue" DROP COLUMN "frequency", DROP COLUMN "labelsDueAt", DROP COLUMN "labelsStaleAt";
