-- AlterTable
ALTER TABLE "Issue" ADD COLUMN "labelsStaleAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "EnrichJob" (
    "id" SERIAL NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMP(3),
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastError" TEXT,
    "lastStatus" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "EnrichJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LabelSweep" (
    "id" INTEGER NOT NULL,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMP(3),
    "nextRunAt" TIMESTAMP(3) NOT NULL,
    "requestedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "issues" INTEGER NOT NULL DEFAULT 0,
    "links" INTEGER NOT NULL DEFAULT 0,
    "changed" INTEGER NOT NULL DEFAULT 0,
    "durationMs" INTEGER,
    "lastError" TEXT,

    CONSTRAINT "LabelSweep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EnrichJob_provider_account_conversationId_key" ON "EnrichJob"("provider", "account", "conversationId");

-- CreateIndex
CREATE INDEX "EnrichJob_provider_state_nextAttemptAt_idx" ON "EnrichJob"("provider", "state", "nextAttemptAt");

-- Links stored before enrichment existed: their conversations are read too.
INSERT INTO "EnrichJob" ("provider", "account", "conversationId", "url", "nextAttemptAt", "createdAt", "updatedAt")
SELECT "provider", "account", "conversationId", MIN("url"), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM "Link" GROUP BY "provider", "account", "conversationId";
