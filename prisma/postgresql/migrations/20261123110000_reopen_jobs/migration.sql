-- CreateTable
CREATE TABLE "IssueClose" (
    "id" SERIAL NOT NULL,
    "issueId" INTEGER NOT NULL,
    "closedAt" TIMESTAMP(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "summary" BOOLEAN NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "summaryDueAt" TIMESTAMP(3),
    "summaryLockedUntil" TIMESTAMP(3),
    "summaryAttempts" INTEGER NOT NULL DEFAULT 0,
    "summaryCommentId" BIGINT,
    "summaryBody" TEXT,
    "summaryError" TEXT,
    "settledAt" TIMESTAMP(3),

    CONSTRAINT "IssueClose_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReopenJob" (
    "id" SERIAL NOT NULL,
    "closeId" INTEGER NOT NULL,
    "linkId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMP(3),
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "noteDoneAt" TIMESTAMP(3),
    "reopenDoneAt" TIMESTAMP(3),
    "lastError" TEXT,
    "lastStatus" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "ReopenJob_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "IssueClose_summaryDueAt_idx" ON "IssueClose"("summaryDueAt");

-- CreateIndex
CREATE UNIQUE INDEX "IssueClose_issueId_closedAt_key" ON "IssueClose"("issueId", "closedAt");

-- CreateIndex
CREATE INDEX "ReopenJob_provider_state_nextAttemptAt_idx" ON "ReopenJob"("provider", "state", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "ReopenJob_closeId_linkId_key" ON "ReopenJob"("closeId", "linkId");

-- AddForeignKey
ALTER TABLE "IssueClose" ADD CONSTRAINT "IssueClose_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ReopenJob" ADD CONSTRAINT "ReopenJob_closeId_fkey" FOREIGN KEY ("closeId") REFERENCES "IssueClose"("id") ON DELETE CASCADE ON UPDATE CASCADE;
