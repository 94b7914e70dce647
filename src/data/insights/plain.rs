//! The plain deal, call and task queries over the tables themselves: the definitions the folded
//! reads of `read.rs` (migration 0042) must equal. Tests run them (as the admin) beside the screen's
//! figures; `plain_sql` fills in the deal scope. Same binds as `read.rs`.

/// Deals of the pipeline (their lead's current stage) and of the person (their lead's owner):
/// the columns migration 0017 keeps on each deal, so no lead is read.
/// Sums are in the organization's currency only (issue 11): deals in others are counted apart
/// (`OTHER_CURRENCIES_SQL`), never added to them.
const DEAL_SCOPE: &str =
    "WHERE d.organization_id = $1 AND d.pipeline_id = $2 AND ($5::uuid IS NULL OR d.owner_id = $5)
       AND d.currency = (SELECT o.currency FROM organizations o WHERE o.id = $1)";

/// The period's deals in other currencies than the organization's: open ones by expected close,
/// won and lost ones by close day (the same periods as the panels).
pub const OTHER_CURRENCIES_PLAIN_SQL: &str = "SELECT d.currency, d.status::text AS status, count(*) AS n,
            sum(d.amount)::float8 AS amount
     FROM deals d
     WHERE d.organization_id = $1 AND d.pipeline_id = $2 AND ($5::uuid IS NULL OR d.owner_id = $5)
       AND d.currency <> (SELECT o.currency FROM organizations o WHERE o.id = $1)
       AND CASE WHEN d.status = 'open' THEN d.expected_close_date >= $3 AND d.expected_close_date < $4
                ELSE d.closed_on >= $3 AND d.closed_on < $4 END
     GROUP BY 1, 2 ORDER BY 1, 2";

pub const FORECAST_PLAIN_SQL: &str = "SELECT date_trunc('month', d.expected_close_date)::date AS month, count(*) AS n,
            sum(d.amount)::float8 AS amount, sum(d.amount * d.probability / 100.0)::float8 AS weighted
     FROM deals d {scope}
       AND d.status = 'open' AND d.expected_close_date >= $3 AND d.expected_close_date < $4
     GROUP BY 1 ORDER BY 1";

/// Won and lost apart, so each reads its own partial index.
pub const CLOSED_PLAIN_SQL: &str = "SELECT 'won' AS status, date_trunc('month', d.closed_on)::date AS month, count(*) AS n,
            sum(d.amount)::float8 AS amount
     FROM deals d {scope} AND d.status = 'won' AND d.closed_on >= $3 AND d.closed_on < $4 GROUP BY 2
     UNION ALL
     SELECT 'lost', date_trunc('month', d.closed_on)::date, count(*), sum(d.amount)::float8
     FROM deals d {scope} AND d.status = 'lost' AND d.closed_on >= $3 AND d.closed_on < $4 GROUP BY 2
     ORDER BY 2, 1";

/// Won deals of the period by their lead's source, with the days each took from lead creation
/// to close: the lead's source and creation day are on the deal (migration 0031), so this is one
/// index-only range and no lead is read.
pub const SOURCES_PLAIN_SQL: &str =
    "SELECT coalesce(nullif(btrim(d.source), ''), '(none)') AS label, count(*) AS n,
            sum(d.amount)::float8 AS amount,
            sum(d.closed_on - d.lead_created_on)::float8 AS days
     FROM deals d
     {scope} AND d.status = 'won' AND d.closed_on >= $3 AND d.closed_on < $4
     GROUP BY 1 ORDER BY 3 DESC, 1";

/// Each figure is aggregated once (MATERIALIZED): joined to the members in a nested loop, a
/// CTE the planner inlined was scanned once per member (at 1M leads, 222k completed tasks twice).
pub const LEADERBOARD_PLAIN_SQL: &str = "WITH members AS (
         SELECT m.profile_id, p.full_name FROM organization_members m JOIN profiles p ON p.id = m.profile_id
         WHERE m.organization_id = $1 AND ($5::uuid IS NULL OR m.profile_id = $5)
     ), won AS MATERIALIZED (
         SELECT d.owner_id AS who, sum(d.amount) AS amount, count(*) AS n
         FROM deals d {scope} AND d.status = 'won' AND d.closed_on >= $3 AND d.closed_on < $4 GROUP BY 1
     ), open AS MATERIALIZED (
         SELECT d.owner_id AS who, sum(d.amount) AS amount
         FROM deals d {scope} AND d.status = 'open' AND d.expected_close_date >= $3 AND d.expected_close_date < $4
         GROUP BY 1
     ), calls AS MATERIALIZED (
         SELECT i.created_by AS who, count(*) AS n FROM lead_interactions i
         WHERE i.organization_id = $1 AND i.type = 'call'
           AND i.occurred_at >= ($3::date)::timestamp AT TIME ZONE 'UTC'
           AND i.occurred_at < ($4::date)::timestamp AT TIME ZONE 'UTC'
           AND ($5::uuid IS NULL OR i.created_by = $5)
         GROUP BY 1
     ), tasks AS MATERIALIZED (
         SELECT t.assigned_to AS who, count(*) AS done,
                count(*) FILTER (WHERE t.due_date IS NULL OR (t.completed_at AT TIME ZONE 'UTC')::date <= t.due_date) AS on_time
         FROM lead_tasks t
         WHERE t.organization_id = $1 AND t.status = 'completed'
           AND t.completed_at >= ($3::date)::timestamp AT TIME ZONE 'UTC'
           AND t.completed_at < ($4::date)::timestamp AT TIME ZONE 'UTC'
           AND ($5::uuid IS NULL OR t.assigned_to = $5)
         GROUP BY 1
     )
     SELECT m.profile_id, m.full_name, coalesce(won.amount, 0)::float8 AS won_amount, coalesce(won.n, 0) AS won_count,
            coalesce(open.amount, 0)::float8 AS open_amount, coalesce(calls.n, 0) AS calls,
            coalesce(tasks.on_time, 0) AS on_time, coalesce(tasks.done, 0) AS done
     FROM members m
     LEFT JOIN won ON won.who = m.profile_id
     LEFT JOIN open ON open.who = m.profile_id
     LEFT JOIN calls ON calls.who = m.profile_id
     LEFT JOIN tasks ON tasks.who = m.profile_id
     ORDER BY 3 DESC, 5 DESC, m.full_name, m.profile_id";

/// A plain query with its deal scope filled in.
pub fn plain_sql(template: &str) -> String {
    template.replace("{scope}", DEAL_SCOPE)
}
