-- CreateTable
CREATE TABLE "Repository" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "installationId" BIGINT NOT NULL,
    "owner" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "fullName" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Issue" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repositoryId" BIGINT NOT NULL,
    "number" INTEGER NOT NULL,
    "githubId" BIGINT,
    "state" TEXT NOT NULL DEFAULT 'open',
    "stateReason" TEXT,
    "closedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Issue_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Source" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "issueId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "version" DATETIME NOT NULL,
    "deletedAt" DATETIME,
    CONSTRAINT "Source_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Link" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "issueId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "linkedAt" DATETIME NOT NULL,
    CONSTRAINT "Link_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LinkSource" (
    "linkId" INTEGER NOT NULL,
    "sourceId" INTEGER NOT NULL,
    "postedAt" DATETIME NOT NULL,

    PRIMARY KEY ("linkId", "sourceId"),
    CONSTRAINT "LinkSource_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "Link" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "LinkSource_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "ConfigError" (
    "repositoryId" BIGINT NOT NULL PRIMARY KEY,
    "path" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "commitSha" TEXT,
    "seenAt" DATETIME NOT NULL,
    CONSTRAINT "ConfigError_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Repository_fullName_idx" ON "Repository"("fullName");

-- CreateIndex
CREATE INDEX "Repository_installationId_idx" ON "Repository"("installationId");

-- CreateIndex
CREATE UNIQUE INDEX "Issue_repositoryId_number_key" ON "Issue"("repositoryId", "number");

-- CreateIndex
CREATE UNIQUE INDEX "Source_issueId_kind_key_key" ON "Source"("issueId", "kind", "key");

-- CreateIndex
CREATE INDEX "Link_provider_account_conversationId_idx" ON "Link"("provider", "account", "conversationId");

-- CreateIndex
CREATE UNIQUE INDEX "Link_issueId_provider_account_conversationId_key" ON "Link"("issueId", "provider", "account", "conversationId");

-- CreateIndex
CREATE INDEX "LinkSource_sourceId_idx" ON "LinkSource"("sourceId");
