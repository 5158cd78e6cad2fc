-- Dashboard sign-in (README, Dashboard): people signed in, by the hash of their cookie's token.
CREATE TABLE "DashboardSession" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "login" TEXT NOT NULL,
    "userId" BIGINT NOT NULL,
    "token" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- Sign-ins under way: each OAuth state, taken once by the callback.
CREATE TABLE "DashboardSignIn" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "returnTo" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "DashboardSession_expiresAt_idx" ON "DashboardSession"("expiresAt");

-- CreateIndex
CREATE INDEX "DashboardSignIn_expiresAt_idx" ON "DashboardSignIn"("expiresAt");
