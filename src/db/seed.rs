//! Synthetic, deterministic demo data generated in set-based SQL (a million leads in one pass,
//! never row by row). Every value derives from (seed, row number) through `hashint8extended`,
//! so the same seed yields the same data; a seed already applied to an organization is refused.

use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, bail};
use sqlx::AssertSqlSafe;
use sqlx::PgPool;
use uuid::Uuid;

pub use super::seed_totals::recompute_stage_summaries;

#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub leads: u64,
    pub interactions: u64,
    pub activities: u64,
    pub tasks: u64,
    pub tags: u64,
    pub documents: u64,
    pub deals: u64,
    pub elapsed: Duration,
}

/// Tables whose secondary indexes are rebuilt after a large seed: building an index once is far
/// cheaper than maintaining four trigram GIN indexes row by row.
const BULK_TABLES: [&str; 9] = [
    "leads",
    "lead_profiles",
    "lead_interactions",
    "lead_activities",
    "lead_tasks",
    "lead_tags",
    "lead_documents",
    "deals",
    "stage_history",
];
/// The seeded tables (and the header deltas) split for VACUUM over two connections, the big
/// ones apart: VACUUM is CPU-bound here too.
const VACUUM_HALVES: [&str; 2] = [
    "stage_history, leads, lead_tags, deals, lead_documents",
    "lead_interactions, lead_activities, lead_profiles, lead_tasks, stage_summary_deltas",
];
const REBUILD_INDEXES_FROM: i64 = 20_000;

/// Seeds `leads` leads (and everything that hangs off them) into the organization. Needs a superuser pool.
///
/// The work is CPU-bound inside PostgreSQL, so it runs on two connections at once: the plan is
/// committed first (an unlogged table both can read), then each connection fills half the tables,
/// then both rebuild half the indexes. If a step fails, the dropped indexes are restored.
pub async fn seed(
    pool: &PgPool,
    organization_id: Uuid,
    leads: i64,
    seed: i64,
) -> Result<SeedReport> {
    if leads <= 0 {
        bail!("--leads must be a positive number");
    }
    let started = Instant::now();
    let members: i64 =
        sqlx::query_scalar("select count(*) from organization_members where organization_id = $1")
            .bind(organization_id)
            .fetch_one(pool)
            .await?;
    let stages: i64 = sqlx::query_scalar(
        "select count(*) from pipeline_stages s join pipelines p on p.id = s.pipeline_id
         where p.organization_id = $1 and p.is_default",
    )
    .bind(organization_id)
    .fetch_one(pool)
    .await?;
    if stages == 0 {
        bail!("the organization has no default pipeline with stages");
    }
    if members == 0 {
        tracing::warn!("seeding an organization without members: leads will be unassigned");
    }
    // Ids derive from (organization, seed, row), so a seed can only be applied once per organization.
    let already: bool = sqlx::query_scalar(
        "select exists(select 1 from leads where organization_id = $1 and external_lead_id = $2)",
    )
    .bind(organization_id)
    .bind(format!("seed-{seed}-{:010}", 1))
    .fetch_one(pool)
    .await?;
    if already {
        bail!(
            "this organization was already seeded with --seed {seed}; pick another seed to add more leads"
        );
    }

    let plan_table = format!("closer_seed_plan_{}", Uuid::new_v4().simple());
    let mut first = prepared_connection(pool).await?;
    let mut second = prepared_connection(pool).await?;
    run_step(
        &mut first,
        "plan",
        &PLAN_SQL.replace("seed_plan", &plan_table),
        organization_id,
        leads,
        seed,
    )
    .await?;

    let index_definitions = if leads >= REBUILD_INDEXES_FROM {
        drop_secondary_indexes(&mut first).await?
    } else {
        Vec::new()
    };
    let filled = fill_tables(
        &mut first,
        &mut second,
        &plan_table,
        organization_id,
        leads,
        seed,
    )
    .await;
    // The totals and the insights fold scan whole tables and need none of the dropped indexes:
    // they run beside one index builder, and the second builder joins when they are done.
    let derived = async {
        match &filled {
            Ok(_) => super::seed_totals::derive_totals_and_fold(pool, organization_id).await,
            Err(_) => Ok(()),
        }
    };
    let (rebuilt, derived) =
        rebuild_indexes(&mut first, &mut second, &index_definitions, derived).await;
    let dropped = sqlx::query(AssertSqlSafe(format!(
        "DROP TABLE IF EXISTS public.{plan_table}"
    )))
    .execute(&mut first)
    .await;
    let report = filled?;
    rebuilt?;
    dropped?;
    derived?;
    drop((first, second));
    vacuum_analyze(pool).await?;
    Ok(SeedReport {
        elapsed: started.elapsed(),
        ..report
    })
}

