-- The manager's cockpit (issue 13): every stage change recorded in `stage_history`, and the
-- pipeline editor's write API (managers and admins only).
SET LOCAL ROLE closer_owner;

-- ---------------------------------------------------------------------------
-- 1. Stage history. One row per stay of a lead in a stage: entered (with the stage it came
--    from and who moved it), and, once the next change arrives, when it left and where to.
--    Time in stage is `left_at - entered_at` of one row and a funnel counts rows per stage in a
--    period: both read one index range, never the activity feed. Rows are per lead, so writers
--    never share a row (no hot rows); the table has no notify trigger (the lead's own change
--    already notes the transaction's one NOTIFY).
--    `from_stage_id` / `next_stage_id` are history and may name a stage deleted since;
--    `to_stage_id` becomes NULL when its stage is deleted (the stage's leads were moved, and
--    logged, by `closer.delete_stage`).
-- ---------------------------------------------------------------------------
CREATE TABLE stage_history (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    from_stage_id uuid,
    to_stage_id uuid,
    entered_at timestamptz NOT NULL DEFAULT now(),
    left_at timestamptz,
    next_stage_id uuid,
    changed_by uuid REFERENCES profiles (id) ON DELETE SET NULL,
    CHECK (left_at IS NULL OR left_at >= entered_at),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, lead_id) REFERENCES leads (organization_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organization_id, to_stage_id) REFERENCES pipeline_stages (organization_id, id)
        ON DELETE SET NULL (to_stage_id)
);
-- One open stay per lead: the one the next change closes.
CREATE UNIQUE INDEX stage_history_open_idx ON stage_history (organization_id, lead_id) WHERE left_at IS NULL;
CREATE INDEX stage_history_lead_idx ON stage_history (organization_id, lead_id, entered_at);
-- Funnel and velocity per stage and period (index-only with the included columns).
CREATE INDEX stage_history_stage_idx ON stage_history (organization_id, to_stage_id, entered_at)
    INCLUDE (lead_id, left_at, next_stage_id);
CREATE INDEX stage_history_changed_by_idx ON stage_history (changed_by);

ALTER TABLE stage_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE stage_history FORCE ROW LEVEL SECURITY;
CREATE POLICY view_org_stage_history ON stage_history FOR SELECT TO closer_member
    USING (organization_id = ANY ((SELECT closer.user_org_ids())::uuid[]));
-- Only the triggers below write (as the owner), after the lead write itself passed its policies.
CREATE POLICY owner_records_stage_history ON stage_history FOR ALL TO closer_owner
    USING (true) WITH CHECK (true);
REVOKE ALL ON stage_history FROM PUBLIC;
GRANT SELECT ON stage_history TO closer_member;
CREATE TRIGGER stage_history_keep_organization BEFORE UPDATE OF organization_id ON stage_history
    FOR EACH ROW EXECUTE FUNCTION closer.forbid_org_change();

-- New leads: one statement-level insert, so a bulk import is one INSERT … SELECT.
CREATE FUNCTION closer.stage_history_entered() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    INSERT INTO public.stage_history (organization_id, lead_id, to_stage_id, entered_at, changed_by)
    SELECT n.organization_id, n.id, n.stage_id, now(), closer.current_profile_id() FROM new_leads n;
    RETURN NULL;
END $$;
CREATE TRIGGER leads_stage_history_entered AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_leads FOR EACH STATEMENT EXECUTE FUNCTION closer.stage_history_entered();

-- Stage changes, whatever the path (moves, closing, bulk moves, stage deletion, plain SQL).
CREATE FUNCTION closer.stage_history_moved() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    UPDATE public.stage_history h SET left_at = greatest(now(), h.entered_at), next_stage_id = NEW.stage_id
    WHERE h.organization_id = NEW.organization_id AND h.lead_id = NEW.id AND h.left_at IS NULL;
    INSERT INTO public.stage_history (organization_id, lead_id, from_stage_id, to_stage_id, entered_at, changed_by)
    VALUES (NEW.organization_id, NEW.id, OLD.stage_id, NEW.stage_id, now(), closer.current_profile_id());
    RETURN NULL;
END $$;
CREATE TRIGGER leads_stage_history_moved AFTER UPDATE OF stage_id ON leads
    FOR EACH ROW WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id)
    EXECUTE FUNCTION closer.stage_history_moved();
GRANT EXECUTE ON FUNCTION closer.stage_history_entered(), closer.stage_history_moved() TO closer_member;

-- Backfill: creation (the stage the first recorded move left, else the current one) and every
-- `stage_change` activity; each stay is closed by the next event of its lead.
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
    UNION ALL
    SELECT * FROM moves
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

