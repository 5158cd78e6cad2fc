-- A backfill lists a repository's comments once, after its issues, instead of one listing per issue: the issues it
-- will read the comments of wait here, so a backfill resumed after a crash still knows them.
-- CreateTable
CREATE TABLE "BackfillIssue" (
    "repositoryId" BIGINT NOT NULL,
    "number" INTEGER NOT NULL,
    "githubId" BIGINT NOT NULL,
    "nodeId" TEXT,
    "state" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "openedAt" TIMESTAMP(3) NOT NULL,
    "titleAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BackfillIssue_pkey" PRIMARY KEY ("repositoryId","number")
);

-- AddForeignKey
ALTER TABLE "BackfillIssue" ADD CONSTRAINT "BackfillIssue_repositoryId_fkey" FOREIGN KEY ("repositoryId") REFERENCES "Backfill"("repositoryId") ON DELETE CASCADE ON UPDATE CASCADE;
