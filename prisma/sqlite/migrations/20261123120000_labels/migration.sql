-- AlterTable
ALTER TABLE "Issue" ADD COLUMN "frequency" TEXT;
ALTER TABLE "Issue" ADD COLUMN "labelsDueAt" DATETIME;

-- AlterTable
ALTER TABLE "Link" ADD COLUMN "team" TEXT;
ALTER TABLE "Link" ADD COLUMN "tags" TEXT;
ALTER TABLE "Link" ADD COLUMN "customerHash" TEXT;
ALTER TABLE "Link" ADD COLUMN "conversationCreatedAt" DATETIME;
ALTER TABLE "Link" ADD COLUMN "enrichedAt" DATETIME;

-- CreateTable
CREATE TABLE "IssueLabel" (
    "issueId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "present" BOOLEAN NOT NULL,
    "seenAt" DATETIME NOT NULL,
    "applied" BOOLEAN NOT NULL DEFAULT false,
    "suppressed" BOOLEAN NOT NULL DEFAULT false,
    "personAt" DATETIME,

    PRIMARY KEY ("issueId", "key"),
    CONSTRAINT "IssueLabel_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LabelError" (
    "repositoryId" BIGINT NOT NULL PRIMARY KEY,
    "message" TEXT NOT NULL,
    "seenAt" DATETIME NOT NULL,
    CONSTRAINT "LabelError_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Issue_labelsDueAt_idx" ON "Issue"("labelsDueAt");
