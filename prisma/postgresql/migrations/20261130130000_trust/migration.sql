-- A close by someone without `reopen.by` is recorded and reopens nothing; this says why (closeloop status).
ALTER TABLE "IssueClose" ADD COLUMN "refusal" TEXT;