/// A connection with triggers off (FK checks and summaries: the data is consistent by
/// construction and summaries are recomputed at the end) and the helper functions defined.
///
/// The connection is detached from the pool and closed when dropped: its session settings
/// (triggers off!) must never leak into the pool's other users.
pub(super) async fn prepared_connection(pool: &PgPool) -> Result<sqlx::PgConnection> {
    let mut conn = pool.acquire().await?.detach();
    for setting in [
        "SET session_replication_role = replica",
        "SET maintenance_work_mem = '1GB'",
        "SET work_mem = '128MB'",
        "SET statement_timeout = 0",
        "SET synchronous_commit = off",
        "CREATE OR REPLACE FUNCTION pg_temp.rnd(i bigint, salt bigint) RETURNS float8 LANGUAGE sql IMMUTABLE
         AS $$ SELECT (hashint8extended(i, salt) & 9007199254740991)::float8 / 9007199254740992.0 $$",
        // Ids ascend with the row number under a per-(organization, seed) prefix: deterministic,
        // and b-tree inserts append instead of landing on random pages.
        "CREATE OR REPLACE FUNCTION pg_temp.sid(prefix text, tag int, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE
         AS $$ SELECT (prefix || lpad(to_hex(tag), 4, '0') || lpad(to_hex(n), 16, '0'))::uuid $$",
    ] {
        sqlx::query(setting).execute(&mut conn).await?;
    }
    Ok(conn)
}

async fn run_step(
    conn: &mut sqlx::PgConnection,
    step: &str,
    sql: &str,
    org: Uuid,
    leads: i64,
    seed: i64,
) -> Result<u64> {
    let step_started = Instant::now();
    let affected = sqlx::query(AssertSqlSafe(sql.to_string()))
        .bind(org)
        .bind(leads)
        .bind(seed)
        .execute(&mut *conn)
        .await
        .wrap_err_with(|| format!("seeding failed while generating {step}"))?
        .rows_affected();
    tracing::info!(
        step,
        rows = affected,
        elapsed_ms = step_started.elapsed().as_millis() as u64,
        "seed step"
    );
    Ok(affected)
}

async fn run_steps(
    conn: &mut sqlx::PgConnection,
    steps: &[(&'static str, &'static str)],
    plan_table: &str,
    org: Uuid,
    leads: i64,
    seed: i64,
) -> Result<Vec<(&'static str, u64)>> {
    let mut counts = Vec::new();
    for (step, sql) in steps {
        counts.push((
            *step,
            run_step(
                conn,
                step,
                &sql.replace("seed_plan", plan_table)
                    .replace("{type}", INTERACTION_TYPE)
                    .replace("{at}", INTERACTION_AT),
                org,
                leads,
                seed,
            )
            .await?,
        ));
    }
    Ok(counts)
}

/// Splits the tables over two connections with roughly equal work.
async fn fill_tables(
    first: &mut sqlx::PgConnection,
    second: &mut sqlx::PgConnection,
    plan_table: &str,
    org: Uuid,
    leads: i64,
    seed: i64,
) -> Result<SeedReport> {
    let (a, b) = tokio::join!(
        run_steps(first, FIRST_HALF, plan_table, org, leads, seed),
        run_steps(second, SECOND_HALF, plan_table, org, leads, seed)
    );
    let mut report = SeedReport::default();
    for (step, rows) in a?.into_iter().chain(b?) {
        match step {
            "leads" => report.leads = rows,
            "interactions" => report.interactions = rows,
            "activities" => report.activities = rows,
            "tasks" => report.tasks = rows,
            "tags" => report.tags = rows,
            "documents" => report.documents = rows,
            "deals" => report.deals = rows,
            _ => {}
        }
    }
    Ok(report)
}

