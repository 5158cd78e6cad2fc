-- A delivery's payload (10–25 KB of JSON) is TOASTed; compressing it with pglz cost the server about as much CPU as
-- the rest of the insert, on the webhook request path. An inbox row lives for seconds, so its size matters less
-- than the time to commit it: store the payload out of line, uncompressed. (SQLite does not compress; no change.)
ALTER TABLE "Delivery" ALTER COLUMN "payload" SET STORAGE EXTERNAL;
