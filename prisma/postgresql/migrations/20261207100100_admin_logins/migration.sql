-- CLOSELOOP_ADMINS logins, each pinned to the account id that first signed in with it (README, Security).
CREATE TABLE "AdminLogin" (
    "login" TEXT NOT NULL,
    "userId" BIGINT NOT NULL,
    "pinnedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AdminLogin_pkey" PRIMARY KEY ("login")
);
