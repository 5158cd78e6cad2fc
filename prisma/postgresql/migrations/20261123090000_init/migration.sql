-- CreateTable
CREATE TABLE "Repository" (
    "id" BIGINT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "owner" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "fullName" TEXT NOT NULL,

    CONSTRAINT "Repository_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Issue" (
    "id" SERIAL NOT NULL,
    "repositoryId" BIGINT NOT NULL,
    "number" INTEGER NOT NULL,
    "githubId" BIGINT,
    "state" TEXT NOT NULL DEFAULT 'open',
    "stateReason" TEXT,
    "closedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Issue_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Source" (
    "id" SERIAL NOT NULL,
    "issueId" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "version" TIMESTAMP(3) NOT NULL,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "Source_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Link" (
    "id" SERIAL NOT NULL,
    "issueId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "linkedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Link_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LinkSource" (
    "linkId" INTEGER NOT NULL,
    "sourceId" INTEGER NOT NULL,
    "postedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LinkSource_pkey" PRIMARY KEY ("linkId","sourceId")
);

-- CreateTable
CREATE TABLE "ConfigError" (
    "repositoryId" BIGINT NOT NULL,
    "path" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "commitSha" TEXT,
    "seenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ConfigError_pkey" PRIMARY KEY ("repositoryId")
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

-- AddForeignKey
ALTER TABLE "Issue" ADD CONSTRAINT "Issue_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Source" ADD CONSTRAINT "Source_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Link" ADD CONSTRAINT "Link_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LinkSource" ADD CONSTRAINT "LinkSource_linkId_fkey" FOREIGN KEY ("linkId") REFERENCES "Link"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LinkSource" ADD CONSTRAINT "LinkSource_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ConfigError" ADD CONSTRAINT "ConfigError_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;
