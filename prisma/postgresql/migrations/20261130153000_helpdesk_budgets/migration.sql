-- Each helpdesk budget's pace, shared by replicas: one row per budget, changed once per call.
CREATE TABLE "HelpdeskBudget" (
    "key" TEXT NOT NULL,
    "limit" INTEGER NOT NULL,
    "windowMs" INTEGER NOT NULL,
    "taken" BIGINT NOT NULL DEFAULT 0,
    "nextAt" TIMESTAMP(3) NOT NULL,
    "pausedUntil" TIMESTAMP(3),
    "heardRemaining" INTEGER,
    "heardResetAt" TIMESTAMP(3),
    "heardTicket" BIGINT,
    "heardAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HelpdeskBudget_pkey" PRIMARY KEY ("key")
);
