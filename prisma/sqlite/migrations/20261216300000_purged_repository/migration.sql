-- Repositories removed from an installation: their late deliveries are dropped instead of re-creating purged rows.
CREATE TABLE "PurgedRepository" (
    "installationId" BIGINT NOT NULL,
    "repositoryId" BIGINT NOT NULL,
    "purgedAt" DATETIME NOT NULL,

    PRIMARY KEY ("installationId", "repositoryId")
);
