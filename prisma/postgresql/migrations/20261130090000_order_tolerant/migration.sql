-- Order-tolerant links and closes (docs/ordering.md): every version of a source, the mentions derived from them,
-- every close (not only those with links), and the latest reopen.

-- AlterTable
ALTER TABLE "Issue" ADD COLUMN "reopenedAt" TIMESTAMP(3);
ALTER TABLE "Source" ADD COLUMN "createdAt" TIMESTAMP(3);
ALTER TABLE "IssueClose" ADD COLUMN "reopen" BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE "IssueClose" ADD COLUMN "closedBy" TEXT;

-- CreateTable
CREATE TABLE "SourceVersion" (
    "id" SERIAL PRIMARY KEY,
    "sourceId" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "action" TEXT NOT NULL,
    "links" TEXT NOT NULL,
    "previous" TEXT,
    CONSTRAINT "SourceVersion_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Mention" (
    "id" SERIAL PRIMARY KEY,
    "issueId" INTEGER NOT NULL,
    "sourceId" INTEGER NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "startAt" TIMESTAMP(3) NOT NULL,
    "endAt" TIMESTAMP(3),
    CONSTRAINT "Mention_issueId_fkey" FOREIGN KEY ("issueId") REFERENCES "Issue" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Mention_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "SourceVersion_sourceId_at_action_key" ON "SourceVersion"("sourceId", "at", "action");
CREATE INDEX "Mention_issueId_provider_account_conversationId_idx" ON "Mention"("issueId", "provider", "account", "conversationId");
CREATE INDEX "Mention_sourceId_idx" ON "Mention"("sourceId");

-- Sources stored before: their current text becomes one version (carrying its links since the first was posted), a
-- deleted one gets its delete, and each link a source carries becomes a mention that goes on.
UPDATE "Source" SET "createdAt" = COALESCE((SELECT MIN("ls"."postedAt") FROM "LinkSource" "ls" WHERE "ls"."sourceId" = "Source"."id"), "version");
INSERT INTO "SourceVersion" ("sourceId", "at", "action", "links", "previous")
SELECT "s"."id", "s"."version", 'edited', COALESCE("j"."links", '[]'), COALESCE("j"."links", '[]')
FROM "Source" "s" LEFT JOIN (
    SELECT "ls"."sourceId", json_agg(json_build_object('provider', "l"."provider", 'account', "l"."account", 'conversationId', "l"."conversationId", 'url', "l"."url"))::text AS "links"
    FROM "LinkSource" "ls" JOIN "Link" "l" ON "l"."id" = "ls"."linkId" GROUP BY "ls"."sourceId"
) "j" ON "j"."sourceId" = "s"."id";
INSERT INTO "SourceVersion" ("sourceId", "at", "action", "links")
SELECT "id", "deletedAt", 'deleted', '[]' FROM "Source" WHERE "deletedAt" IS NOT NULL;
INSERT INTO "Mention" ("issueId", "sourceId", "provider", "account", "conversationId", "url", "startAt")
SELECT "l"."issueId", "ls"."sourceId", "l"."provider", "l"."account", "l"."conversationId", "l"."url", "s"."createdAt"
FROM "LinkSource" "ls" JOIN "Link" "l" ON "l"."id" = "ls"."linkId" JOIN "Source" "s" ON "s"."id" = "ls"."sourceId";

-- The versions now say what these said (the latest version applied, the delete's tombstone).
ALTER TABLE "Source" DROP COLUMN "version";
ALTER TABLE "Source" DROP COLUMN "deletedAt";
