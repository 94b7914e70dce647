-- Insights folded on read (issue 13): the funnel and velocity panels read small rollup rows for
-- the stays older than a per-organization watermark plus the same facts computed over the tail
-- newer than it, instead of every stay of the period. Nothing is added to a move but one entry of
-- a partial index (the stay a move closes); the rollups are written only by a compaction that a
-- reader (or `closer admin seed`) runs when the tail is large, never by the write path.
--
-- Facts of one stay (lead L entering stage s at e, leaving at x for stage n):
--   * entry (folded once e < watermark): month of e, and whether it is L's first entry into s in
--     that month / quarter / year (`first_m/q/y`): the funnel's distinct "entered" of a period is
--     the sum of the flag of the period's kind (periods are whole UTC months, quarters, years);
--   * exit (folded once x < watermark): the next stage n and the next stages of L's earlier
--     stays in s of the same month / quarter / year (`prior_m/q/y`), so "moved on" (distinct
--     leads that left s for a later stage, in the order of the stages *now*) is counted once per
--     lead at read time whatever the order is then; and the whole days and hours of the stay
--     (two histograms: stays left, the day then the hour holding each row a percentile needs;
--     its exact value is then read from the stays of that one hour through
--     `stage_history_hours_idx`, a few hundred rows even at a million leads).
-- Facts are keyed by the lead's owner when folded. Changes after folding are exact:
--   * a stay closed later: its exit is folded only once closed (x < watermark); open stays are
--     tail for their exit;
--   * a lead reassigned: a trigger (not on the move path: only when `assigned_to` changes) logs
--     the old owner; readers move the lead's folded facts from it to the current owner, and the
--     next compaction does so in the rollups;
--   * a lead deleted: a trigger copies its stays (and owner) first; readers subtract their folded
--     facts, the next compaction too;
--   * a stage deleted, renamed, reordered, made won/lost: rollups are keyed by stage id and the
--     later-stage test uses the current order at read time, exactly as the plain query does.
-- Lost reasons fold each lead's open stay with its label and owner (`open_stays`); leads that may
-- have changed since (tail, reassigned, reason edited in place, deleted) are read live. Sources
-- read the lead's source and creation day from the deal (section 6).
SET LOCAL ROLE closer_owner;

-- Members have no USAGE on this schema: they cannot name its tables, functions or the index
-- expression below (so that index is no oracle: the planner never uses it for them).
CREATE SCHEMA closer_insights;
REVOKE ALL ON SCHEMA closer_insights FROM PUBLIC;

