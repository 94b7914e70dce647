-- A tag's leads read from the index alone (issue 12: filters that combine a tag with another
-- term count the leads they keep). `tag:vip rotting` at 1M leads hashed the 200k `vip` rows
-- read through a bitmap of 10k heap pages: 57-307 ms of its 420-830 ms totals, warm to cold.
-- The same key with the lead INCLUDEd replaces 0001's index (its other reader, the filter bar's
-- loose scan of an organization's tags, reads the same key), so a tag write still updates one
-- index here, not two. Keys are the organization and the tag, as before: no new oracle.
SET LOCAL ROLE closer_owner;

CREATE INDEX lead_tags_tag_lead_idx ON lead_tags (organization_id, tag) INCLUDE (lead_id);
DROP INDEX lead_tags_tag_idx;

RESET ROLE;
