-- The dashboard's Closed view lists the closes of the last days, newest first. Without an index on the close's time it
-- read every close ever recorded (by the issue's index) and sorted the window's: the view cost grew with the history.
CREATE INDEX "IssueClose_closedAt_idx" ON "IssueClose"("closedAt");
