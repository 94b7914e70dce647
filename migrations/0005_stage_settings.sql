-- Settings that the board (rotting markers, closed-stage headers), closing a lead and the
-- pipeline editor all read: added once here so each of them builds on the same columns.
SET LOCAL ROLE closer_owner;

-- A stage's own "rotting after N days without contact"; closed stages never rot.
-- The probability a deal gets when its lead enters the stage (the pipeline editor sets it).
ALTER TABLE pipeline_stages
    ADD COLUMN rotting_days integer CHECK (rotting_days BETWEEN 1 AND 3650),
    ADD COLUMN default_probability integer CHECK (default_probability BETWEEN 0 AND 100),
    ADD CONSTRAINT pipeline_stages_closed_never_rot
        CHECK (rotting_days IS NULL OR NOT (is_won OR is_lost));

-- Archived pipelines keep their leads and history but leave the pipeline switcher.
ALTER TABLE pipelines ADD COLUMN archived_at timestamptz;

-- The day a deal was won or lost (periods on the board and in insights count by it).
ALTER TABLE deals
    ADD COLUMN closed_on date,
    ADD CONSTRAINT deals_closed_on_only_when_closed
        CHECK (closed_on IS NULL OR status <> 'open');

-- Sensible defaults: early stages rot sooner than late ones; probabilities climb with the order.
UPDATE pipeline_stages s
SET rotting_days = CASE WHEN s.is_won OR s.is_lost THEN NULL
                        WHEN s.order_index <= 1 THEN 7
                        ELSE 14 END,
    default_probability = CASE WHEN s.is_won THEN 100
                               WHEN s.is_lost THEN 0
                               ELSE LEAST(90, 10 + 20 * s.order_index) END;

UPDATE deals SET closed_on = (updated_at AT TIME ZONE 'UTC')::date WHERE status <> 'open';

RESET ROLE;
