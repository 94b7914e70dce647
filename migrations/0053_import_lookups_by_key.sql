-- The import's duplicate lookups by phone go through the B-tree of their key (issue 14).
--
-- In a database whose `leads` had statistics of a million rows, the cached generic plan of
-- closer.import_leads looked the batch's phone keys up through `leads_find_phone_trgm_idx`
-- (0008: a trigram GIN index on the same expression, closer_find.digits(phone) inlined, which
-- also answers `=`): a bitmap scan of every trigram of every key, 2.35 s for 200 rows, so the
-- first batch of 2,000 hit the statement timeout and `closer import leads` failed at once. A GIN
-- index is only ever read through a bitmap scan; without bitmap scans every lookup of the
-- function takes its B-tree (`leads_phone_key_idx`, `leads_email_key_idx`, the primary and
-- unique keys), read by a plain index scan for a batch's few thousand keys.
SET LOCAL ROLE closer_owner;
ALTER FUNCTION closer.import_leads(uuid, jsonb, uuid, text) SET enable_bitmapscan = off;
RESET ROLE;
