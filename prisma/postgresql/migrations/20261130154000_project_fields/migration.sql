-- The GitHub Project (v2) number field (docs/projects.md): what closeloop last wrote for each issue, and when time
-- alone changes the value next; the issue's GraphQL node id, which adding it to a project takes.
ALTER TABLE "Issue" ADD COLUMN "nodeId" TEXT;
ALTER TABLE "Issue" ADD COLUMN "projectKey" TEXT;
ALTER TABLE "Issue" ADD COLUMN "projectItemId" TEXT;
ALTER TABLE "Issue" ADD COLUMN "projectValue" INTEGER;
ALTER TABLE "Issue" ADD COLUMN "projectDueAt" TIMESTAMP(3);
CREATE INDEX "Issue_projectDueAt_idx" ON "Issue"("projectDueAt");

-- A repository whose project field cannot be kept (no permission, no such project, a field that is not a number).
CREATE TABLE "ProjectError" (
    "repositoryId" BIGINT NOT NULL,
    "url" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ProjectError_pkey" PRIMARY KEY ("repositoryId")
);

-- AddForeignKey
ALTER TABLE "ProjectError" ADD CONSTRAINT "ProjectError_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Repository"("id") ON DELETE CASCADE ON UPDATE CASCADE;
