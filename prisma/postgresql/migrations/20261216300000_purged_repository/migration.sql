-- Repositories removed from an installation: their late deliveries are dropped instead of re-creating purged rows.
CREATE TABLE "PurgedRepository" (
    "installationId" BIGINT NOT NULL,
    "repositoryId" BIGINT NOT NULL,
    "purgedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PurgedRepository_pkey" PRIMARY KEY ("installationId","repositoryId")
);
