-- Each server process says it is alive every 30 s, so `closeloop status` can tell an operator none is running.
CREATE TABLE "ServerHeartbeat" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "seenAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ServerHeartbeat_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ServerHeartbeat_seenAt_idx" ON "ServerHeartbeat"("seenAt");
