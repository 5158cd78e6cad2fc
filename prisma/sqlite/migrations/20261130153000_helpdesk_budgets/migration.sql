-- Each helpdesk budget's pace, shared by replicas on PostgreSQL (SQLite keeps it in memory; the table stays empty).
CREATE TABLE "HelpdeskBudget" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "limit" INTEGER NOT NULL,
    "windowMs" INTEGER NOT NULL,
    "taken" BIGINT NOT NULL DEFAULT 0,
    "nextAt" DATETIME NOT NULL,
    "pausedUntil" DATETIME,
    "heardRemaining" INTEGER,
    "heardResetAt" DATETIME,
    "heardTicket" BIGINT,
    "heardAt" DATETIME,
    "updatedAt" DATETIME NOT NULL
);