/// Builds indexes taken from the shared queue until it is empty, so two connections finish
/// together however unequal the indexes are.
async fn build_indexes(
    conn: &mut sqlx::PgConnection,
    queue: &std::sync::Mutex<Vec<String>>,
) -> Result<()> {
    loop {
        let next = match queue.lock() {
            Ok(mut queue) => queue.pop(),
            Err(_) => {
                bail!("rebuilding the indexes failed: the other connection's builder stopped")
            }
        };
        let Some(definition) = next else {
            return Ok(());
        };
        let started = Instant::now();
        sqlx::query(AssertSqlSafe(definition.clone()))
            .execute(&mut *conn)
            .await
            .wrap_err("rebuilding an index failed")?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            definition,
            "seed index built"
        );
    }
}

/// Building an index once is far cheaper than maintaining four trigram GIN indexes row by row.
async fn drop_secondary_indexes(conn: &mut sqlx::PgConnection) -> Result<Vec<String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select i.indexname::text, i.indexdef from pg_indexes i
         where i.schemaname = 'public' and i.tablename = any($1)
           and not exists (select 1 from pg_constraint c where c.conname = i.indexname)",
    )
    .bind(BULK_TABLES.map(String::from).to_vec())
    .fetch_all(&mut *conn)
    .await?;
    let mut definitions = Vec::new();
    for (name, definition) in rows {
        sqlx::query(AssertSqlSafe(format!(
            "DROP INDEX public.{}",
            super::admin::quote_ident(&name)
        )))
        .execute(&mut *conn)
        .await?;
        definitions.push(definition);
    }
    Ok(definitions)
}

/// Rebuilds the dropped indexes from one shared queue while `beside` (the totals and the first
/// insights fold) runs; the second connection joins the queue once `beside` is done. The fold is
/// one long statement on one core: with two builders beside it, it got half a core and ran alone
/// at the end with the other core idle (18 s at 1M leads); the queue of short builds is what can
/// fill the cores at the end. Returns (rebuild, beside).
async fn rebuild_indexes(
    first: &mut sqlx::PgConnection,
    second: &mut sqlx::PgConnection,
    definitions: &[String],
    beside: impl std::future::Future<Output = Result<()>>,
) -> (Result<()>, Result<()>) {
    let started = Instant::now();
    // Popped from the end: the slow trigram and full-text (GIN) builds first, the quick b-trees
    // last, so neither connection is left with one long build while the other idles.
    let mut ordered = definitions.to_vec();
    ordered.sort_by_key(|definition| definition.contains("USING gin"));
    let queue = std::sync::Mutex::new(ordered);
    let joining = async {
        let beside = beside.await;
        (beside, build_indexes(second, &queue).await)
    };
    let (a, (beside, b)) = tokio::join!(build_indexes(first, &queue), joining);
    let rebuilt = a.and(b);
    if rebuilt.is_ok() {
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "seed indexes rebuilt"
        );
    }
    (rebuilt, beside)
}

/// Leaves the database ready whatever the size: statistics for the planner (a 10k-lead board took
/// 6–8 s to show without them) and hint bits and the visibility map set, so the first walk down a
/// column or an inbox group reads the index only. VACUUM cannot run inside a transaction: it
/// runs on a pooled connection of its own, in autocommit.
async fn vacuum_analyze(pool: &PgPool) -> Result<()> {
    let started = Instant::now();
    let vacuum = |tables: &'static str| async move {
        let mut conn = pool.acquire().await?;
        let tables = tables
            .split(", ")
            .map(|table| format!("public.{table}"))
            .collect::<Vec<_>>()
            .join(", ");
        sqlx::query(AssertSqlSafe(format!("VACUUM (ANALYZE) {tables}")))
            .execute(&mut *conn)
            .await
            .wrap_err("VACUUM (ANALYZE) after seeding failed")?;
        Ok::<(), color_eyre::eyre::Report>(())
    };
    let (a, b) = tokio::join!(vacuum(VACUUM_HALVES[0]), vacuum(VACUUM_HALVES[1]));
    a?;
    b?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "seed vacuumed and analyzed"
    );
    Ok(())
}