-- ---------------------------------------------------------------------------
-- 2. The pipeline editor: managers and admins only (the owner policies on pipelines and
--    pipeline_stages say so too). Each change is one statement for the client; the existing
--    notify triggers of pipelines and pipeline_stages send "reload" (stages: null) once per
--    transaction, so every board follows.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer.create_pipeline(org uuid, name text, stage_names text[])
    RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    created uuid;
BEGIN
    PERFORM closer.require_manager(org);
    INSERT INTO public.pipelines (organization_id, name) VALUES (org, btrim(name)) RETURNING id INTO created;
    INSERT INTO public.pipeline_stages (organization_id, pipeline_id, name, order_index, rotting_days, default_probability)
    SELECT org, created, btrim(s.name), s.n - 1, 14, least(90, 10 + 20 * (s.n - 1))::int
    FROM unnest(coalesce(stage_names, '{}')) WITH ORDINALITY AS s(name, n);
    RETURN created;
END $$;

CREATE FUNCTION closer.rename_pipeline(org uuid, pipeline uuid, name text)
    RETURNS boolean
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    WITH changed AS (
        UPDATE public.pipelines p SET name = btrim($3) WHERE p.organization_id = $1 AND p.id = $2 RETURNING p.id
    )
    SELECT EXISTS (SELECT 1 FROM changed)
$$;

-- Archived pipelines keep their leads and history; the default pipeline cannot be archived.
CREATE FUNCTION closer.archive_pipeline(org uuid, pipeline uuid, archived boolean)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    PERFORM closer.require_manager(org);
    IF archived AND EXISTS (SELECT 1 FROM public.pipelines p
                            WHERE p.organization_id = org AND p.id = pipeline AND p.is_default) THEN
        RAISE EXCEPTION 'the default pipeline cannot be archived' USING ERRCODE = 'CL422';
    END IF;
    UPDATE public.pipelines p SET archived_at = CASE WHEN archived THEN coalesce(p.archived_at, now()) END
    WHERE p.organization_id = org AND p.id = pipeline;
    RETURN FOUND;
END $$;

-- A new stage goes after the last one.
CREATE FUNCTION closer.add_stage(org uuid, pipeline uuid, name text, color text)
    RETURNS uuid
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    INSERT INTO public.pipeline_stages (organization_id, pipeline_id, name, order_index, color, rotting_days,
                                        default_probability)
    SELECT $1, p.id, btrim($3), coalesce((SELECT max(s.order_index) + 1 FROM public.pipeline_stages s
                                          WHERE s.organization_id = $1 AND s.pipeline_id = p.id), 0),
           coalesce($4, '#808080'), 14, 50
    FROM public.pipelines p WHERE p.organization_id = $1 AND p.id = $2
    RETURNING id
$$;

-- `changes`: a JSON object keyed by column (name, color, is_won, is_lost, default_probability,
-- rotting_days); an absent key leaves the column alone, a JSON null clears the nullable ones.
-- A stage made won or lost stops rotting (closed stages never rot).
CREATE FUNCTION closer.update_stage(org uuid, stage uuid, changes jsonb)
    RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
    SELECT closer.require_manager($1);
    WITH flags AS (
        SELECT CASE WHEN $3 ? 'is_won' THEN ($3 ->> 'is_won')::boolean ELSE s.is_won END AS won,
               CASE WHEN $3 ? 'is_lost' THEN ($3 ->> 'is_lost')::boolean ELSE s.is_lost END AS lost
        FROM public.pipeline_stages s WHERE s.organization_id = $1 AND s.id = $2
    ), changed AS (
        UPDATE public.pipeline_stages s SET
            name = CASE WHEN $3 ? 'name' THEN btrim($3 ->> 'name') ELSE s.name END,
            color = CASE WHEN $3 ? 'color' THEN $3 ->> 'color' ELSE s.color END,
            is_won = f.won,
            is_lost = f.lost,
            default_probability = CASE WHEN $3 ? 'default_probability' THEN ($3 ->> 'default_probability')::int
                                       ELSE s.default_probability END,
            rotting_days = CASE WHEN f.won OR f.lost THEN NULL
                                WHEN $3 ? 'rotting_days' THEN ($3 ->> 'rotting_days')::int
                                ELSE s.rotting_days END
        FROM flags f
        WHERE s.organization_id = $1 AND s.id = $2
        RETURNING s.version
    )
    SELECT version FROM changed
$$;

