-- CLOSELOOP_ADMINS logins, each pinned to the account id that first signed in with it (README, Security).
CREATE TABLE "AdminLogin" (
    "login" TEXT NOT NULL PRIMARY KEY,
    "userId" BIGINT NOT NULL,
    "pinnedAt" DATETIME NOT NULL
);
