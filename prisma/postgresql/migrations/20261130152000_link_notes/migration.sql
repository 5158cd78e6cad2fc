-- The note on a conversation when a GitHub body or comment first links it (notify.linked). Links stored before this
-- migration get no note: they were made before the setting existed, like backfilled ones.
-- CreateTable
CREATE TABLE "LinkNote" (
    "id" SERIAL NOT NULL,
    "issueId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMP(3),
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "skipped" TEXT,
    "lastError" TEXT,
    "lastStatus" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "LinkNote_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "LinkNote_provider_state_nextAttemptAt_idx" ON "LinkNote"("provider", "state", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "LinkNote_issueId_provider_account_conversationId_key" ON "LinkNote"("issueId", "provider", "account", "conversationId");

-- AddForeignKey
ALTER TABLE "LinkNote" ADD CONSTRAINT "LinkNote_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue"("id") ON DELETE CASCADE ON UPDATE CASCADE;