-- The whole new order in one statement: `stage_ids` must be exactly the pipeline's stages.
-- (The order_index uniqueness is checked at commit, so positions may swap freely.)
CREATE FUNCTION closer.reorder_stages(org uuid, pipeline uuid, stage_ids uuid[])
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    changed integer;
BEGIN
    PERFORM closer.require_manager(org);
    IF (SELECT array_agg(s.id ORDER BY s.id) FROM public.pipeline_stages s
        WHERE s.organization_id = org AND s.pipeline_id = pipeline)
       IS DISTINCT FROM (SELECT array_agg(DISTINCT x ORDER BY x) FROM unnest(stage_ids) x)
       OR cardinality(stage_ids) <> (SELECT count(DISTINCT x) FROM unnest(stage_ids) x) THEN
        RAISE EXCEPTION 'the new order must name every stage of the pipeline once' USING ERRCODE = 'CL422';
    END IF;
    UPDATE public.pipeline_stages s SET order_index = o.n - 1
    FROM unnest(stage_ids) WITH ORDINALITY AS o(id, n)
    WHERE s.organization_id = org AND s.pipeline_id = pipeline AND s.id = o.id AND s.order_index <> o.n - 1;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END $$;

-- A stage goes only with its leads moved to `move_to` (same pipeline), each move logged on the
-- lead, all in this one transaction. Returns how many leads moved.
CREATE FUNCTION closer.delete_stage(org uuid, stage uuid, move_to uuid)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
DECLARE
    old_stage record;
    new_stage record;
    moved integer;
BEGIN
    PERFORM closer.require_manager(org);
    SELECT s.id, s.name, s.pipeline_id INTO old_stage FROM public.pipeline_stages s
    WHERE s.organization_id = org AND s.id = stage FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'that stage no longer exists' USING ERRCODE = 'CL404';
    END IF;
    SELECT s.id, s.name INTO new_stage FROM public.pipeline_stages s
    WHERE s.organization_id = org AND s.id = move_to AND s.pipeline_id = old_stage.pipeline_id AND s.id <> stage;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'choose another stage of the same pipeline for its leads' USING ERRCODE = 'CL422';
    END IF;
    WITH moving AS (
        UPDATE public.leads l SET stage_id = new_stage.id
        WHERE l.organization_id = org AND l.stage_id = old_stage.id
        RETURNING l.id
    )
    INSERT INTO public.lead_activities (organization_id, lead_id, type, content)
    SELECT org, m.id, 'stage_change', jsonb_build_object(
        'from_stage_id', old_stage.id, 'to_stage_id', new_stage.id, 'from', old_stage.name, 'to', new_stage.name,
        'lost_reason', NULL, 'reason', 'stage_deleted')
    FROM moving m;
    GET DIAGNOSTICS moved = ROW_COUNT;
    DELETE FROM public.pipeline_stages s WHERE s.organization_id = org AND s.id = old_stage.id;
    -- Close the order gap the stage leaves.
    UPDATE public.pipeline_stages s SET order_index = r.n - 1
    FROM (SELECT x.id, row_number() OVER (ORDER BY x.order_index, x.id) AS n FROM public.pipeline_stages x
          WHERE x.organization_id = org AND x.pipeline_id = old_stage.pipeline_id) r
    WHERE s.organization_id = org AND s.id = r.id AND s.order_index <> r.n - 1;
    RETURN moved;
END $$;

REVOKE EXECUTE ON FUNCTION
    closer.create_pipeline(uuid, text, text[]),
    closer.rename_pipeline(uuid, uuid, text),
    closer.archive_pipeline(uuid, uuid, boolean),
    closer.add_stage(uuid, uuid, text, text),
    closer.update_stage(uuid, uuid, jsonb),
    closer.reorder_stages(uuid, uuid, uuid[]),
    closer.delete_stage(uuid, uuid, uuid)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    closer.create_pipeline(uuid, text, text[]),
    closer.rename_pipeline(uuid, uuid, text),
    closer.archive_pipeline(uuid, uuid, boolean),
    closer.add_stage(uuid, uuid, text, text),
    closer.update_stage(uuid, uuid, jsonb),
    closer.reorder_stages(uuid, uuid, uuid[]),
    closer.delete_stage(uuid, uuid, uuid)
TO closer_member;

-- ---------------------------------------------------------------------------
-- 3. Insights read what a period holds: closed deals by day, open deals by expected close,
--    calls by day. Status and type are index predicates (enum comparisons are not leakproof,
--    so under RLS they could not be index conditions).
-- ---------------------------------------------------------------------------
CREATE INDEX deals_won_on_idx ON deals (organization_id, closed_on) INCLUDE (lead_id, amount) WHERE status = 'won';
CREATE INDEX deals_lost_on_idx ON deals (organization_id, closed_on) INCLUDE (lead_id, amount) WHERE status = 'lost';
CREATE INDEX deals_open_close_idx ON deals (organization_id, expected_close_date)
    INCLUDE (lead_id, amount, probability) WHERE status = 'open';
CREATE INDEX lead_interactions_calls_idx ON lead_interactions (organization_id, occurred_at)
    INCLUDE (created_by) WHERE type = 'call';

RESET ROLE;
