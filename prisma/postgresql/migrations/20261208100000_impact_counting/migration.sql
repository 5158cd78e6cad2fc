-- The dashboard's background count takes this one row's lease, so two replicas do not count the same issues at once.
CREATE TABLE "ImpactCounting" (
    "id" INTEGER NOT NULL,
    "lockedBy" TEXT,
    "lockedUntil" TIMESTAMP(3),

    CONSTRAINT "ImpactCounting_pkey" PRIMARY KEY ("id")
);
