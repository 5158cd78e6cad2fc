-- Whether an agent answered each conversation a close reopened (docs/answers.md), and `reopen.remind_after` as it was
-- when the issue closed. Reopens made before this migration are not watched: nobody recorded what happened after them.
ALTER TABLE "IssueClose" ADD COLUMN "remindAfterSeconds" INTEGER;

-- CreateTable
CREATE TABLE "AnswerWatch" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "reopenJobId" INTEGER NOT NULL,
    "closeId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "reopenedAt" DATETIME NOT NULL,
    "outcome" TEXT,
    "outcomeAt" DATETIME,
    "learnedBy" TEXT,
    "reads" INTEGER NOT NULL DEFAULT 0,
    "remindAt" DATETIME,
    "remindedAt" DATETIME,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedBy" TEXT,
    "lockedUntil" DATETIME,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "lastStatus" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    CONSTRAINT "AnswerWatch_reopenJobId_fkey" FOREIGN KEY ("reopenJobId") REFERENCES "ReopenJob" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "AnswerWatch_reopenJobId_key" ON "AnswerWatch"("reopenJobId");

-- CreateIndex
CREATE INDEX "AnswerWatch_provider_state_nextAttemptAt_idx" ON "AnswerWatch"("provider", "state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "AnswerWatch_provider_account_conversationId_idx" ON "AnswerWatch"("provider", "account", "conversationId");

-- CreateIndex
CREATE INDEX "AnswerWatch_closeId_idx" ON "AnswerWatch"("closeId");

-- CreateIndex
CREATE INDEX "AnswerWatch_outcome_reopenedAt_idx" ON "AnswerWatch"("outcome", "reopenedAt");
