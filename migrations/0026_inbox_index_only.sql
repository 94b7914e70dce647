-- The inbox reads each group off an index and stops after what it shows (issue 16). Replaces,
-- never adds (every index on lead_tasks costs every task write):
-- * The open ranges (0013) held cancelled tasks too (`status <> 'completed'`, before 0016), so
--   the open test needed the heap: each capped count read up to 1,000 heap rows per priority.
--   With the predicate the queries state (`status in ('pending', 'overdue')`) the counts and the
--   rows shown are index-only scans.
-- * The completed ranges (0003) were ordered by completion time alone: the "completed" group
--   sorted every task completed in the window (25k heap rows at 1M leads) to show 300. Keyed in
--   the group's whole display order, it reads 300 rows.
SET LOCAL ROLE closer_owner;

DO $$
DECLARE
    p text;
BEGIN
    FOREACH p IN ARRAY ARRAY['high', 'medium', 'low'] LOOP
        EXECUTE format('DROP INDEX lead_tasks_live_%1$s_mine_idx', p);
        EXECUTE format('DROP INDEX lead_tasks_live_%1$s_team_idx', p);
        EXECUTE format('CREATE INDEX lead_tasks_live_%1$s_mine_idx ON lead_tasks
                            (organization_id, assigned_to, due_date, due_time, title, id)
                        WHERE status IN (%2$L, %3$L) AND priority = %1$L AND NOT lead_closed',
                       p, 'pending', 'overdue');
        EXECUTE format('CREATE INDEX lead_tasks_live_%1$s_team_idx ON lead_tasks
                            (organization_id, due_date, due_time, title, id)
                        WHERE status IN (%2$L, %3$L) AND priority = %1$L AND NOT lead_closed',
                       p, 'pending', 'overdue');
    END LOOP;
END $$;

DROP INDEX lead_tasks_done_mine_idx;
DROP INDEX lead_tasks_done_team_idx;
CREATE INDEX lead_tasks_done_mine_idx ON lead_tasks
    (organization_id, assigned_to, completed_at DESC, priority DESC, due_date, due_time, title, id)
    WHERE status = 'completed';
CREATE INDEX lead_tasks_done_team_idx ON lead_tasks
    (organization_id, completed_at DESC, priority DESC, due_date, due_time, title, id)
    WHERE status = 'completed';

RESET ROLE;
