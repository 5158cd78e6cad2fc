-- CreateTable
CREATE TABLE "Backfill" (
    "repositoryId" BIGINT NOT NULL PRIMARY KEY,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "phase" TEXT NOT NULL DEFAULT 'open',
    "page" INTEGER NOT NULL DEFAULT 1,
    "closedSince" DATETIME NOT NULL,
    "issues" INTEGER NOT NULL DEFAULT 0,
    "comments" INTEGER NOT NULL DEFAULT 0,
    "links" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" DATETIME,
    "lastError" TEXT,
    "requestedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    CONSTRAINT "Backfill_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Backfill_state_lockedUntil_idx" ON "Backfill"("state", "lockedUntil");
