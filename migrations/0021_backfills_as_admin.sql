-- Backfills that reach the rows (issue 15 follow-up): migrations create objects as closer_owner,
-- and forced row security lets closer_owner see no organization's rows, so the backfills of
-- 0005, 0009 and 0013 changed nothing on a database that already had data (tests/db/upgrade.rs).
-- Here they run as the migrating admin (a superuser: row security does not apply), each one
-- only where the derived value is still missing, so a database that never missed them, or
-- whose managers changed the settings since, keeps what it has.
SET LOCAL ROLE closer_owner;
RESET ROLE;

-- Derived values are no edits: no version bump, no author stamp, no notification.
ALTER TABLE pipeline_stages DISABLE TRIGGER USER;
ALTER TABLE deals DISABLE TRIGGER USER;
ALTER TABLE lead_tasks DISABLE TRIGGER USER;

-- 0005: a stage never given a setting gets the defaults (closed stages never rot).
UPDATE pipeline_stages s
SET rotting_days = CASE WHEN s.is_won OR s.is_lost THEN NULL
                        WHEN s.order_index <= 1 THEN 7
                        ELSE 14 END,
    default_probability = CASE WHEN s.is_won THEN 100
                               WHEN s.is_lost THEN 0
                               ELSE LEAST(90, 10 + 20 * s.order_index) END
WHERE s.rotting_days IS NULL AND s.default_probability IS NULL;

-- 0005: a closed deal has the day it closed (the trigger keeps it since; missing means missed).
UPDATE deals SET closed_on = (updated_at AT TIME ZONE 'UTC')::date
WHERE status <> 'open' AND closed_on IS NULL;

-- 0013: tasks of won and lost leads carry the flag the inbox's indexes leave out.
UPDATE lead_tasks t SET lead_closed = true
FROM leads l JOIN pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
WHERE l.organization_id = t.organization_id AND l.id = t.lead_id AND (s.is_won OR s.is_lost)
  AND NOT t.lead_closed;

ALTER TABLE lead_tasks ENABLE TRIGGER USER;
ALTER TABLE deals ENABLE TRIGGER USER;
ALTER TABLE pipeline_stages ENABLE TRIGGER USER;

-- 0009: the stage history of leads that have none, rebuilt from their activities as 0009 meant.
INSERT INTO stage_history (organization_id, lead_id, from_stage_id, to_stage_id, entered_at, left_at,
                           next_stage_id, changed_by)
WITH moves AS (
    SELECT a.organization_id, a.lead_id, (a.content ->> 'from_stage_id')::uuid AS from_stage,
           (a.content ->> 'to_stage_id')::uuid AS to_stage, a.created_at AS at, a.created_by AS by_whom,
           1 AS kind, a.id AS tiebreak
    FROM lead_activities a
    WHERE a.type = 'stage_change'
      AND a.content ->> 'to_stage_id' ~ '^[0-9a-f-]{36}$'
      AND coalesce(a.content ->> 'from_stage_id', '') ~ '^([0-9a-f-]{36})?$'
), events AS (
    SELECT l.organization_id, l.id AS lead_id, NULL::uuid AS from_stage,
           coalesce((SELECT m.from_stage FROM moves m
                     WHERE m.organization_id = l.organization_id AND m.lead_id = l.id
                     ORDER BY m.at, m.tiebreak LIMIT 1), l.stage_id) AS to_stage,
           l.created_at AS at, l.created_by AS by_whom, 0 AS kind, l.id AS tiebreak
    FROM leads l
    WHERE NOT EXISTS (SELECT FROM stage_history h
                      WHERE h.organization_id = l.organization_id AND h.lead_id = l.id)
    UNION ALL
    SELECT m.* FROM moves m
    WHERE NOT EXISTS (SELECT FROM stage_history h
                      WHERE h.organization_id = m.organization_id AND h.lead_id = m.lead_id)
), ordered AS (
    SELECT e.*,
           lead(e.at) OVER w AS next_at,
           lead(e.to_stage) OVER w AS next_stage,
           row_number() OVER (PARTITION BY e.organization_id, e.lead_id ORDER BY e.at DESC, e.kind DESC, e.tiebreak DESC) AS from_end
    FROM events e
    WINDOW w AS (PARTITION BY e.organization_id, e.lead_id ORDER BY e.at, e.kind, e.tiebreak)
)
SELECT o.organization_id, o.lead_id, o.from_stage,
       (SELECT s.id FROM pipeline_stages s WHERE s.organization_id = o.organization_id AND s.id = o.to_stage),
       o.at,
       CASE WHEN o.from_end > 1 THEN greatest(o.next_at, o.at) END,
       CASE WHEN o.from_end > 1 THEN o.next_stage END,
       (SELECT p.id FROM profiles p WHERE p.id = o.by_whom)
FROM ordered o;
