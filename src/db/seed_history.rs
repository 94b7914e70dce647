//! Stage history for seeded leads, written from the seed plan in the same pass as the other tables
//! (the seed writes with triggers off, so nothing else would fill `stage_history`): each lead walks
//! its pipeline's open stages up to where it stands (won leads through all of them, lost leads drop
//! out part-way), one in ten goes back a stage and forward again. A closed lead's last stay begins
//! at the instant its deal closed and its tasks were done, so insights and the board agree.
//!
//! Ids ascend with the lead's row number (like every seeded id), so the primary key and the
//! `(organization_id, id)` key are appended to instead of filled at random pages, and nothing is
//! joined back to `leads`: at 1M leads the old join with an anti-join on existing history ran for
//! minutes when the planner's statistics were stale.

/// A seed step for the plan rows whose number has the given parity: `$1` organization,
/// `seed_plan` the plan table.
macro_rules! history_step {
    ($parity:literal) => {
        concat!("INSERT INTO stage_history (id, organization_id, lead_id, from_stage_id, to_stage_id, entered_at,
                                   left_at, next_stage_id, changed_by)
     WITH st AS (
         SELECT coalesce(array_agg(s.id ORDER BY s.order_index) FILTER (WHERE NOT s.is_won AND NOT s.is_lost), '{}') AS open_ids
         FROM pipeline_stages s JOIN pipelines pl ON pl.id = s.pipeline_id
         WHERE pl.organization_id = $1 AND pl.is_default
     ), walked AS (
         SELECT p.i, p.s, p.id, p.prefix, p.owner, p.created_at, p.closed,
                CASE WHEN p.stage_name = 'Won' THEN st.open_ids || p.stage_id
                     WHEN p.stage_name = 'Lost' AND cardinality(st.open_ids) > 0
                         THEN st.open_ids[1:1 + floor(cardinality(st.open_ids) * pg_temp.rnd(p.i, p.s + 94))::int] || p.stage_id
                     WHEN array_position(st.open_ids, p.stage_id) IS NOT NULL
                         THEN st.open_ids[1:array_position(st.open_ids, p.stage_id)]
                     ELSE ARRAY[p.stage_id] END AS path,
                -- Closed leads: from creation to the close instant the deals and tasks steps use.
                CASE WHEN p.closed THEN (p.seeded_at - p.created_at) * pg_temp.rnd(p.i, p.s + 93)
                     ELSE (p.seeded_at - p.created_at) * 0.9 END AS span
         FROM seed_plan p, st WHERE p.i % 2 = ", $parity, "
     -- Materialized: inlined, every use of `path` below re-evaluated the whole walk (about fifty
     -- array walks per stay; 20 s instead of 2 s per 100k leads).
     ), paths AS MATERIALIZED (
         SELECT w.i, w.id, w.prefix, w.owner, w.created_at, w.closed, w.span,
                CASE WHEN pg_temp.rnd(w.i, w.s + 95) < 0.1 AND cardinality(w.path) >= 3
                     THEN w.path[1:cardinality(w.path) - 1] || w.path[cardinality(w.path) - 2]
                          || w.path[cardinality(w.path) - 1] || w.path[cardinality(w.path)]
                     ELSE w.path END AS path
         FROM walked w
     ), stays AS (
         SELECT p.*, g.n, cardinality(p.path) AS stays,
                -- The share of the span at which stay n begins: a closed lead's last stay begins
                -- exactly at the close; an open lead's last stay is still running.
                CASE WHEN p.closed AND cardinality(p.path) > 1
                     THEN (g.n - 1)::float8 / (cardinality(p.path) - 1)
                     ELSE (g.n - 1)::float8 / cardinality(p.path) END AS starts,
                CASE WHEN p.closed AND cardinality(p.path) > 1
                     THEN g.n::float8 / (cardinality(p.path) - 1)
                     ELSE g.n::float8 / cardinality(p.path) END AS ends
         FROM paths p CROSS JOIN LATERAL generate_series(1, cardinality(p.path)) g(n)
     )
     SELECT pg_temp.sid(s.prefix, 8, s.i * 64 + s.n), $1, s.id,
            CASE WHEN s.n > 1 THEN s.path[s.n - 1] END, s.path[s.n],
            s.created_at + s.span * s.starts,
            CASE WHEN s.n < s.stays THEN s.created_at + s.span * s.ends END,
            CASE WHEN s.n < s.stays THEN s.path[s.n + 1] END,
            s.owner
     FROM stays s")
    };
}

/// The history of the plan's even or odd rows: one step on each seed connection (see
/// `seed::FIRST_HALF`), the biggest table split so both halves take about as long.
pub const HISTORY_EVEN: &str = history_step!("0");
pub const HISTORY_ODD: &str = history_step!("1");