/// Each step takes $1 organization, $2 number of leads, $3 seed. Steps after the plan read the
/// plan table (`seed_plan`, renamed per run), so every child row derives from its lead's row number.
const PLAN_SQL: &str = "CREATE UNLOGGED TABLE public.seed_plan AS
         WITH stages AS (
             SELECT array_agg(s.id ORDER BY s.order_index) ids, array_agg(s.name ORDER BY s.order_index) names
             FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id
             WHERE p.organization_id = $1 AND p.is_default
         ), owners AS (
             SELECT coalesce(array_agg(profile_id ORDER BY profile_id), '{}') ids
             FROM organization_members WHERE organization_id = $1
         ), numbered AS (
             SELECT i, ($3::bigint * 1000003 + 17) AS s FROM generate_series(1, $2::bigint) i
         ), base AS (
         SELECT n.i,
                pg_temp.sid(left(md5($1::text || ':' || $3::text), 12), 1, n.i) AS id,
                left(md5($1::text || ':' || $3::text), 12) AS prefix,
                n.s,
                st.ids[1 + least(cardinality(st.ids) - 1, floor(cardinality(st.ids) * pg_temp.rnd(n.i, n.s + 1) ^ 1.35)::int)] AS stage_id,
                st.names[1 + least(cardinality(st.ids) - 1, floor(cardinality(st.ids) * pg_temp.rnd(n.i, n.s + 1) ^ 1.35)::int)] AS stage_name,
                CASE WHEN cardinality(o.ids) = 0 THEN NULL
                     ELSE o.ids[1 + floor(cardinality(o.ids) * pg_temp.rnd(n.i, n.s + 2))::int] END AS owner,
                now() - make_interval(secs => pg_temp.rnd(n.i, n.s + 3) * 400 * 86400) AS created_at,
                -- One clock for every step (they run on two connections), so derived figures agree.
                now() AS seeded_at
         FROM numbered n, stages st, owners o
         )
         -- Per lead, read by every later step (one story, issue 10): closed leads (Won/Lost),
         -- fresh open leads contacted within the last 6 days (about three quarters of the open
         -- leads, so roughly a quarter rot), and how many interactions the lead has.
         SELECT b.*, b.stage_name IN ('Won', 'Lost') AS closed,
                b.stage_name NOT IN ('Won', 'Lost') AND pg_temp.rnd(b.i, b.s + 59) < 0.72 AS fresh,
                CASE WHEN b.stage_name NOT IN ('Won', 'Lost') AND pg_temp.rnd(b.i, b.s + 59) < 0.72
                     THEN 1 + floor(3 * pg_temp.rnd(b.i, b.s + 50))::int
                     ELSE floor(4 * pg_temp.rnd(b.i, b.s + 50))::int END AS contacts
         FROM base b";

/// An interaction of lead `p` number `k`: its type and when it happened (the first interaction of
/// a fresh lead within the last 6 days). Used by the interactions step and by the leads step to
/// derive `total_calls` and `last_contacted_at` from the very same rows (unrolled there: a lead
/// has at most 3 interactions, and inline expressions cost far less than a subquery per lead).
const INTERACTION_TYPE: &str = "(ARRAY['email','call','meeting','note','sms','whatsapp'])[1 + floor(6 * pg_temp.rnd(p.i * 8 + k, p.s + 57))::int]::interaction_type";
const INTERACTION_AT: &str = "CASE WHEN p.fresh AND k = 1
              THEN greatest(p.created_at, p.seeded_at - make_interval(secs => pg_temp.rnd(p.i * 8 + k, p.s + 58) * 6 * 86400))
              ELSE p.created_at + (p.seeded_at - p.created_at) * pg_temp.rnd(p.i * 8 + k, p.s + 58) END";

