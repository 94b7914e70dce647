-- Search stays fast while a sales floor writes (issue 16, found with `closer bench load`).
-- GIN indexes take new entries into a pending list that every search scans in full, until
-- VACUUM or the list's limit (4 MB by default) merges it. Every move rewrites a lead's row, so
-- under load the trigram lists of `leads` grew to 100–500 pages: at 1M leads, searches that took
-- 5–20 ms took 3–4.5 s after a 20 s run of 50 reps (gin_clean_pending_list brought them back).
-- A 128 kB limit keeps the scan to 16 pages and merges in small batches, still far cheaper per
-- write than fastupdate off.
SET LOCAL ROLE closer_owner;

DO $$
DECLARE
    name text;
BEGIN
    FOR name IN
        SELECT c.relname FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        JOIN pg_catalog.pg_am a ON a.oid = c.relam
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE a.amname = 'gin' AND n.nspname = 'public'
    LOOP
        EXECUTE format('ALTER INDEX public.%I SET (gin_pending_list_limit = 128)', name);
    END LOOP;
END $$;

RESET ROLE;