-- Days in stage, exactly as the plain funnel query computes them.
CREATE FUNCTION closer_insights.stay_days(entered timestamptz, left_at timestamptz) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (extract(epoch FROM left_at - entered) / 86400.0)::float8;
-- The lost-reasons panel's label of a reason.
CREATE FUNCTION closer_insights.reason_label(reason text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce(nullif(btrim(reason), ''), '(no reason given)');
GRANT EXECUTE ON FUNCTION closer_insights.reason_label(text) TO PUBLIC;

-- Whole hours in stage (the day is hour / 24, so both histograms agree by construction; both
-- grow with the days, so the stays of one hour are a contiguous run of the days' order).
CREATE FUNCTION closer_insights.stay_hour(entered timestamptz, left_at timestamptz) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN floor((extract(epoch FROM left_at - entered) / 3600.0)::float8)::integer;
CREATE FUNCTION closer_insights.stay_month(entered timestamptz) RETURNS date
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_trunc('month', entered AT TIME ZONE 'UTC')::date;
GRANT EXECUTE ON FUNCTION closer_insights.stay_days(timestamptz, timestamptz),
    closer_insights.stay_hour(timestamptz, timestamptz), closer_insights.stay_month(timestamptz) TO PUBLIC;

-- The one index entry a move adds: the stay it closes (left_at set). Percentiles read the stays
-- of one stage, hour in stage and period (whole months) from it.
CREATE INDEX stage_history_hours_idx ON stage_history
    (organization_id, to_stage_id, closer_insights.stay_hour(entered_at, left_at),
     closer_insights.stay_month(entered_at))
    INCLUDE (lead_id, entered_at, left_at) WHERE left_at IS NOT NULL;

-- ---------------------------------------------------------------------------
-- 1. Rollups, the watermark and the logs of changes after folding (owner only).
-- ---------------------------------------------------------------------------
CREATE TABLE closer_insights.watermarks (
    organization_id uuid PRIMARY KEY REFERENCES public.organizations (id) ON DELETE CASCADE,
    folded_before timestamptz NOT NULL,
    compacted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE closer_insights.entries (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    stage_id uuid NOT NULL,
    month date NOT NULL,
    owner_id uuid,
    first_m bigint NOT NULL,
    first_q bigint NOT NULL,
    first_y bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (organization_id, stage_id, month, owner_id)
);
CREATE TABLE closer_insights.exits (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    stage_id uuid NOT NULL,
    month date NOT NULL,
    owner_id uuid,
    next_stage_id uuid,
    prior_m uuid[] NOT NULL,
    prior_q uuid[] NOT NULL,
    prior_y uuid[] NOT NULL,
    stays bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (organization_id, stage_id, month, owner_id, next_stage_id, prior_m, prior_q, prior_y)
);
CREATE TABLE closer_insights.days (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    stage_id uuid NOT NULL,
    month date NOT NULL,
    owner_id uuid,
    bucket integer NOT NULL,
    stays bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (organization_id, stage_id, month, owner_id, bucket)
);
-- The hours of one day bucket: a person's (unique key), the team's (second index).
CREATE TABLE closer_insights.hours (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    stage_id uuid NOT NULL,
    month date NOT NULL,
    owner_id uuid,
    hour integer NOT NULL,
    stays bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (organization_id, stage_id, owner_id, hour, month)
);
CREATE INDEX hours_team_idx ON closer_insights.hours (organization_id, stage_id, hour, month);
-- Owner changes since the last compaction (the first one per lead names the owner its folded
-- facts are under).
CREATE TABLE closer_insights.owner_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    old_owner uuid
);
CREATE INDEX owner_changes_lead_idx ON closer_insights.owner_changes (organization_id, lead_id, id);
-- Lost reasons: each lead's open stay folded (entered below the watermark) with its stage, month,
-- owner and lost-reason label as they were then. A lead whose row may be stale since (it moved:
-- a tail lead; reassigned; its reason edited in place; deleted) is read live instead.
CREATE TABLE closer_insights.open_stays (
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    stage_id uuid NOT NULL,
    month date NOT NULL,
    owner_id uuid,
    label text NOT NULL,
    PRIMARY KEY (organization_id, lead_id)
);
CREATE INDEX open_stays_stage_idx ON closer_insights.open_stays (organization_id, stage_id, month)
    INCLUDE (lead_id, owner_id, label);
-- Lost reasons edited without a move since the last compaction.
CREATE TABLE closer_insights.label_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL
);
-- Stays of deleted leads since the last compaction.
CREATE TABLE closer_insights.gone_stays (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES public.organizations (id) ON DELETE CASCADE,
    lead_id uuid NOT NULL,
    owner_id uuid,
    to_stage_id uuid,
    entered_at timestamptz NOT NULL,
    left_at timestamptz,
    next_stage_id uuid
);
CREATE INDEX gone_stays_lead_idx ON closer_insights.gone_stays (organization_id, lead_id);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['watermarks', 'entries', 'exits', 'days', 'hours', 'owner_changes', 'gone_stays', 'open_stays', 'label_changes'] LOOP
        EXECUTE format('REVOKE ALL ON closer_insights.%I FROM PUBLIC', t);
        EXECUTE format('ALTER TABLE closer_insights.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE closer_insights.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY owner_only ON closer_insights.%I FOR ALL TO closer_owner USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;

-- ---------------------------------------------------------------------------
-- 2. The facts of every stay (live stays and the stays of deleted leads), computed per lead and
--    stage in one window: filters on the organization and lead reach the index below it.
-- ---------------------------------------------------------------------------
CREATE VIEW closer_insights.stay_facts AS
WITH stays AS (
    SELECT h.id, h.organization_id, h.lead_id, h.to_stage_id, h.entered_at, h.left_at, h.next_stage_id,
           false AS gone, NULL::uuid AS gone_owner
    FROM public.stage_history h WHERE h.to_stage_id IS NOT NULL
    UNION ALL
    SELECT g.id, g.organization_id, g.lead_id, g.to_stage_id, g.entered_at, g.left_at, g.next_stage_id,
           true, g.owner_id
    FROM closer_insights.gone_stays g WHERE g.to_stage_id IS NOT NULL
), ordered AS (
    SELECT s.*, s.entered_at AT TIME ZONE 'UTC' AS e,
           lag(s.entered_at) OVER w AT TIME ZONE 'UTC' AS prev_e,
           array_agg(s.next_stage_id) OVER earlier AS prev_nexts,
           array_agg(s.entered_at AT TIME ZONE 'UTC') OVER earlier AS prev_entered
    FROM stays s
    WINDOW w AS (PARTITION BY s.organization_id, s.lead_id, s.gone, s.to_stage_id
                 ORDER BY s.entered_at, s.left_at NULLS LAST, s.id),
           earlier AS (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), flagged AS (
    SELECT o.*, date_trunc('month', o.e)::date AS month,
           o.prev_e IS NULL OR date_trunc('month', o.prev_e) <> date_trunc('month', o.e) AS first_m,
           o.prev_e IS NULL OR date_trunc('quarter', o.prev_e) <> date_trunc('quarter', o.e) AS first_q,
           o.prev_e IS NULL OR date_trunc('year', o.prev_e) <> date_trunc('year', o.e) AS first_y
    FROM ordered o
)
SELECT f.organization_id, f.lead_id, f.gone, f.gone_owner, f.to_stage_id AS stage_id, f.entered_at, f.left_at,
       f.next_stage_id, f.month, f.first_m, f.first_q, f.first_y,
       CASE WHEN f.first_m THEN '{}'::uuid[] ELSE ARRAY(
           SELECT DISTINCT p.n FROM unnest(f.prev_nexts, f.prev_entered) p(n, e)
           WHERE p.n IS NOT NULL AND date_trunc('month', p.e) = date_trunc('month', f.e) ORDER BY 1) END AS prior_m,
       CASE WHEN f.first_q THEN '{}'::uuid[] ELSE ARRAY(
           SELECT DISTINCT p.n FROM unnest(f.prev_nexts, f.prev_entered) p(n, e)
           WHERE p.n IS NOT NULL AND date_trunc('quarter', p.e) = date_trunc('quarter', f.e) ORDER BY 1) END AS prior_q,
       CASE WHEN f.first_y THEN '{}'::uuid[] ELSE ARRAY(
           SELECT DISTINCT p.n FROM unnest(f.prev_nexts, f.prev_entered) p(n, e)
           WHERE p.n IS NOT NULL AND date_trunc('year', p.e) = date_trunc('year', f.e) ORDER BY 1) END AS prior_y,
       closer_insights.stay_hour(f.entered_at, f.left_at) AS hour
FROM flagged f;
REVOKE ALL ON closer_insights.stay_facts FROM PUBLIC;

-- The signed facts a reader adds to the rollups, and a compaction folds into them: `lo` is the
-- organization's watermark (NULL: nothing folded), `hi` the new one (a compaction) or NULL (a
-- reader: everything newer than `lo`).
--   +  tail: entries at or after lo (and before hi), exits at or after lo (and before hi), of the
--      leads given in `tail`, under their current owner;
--   ±  owner changes logged: folded facts (before lo) move from the first logged old owner to the
--      current one (leads still there);
--   -  deleted leads: their folded facts, under the owner they were folded under.
-- kind: 'e' entry, 'x' exit.
CREATE FUNCTION closer_insights.deltas(org uuid, lo timestamptz, hi timestamptz, tail uuid[])
    RETURNS TABLE (kind "char", sign integer, owner_id uuid, stage_id uuid, month date,
                   first_m boolean, first_q boolean, first_y boolean, next_stage_id uuid,
                   prior_m uuid[], prior_q uuid[], prior_y uuid[], hour integer,
                   entered_at timestamptz, left_at timestamptz)
    LANGUAGE sql STABLE SET search_path = ''
AS $$
    WITH changed AS (
        SELECT DISTINCT ON (c.lead_id) c.lead_id, c.old_owner
        FROM closer_insights.owner_changes c WHERE c.organization_id = org AND lo IS NOT NULL
        ORDER BY c.lead_id, c.id
    ), facts AS (
        -- the tail
        SELECT 1 AS sign, l.assigned_to AS owner_id, f.*, 'tail' AS why
        FROM closer_insights.stay_facts f
        JOIN public.leads l ON l.organization_id = org AND l.id = f.lead_id
        WHERE f.organization_id = org AND f.lead_id = ANY (tail) AND NOT f.gone
        UNION ALL
        -- reassigned leads: out of the old owner, into the current one
        SELECT s.sign, CASE WHEN s.sign < 0 THEN c.old_owner ELSE l.assigned_to END, f.*, 'moved'
        FROM closer_insights.stay_facts f
        JOIN changed c ON c.lead_id = f.lead_id
        JOIN public.leads l ON l.organization_id = org AND l.id = f.lead_id
        CROSS JOIN (VALUES (-1), (1)) s(sign)
        WHERE f.organization_id = org AND f.lead_id = ANY (ARRAY(SELECT c2.lead_id FROM changed c2)) AND NOT f.gone
          AND c.old_owner IS DISTINCT FROM l.assigned_to
        UNION ALL
        -- deleted leads
        SELECT -1, coalesce((SELECT c.old_owner FROM changed c WHERE c.lead_id = f.lead_id), f.gone_owner), f.*, 'gone'
        FROM closer_insights.stay_facts f
        WHERE f.organization_id = org AND lo IS NOT NULL
          AND f.lead_id = ANY (ARRAY(SELECT DISTINCT g.lead_id FROM closer_insights.gone_stays g WHERE g.organization_id = org))
          AND f.gone
    )
    SELECT 'e'::"char", f.sign, f.owner_id, f.stage_id, f.month, f.first_m, f.first_q, f.first_y,
           NULL::uuid, NULL::uuid[], NULL::uuid[], NULL::uuid[], NULL::integer, f.entered_at, f.left_at
    FROM facts f
    WHERE CASE WHEN f.why = 'tail' THEN f.entered_at >= coalesce(lo, '-infinity') AND (hi IS NULL OR f.entered_at < hi)
               ELSE f.entered_at < lo END
    UNION ALL
    SELECT 'x'::"char", f.sign, f.owner_id, f.stage_id, f.month, NULL, NULL, NULL,
           f.next_stage_id, f.prior_m, f.prior_q, f.prior_y, f.hour, f.entered_at, f.left_at
    FROM facts f
    WHERE f.left_at IS NOT NULL
      AND CASE WHEN f.why = 'tail' THEN f.left_at >= coalesce(lo, '-infinity') AND (hi IS NULL OR f.left_at < hi)
               ELSE f.left_at < lo END
$$;
REVOKE ALL ON FUNCTION closer_insights.deltas(uuid, timestamptz, timestamptz, uuid[]) FROM PUBLIC;

-- The leads with a stay entered at or after `since` (the lead's newest stay always has a stage:
-- every stay that left at or after `since` belongs to one of them). Reads the organization's
-- stages, so only a member's session (or the owner's, which sees them through its policy) finds
-- them: the superuser paths rebuild instead.
CREATE FUNCTION closer_insights.tail_leads(org uuid, since timestamptz, until_ts timestamptz)
    RETURNS uuid[]
    LANGUAGE sql STABLE SET search_path = ''
AS $$
    SELECT coalesce(array_agg(DISTINCT h.lead_id), '{}')
    FROM public.stage_history h
    WHERE h.organization_id = org
      AND h.to_stage_id = ANY (ARRAY(SELECT s.id FROM public.pipeline_stages s WHERE s.organization_id = org))
      AND h.entered_at >= since AND (until_ts IS NULL OR h.entered_at < until_ts)
$$;
REVOKE ALL ON FUNCTION closer_insights.tail_leads(uuid, timestamptz, timestamptz) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- 3. Compaction. Never queues: a second compaction of the same organization returns at once.
--    The new watermark stays behind every transaction still running (a move commits its stay
--    with the `now()` of its start), so no stay can appear below it after it was folded.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer_insights.compact(org uuid, rebuild boolean)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET work_mem = '256MB'
AS $$
DECLARE
    lo timestamptz;
    hi timestamptz;
    tail uuid[];
BEGIN
    IF NOT pg_catalog.pg_try_advisory_xact_lock(hashtextextended('closer_insights.compact', 0) # hashtextextended(org::text, 0)) THEN
        RETURN false;
    END IF;
    IF rebuild THEN
        DELETE FROM closer_insights.entries e WHERE e.organization_id = org;
        DELETE FROM closer_insights.exits x WHERE x.organization_id = org;
        DELETE FROM closer_insights.days d WHERE d.organization_id = org;
        DELETE FROM closer_insights.hours h WHERE h.organization_id = org;
        DELETE FROM closer_insights.watermarks w WHERE w.organization_id = org;
        DELETE FROM closer_insights.owner_changes c WHERE c.organization_id = org;
        DELETE FROM closer_insights.gone_stays g WHERE g.organization_id = org;
        DELETE FROM closer_insights.open_stays o WHERE o.organization_id = org;
        DELETE FROM closer_insights.label_changes c WHERE c.organization_id = org;
    END IF;
    SELECT w.folded_before INTO lo FROM closer_insights.watermarks w WHERE w.organization_id = org;
    SELECT least(now(), min(a.xact_start)) - interval '1 second' INTO hi
    FROM pg_catalog.pg_stat_activity a
    WHERE a.xact_start IS NOT NULL AND a.pid <> pg_catalog.pg_backend_pid() AND a.backend_type = 'client backend';
    IF hi <= lo THEN
        hi := lo;
    END IF;
    IF lo IS NULL THEN
        tail := NULL;  -- everything: the whole organization
    ELSE
        tail := closer_insights.tail_leads(org, lo, hi);
    END IF;

    -- One statement: the facts, the logs it consumes and the owners it reads share one snapshot.
    WITH d AS (
        SELECT * FROM closer_insights.deltas(org, lo, hi, tail) WHERE tail IS NOT NULL
        UNION ALL
        -- The first fold: every stay of the organization below hi.
        SELECT 'e'::"char", 1, l.assigned_to, f.stage_id, f.month, f.first_m, f.first_q, f.first_y,
               NULL, NULL, NULL, NULL, NULL, f.entered_at, f.left_at
        FROM closer_insights.stay_facts f JOIN public.leads l ON l.organization_id = org AND l.id = f.lead_id
        WHERE tail IS NULL AND f.organization_id = org AND NOT f.gone AND f.entered_at < hi
        UNION ALL
        SELECT 'x'::"char", 1, l.assigned_to, f.stage_id, f.month, NULL, NULL, NULL,
               f.next_stage_id, f.prior_m, f.prior_q, f.prior_y, f.hour, f.entered_at, f.left_at
        FROM closer_insights.stay_facts f JOIN public.leads l ON l.organization_id = org AND l.id = f.lead_id
        WHERE tail IS NULL AND f.organization_id = org AND NOT f.gone AND f.left_at < hi
    ), e AS (
        INSERT INTO closer_insights.entries AS r (organization_id, stage_id, month, owner_id, first_m, first_q, first_y)
        SELECT org, d.stage_id, d.month, d.owner_id, sum(d.sign * d.first_m::int), sum(d.sign * d.first_q::int),
               sum(d.sign * d.first_y::int)
        FROM d WHERE d.kind = 'e' GROUP BY d.stage_id, d.month, d.owner_id
        ON CONFLICT (organization_id, stage_id, month, owner_id) DO UPDATE
            SET first_m = r.first_m + excluded.first_m, first_q = r.first_q + excluded.first_q,
                first_y = r.first_y + excluded.first_y
    ), x AS (
        INSERT INTO closer_insights.exits AS r (organization_id, stage_id, month, owner_id, next_stage_id,
                                                prior_m, prior_q, prior_y, stays)
        SELECT org, d.stage_id, d.month, d.owner_id, d.next_stage_id, d.prior_m, d.prior_q, d.prior_y, sum(d.sign)
        FROM d WHERE d.kind = 'x'
        GROUP BY d.stage_id, d.month, d.owner_id, d.next_stage_id, d.prior_m, d.prior_q, d.prior_y
        ON CONFLICT (organization_id, stage_id, month, owner_id, next_stage_id, prior_m, prior_q, prior_y) DO UPDATE
            SET stays = r.stays + excluded.stays
    ), b AS (
        INSERT INTO closer_insights.days AS r (organization_id, stage_id, month, owner_id, bucket, stays)
        SELECT org, d.stage_id, d.month, d.owner_id, d.hour / 24, sum(d.sign)
        FROM d WHERE d.kind = 'x' GROUP BY d.stage_id, d.month, d.owner_id, d.hour / 24
        ON CONFLICT (organization_id, stage_id, month, owner_id, bucket) DO UPDATE
            SET stays = r.stays + excluded.stays
    ), hr AS (
        INSERT INTO closer_insights.hours AS r (organization_id, stage_id, month, owner_id, hour, stays)
        SELECT org, d.stage_id, d.month, d.owner_id, d.hour, sum(d.sign)
        FROM d WHERE d.kind = 'x' GROUP BY d.stage_id, d.month, d.owner_id, d.hour
        ON CONFLICT (organization_id, stage_id, owner_id, hour, month) DO UPDATE
            SET stays = r.stays + excluded.stays
    ), dirty AS (
        SELECT coalesce(tail, '{}') || ARRAY(SELECT c.lead_id FROM closer_insights.owner_changes c WHERE c.organization_id = org)
               || ARRAY(SELECT c.lead_id FROM closer_insights.label_changes c WHERE c.organization_id = org)
               || ARRAY(SELECT g.lead_id FROM closer_insights.gone_stays g WHERE g.organization_id = org) AS ids
    ), open_now AS (
        SELECT h.lead_id, h.to_stage_id, closer_insights.stay_month(h.entered_at) AS month, l.assigned_to,
               closer_insights.reason_label(l.lost_reason) AS label
        FROM public.stage_history h
        JOIN public.leads l ON l.organization_id = org AND l.id = h.lead_id
        WHERE h.organization_id = org AND h.left_at IS NULL AND h.to_stage_id IS NOT NULL AND h.entered_at < hi
          AND (tail IS NULL OR h.lead_id = ANY ((SELECT dirty.ids FROM dirty)::uuid[]))
    ), os AS (
        INSERT INTO closer_insights.open_stays AS r (organization_id, lead_id, stage_id, month, owner_id, label)
        SELECT org, o.lead_id, o.to_stage_id, o.month, o.assigned_to, o.label FROM open_now o
        ON CONFLICT (organization_id, lead_id) DO UPDATE
            SET stage_id = excluded.stage_id, month = excluded.month, owner_id = excluded.owner_id, label = excluded.label
    ), os_gone AS (
        DELETE FROM closer_insights.open_stays r
        WHERE r.organization_id = org AND tail IS NOT NULL AND r.lead_id = ANY ((SELECT dirty.ids FROM dirty)::uuid[])
          AND NOT EXISTS (SELECT 1 FROM open_now o WHERE o.lead_id = r.lead_id)
    ), c AS (
        DELETE FROM closer_insights.owner_changes c WHERE c.organization_id = org
    ), lc AS (
        DELETE FROM closer_insights.label_changes c WHERE c.organization_id = org
    ), g AS (
        DELETE FROM closer_insights.gone_stays g WHERE g.organization_id = org
    )
    INSERT INTO closer_insights.watermarks AS w (organization_id, folded_before, compacted_at)
    VALUES (org, hi, now())
    ON CONFLICT (organization_id) DO UPDATE SET folded_before = excluded.folded_before, compacted_at = excluded.compacted_at;

    DELETE FROM closer_insights.entries e
    WHERE e.organization_id = org AND e.first_m = 0 AND e.first_q = 0 AND e.first_y = 0;
    DELETE FROM closer_insights.exits x WHERE x.organization_id = org AND x.stays = 0;
    DELETE FROM closer_insights.days d WHERE d.organization_id = org AND d.stays = 0;
    DELETE FROM closer_insights.hours h WHERE h.organization_id = org AND h.stays = 0;
    RETURN true;
END $$;
REVOKE ALL ON FUNCTION closer_insights.compact(uuid, boolean) FROM PUBLIC;

-- A member's reader runs it when the tail is large (incremental: its session sees the stages).
CREATE FUNCTION closer.insights_compact(org uuid)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' SET lock_timeout = '5s'
AS $$
BEGIN
    PERFORM closer.require_member(org);
    RETURN closer_insights.compact(org, false);
END $$;
REVOKE ALL ON FUNCTION closer.insights_compact(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.insights_compact(uuid) TO closer_member;

-- ---------------------------------------------------------------------------
-- 4. Changes after folding: reassignments and deletions (never on the move path).
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer_insights.log_owner_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    INSERT INTO closer_insights.owner_changes (organization_id, lead_id, old_owner)
    VALUES (OLD.organization_id, OLD.id, OLD.assigned_to);
    RETURN NULL;
END $$;
CREATE TRIGGER leads_insights_owner_changed AFTER UPDATE OF assigned_to ON leads
    FOR EACH ROW WHEN (OLD.assigned_to IS DISTINCT FROM NEW.assigned_to)
    EXECUTE FUNCTION closer_insights.log_owner_change();

-- A lost reason edited in place (a move that sets it makes the lead a tail lead anyway).
CREATE FUNCTION closer_insights.log_label_change() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    INSERT INTO closer_insights.label_changes (organization_id, lead_id) VALUES (OLD.organization_id, OLD.id);
    RETURN NULL;
END $$;
CREATE TRIGGER leads_insights_label_changed AFTER UPDATE OF lost_reason ON leads
    FOR EACH ROW WHEN (OLD.stage_id IS NOT DISTINCT FROM NEW.stage_id
                       AND OLD.lost_reason IS DISTINCT FROM NEW.lost_reason)
    EXECUTE FUNCTION closer_insights.log_label_change();

-- Before the lead (and, by cascade, its stays) goes: its stays and owner. Skipped when the whole
-- organization is being deleted (its rollups go with it).
CREATE FUNCTION closer_insights.keep_gone_stays() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = ''
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM public.organizations o WHERE o.id = OLD.organization_id) THEN
        INSERT INTO closer_insights.gone_stays (id, organization_id, lead_id, owner_id, to_stage_id, entered_at,
                                                left_at, next_stage_id)
        SELECT h.id, h.organization_id, h.lead_id, OLD.assigned_to, h.to_stage_id, h.entered_at, h.left_at,
               h.next_stage_id
        FROM public.stage_history h
        WHERE h.organization_id = OLD.organization_id AND h.lead_id = OLD.id
        ON CONFLICT (id) DO NOTHING;
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER leads_insights_keep_gone BEFORE DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION closer_insights.keep_gone_stays();

-- ---------------------------------------------------------------------------
-- 5. The read: the funnel and velocity of one pipeline, period and person (NULL: the team).
--    Members only; a rep only for themselves (managers and admins: anyone, or the team).
--    STABLE, so every statement below reads one snapshot. `pending` = tail leads + logged
--    changes: the caller compacts when it is large.
-- ---------------------------------------------------------------------------
CREATE FUNCTION closer_insights.nth_stay_days(org uuid, stage uuid, hour integer, from_day date, to_day date,
                                              person uuid, nth bigint)
    RETURNS float8
    LANGUAGE sql STABLE SET search_path = ''
AS $$
    SELECT closer_insights.stay_days(h.entered_at, h.left_at)
    FROM public.stage_history h
    WHERE h.organization_id = org AND h.to_stage_id = stage
      AND closer_insights.stay_hour(h.entered_at, h.left_at) = hour
      AND closer_insights.stay_month(h.entered_at) >= from_day AND closer_insights.stay_month(h.entered_at) < to_day
      AND h.left_at IS NOT NULL
      AND (person IS NULL OR EXISTS (SELECT 1 FROM public.leads l
                                     WHERE l.organization_id = org AND l.id = h.lead_id AND l.assigned_to = person))
    ORDER BY 1 OFFSET nth LIMIT 1
$$;
REVOKE ALL ON FUNCTION closer_insights.nth_stay_days(uuid, uuid, integer, date, date, uuid, bigint) FROM PUBLIC;

-- The row `nth` (0-based) of day bucket `day` of one stage: the hours of that day (rollup, plus
-- the tail's exits given as hours and signs) find its hour, that hour's stays its value.
CREATE FUNCTION closer_insights.nth_in_day(org uuid, stage uuid, day integer, nth bigint, from_day date, to_day date,
                                           person uuid, tail_hours integer[], tail_signs integer[])
    RETURNS float8
    LANGUAGE plpgsql STABLE SET search_path = ''
AS $$
DECLARE
    r record;
    seen bigint := 0;
BEGIN
    FOR r IN
        SELECT x.hour, sum(x.n) AS n
        FROM (SELECT h.hour, h.stays AS n FROM closer_insights.hours h
              WHERE h.organization_id = org AND h.stage_id = stage AND h.hour BETWEEN day * 24 AND day * 24 + 23
                AND h.month >= from_day AND h.month < to_day AND (person IS NULL OR h.owner_id = person)
              UNION ALL
              SELECT t.hour, t.sign FROM unnest(tail_hours, tail_signs) t(hour, sign)
              WHERE t.hour BETWEEN day * 24 AND day * 24 + 23) x
        GROUP BY x.hour HAVING sum(x.n) <> 0 ORDER BY x.hour
    LOOP
        IF nth < seen + r.n THEN
            RETURN closer_insights.nth_stay_days(org, stage, r.hour, from_day, to_day, person, nth - seen);
        END IF;
        seen := seen + r.n;
    END LOOP;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION closer_insights.nth_in_day(uuid, uuid, integer, bigint, date, date, uuid, integer[], integer[]) FROM PUBLIC;

-- percentile_cont over the stays of one stage, as PostgreSQL computes it: the day histogram
-- finds the day of each row the interpolation needs, `nth_in_day` its exact value.
CREATE FUNCTION closer_insights.percentile(org uuid, stage uuid, days integer[], counts bigint[], p float8,
                                           from_day date, to_day date, person uuid,
                                           tail_hours integer[], tail_signs integer[])
    RETURNS float8
    LANGUAGE plpgsql STABLE SET search_path = ''
AS $$
DECLARE
    total bigint := (SELECT sum(c) FROM unnest(counts) c);
    pos float8;
    lo_row bigint;
    hi_row bigint;
    lo_val float8;
    hi_val float8;
    seen bigint := 0;
    i integer;
BEGIN
    IF total IS NULL OR total <= 0 THEN
        RETURN NULL;
    END IF;
    pos := p * (total - 1);
    lo_row := floor(pos)::bigint;
    hi_row := ceil(pos)::bigint;
    FOR i IN 1 .. cardinality(days) LOOP
        IF lo_val IS NULL AND lo_row < seen + counts[i] THEN
            lo_val := closer_insights.nth_in_day(org, stage, days[i], lo_row - seen, from_day, to_day, person,
                                                 tail_hours, tail_signs);
        END IF;
        IF hi_row < seen + counts[i] THEN
            hi_val := CASE WHEN hi_row = lo_row THEN lo_val
                           ELSE closer_insights.nth_in_day(org, stage, days[i], hi_row - seen, from_day, to_day,
                                                           person, tail_hours, tail_signs) END;
            EXIT;
        END IF;
        seen := seen + counts[i];
    END LOOP;
    RETURN lo_val + (hi_val - lo_val) * (pos - lo_row);
END $$;
REVOKE ALL ON FUNCTION closer_insights.percentile(uuid, uuid, integer[], bigint[], float8, date, date, uuid, integer[], integer[]) FROM PUBLIC;

CREATE FUNCTION closer.insights_funnel(org uuid, pipeline uuid, from_day date, to_day date, person uuid)
    RETURNS TABLE (stage_id uuid, entered bigint, moved_on bigint, stays_left bigint,
                   median_days float8, p80_days float8, pending bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    period_kind text;
    lo timestamptz;
    tail uuid[];
    waiting bigint;
    r record;
BEGIN
    PERFORM closer.require_member(org);
    IF person IS DISTINCT FROM closer.current_profile_id() AND NOT org = ANY (closer.user_manager_org_ids()) THEN
        RAISE EXCEPTION 'a rep sees only their own insights' USING ERRCODE = '42501';
    END IF;
    period_kind := CASE
        WHEN from_day = date_trunc('month', from_day)::date AND to_day = (from_day + interval '1 month')::date THEN 'm'
        WHEN from_day = date_trunc('quarter', from_day)::date AND to_day = (from_day + interval '3 months')::date THEN 'q'
        WHEN from_day = date_trunc('year', from_day)::date AND to_day = (from_day + interval '1 year')::date THEN 'y'
    END;
    IF period_kind IS NULL THEN
        RAISE EXCEPTION 'insights periods are whole months, quarters or years' USING ERRCODE = '22023';
    END IF;
    SELECT w.folded_before INTO lo FROM closer_insights.watermarks w WHERE w.organization_id = org;
    tail := closer_insights.tail_leads(org, coalesce(lo, '-infinity'), NULL);
    waiting := cardinality(tail)
        + (SELECT count(*) FROM closer_insights.owner_changes c WHERE c.organization_id = org)
        + (SELECT count(DISTINCT g.lead_id) FROM closer_insights.gone_stays g WHERE g.organization_id = org);

    FOR r IN
        WITH st AS (
            SELECT s.id, s.order_index FROM public.pipeline_stages s
            WHERE s.organization_id = org AND s.pipeline_id = pipeline
        ), d AS MATERIALIZED (
            SELECT * FROM closer_insights.deltas(org, lo, NULL, tail) d
            WHERE d.month >= from_day AND d.month < to_day AND d.stage_id IN (SELECT st.id FROM st)
              AND (person IS NULL OR d.owner_id = person)
        ), ent AS (
            SELECT e.stage_id, CASE period_kind WHEN 'm' THEN e.first_m WHEN 'q' THEN e.first_q ELSE e.first_y END AS n
            FROM closer_insights.entries e
            WHERE e.organization_id = org AND e.month >= from_day AND e.month < to_day
              AND e.stage_id IN (SELECT st.id FROM st) AND (person IS NULL OR e.owner_id = person)
            UNION ALL
            SELECT d.stage_id, d.sign * (CASE period_kind WHEN 'm' THEN d.first_m WHEN 'q' THEN d.first_q ELSE d.first_y END)::int
            FROM d WHERE d.kind = 'e'
        ), ex AS (
            SELECT x.stage_id, x.next_stage_id,
                   CASE period_kind WHEN 'm' THEN x.prior_m WHEN 'q' THEN x.prior_q ELSE x.prior_y END AS prior, x.stays AS n
            FROM closer_insights.exits x
            WHERE x.organization_id = org AND x.month >= from_day AND x.month < to_day
              AND x.stage_id IN (SELECT st.id FROM st) AND (person IS NULL OR x.owner_id = person)
            UNION ALL
            SELECT d.stage_id, d.next_stage_id,
                   CASE period_kind WHEN 'm' THEN d.prior_m WHEN 'q' THEN d.prior_q ELSE d.prior_y END, d.sign::bigint
            FROM d WHERE d.kind = 'x'
        ), moved AS (
            SELECT ex.stage_id, sum(ex.n) AS n
            FROM ex JOIN st s ON s.id = ex.stage_id JOIN st n ON n.id = ex.next_stage_id
            WHERE n.order_index > s.order_index
              AND NOT EXISTS (SELECT 1 FROM unnest(ex.prior) p(id) JOIN st ps ON ps.id = p.id
                              WHERE ps.order_index > s.order_index)
            GROUP BY ex.stage_id
        ), hist AS (
            SELECT h.stage_id, h.bucket, sum(h.n)::bigint AS stays
            FROM (SELECT b.stage_id, b.bucket, b.stays AS n FROM closer_insights.days b
                  WHERE b.organization_id = org AND b.month >= from_day AND b.month < to_day
                    AND b.stage_id IN (SELECT st.id FROM st) AND (person IS NULL OR b.owner_id = person)
                  UNION ALL
                  SELECT d.stage_id, d.hour / 24, d.sign FROM d WHERE d.kind = 'x') h
            GROUP BY h.stage_id, h.bucket
            HAVING sum(h.n) <> 0
        )
        SELECT s.id,
               coalesce((SELECT sum(ent.n) FROM ent WHERE ent.stage_id = s.id), 0)::bigint AS entered,
               coalesce((SELECT moved.n FROM moved WHERE moved.stage_id = s.id), 0)::bigint AS moved_on,
               coalesce((SELECT sum(hist.stays) FROM hist WHERE hist.stage_id = s.id), 0)::bigint AS stays_left,
               (SELECT array_agg(hist.bucket ORDER BY hist.bucket) FROM hist WHERE hist.stage_id = s.id) AS buckets,
               (SELECT array_agg(hist.stays ORDER BY hist.bucket) FROM hist WHERE hist.stage_id = s.id) AS counts,
               (SELECT array_agg(d.hour) FROM d WHERE d.kind = 'x' AND d.stage_id = s.id) AS tail_hours,
               (SELECT array_agg(d.sign) FROM d WHERE d.kind = 'x' AND d.stage_id = s.id) AS tail_signs
        FROM st s
    LOOP
        stage_id := r.id;
        entered := r.entered;
        moved_on := r.moved_on;
        stays_left := r.stays_left;
        median_days := closer_insights.percentile(org, r.id, r.buckets, r.counts, 0.5, from_day, to_day, person,
                                                  r.tail_hours, r.tail_signs);
        p80_days := closer_insights.percentile(org, r.id, r.buckets, r.counts, 0.8, from_day, to_day, person,
                                               r.tail_hours, r.tail_signs);
        pending := waiting;
        RETURN NEXT;
    END LOOP;
END $$;
REVOKE ALL ON FUNCTION closer.insights_funnel(uuid, uuid, date, date, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.insights_funnel(uuid, uuid, date, date, uuid) TO closer_member;

-- Lost reasons: leads whose current stay (entered in the period) is in a lost stage of the
-- pipeline, by reason. Folded rows of leads nothing touched since, plus the live rows of the
-- leads that may have changed (tail, reassigned, reason edited, deleted). Same rules as above.
CREATE FUNCTION closer.insights_lost_reasons(org uuid, pipeline uuid, from_day date, to_day date, person uuid)
    RETURNS TABLE (label text, n bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = ''
AS $$
DECLARE
    lo timestamptz;
    dirty uuid[];
BEGIN
    PERFORM closer.require_member(org);
    IF person IS DISTINCT FROM closer.current_profile_id() AND NOT org = ANY (closer.user_manager_org_ids()) THEN
        RAISE EXCEPTION 'a rep sees only their own insights' USING ERRCODE = '42501';
    END IF;
    SELECT w.folded_before INTO lo FROM closer_insights.watermarks w WHERE w.organization_id = org;
    dirty := closer_insights.tail_leads(org, coalesce(lo, '-infinity'), NULL)
        || ARRAY(SELECT c.lead_id FROM closer_insights.owner_changes c WHERE c.organization_id = org)
        || ARRAY(SELECT c.lead_id FROM closer_insights.label_changes c WHERE c.organization_id = org)
        || ARRAY(SELECT g.lead_id FROM closer_insights.gone_stays g WHERE g.organization_id = org);
    RETURN QUERY
    WITH lost AS (
        SELECT s.id FROM public.pipeline_stages s
        WHERE s.organization_id = org AND s.pipeline_id = pipeline AND s.is_lost
    ), changed AS (
        SELECT DISTINCT u.id FROM unnest(dirty) u(id)
    )
    SELECT x.label, count(*)
    FROM (SELECT o.label FROM closer_insights.open_stays o
          WHERE lo IS NOT NULL AND o.organization_id = org AND o.stage_id IN (SELECT lost.id FROM lost)
            AND o.month >= from_day AND o.month < to_day AND (person IS NULL OR o.owner_id = person)
            AND NOT EXISTS (SELECT 1 FROM changed c WHERE c.id = o.lead_id)
          UNION ALL
          SELECT closer_insights.reason_label(l.lost_reason)
          FROM public.stage_history h
          JOIN public.leads l ON l.organization_id = org AND l.id = h.lead_id
          WHERE h.organization_id = org AND h.lead_id = ANY (dirty) AND h.left_at IS NULL
            AND h.to_stage_id IN (SELECT lost.id FROM lost)
            AND closer_insights.stay_month(h.entered_at) >= from_day AND closer_insights.stay_month(h.entered_at) < to_day
            AND (person IS NULL OR l.assigned_to = person)) x
    GROUP BY x.label
    ORDER BY 2 DESC, 1;
END $$;
REVOKE ALL ON FUNCTION closer.insights_lost_reasons(uuid, uuid, date, date, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer.insights_lost_reasons(uuid, uuid, date, date, uuid) TO closer_member;

-- ---------------------------------------------------------------------------
-- 6. Sources without joining leads: each deal carries its lead's source and creation day, kept
--    by 0017's two triggers (a deal takes them from its lead; a lead passes them on when they
--    change). A move writes nothing more: the lead trigger already runs on every move and only
--    compares two more columns. The won range of the period is then index-only.
-- ---------------------------------------------------------------------------
ALTER TABLE deals ADD COLUMN source text, ADD COLUMN lead_created_on date,
    ADD CONSTRAINT closer_size_source_1000 CHECK (char_length(source) <= 1000);

CREATE OR REPLACE FUNCTION closer.deal_takes_lead_scope() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    SELECT s.pipeline_id, l.assigned_to, l.source, (l.created_at AT TIME ZONE 'UTC')::date
    INTO NEW.pipeline_id, NEW.owner_id, NEW.source, NEW.lead_created_on
    FROM public.leads l
    JOIN public.pipeline_stages s ON s.organization_id = l.organization_id AND s.id = l.stage_id
    WHERE l.organization_id = NEW.organization_id AND l.id = NEW.lead_id;
    RETURN NEW;
END $$;
DROP TRIGGER deals_take_lead_scope ON deals;
CREATE TRIGGER deals_take_lead_scope
    BEFORE INSERT OR UPDATE OF lead_id, pipeline_id, owner_id, source, lead_created_on ON deals
    FOR EACH ROW EXECUTE FUNCTION closer.deal_takes_lead_scope();

CREATE OR REPLACE FUNCTION closer.deals_follow_lead_scope() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = ''
AS $$
BEGIN
    -- A move between stages of one pipeline (the board's every move) changes no deal.
    IF OLD.assigned_to IS NOT DISTINCT FROM NEW.assigned_to
       AND OLD.source IS NOT DISTINCT FROM NEW.source
       AND OLD.created_at IS NOT DISTINCT FROM NEW.created_at
       AND (SELECT s.pipeline_id FROM public.pipeline_stages s
            WHERE s.organization_id = NEW.organization_id AND s.id = NEW.stage_id)
           IS NOT DISTINCT FROM
           (SELECT s.pipeline_id FROM public.pipeline_stages s
            WHERE s.organization_id = OLD.organization_id AND s.id = OLD.stage_id) THEN
        RETURN NULL;
    END IF;
    -- deals_take_lead_scope fills the columns from the lead as it is now.
    UPDATE public.deals d SET owner_id = NEW.assigned_to
    WHERE d.organization_id = NEW.organization_id AND d.lead_id = NEW.id;
    RETURN NULL;
END $$;
DROP TRIGGER leads_deals_follow_scope ON leads;
CREATE TRIGGER leads_deals_follow_scope AFTER UPDATE OF stage_id, assigned_to, source, created_at ON leads
    FOR EACH ROW WHEN (OLD.stage_id IS DISTINCT FROM NEW.stage_id OR OLD.assigned_to IS DISTINCT FROM NEW.assigned_to
                       OR OLD.source IS DISTINCT FROM NEW.source OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION closer.deals_follow_lead_scope();

DROP INDEX deals_won_scope_idx;
CREATE INDEX deals_won_scope_idx ON deals (organization_id, pipeline_id, closed_on)
    INCLUDE (owner_id, amount, lead_id, currency, source, lead_created_on) WHERE status = 'won';

-- The backfill: derived columns (no version bump, no notice), as the admin (see 0017).
ALTER TABLE deals DISABLE TRIGGER USER;
RESET ROLE;
UPDATE deals d SET source = l.source, lead_created_on = (l.created_at AT TIME ZONE 'UTC')::date
FROM leads l
WHERE l.organization_id = d.organization_id AND l.id = d.lead_id;
SET LOCAL ROLE closer_owner;
ALTER TABLE deals ENABLE TRIGGER USER;

RESET ROLE;

-- The watermark stays behind every running transaction: the owner reads their start times.
GRANT pg_read_all_stats TO closer_owner;

-- Fold what every organization already has (as the admin: the owner's policies show a superuser
-- no organization's stages, and the rebuild needs none).
SELECT closer_insights.compact(o.id, true) FROM organizations o;
