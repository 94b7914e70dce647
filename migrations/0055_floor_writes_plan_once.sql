-- The floor's writes plan their statements once per session (issue 16).
--
-- Under `plan_cache_mode = auto` PostgreSQL plans a cached statement afresh on every call for
-- as long as its generic plan looks costlier than the custom ones. The statements of a move,
-- a logged call and a task write (the triggers' reads and writes of one lead, one task, one
-- stage's rows; the foreign-key checks; the commit-time notice and its drain) looked that way
-- because `organization_id = $1` is estimated at the average organization, and were planned on
-- every call: at 1M leads, pg_stat_statements (track = all) counted 0.39 ms of planning per
-- transaction for one rep alone (8 % of the server's time per write), and with 50 reps planning
-- was 11 % of all statement time (96 s in a 20 s run, waits included). Each of these statements reads or writes a few rows through a key, which is the plan a
-- generic plan makes, so the entry points of those writes and the commit-time trigger keep
-- their generic plans. The setting holds for everything run inside them (row and statement
-- triggers, foreign-key checks). The client's own statements, the import and the bulk writes
-- (whose statements range over a batch) are unchanged.
--
-- `closer bench --org Seed --leads 1000000 load --reps 50 --seconds 20`, alternated on one
-- seed: with 261-300 tx/s, without 204-254 (about +15 %).
SET LOCAL ROLE closer_owner;
ALTER FUNCTION closer.move_lead(uuid, uuid, uuid, text, uuid)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION closer.log_interaction(uuid, uuid, interaction_type, interaction_direction, text, text, integer, text)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION closer.add_task(uuid, uuid, text, text, date, time without time zone, task_priority, uuid, text, timestamp with time zone)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION closer.complete_task(uuid, uuid, integer)
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION closer.notify_flush()
    SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION closer.announce_drain(uuid)
    SET plan_cache_mode = force_generic_plan;
RESET ROLE;
