-- An import batch's name words split inline, not through a function call per lead (issue 14:
-- import 100k <= 15 s).
--
-- closer_find.learn (0062) splits every new lead's name with closer_find.name_words_of. As a
-- STRICT set-returning SQL function it could not be inlined, so each of an import's 100,000
-- leads set up and ran its own function executor: 70-148 ms of every 5,000-name batch, against
-- 38-43 ms inlined (`explain` shows a Function Scan on regexp_split_to_table instead of one on
-- name_words_of). Declared CALLED ON NULL INPUT it is inlined; a null name still has no words
-- (fold(null) is null, and splitting null gives no rows), so every caller gets what it got.
SET LOCAL ROLE closer_owner;

CREATE OR REPLACE FUNCTION closer_find.name_words_of(name text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE CALLED ON NULL INPUT
BEGIN ATOMIC
    SELECT w FROM regexp_split_to_table(closer_find.fold(name), '[^[:alnum:]]+') w
    WHERE length(w) BETWEEN 3 AND 50 AND w ~ '[[:alpha:]]';
END;

RESET ROLE;
