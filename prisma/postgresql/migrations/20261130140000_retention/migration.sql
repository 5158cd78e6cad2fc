-- Uninstalled installations: their late deliveries are dropped instead of re-creating purged rows.
CREATE TABLE "PurgedInstallation" (
    "id" BIGINT NOT NULL,
    "purgedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PurgedInstallation_pkey" PRIMARY KEY ("id")
);

-- Secrets closeloop generates once and every replica shares: the customer hash key.
CREATE TABLE "Secret" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "Secret_pkey" PRIMARY KEY ("name")
);
