-- The dashboard's background count takes this one row's lease, so two replicas do not count the same issues at once.
CREATE TABLE "ImpactCounting" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "lockedBy" TEXT,
    "lockedUntil" DATETIME
);
