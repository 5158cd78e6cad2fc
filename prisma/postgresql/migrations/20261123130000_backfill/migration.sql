-- CreateTable
CREATE TABLE "Backfill" (
    "repositoryId" BIGINT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "phase" TEXT NOT NULL DEFAULT 'open',
    "page" INTEGER NOT NULL DEFAULT 1,
    "closedSince" TIMESTAMP(3) NOT NULL,
    "issues" INTEGER NOT NULL DEFAULT 0,
    "comments" INTEGER NOT NULL DEFAULT 0,
    "links" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "requestedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Backfill_pkey" PRIMARY KEY ("repositoryId")
);

-- CreateIndex
CREATE INDEX "Backfill_state_lockedUntil_idx" ON "Backfill"("state", "lockedUntil");

-- AddForeignKey
ALTER TABLE "Backfill" ADD CONSTRAINT "Backfill_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;
