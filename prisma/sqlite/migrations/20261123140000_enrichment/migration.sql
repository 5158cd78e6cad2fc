-- AlterTable
ALTER TABLE "Issue" ADD COLUMN "labelsStaleAt" DATETIME;

-- CreateTable
CREATE TABLE "EnrichJob" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "lockedBy" TEXT,
    "lockedUntil" DATETIME,
    "nextAttemptAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "lastStatus" INTEGER,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME
);

-- CreateTable
CREATE TABLE "LabelSweep" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "lockedBy" TEXT,
    "lockedUntil" DATETIME,
    "nextRunAt" DATETIME NOT NULL,
    "requestedAt" DATETIME,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "issues" INTEGER NOT NULL DEFAULT 0,
    "links" INTEGER NOT NULL DEFAULT 0,
    "changed" INTEGER NOT NULL DEFAULT 0,
    "durationMs" INTEGER,
    "lastError" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "EnrichJob_provider_account_conversationId_key" ON "EnrichJob"("provider", "account", "conversationId");

-- CreateIndex
CREATE INDEX "EnrichJob_provider_state_nextAttemptAt_idx" ON "EnrichJob"("provider", "state", "nextAttemptAt");

-- Links stored before enrichment existed: their conversations are read too.
INSERT INTO "EnrichJob" ("provider", "account", "conversationId", "url", "nextAttemptAt", "createdAt", "updatedAt")
SELECT "provider", "account", "conversationId", MIN("url"), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
FROM "Link" GROUP BY "provider", "account", "conversationId";
