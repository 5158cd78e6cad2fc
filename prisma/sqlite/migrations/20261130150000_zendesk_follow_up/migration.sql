-- Closed Zendesk tickets (docs/reopen.md, Closed tickets): `reopen.closed_tickets` as it was when the issue closed, and
-- the follow-up ticket a job created instead of reopening. Closes recorded before this get the default, follow_up.
ALTER TABLE "IssueClose" ADD COLUMN "closedTickets" TEXT NOT NULL DEFAULT 'follow_up';
ALTER TABLE "ReopenJob" ADD COLUMN "followUpId" TEXT;