const FIRST_HALF: &[(&str, &str)] = &[
    (
        "leads",
        "INSERT INTO leads (id, organization_id, name, email, phone, stage_id, assigned_to, source, lead_source,
                            external_lead_id, score, engagement_score, interest_level, purchase_readiness, total_calls,
                            last_sentiment_score, last_contacted_at, metadata, raw_data, created_by, created_at, updated_at,
                            lost_reason)
         SELECT p.id, $1, f.name || ' ' || l.name,
                lower(f.name || '.' || l.name || p.i) || '@' || (ARRAY['example.com','mail.test','corp.example','inbox.test'])[1 + (p.i % 4)],
                '+1 555 ' || lpad((floor(pg_temp.rnd(p.i, p.s + 10) * 10000000))::text, 7, '0'),
                p.stage_id, p.owner,
                (ARRAY['web','referral','event','cold_call','ads','partner'])[1 + floor(6 * pg_temp.rnd(p.i, p.s + 11))::int],
                (ARRAY['website_form','facebook','google_ads','walk_in','import'])[1 + floor(5 * pg_temp.rnd(p.i, p.s + 12))::int],
                'seed-' || $3 || '-' || lpad(p.i::text, 10, '0'),
                floor(101 * pg_temp.rnd(p.i, p.s + 13))::int,
                floor(101 * pg_temp.rnd(p.i, p.s + 14))::int,
                floor(101 * pg_temp.rnd(p.i, p.s + 15))::int,
                floor(101 * pg_temp.rnd(p.i, p.s + 16))::int,
                c.calls,
                round((pg_temp.rnd(p.i, p.s + 18) * 2 - 1)::numeric, 3),
                c.last_contact,
                jsonb_build_object('campaign', 'spring-' || (p.i % 7)),
                jsonb_build_object('form', 'contact', 'row', p.i),
                p.owner, p.created_at, p.created_at,
                CASE WHEN p.stage_name = 'Lost'
                     THEN (ARRAY['Price too high','Bought elsewhere','No budget this year','Went silent','Location not right'])[1 + floor(5 * pg_temp.rnd(p.i, p.s + 19))::int] END
         FROM seed_plan p
         CROSS JOIN LATERAL (SELECT {type} AS type, {at} AS at FROM (VALUES (1)) v (k)) x1
         CROSS JOIN LATERAL (SELECT {type} AS type, {at} AS at FROM (VALUES (2)) v (k)) x2
         CROSS JOIN LATERAL (SELECT {type} AS type, {at} AS at FROM (VALUES (3)) v (k)) x3
         CROSS JOIN LATERAL (
             SELECT ((p.contacts >= 1 AND x1.type = 'call')::int + (p.contacts >= 2 AND x2.type = 'call')::int
                     + (p.contacts >= 3 AND x3.type = 'call')::int) AS calls,
                    greatest(CASE WHEN p.contacts >= 1 AND x1.type <> 'note' THEN x1.at END,
                             CASE WHEN p.contacts >= 2 AND x2.type <> 'note' THEN x2.at END,
                             CASE WHEN p.contacts >= 3 AND x3.type <> 'note' THEN x3.at END) AS last_contact) c
         CROSS JOIN LATERAL (SELECT (ARRAY['Ava','Liam','Noah','Emma','Olivia','Mia','Lucas','Zoë','Mateo','Sofia','Hiro','Aisha',
                 'Chen','Priya','Jonas','Fatima','Omar','Elena','Kwame','Ingrid','Diego','Yuki','Amara','Tomás'])[1 + floor(24 * pg_temp.rnd(p.i, p.s + 4))::int] AS name) f
         CROSS JOIN LATERAL (SELECT (ARRAY['Smith','García','Müller','Kim','Okafor','Rossi','Nguyen','Silva','Cohen','Novak',
                 'Haddad','Larsen','Patel','Moreau','Tanaka','Kowalski','Andersen','Mensah','Ivanova','Reyes'])[1 + floor(20 * pg_temp.rnd(p.i, p.s + 5))::int] AS name) l",
    ),
    (
        "activities",
        "INSERT INTO lead_activities (id, organization_id, lead_id, type, content, created_by, created_at)
         SELECT pg_temp.sid(p.prefix, 3, p.i), $1, p.id, 'lead_created',
                jsonb_build_object('stage', p.stage_name, 'source', 'seed'), p.owner, p.created_at
         FROM seed_plan p",
    ),
    (
        "tags",
        "INSERT INTO lead_tags (id, organization_id, lead_id, tag, color, created_at)
         SELECT pg_temp.sid(p.prefix, 5, p.i * 8 + g.n), $1, p.id, g.tag, g.color, p.created_at
         FROM seed_plan p
         CROSS JOIN LATERAL (VALUES ('vip', '#d4a017', 1), ('investor', '#2f80ed', 2), ('hot', '#e5484d', 3), ('referral', '#30a46c', 4)) g(tag, color, n)
         WHERE pg_temp.rnd(p.i * 8 + g.n, p.s + 70) < 0.2",
    ),
    (
        "documents",
        "INSERT INTO lead_documents (id, organization_id, lead_id, file_name, file_url, file_type, file_size, document_type,
                                     uploaded_by, created_at, updated_at)
         SELECT pg_temp.sid(p.prefix, 6, p.i), $1, p.id, dt.t || '-' || p.i || '.pdf',
                'https://files.example.com/' || p.id || '/' || dt.t || '.pdf', 'application/pdf',
                20000 + floor(5000000 * pg_temp.rnd(p.i, p.s + 81))::bigint, dt.t::document_type, p.owner, p.created_at, p.created_at
         FROM seed_plan p
         CROSS JOIN LATERAL (SELECT (ARRAY['proposal','contract','brochure','presentation','other'])[1 + floor(5 * pg_temp.rnd(p.i, p.s + 82))::int] AS t) dt
         WHERE pg_temp.rnd(p.i, p.s + 80) < 0.15",
    ),
    ("history", super::seed_history::HISTORY_EVEN),
];

