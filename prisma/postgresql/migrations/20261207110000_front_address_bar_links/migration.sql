-- A Front link made from the address bar's decimal number (/open/<number>, converted to cnv_ + base 36, which Front
-- does not officially support) is marked, on the mention and on the link, so `closeloop links` can say so.
ALTER TABLE "Mention" ADD COLUMN "fromAddressBar" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Link" ADD COLUMN "fromAddressBar" BOOLEAN NOT NULL DEFAULT false;
