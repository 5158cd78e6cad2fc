-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" DATETIME,
    "lastError" TEXT,
    "deadAt" DATETIME
);

-- CreateIndex
CREATE INDEX "Delivery_deadAt_lockedUntil_receivedAt_idx" ON "Delivery"("deadAt", "lockedUntil", "receivedAt");
