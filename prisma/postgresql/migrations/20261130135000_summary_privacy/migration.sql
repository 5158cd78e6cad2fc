-- What GitHub learns (docs/reopen.md, Summary comment): the repository's visibility as its latest payload stated
-- (null until one did, read as public), and `comment.details` as it was when the issue closed. Closes recorded
-- before this get the default, private: on a repository not yet known to be private their summary shows counts.
ALTER TABLE "Repository" ADD COLUMN "private" BOOLEAN;
ALTER TABLE "IssueClose" ADD COLUMN "details" TEXT NOT NULL DEFAULT 'private';
