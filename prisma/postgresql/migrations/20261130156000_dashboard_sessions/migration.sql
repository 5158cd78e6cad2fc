-- Dashboard sign-in (README, Dashboard): people signed in, by the hash of their cookie's token.
CREATE TABLE "DashboardSession" (
    "id" TEXT NOT NULL,
    "login" TEXT NOT NULL,
    "userId" BIGINT NOT NULL,
    "token" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DashboardSession_pkey" PRIMARY KEY ("id")
);

-- Sign-ins under way: each OAuth state, taken once by the callback.
CREATE TABLE "DashboardSignIn" (
    "id" TEXT NOT NULL,
    "returnTo" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DashboardSignIn_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DashboardSession_expiresAt_idx" ON "DashboardSession"("expiresAt");

-- CreateIndex
CREATE INDEX "DashboardSignIn_expiresAt_idx" ON "DashboardSignIn"("expiresAt");
