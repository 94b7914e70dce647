-- A move writes two index entries fewer (issue 16).
--
-- Every move inserts a `stage_history` row and closes the previous one (an UPDATE of `left_at`,
-- never HOT: `left_at` is in three of its indexes), so each index of the table takes two entries
-- per move. `stage_history_organization_id_id_key` (organization_id, id), from the schema's first
-- migration, is read by nothing: no foreign key references stage_history (the other tenant tables'
-- (organization_id, id) keys are the targets of composite keys; this one never was), no statement
-- looks a history row up by id, and `pg_stat_user_indexes` counted 0 scans of it through floor
-- and find benchmarks while `stage_history_open_idx` counted 37,463. At 1M leads it held 3M
-- entries (196 MB) at random places (ids are random UUIDs): a page fetched, and after a
-- checkpoint written whole to the WAL, twice per move. The primary key on `id` stays; every
-- unique key left still includes `organization_id` or is that key (`scale.rs ::
-- tenant_keys_are_ready_to_shard_by_organization`).
SET LOCAL ROLE closer_owner;
ALTER TABLE stage_history DROP CONSTRAINT stage_history_organization_id_id_key;
RESET ROLE;
