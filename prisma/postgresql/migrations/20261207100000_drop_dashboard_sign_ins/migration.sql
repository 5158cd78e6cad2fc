-- Sign-ins under way are kept in the browser's signed cookie now (README, Security: nothing is written for an
-- anonymous visitor); the rows of sign-ins in flight at the upgrade are not needed: those people start again.
DROP TABLE "DashboardSignIn";
