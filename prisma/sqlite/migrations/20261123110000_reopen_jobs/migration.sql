-- CreateTable
CREATE TABLE "IssueClose" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "issueId" INTEGER NOT NULL,
    "closedAt" DATETIME NOT NULL,
    "reason" TEXT NOT NULL,
    "note" TEXT NOT NULL,
    "summary" BOOLEAN NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "summaryDueAt" DATETIME,
    "summaryLockedUntil" DATETIME,
    "summaryAttempts" INTEGER NOT NULL DEFAULT 0,
    "summaryCommentId" BIGINT,
    "summaryBody" TEXT,
    "summaryError" TEXT,
    "settledAt" DATETIME,
    CONSTRAINT "IssueClose_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ReopenJob" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "closeId" INTEGER NOT NULL,
    "linkId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedBy" TEXT,
    "lockedUntil" DATETIME,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "noteDoneAt" DATETIME,
    "reopenDoneAt" DATETIME,
    "lastError" TEXT,
    "lastStatus" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    CONSTRAINT "ReopenJob_closeId_fkey" FOREIGN KEY ("closeId") REFERENCES "IssueClose" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "IssueClose_summaryDueAt_idx" ON "IssueClose"("summaryDueAt");

-- CreateIndex
CREATE UNIQUE INDEX "IssueClose_issueId_closedAt_key" ON "IssueClose"("issueId", "closedAt");

-- CreateIndex
CREATE INDEX "ReopenJob_provider_state_nextAttemptAt_idx" ON "ReopenJob"("provider", "state", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "ReopenJob_closeId_linkId_key" ON "ReopenJob"("closeId", "linkId");
