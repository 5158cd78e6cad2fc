-- Uninstalled installations: their late deliveries are dropped instead of re-creating purged rows.
CREATE TABLE "PurgedInstallation" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "purgedAt" DATETIME NOT NULL
);

-- Secrets closeloop generates once and every replica shares: the customer hash key.
CREATE TABLE "Secret" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "value" TEXT NOT NULL
);
