-- A backfill waiting for GitHub's rate limit to reset says until when, for `closeloop status`.
ALTER TABLE "Backfill" ADD COLUMN "githubWaitUntil" TIMESTAMP(3);
