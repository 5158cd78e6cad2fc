-- Whether a source carries the link now, kept by the writes of LinkSource: the decay sweep, the label reads and the
-- impact counts test it instead of looking LinkSource up for each link (at ten million links most of a sweep's reads).
-- A constant default adds the column without rewriting the table; only links no source carries are written.
ALTER TABLE "Link" ADD COLUMN "live" BOOLEAN NOT NULL DEFAULT true;

UPDATE "Link" SET "live" = false WHERE NOT EXISTS (SELECT 1 FROM "LinkSource" s WHERE s."linkId" = "Link"."id");