const SECOND_HALF: &[(&str, &str)] = &[
    (
        "profiles",
        "INSERT INTO lead_profiles (id, organization_id, lead_id, company, job_title, location, industry, lead_score, engagement_level,
                                    budget_range, timeline, min_budget, max_budget, property_type_interest, preferences, custom_fields)
         -- An ascending id like every seeded row: the random default scattered the primary key.
         SELECT pg_temp.sid(p.prefix, 9, p.i), $1, p.id,
                (ARRAY['Acme','Globex','Initech','Umbrella','Stark','Wayne','Hooli','Vandelay','Soylent','Tyrell','Cyberdyne','Wonka'])[1 + floor(12 * pg_temp.rnd(p.i, p.s + 30))::int]
                  || ' ' || (ARRAY['Holdings','Labs','Group','Realty','Partners','Ltd'])[1 + floor(6 * pg_temp.rnd(p.i, p.s + 31))::int],
                (ARRAY['CEO','CFO','Head of Ops','Buyer','Investor','Founder','Director'])[1 + floor(7 * pg_temp.rnd(p.i, p.s + 32))::int],
                (ARRAY['Berlin','Lisbon','Austin','Toronto','Dubai','Singapore','Nairobi','Madrid'])[1 + floor(8 * pg_temp.rnd(p.i, p.s + 33))::int],
                (ARRAY['Real estate','Finance','Tech','Retail','Healthcare','Hospitality'])[1 + floor(6 * pg_temp.rnd(p.i, p.s + 34))::int],
                floor(101 * pg_temp.rnd(p.i, p.s + 35))::int,
                CASE WHEN floor(101 * pg_temp.rnd(p.i, p.s + 14)) < 34 THEN 'low'
                     WHEN floor(101 * pg_temp.rnd(p.i, p.s + 14)) < 67 THEN 'medium' ELSE 'high' END,
                b.low || 'k–' || b.high || 'k',
                (ARRAY['ASAP','1-3 months','3-6 months','6-12 months','Exploring'])[1 + floor(5 * pg_temp.rnd(p.i, p.s + 37))::int],
                b.low * 1000, b.high * 1000,
                (ARRAY['apartment','villa','office','retail','land'])[1 + floor(5 * pg_temp.rnd(p.i, p.s + 38))::int],
                jsonb_build_object('bedrooms', 1 + floor(4 * pg_temp.rnd(p.i, p.s + 39))::int, 'parking', pg_temp.rnd(p.i, p.s + 40) < 0.5,
                                   'areas', jsonb_build_array('center', 'riverside')),
                jsonb_build_object('newsletter', pg_temp.rnd(p.i, p.s + 41) < 0.3, 'segment', 'S' || (p.i % 5))
         FROM seed_plan p
         CROSS JOIN LATERAL (SELECT (100 + floor(900 * pg_temp.rnd(p.i, p.s + 42)))::int AS low,
                                    (1000 + floor(2000 * pg_temp.rnd(p.i, p.s + 43)))::int AS high) b",
    ),
    (
        "interactions",
        "INSERT INTO lead_interactions (id, organization_id, lead_id, type, direction, subject, content, duration, outcome,
                                        email_opened, email_clicked, occurred_at, created_by, created_at, updated_at)
         SELECT pg_temp.sid(p.prefix, 2, p.i * 8 + k), $1, p.id, t.type,
                CASE WHEN t.type = 'note' THEN NULL WHEN pg_temp.rnd(p.i * 8 + k, p.s + 51) < 0.7 THEN 'outbound'::interaction_direction ELSE 'inbound' END,
                (ARRAY['Intro call','Follow-up','Pricing question','Site visit','Proposal sent','Checking in'])[1 + floor(6 * pg_temp.rnd(p.i * 8 + k, p.s + 52))::int],
                'Discussed requirements and next steps. Budget confirmed; wants options near the center.',
                CASE WHEN t.type IN ('call', 'meeting') THEN 60 + floor(1800 * pg_temp.rnd(p.i * 8 + k, p.s + 53))::int END,
                CASE t.type
                    WHEN 'call' THEN (ARRAY['connected','voicemail','no_answer','interested','not_interested','meeting_booked'])[1 + floor(6 * pg_temp.rnd(p.i * 8 + k, p.s + 54))::int]
                    WHEN 'meeting' THEN (ARRAY['held','interested','not_interested','offer_requested'])[1 + floor(4 * pg_temp.rnd(p.i * 8 + k, p.s + 54))::int]
                    WHEN 'note' THEN NULL
                    ELSE (ARRAY['sent','replied','no_reply'])[1 + floor(3 * pg_temp.rnd(p.i * 8 + k, p.s + 54))::int] END,
                t.type = 'email' AND pg_temp.rnd(p.i * 8 + k, p.s + 55) < 0.5,
                t.type = 'email' AND pg_temp.rnd(p.i * 8 + k, p.s + 56) < 0.2,
                at.ts, p.owner, at.ts, at.ts
         FROM seed_plan p
         CROSS JOIN LATERAL generate_series(1, p.contacts) k
         CROSS JOIN LATERAL (SELECT {type} AS type) t
         CROSS JOIN LATERAL (SELECT {at} AS ts) at",
    ),
    (
        "tasks",
        "INSERT INTO lead_tasks (id, organization_id, lead_id, title, description, due_date, due_time, priority, status,
                                 assigned_to, created_by, completed_at, created_at, updated_at, lead_closed)
         SELECT pg_temp.sid(p.prefix, 4, p.i * 8 + k), $1, p.id,
                (ARRAY['Call back','Send proposal','Schedule viewing','Follow up on email','Confirm budget','Send contract'])[1 + floor(6 * pg_temp.rnd(p.i * 8 + k, p.s + 61))::int],
                'Created by the demo seed',
                d.due, CASE WHEN d.due IS NOT NULL AND pg_temp.rnd(p.i * 8 + k, p.s + 62) < 0.5
                            THEN make_time(8 + floor(10 * pg_temp.rnd(p.i * 8 + k, p.s + 63))::int, 0, 0) END,
                (ARRAY['low','medium','high'])[1 + floor(3 * pg_temp.rnd(p.i * 8 + k, p.s + 64))::int]::task_priority,
                CASE WHEN d.done OR p.closed THEN 'completed'::task_status WHEN d.due < current_date THEN 'overdue' ELSE 'pending' END,
                p.owner, p.owner,
                -- Tasks of a closed lead were done when it closed (the instant its deal closed).
                CASE WHEN p.closed THEN p.created_at + (p.seeded_at - p.created_at) * pg_temp.rnd(p.i, p.s + 93)
                     WHEN d.done THEN p.seeded_at - make_interval(days => floor(5 * pg_temp.rnd(p.i * 8 + k, p.s + 65))::int) END,
                p.created_at, p.created_at,
                -- Migration 0013's flag, which its trigger (off here) keeps: tasks of closed leads.
                p.closed
         FROM seed_plan p
         CROSS JOIN LATERAL generate_series(1, floor(2.6 * pg_temp.rnd(p.i, p.s + 60))::int) k
         CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.rnd(p.i * 8 + k, p.s + 66) < 0.1 THEN NULL
                                         ELSE current_date + floor(-10 + 30 * pg_temp.rnd(p.i * 8 + k, p.s + 67))::int END AS due,
                                    pg_temp.rnd(p.i * 8 + k, p.s + 68) < 0.2 AS done) d",
    ),
    (
        "deals",
        "INSERT INTO deals (id, organization_id, lead_id, name, amount, stage, probability, status, expected_close_date,
                           created_by, created_at, updated_at, closed_on, pipeline_id, owner_id, currency,
                           source, lead_created_on)
         SELECT pg_temp.sid(p.prefix, 7, p.i), $1, p.id, 'Deal ' || p.i,
                round((50000 + 1950000 * pg_temp.rnd(p.i, p.s + 91))::numeric, -2),
                CASE p.stage_name WHEN 'Won' THEN 'closed' WHEN 'Lost' THEN 'closed' WHEN 'Proposal' THEN 'negotiation' ELSE 'qualification' END,
                CASE p.stage_name WHEN 'Won' THEN 100 WHEN 'Lost' THEN 0 WHEN 'Proposal' THEN 60 ELSE 30 END,
                CASE p.stage_name WHEN 'Won' THEN 'won'::deal_status WHEN 'Lost' THEN 'lost' ELSE 'open' END,
                current_date + floor(90 * pg_temp.rnd(p.i, p.s + 92))::int,
                p.owner, p.created_at, p.created_at,
                CASE WHEN p.closed
                     THEN (p.created_at + (p.seeded_at - p.created_at) * pg_temp.rnd(p.i, p.s + 93))::date END,
                -- Triggers are off here: the lead's pipeline (the plan's stages are the default
                -- pipeline's) and owner, which migration 0017's trigger would set.
                (SELECT pl.id FROM pipelines pl WHERE pl.organization_id = $1 AND pl.is_default),
                p.owner,
                -- A few deals in euros, so the board shows the mixed case (issue 11).
                CASE WHEN pg_temp.rnd(p.i, p.s + 94) < 0.04 THEN 'EUR'
                     ELSE (SELECT o.currency FROM organizations o WHERE o.id = $1) END,
                -- The lead's source and creation day (migration 0031's trigger would copy them).
                (ARRAY['web','referral','event','cold_call','ads','partner'])[1 + floor(6 * pg_temp.rnd(p.i, p.s + 11))::int],
                (p.created_at AT TIME ZONE 'UTC')::date
         FROM seed_plan p
         WHERE p.stage_name IN ('Qualified', 'Proposal', 'Won', 'Lost') OR pg_temp.rnd(p.i, p.s + 90) < 0.1",
    ),
    ("history", super::seed_history::HISTORY_ODD),
];

#[cfg(test)]
mod tests {
    use super::{BULK_TABLES, VACUUM_HALVES};

    #[test]
    fn every_seeded_table_is_vacuumed() {
        let vacuumed: Vec<&str> = VACUUM_HALVES.iter().flat_map(|h| h.split(", ")).collect();
        for table in BULK_TABLES.iter().chain(&["stage_summary_deltas"]) {
            assert!(
                vacuumed.contains(table),
                "{table} is not vacuumed after a seed"
            );
        }
    }
}
