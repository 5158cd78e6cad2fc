-- AlterTable
ALTER TABLE "Issue" ADD COLUMN     "frequency" TEXT,
ADD COLUMN     "labelsDueAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Link" ADD COLUMN     "team" TEXT,
ADD COLUMN     "tags" TEXT,
ADD COLUMN     "customerHash" TEXT,
ADD COLUMN     "conversationCreatedAt" TIMESTAMP(3),
ADD COLUMN     "enrichedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "IssueLabel" (
    "issueId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "present" BOOLEAN NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,
    "applied" BOOLEAN NOT NULL DEFAULT false,
    "suppressed" BOOLEAN NOT NULL DEFAULT false,
    "personAt" TIMESTAMP(3),

    CONSTRAINT "IssueLabel_pkey" PRIMARY KEY ("issueId","key")
);

-- CreateTable
CREATE TABLE "LabelError" (
    "repositoryId" BIGINT NOT NULL,
    "message" TEXT NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LabelError_pkey" PRIMARY KEY ("repositoryId")
);

-- CreateIndex
CREATE INDEX "Issue_labelsDueAt_idx" ON "Issue"("labelsDueAt");

-- AddForeignKey
ALTER TABLE "IssueLabel" ADD CONSTRAINT "IssueLabel_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LabelError" ADD CONSTRAINT "LabelError_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;
