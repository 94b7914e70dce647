-- The funnel's tail facts in linear time per lead (issue 13). 0031's `stay_facts` gave every stay
-- the array of all earlier stays of its lead and stage (`array_agg` over a growing frame) and
-- then unnested it three times: a lead moved hundreds of times in one month cost quadratic time
-- on every read until the next compaction (~0.9 s at 1M leads). The "prior next stages" of a stay
-- (distinct next stages of the lead's earlier stays in the stage, same month / quarter / year,
-- sorted) are now a running set per month / quarter / year partition: one window aggregate whose
-- state grows by at most the pipeline's stage count, computed in one pass. Same rows, same arrays
-- (sorted, distinct, no NULL; '{}' for the first stay of a period), so the rollups folded by 0031
-- stay valid.
SET LOCAL ROLE closer_owner;

-- Adds one stage id to a sorted set (NULL: unchanged, the function is strict).
CREATE FUNCTION closer_insights.uuid_set_add(acc uuid[], id uuid) RETURNS uuid[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE WHEN id = ANY (acc) THEN acc ELSE ARRAY(SELECT u FROM unnest(acc || id) u ORDER BY 1) END;
CREATE AGGREGATE closer_insights.uuid_set(uuid) (
    SFUNC = closer_insights.uuid_set_add, STYPE = uuid[], INITCOND = '{}'
);

-- Every window sorts by the same keys (year, quarter and month are monotonic in `entered_at`, so
-- prefixing them keeps 0031's order): one sort. Filters on the organization and lead still reach
-- the index below (every window partitions by them).
CREATE OR REPLACE VIEW closer_insights.stay_facts AS
WITH stays AS (
    SELECT h.id, h.organization_id, h.lead_id, h.to_stage_id, h.entered_at, h.left_at, h.next_stage_id,
           false AS gone, NULL::uuid AS gone_owner
    FROM public.stage_history h WHERE h.to_stage_id IS NOT NULL
    UNION ALL
    SELECT g.id, g.organization_id, g.lead_id, g.to_stage_id, g.entered_at, g.left_at, g.next_stage_id,
           true, g.owner_id
    FROM closer_insights.gone_stays g WHERE g.to_stage_id IS NOT NULL
), keyed AS (
    SELECT s.*, s.entered_at AT TIME ZONE 'UTC' AS e,
           date_trunc('year', s.entered_at AT TIME ZONE 'UTC') AS ky,
           date_trunc('quarter', s.entered_at AT TIME ZONE 'UTC') AS kq,
           date_trunc('month', s.entered_at AT TIME ZONE 'UTC') AS km
    FROM stays s
), ordered AS (
    SELECT k.*,
           lag(k.entered_at) OVER w AT TIME ZONE 'UTC' AS prev_e,
           closer_insights.uuid_set(k.next_stage_id) OVER wy AS set_y,
           closer_insights.uuid_set(k.next_stage_id) OVER wq AS set_q,
           closer_insights.uuid_set(k.next_stage_id) OVER wm AS set_m
    FROM keyed k
    WINDOW w AS (PARTITION BY k.organization_id, k.lead_id, k.gone, k.to_stage_id
                 ORDER BY k.ky, k.kq, k.km, k.entered_at, k.left_at NULLS LAST, k.id),
           wy AS (PARTITION BY k.organization_id, k.lead_id, k.gone, k.to_stage_id, k.ky
                  ORDER BY k.kq, k.km, k.entered_at, k.left_at NULLS LAST, k.id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           wq AS (PARTITION BY k.organization_id, k.lead_id, k.gone, k.to_stage_id, k.ky, k.kq
                  ORDER BY k.km, k.entered_at, k.left_at NULLS LAST, k.id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           wm AS (PARTITION BY k.organization_id, k.lead_id, k.gone, k.to_stage_id, k.ky, k.kq, k.km
                  ORDER BY k.entered_at, k.left_at NULLS LAST, k.id
                  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), flagged AS (
    SELECT o.*, o.km::date AS month,
           o.prev_e IS NULL OR date_trunc('month', o.prev_e) <> o.km AS first_m,
           o.prev_e IS NULL OR date_trunc('quarter', o.prev_e) <> o.kq AS first_q,
           o.prev_e IS NULL OR date_trunc('year', o.prev_e) <> o.ky AS first_y
    FROM ordered o
)
SELECT f.organization_id, f.lead_id, f.gone, f.gone_owner, f.to_stage_id AS stage_id, f.entered_at, f.left_at,
       f.next_stage_id, f.month, f.first_m, f.first_q, f.first_y,
       coalesce(f.set_m, '{}') AS prior_m, coalesce(f.set_q, '{}') AS prior_q, coalesce(f.set_y, '{}') AS prior_y,
       closer_insights.stay_hour(f.entered_at, f.left_at) AS hour
FROM flagged f;
REVOKE ALL ON closer_insights.stay_facts FROM PUBLIC;

RESET ROLE;
