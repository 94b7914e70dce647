//! Tenancy (issue 9, migration 0004), attacked through a rep's own login with raw SQL.
//!
//! * members read tenant tables but write only through the `closer.*` functions: every direct
//!   INSERT/UPDATE/DELETE/TRUNCATE is 42501, and so is every lock stronger than ACCESS SHARE;
//! * the write API works in the caller's organization and refuses another one;
//! * secrets (channel tokens, organization names, people's names) are out of reach of the
//!   EXPLAIN (ANALYZE) oracle;
//! * logins have server-side limits, connect only to their own database, get no large objects;
//! * roles mean something and membership changes run offboarding in the database.
//!
//! SECURITY.md (repository top level) points at these tests line by line.

use crate::common;

use std::time::{Duration, Instant};

use closer::data::DataError;
use closer::db::admin;
use common::{TestDb, TestUser, sqlstate};
use sqlx::{AssertSqlSafe, Connection, PgConnection, Row};
use uuid::Uuid;

/// Two organizations with a rep, a manager and an admin each, and one lead each.
struct World {
    db: TestDb,
    a: Uuid,
    b: Uuid,
    rep_a: TestUser,
    mgr_a: TestUser,
    admin_a: TestUser,
    rep_b: TestUser,
    lead_a: Uuid,
    lead_b: Uuid,
    stage_a: Uuid,
    stage_b: Uuid,
}

impl World {
    async fn new() -> World {
        let db = TestDb::new().await;
        let a = db.org("Tenancy A").await;
        let b = db.org("Tenancy B Secret Name").await;
        let rep_a = db.user("Tenancy A", "rep").await;
        let mgr_a = db.user("Tenancy A", "manager").await;
        let admin_a = db.user("Tenancy A", "admin").await;
        let rep_b = db
            .user_with_prefix("secretperson", "Tenancy B Secret Name", "rep")
            .await;
        let lead_a = db.lead(a, "Lead of A").await;
        let lead_b = db.lead(b, "Lead of B").await;
        let stage_a = db.first_stage(a).await;
        let stage_b = db.first_stage(b).await;
        World {
            db,
            a,
            b,
            rep_a,
            mgr_a,
            admin_a,
            rep_b,
            lead_a,
            lead_b,
            stage_a,
            stage_b,
        }
    }
}

async fn code_of(conn: &mut PgConnection, sql: &str) -> Option<String> {
    match sqlx::query(AssertSqlSafe(sql.to_owned()))
        .execute(&mut *conn)
        .await
    {
        Ok(_) => None,
        Err(error) => sqlstate(&error),
    }
}

/// Every table of the public schema the owner created (the tenant tables, whatever later
/// migrations add), with one of its columns.
async fn tenant_tables(db: &TestDb) -> Vec<(String, String)> {
    sqlx::query_as(
        "select c.relname::text, (select a.attname::text from pg_attribute a
                                   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                                   order by a.attnum limit 1)
         from pg_class c
         where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
           and c.relowner = 'closer_owner'::regrole
         order by 1",
    )
    .fetch_all(&db.admin)
    .await
    .expect("list tenant tables")
}

// ---------------------------------------------------------------------------------------------
// 1. No direct writes, no locks
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn direct_writes_on_every_tenant_table_fail_with_42501() {
    let w = World::new().await;
    let tables = tenant_tables(&w.db).await;
    assert!(tables.len() >= 15, "tenant tables: {tables:?}");
    let mut failures = Vec::new();
    for user in [&w.rep_a, &w.mgr_a, &w.admin_a] {
        let mut conn = w.db.connect(user).await;
        for (table, column) in &tables {
            for sql in [
                format!("insert into {table} default values"),
                format!("update {table} set {column} = {column}"),
                format!("delete from {table}"),
                format!("truncate {table}"),
            ] {
                let code = code_of(&mut conn, &sql).await;
                if code.as_deref() != Some("42501") {
                    failures.push(format!("{}: {sql}: {code:?}", user.login));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "direct writes not refused:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_rep_takes_no_lock_stronger_than_access_share() {
    let w = World::new().await;
    let mut conn = w.db.connect(&w.rep_a).await;
    let mut failures = Vec::new();
    for (table, _) in tenant_tables(&w.db).await {
        for mode in [
            "ROW SHARE",
            "ROW EXCLUSIVE",
            "SHARE UPDATE EXCLUSIVE",
            "SHARE",
            "SHARE ROW EXCLUSIVE",
            "EXCLUSIVE",
            "ACCESS EXCLUSIVE",
        ] {
            let mut tx = conn.begin().await.expect("begin");
            let code = code_of(&mut tx, &format!("lock table {table} in {mode} mode")).await;
            if code.as_deref() != Some("42501") {
                failures.push(format!("lock {table} in {mode}: {code:?}"));
            }
            tx.rollback().await.expect("rollback");
        }
        for clause in [
            "for update",
            "for no key update",
            "for share",
            "for key share",
        ] {
            let mut tx = conn.begin().await.expect("begin");
            let code = code_of(&mut tx, &format!("select 1 from {table} {clause}")).await;
            if code.as_deref() != Some("42501") {
                failures.push(format!("select from {table} {clause}: {code:?}"));
            }
            tx.rollback().await.expect("rollback");
        }
    }
    // Control: plain reads still work (ACCESS SHARE).
    let mut tx = conn.begin().await.expect("begin");
    let ok = code_of(&mut tx, "lock table leads in access share mode").await;
    assert_eq!(ok, None, "ACCESS SHARE is a read");
    tx.rollback().await.expect("rollback");
    assert!(
        failures.is_empty(),
        "locks a rep could take:\n{}",
        failures.join("\n")
    );
}

/// A rep holding a lead's row lock (a write function inside an open transaction) stalls a
/// teammate's write to that lead for at most the functions' `lock_timeout` (5 s), never longer.
#[tokio::test]
async fn a_reps_open_transaction_blocks_a_teammate_no_longer_than_the_lock_timeout() {
    let w = World::new().await;
    let mate = w.db.user("Tenancy A", "rep").await;
    let stage2 = w.db.stages(w.a).await[1].0;
    let mut holder = w.db.connect(&w.rep_a).await;
    sqlx::query("set idle_in_transaction_session_timeout = 0")
        .execute(&mut holder)
        .await
        .expect("a hostile rep lifts their own timeout");
    let mut tx = holder.begin().await.expect("begin");
    let held: Vec<Uuid> =
        sqlx::query_scalar("select id from closer.move_lead($1, $2, $3, null, $4)")
            .bind(w.a)
            .bind(w.lead_a)
            .bind(stage2)
            .bind(w.stage_a)
            .fetch_all(&mut *tx)
            .await
            .expect("the holder moves the lead and keeps the transaction open");
    assert_eq!(held.len(), 1);
    let mut victim = w.db.connect(&mate).await;
    sqlx::query("set lock_timeout = 0")
        .execute(&mut victim)
        .await
        .expect("even with no lock_timeout of its own");
    let started = Instant::now();
    let blocked = sqlx::query("select closer.move_lead($1, $2, $3, null, $4)")
        .bind(w.a)
        .bind(w.lead_a)
        .bind(stage2)
        .bind(w.stage_a)
        .execute(&mut victim)
        .await
        .expect_err("the teammate's move gives up");
    let waited = started.elapsed();
    assert_eq!(sqlstate(&blocked).as_deref(), Some("55P03"), "{blocked:?}");
    assert!(waited < Duration::from_secs(8), "waited {waited:?}");
    // Reads are never blocked by it.
    let started = Instant::now();
    let _: i64 = sqlx::query_scalar("select count(*) from leads")
        .fetch_one(&mut victim)
        .await
        .expect("read while the row is locked");
    assert!(started.elapsed() < Duration::from_secs(1));
    tx.rollback().await.expect("rollback");
}

// ---------------------------------------------------------------------------------------------
// 2. The write API: inside the organization it works, across organizations it refuses
// ---------------------------------------------------------------------------------------------

/// Every write function, called by rep_b: with organization A (not theirs) it raises 42501;
/// with organization B and A's row ids it changes nothing. A's rows are unchanged afterwards.
#[tokio::test]
async fn every_write_function_refuses_another_organization() {
    let w = World::new().await;
    let task_a: Uuid = sqlx::query_scalar(
        "insert into lead_tasks (organization_id, lead_id, title) values ($1, $2, 'A task') returning id",
    )
    .bind(w.a)
    .bind(w.lead_a)
    .fetch_one(&w.db.admin)
    .await
    .expect("a task in A");
    let deal_a: Uuid = sqlx::query_scalar(
        "insert into deals (organization_id, lead_id, name) values ($1, $2, 'A deal') returning id",
    )
    .bind(w.a)
    .bind(w.lead_a)
    .fetch_one(&w.db.admin)
    .await
    .expect("a deal in A");
    sqlx::query("insert into lead_tags (organization_id, lead_id, tag) values ($1, $2, 'vip')")
        .bind(w.a)
        .bind(w.lead_a)
        .execute(&w.db.admin)
        .await
        .expect("a tag in A");
    let fingerprint = "select md5(string_agg(t::text, '|' order by t::text)) from (
            select to_jsonb(l) - 'updated_at' as t from leads l where organization_id = '{a}'
            union all select to_jsonb(x) from lead_tasks x where organization_id = '{a}'
            union all select to_jsonb(x) from deals x where organization_id = '{a}'
            union all select to_jsonb(x) from lead_tags x where organization_id = '{a}'
            union all select to_jsonb(x) from lead_interactions x where organization_id = '{a}'
            union all select to_jsonb(x) from lead_documents x where organization_id = '{a}'
            union all select to_jsonb(x) from lead_activities x where organization_id = '{a}'
            union all select to_jsonb(x) from organization_members x where organization_id = '{a}'
            union all select to_jsonb(x) from organizations x where id = '{a}') rows"
        .replace("{a}", &w.a.to_string());
    let before: Option<String> = sqlx::query_scalar(AssertSqlSafe(fingerprint.clone()))
        .fetch_one(&w.db.admin)
        .await
        .expect("fingerprint A");
    let calls = [
        "select * from closer.move_lead({org}, {lead}, {stage}, null, {stage})",
        "select * from closer.log_interaction({org}, {lead}, 'call', 'outbound', 's', 'c', 1, 'o')",
        "select * from closer.create_lead({org}, {stage}, 'Injected', null, null, null, null)",
        "select * from closer.update_lead({org}, {lead}, 1, '{\"name\": \"Pwned\"}', '{}', '[\"name\"]')",
        "select * from closer.delete_lead({org}, {lead})",
        "select * from closer.add_task({org}, {lead}, 't', null, null, null, 'low', null, 'UTC', now())",
        "select * from closer.complete_task({org}, {task}, 1)",
        "select * from closer.add_deal({org}, {lead}, 'd', 1, 'qualification', 10, 'open', null)",
        "select * from closer.update_deal({org}, {deal}, 1, 'Pwned', null, null, null, null, false, null, '[]')",
        "select * from closer.add_document({org}, {lead}, 'f', 'https://x', null, null, 'other')",
        "select * from closer.add_tag({org}, {lead}, 'pwned', '#000000')",
        "select * from closer.remove_tag({org}, {lead}, 'vip')",
        "select * from closer.complete_tasks({org}, array[{task}], now())",
        "select * from closer.reopen_tasks({org}, array[{task}], 'UTC', now())",
        "select * from closer.snooze_tasks({org}, array[{task}], 'UTC', now(), 'days', null, 1, '1 day')",
        "select * from closer.reschedule_task({org}, {task}, null, '2030-01-01', null, 'UTC', now())",
        "select * from closer.set_tasks_priority({org}, array[{task}], null, 'high')",
        "select * from closer.reassign_tasks({org}, array[{task}], {me})",
        "select * from closer.edit_task({org}, {task}, null, 'Pwned', null)",
        "select * from closer.set_org_time_zone({org}, 'Asia/Tokyo')",
        "select * from closer.set_member_role({org}, {victim}, 'rep')",
        "select * from closer.remove_member({org}, {victim})",
        // The pipeline editor (0009): managers only, so a rep is refused in both organizations.
        "select * from closer.create_pipeline({org}, 'Pwned', array['x'])",
        "select * from closer.rename_pipeline({org}, (select pipeline_id from pipeline_stages where id = {stage}), 'Pwned')",
        "select * from closer.archive_pipeline({org}, (select pipeline_id from pipeline_stages where id = {stage}), true)",
        "select * from closer.add_stage({org}, (select pipeline_id from pipeline_stages where id = {stage}), 'Pwned', null)",
        "select * from closer.update_stage({org}, {stage}, '{\"name\": \"Pwned\"}')",
        "select * from closer.reorder_stages({org}, (select pipeline_id from pipeline_stages where id = {stage}), array[{stage}]::uuid[])",
        "select * from closer.delete_stage({org}, {stage}, {stage})",
        // Issue 14: an import naming a lead of A by id, in update mode.
        "select * from closer.import_leads({org}, jsonb_build_array(jsonb_build_object('row_no', 2, 'id', {lead}, 'name', 'Pwned', 'email', 'p@x.test')), {stage}, 'update')",
    ];
    let mut failures = Vec::new();
    let mut conn = w.db.connect(&w.rep_b).await;
    for call in calls {
        for (org, stage, expect_denied) in [(w.a, w.stage_a, true), (w.b, w.stage_b, false)] {
            let sql = call
                .replace("{org}", &format!("'{org}'"))
                .replace("{lead}", &format!("'{}'", w.lead_a))
                .replace("{stage}", &format!("'{stage}'"))
                .replace("{task}", &format!("'{task_a}'::uuid"))
                .replace("{deal}", &format!("'{deal_a}'"))
                .replace("{me}", &format!("'{}'", w.rep_b.profile_id))
                .replace("{victim}", &format!("'{}'", w.admin_a.profile_id));
            let mut tx = conn.begin().await.expect("begin");
            let outcome = sqlx::query(AssertSqlSafe(sql.clone()))
                .fetch_all(&mut *tx)
                .await;
            match (&outcome, expect_denied) {
                (Err(e), true) if sqlstate(e).as_deref() == Some("42501") => {}
                (Err(e), false)
                    if matches!(sqlstate(e).as_deref(), Some("42501" | "CL404" | "23503")) => {}
                (Ok(rows), false) => {
                    // Rows back are fine only when they say "nothing done".
                    let nothing = rows.iter().all(|r| {
                        r.try_get::<bool, _>(0).map(|b| !b).unwrap_or(false)
                            || r.try_get::<Option<Uuid>, _>(0)
                                .map(|v| v.is_none())
                                .unwrap_or(false)
                    });
                    // create_lead and import_leads create a lead in the caller's own B.
                    let creates = sql.contains("create_lead") || sql.contains("import_leads");
                    if !rows.is_empty() && !nothing && !creates {
                        failures.push(format!("{sql}: returned {} row(s)", rows.len()));
                    }
                }
                _ => failures.push(format!("{sql}: {outcome:?}")),
            }
            tx.commit().await.ok();
        }
    }
    let after: Option<String> = sqlx::query_scalar(AssertSqlSafe(fingerprint))
        .fetch_one(&w.db.admin)
        .await
        .expect("fingerprint A");
    assert!(
        failures.is_empty(),
        "cross-organization calls:\n{}",
        failures.join("\n")
    );
    assert_eq!(before, after, "A's rows changed");
}

/// The same functions do the work inside the organization, each with its activity row.
#[tokio::test]
async fn the_write_api_works_inside_the_organization_and_logs_every_write() {
    let w = World::new().await;
    let store = w.db.session(&w.rep_a).await.open(w.a).expect("open A");
    let stage2 = w.db.stages(w.a).await[1].0;
    store
        .move_lead(w.lead_a, w.stage_a, stage2, None)
        .await
        .expect("move");
    let tag = store
        .add_tag(w.lead_a, "hot", "#ff0000")
        .await
        .expect("tag");
    assert_eq!(tag.tag, "hot");
    assert!(store.remove_tag(w.lead_a, "hot").await.expect("untag"));
    let kinds: Vec<String> = sqlx::query_scalar(
        "select type from lead_activities where lead_id = $1 and created_by = $2 order by created_at, type",
    )
    .bind(w.lead_a)
    .bind(w.rep_a.profile_id)
    .fetch_all(&w.db.admin)
    .await
    .expect("activities");
    assert_eq!(kinds, ["stage_change", "tag_added", "tag_removed"]);
    // Deleting is for managers, through the API, and the feed of other leads is untouched.
    let mut rep = w.db.connect(&w.rep_a).await;
    let denied = code_of(
        &mut rep,
        &format!("select closer.delete_lead('{}', '{}')", w.a, w.lead_a),
    )
    .await;
    assert_eq!(denied.as_deref(), Some("42501"));
    let mut mgr = w.db.connect(&w.mgr_a).await;
    let deleted: Vec<Uuid> = sqlx::query_scalar("select id from closer.delete_lead($1, $2)")
        .bind(w.a)
        .bind(w.lead_a)
        .fetch_all(&mut mgr)
        .await
        .expect("a manager deletes");
    assert_eq!(deleted, [w.lead_a]);
    assert_eq!(
        w.db.admin_count("leads", &format!("id = '{}'", w.lead_b))
            .await,
        1
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Secrets out of reach
// ---------------------------------------------------------------------------------------------

/// The oracle of the side channel: rows the EXPLAIN (ANALYZE) of a range query reports as
/// removed (by filter or recheck) plus the rows the member sees, i.e. every row the scan touched.
/// An index on the column makes it the number of matches in every organization; a sequential
/// scan makes it the table's size whatever the range. `None` when the member may not even plan
/// the query.
async fn removed_rows(
    conn: &mut PgConnection,
    table: &str,
    column: &str,
    lo: &str,
    hi: &str,
) -> Option<i64> {
    let range = format!("{column} >= '{lo}' and {column} < '{hi}'");
    let visible: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
        "select count(*) from {table} where {range}"
    )))
    .fetch_one(&mut *conn)
    .await
    .ok()?;
    let sql = format!("explain (analyze, format json) select 1 from {table} where {range}");
    let plan: serde_json::Value = match sqlx::query_scalar(AssertSqlSafe(sql))
        .fetch_one(&mut *conn)
        .await
    {
        Ok(plan) => plan,
        Err(_) => return None,
    };
    fn walk(node: &serde_json::Value) -> i64 {
        let mut sum = 0;
        if let Some(obj) = node.as_object() {
            for (key, value) in obj {
                if key.starts_with("Rows Removed") {
                    sum += value.as_i64().unwrap_or(0);
                } else {
                    sum += walk(value);
                }
            }
        } else if let Some(items) = node.as_array() {
            sum += items.iter().map(walk).sum::<i64>();
        }
        sum
    }
    Some(walk(&plan) + visible)
}

/// The binary-search extraction of issue 9 (enable_seqscan off, then narrow a range one
/// character at a time while the oracle says a hidden row lies in it), against every column a
/// member can SELECT that holds another organization's secret. It recovers nothing: the oracle
/// answers the same for a range holding B's value and for one that does not.
#[tokio::test]
async fn the_explain_binary_search_recovers_no_secret_of_another_org() {
    let w = World::new().await;
    let b_profile: (String, String) =
        sqlx::query_as("select full_name, email from profiles where id = $1")
            .bind(w.rep_b.profile_id)
            .fetch_one(&w.db.admin)
            .await
            .expect("B's person");
    let channel: String = sqlx::query_scalar("select closer.org_channel($1)")
        .bind(w.b)
        .fetch_one(&w.db.admin)
        .await
        .expect("B's channel");
    let mut conn = w.db.connect(&w.rep_a).await;
    for setting in [
        "set enable_seqscan = off",
        "set enable_bitmapscan = on",
        "set enable_indexscan = on",
    ] {
        sqlx::query(AssertSqlSafe(setting))
            .execute(&mut conn)
            .await
            .expect("planner settings");
    }
    let secrets = [
        ("organizations", "name", "Tenancy B Secret Name".to_owned()),
        ("profiles", "full_name", b_profile.0.clone()),
        ("profiles", "email", b_profile.1.clone()),
        (
            "closer_private.org_secrets",
            "notify_channel",
            channel.clone(),
        ),
        ("organizations", "notify_channel", channel.clone()),
    ];
    let mut failures = Vec::new();
    for (table, column, secret) in &secrets {
        // A range around the secret and a range holding nothing anyone has.
        let first = secret.chars().next().unwrap_or('a');
        let around = (format!("{first}"), format!("{first}\u{10FFFF}"));
        let empty = ("~~~~".to_owned(), "~~~~~".to_owned());
        let hit = removed_rows(&mut conn, table, column, &around.0, &around.1).await;
        let miss = removed_rows(&mut conn, table, column, &empty.0, &empty.1).await;
        if hit != miss {
            failures.push(format!("{table}.{column}: oracle {hit:?} vs {miss:?}"));
            continue;
        }
        // Drive the search anyway: it must not get a single character.
        let mut prefix = String::new();
        for _ in 0..3 {
            let mut found = None;
            for c in secret
                .chars()
                .take(prefix.len() + 1)
                .last()
                .into_iter()
                .chain("aeioust_ 0".chars())
            {
                let lo = format!("{prefix}{c}");
                let hi = format!("{prefix}{c}\u{10FFFF}");
                let got = removed_rows(&mut conn, table, column, &lo, &hi).await;
                if got.is_some() && got != miss {
                    found = Some(c);
                    break;
                }
            }
            match found {
                Some(c) => prefix.push(c),
                None => break,
            }
        }
        if !prefix.is_empty() {
            failures.push(format!("{table}.{column}: recovered {prefix:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "side channel:\n{}",
        failures.join("\n")
    );
}

/// Columns holding what another organization must not learn. Lead data is tenant data but
/// not a "secret" of this kind: see SECURITY.md for what its indexes still answer.
const SECRET_COLUMNS: [(&str, &str); 6] = [
    ("organizations", "name"),
    ("profiles", "full_name"),
    ("profiles", "email"),
    ("profiles", "phone"),
    ("organizations", "notify_channel"),
    ("org_secrets", "notify_channel"),
];

/// Lists every index on a relation a member may SELECT (so may scan and EXPLAIN) and fails if
/// one covers a secret column.
#[tokio::test]
async fn no_index_a_member_can_scan_covers_a_secret_column() {
    let db = TestDb::new().await;
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select t.relname::text, i.relname::text, pg_get_indexdef(i.oid)
         from pg_index x
         join pg_class t on t.oid = x.indrelid
         join pg_class i on i.oid = x.indexrelid
         where has_table_privilege('closer_member', t.oid, 'SELECT')
           and t.relnamespace not in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)",
    )
    .fetch_all(&db.admin)
    .await
    .expect("list indexes");
    assert!(rows.len() > 20, "indexes a member can scan: {rows:?}");
    let mut failures = Vec::new();
    for (table, index, definition) in &rows {
        let columns = definition
            .split_once(" USING ")
            .map(|(_, rest)| rest.to_owned())
            .unwrap_or_default();
        for (secret_table, column) in SECRET_COLUMNS {
            if table == secret_table && columns.contains(column) {
                failures.push(format!("{index}: {definition}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "indexes revealing secrets:\n{}",
        failures.join("\n")
    );
    // And the secrets' own table is out of reach altogether.
    let reachable: bool = sqlx::query_scalar(
        "select has_schema_privilege('closer_member', 'closer_private', 'USAGE')
             or has_table_privilege('closer_member', 'closer_private.org_secrets', 'SELECT')",
    )
    .fetch_one(&db.admin)
    .await
    .expect("privileges");
    assert!(!reachable);
}

#[tokio::test]
async fn the_channel_is_served_only_to_members_and_rotates_when_a_membership_ends() {
    let w = World::new().await;
    let mut a = w.db.connect(&w.rep_a).await;
    let mine: Option<String> = sqlx::query_scalar("select closer.my_notify_channel($1)")
        .bind(w.a)
        .fetch_one(&mut a)
        .await
        .expect("my channel");
    let mine = mine.expect("a member gets the channel");
    let theirs: Option<String> = sqlx::query_scalar("select closer.my_notify_channel($1)")
        .bind(w.b)
        .fetch_one(&mut a)
        .await
        .expect("their channel");
    assert_eq!(theirs, None, "another organization's channel");
    let internal = code_of(&mut a, &format!("select closer.org_channel('{}')", w.b)).await;
    assert_eq!(internal.as_deref(), Some("42501"));
    let table = code_of(&mut a, "select * from closer_private.org_secrets").await;
    assert_eq!(table.as_deref(), Some("42501"));

    // A membership deleted with plain SQL by the superuser still rotates the channel, tells
    // the listeners on the old name, and ends the removed person's sessions on this database.
    let mut listener = sqlx::postgres::PgListener::connect_with(&w.db.admin)
        .await
        .expect("listener");
    listener.listen(&mine).await.expect("listen");
    let mut leaver = w.db.connect(&w.mgr_a).await;
    sqlx::query("delete from organization_members where organization_id = $1 and profile_id = $2")
        .bind(w.a)
        .bind(w.mgr_a.profile_id)
        .execute(&w.db.admin)
        .await
        .expect("delete the membership by SQL");
    let rotated: Option<String> = sqlx::query_scalar("select closer.my_notify_channel($1)")
        .bind(w.a)
        .fetch_one(&mut a)
        .await
        .expect("my channel again");
    assert!(
        rotated.is_some() && rotated.as_deref() != Some(mine.as_str()),
        "rotated"
    );
    let note = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .expect("a notification on the old channel")
        .expect("notification");
    assert_eq!(note.payload(), "channel_rotated");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dead = sqlx::query("select 1").execute(&mut leaver).await;
    assert!(dead.is_err(), "the removed person's session was ended");
    // Left with no membership here: no CONNECT on this database any more.
    let again = PgConnection::connect_with(&w.db.options(&w.mgr_a)).await;
    assert_eq!(
        again.as_ref().err().and_then(sqlstate).as_deref(),
        Some("42501")
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Limits on every login
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_login_has_server_side_limits_and_a_scram_password() {
    let w = World::new().await;
    let (limit, config, password): (i32, Vec<String>, String) = sqlx::query_as(
        "select r.rolconnlimit, r.rolconfig::text[], a.rolpassword from pg_roles r join pg_authid a on a.oid = r.oid where r.rolname = $1",
    )
    .bind(&w.rep_a.login)
    .fetch_one(&w.db.admin)
    .await
    .expect("read the login");
    assert_eq!(limit, admin::CONNECTION_LIMIT);
    for (name, value) in admin::LOGIN_SETTINGS {
        assert!(
            config.contains(&format!("{name}={value}")),
            "{config:?} lacks {name}"
        );
    }
    assert!(
        password.starts_with("SCRAM-SHA-256$4096:"),
        "stored as a SCRAM verifier"
    );
    // The settings are in force in a rep's session, and temp_file_limit cannot be raised.
    let mut conn = w.db.connect(&w.rep_a).await;
    let (timeout, temp): (String, String) = sqlx::query_as(
        "select current_setting('lock_timeout'), current_setting('temp_file_limit')",
    )
    .fetch_one(&mut conn)
    .await
    .expect("settings");
    assert_eq!((timeout.as_str(), temp.as_str()), ("5s", "256MB"));
    let raise = code_of(&mut conn, "set temp_file_limit = -1").await;
    assert_eq!(raise.as_deref(), Some("42501"));
    // Large objects are not for members.
    let lo = code_of(&mut conn, "select lo_from_bytea(0, 'x')").await;
    assert_eq!(lo.as_deref(), Some("42501"));
    let lo = code_of(&mut conn, "select lo_create(0)").await;
    assert_eq!(lo.as_deref(), Some("42501"));
}

#[tokio::test]
async fn a_login_of_database_a_cannot_connect_to_database_b() {
    let first = TestDb::new().await;
    first.org("Only In A").await;
    let rep = first.user("Only In A", "rep").await;
    let second = TestDb::unmigrated_on(first.cluster.clone()).await;
    second.migrate().await;
    let mut options = first.options(&rep);
    options = options.database(&second.database);
    let refused = PgConnection::connect_with(&options).await;
    assert_eq!(
        refused.as_ref().err().and_then(sqlstate).as_deref(),
        Some("42501"),
        "{:?}",
        refused.as_ref().err()
    );
    // Control: the same options reach database A.
    PgConnection::connect_with(&first.options(&rep))
        .await
        .expect("a member connects to their own database");
}

#[tokio::test]
async fn oversized_values_are_refused_with_a_sentence_naming_the_field_and_limit() {
    let w = World::new().await;
    let pool = w.db.login(&w.rep_a).await;
    let huge = "x".repeat(5_000);
    let error = sqlx::query("select closer.update_lead($1, $2, 1, jsonb_build_object('source', $3::text), '{}', '[\"source\"]')")
        .bind(w.a)
        .bind(w.lead_a)
        .bind(&huge)
        .execute(&pool)
        .await
        .expect_err("5000 characters in leads.source");
    let sentence = DataError::from(error).to_string();
    assert_eq!(
        sentence,
        "Invalid value: source is too long (at most 1000 characters)"
    );
    let phone = "1".repeat(60);
    let error = sqlx::query("select closer.update_my_profile(null, null, $1, null)")
        .bind(&phone)
        .execute(&pool)
        .await
        .expect_err("a 60-character phone number");
    assert_eq!(
        DataError::from(error).to_string(),
        "Invalid value: phone is too long (at most 50 characters)"
    );
    // Every text and jsonb column of the tenant tables is bounded by some CHECK.
    let unbounded: Vec<String> = sqlx::query_scalar(
        "select c.table_name || '.' || c.column_name from information_schema.columns c
         join pg_class r on r.relname = c.table_name and r.relnamespace = 'public'::regnamespace
         where c.table_schema = 'public' and c.data_type in ('text', 'jsonb') and r.relkind = 'r'
           and r.relowner = 'closer_owner'::regrole
           and not exists (select 1 from pg_constraint k
                           where k.conrelid = r.oid and k.contype = 'c'
                             and pg_get_constraintdef(k.oid) ~ ('\\m' || c.column_name || '\\M'))
         order by 1",
    )
    .fetch_all(&w.db.admin)
    .await
    .expect("columns without a check");
    assert!(unbounded.is_empty(), "unbounded columns: {unbounded:?}");
}

// ---------------------------------------------------------------------------------------------
// 5. Roles mean something
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_manager_cannot_demote_or_remove_an_admin_nor_grant_admin() {
    let w = World::new().await;
    let mut mgr = w.db.connect(&w.mgr_a).await;
    for sql in [
        format!(
            "select closer.set_member_role('{}', '{}', 'rep')",
            w.a, w.admin_a.profile_id
        ),
        format!(
            "select closer.remove_member('{}', '{}')",
            w.a, w.admin_a.profile_id
        ),
        format!(
            "select closer.set_member_role('{}', '{}', 'admin')",
            w.a, w.mgr_a.profile_id
        ),
        format!(
            "select closer.set_member_role('{}', '{}', 'admin')",
            w.a, w.rep_a.profile_id
        ),
    ] {
        assert_eq!(
            code_of(&mut mgr, &sql).await.as_deref(),
            Some("42501"),
            "{sql}"
        );
    }
    let roles: Vec<String> = sqlx::query_scalar(
        "select role::text from organization_members where organization_id = $1 order by 1",
    )
    .bind(w.a)
    .fetch_all(&w.db.admin)
    .await
    .expect("roles");
    assert_eq!(roles, ["admin", "manager", "rep"]);
    // A manager may still manage reps.
    let promoted: bool = sqlx::query_scalar("select closer.set_member_role($1, $2, 'manager')")
        .bind(w.a)
        .bind(w.rep_a.profile_id)
        .fetch_one(&mut mgr)
        .await
        .expect("a manager promotes a rep to manager");
    assert!(promoted);
}

#[tokio::test]
async fn the_last_admin_is_never_removed_or_demoted() {
    let w = World::new().await;
    let mut admin_conn = w.db.connect(&w.admin_a).await;
    for sql in [
        format!(
            "select closer.set_member_role('{}', '{}', 'rep')",
            w.a, w.admin_a.profile_id
        ),
        format!(
            "select closer.remove_member('{}', '{}')",
            w.a, w.admin_a.profile_id
        ),
    ] {
        assert_eq!(
            code_of(&mut admin_conn, &sql).await.as_deref(),
            Some("42501"),
            "{sql}"
        );
    }
    // Not even the superuser's plain SQL or the admin tool.
    let by_sql = sqlx::query(
        "delete from organization_members where organization_id = $1 and profile_id = $2",
    )
    .bind(w.a)
    .bind(w.admin_a.profile_id)
    .execute(&w.db.admin)
    .await
    .expect_err("the last admin by SQL");
    assert_eq!(sqlstate(&by_sql).as_deref(), Some("42501"));
    let refused = admin::remove_user(&w.db.admin, "Tenancy A", &w.admin_a.login)
        .await
        .expect_err("the last admin through the admin tool");
    assert!(format!("{refused:#}").contains("last admin"), "{refused:#}");
    // With a second admin, the first may go.
    let second = w.db.user("Tenancy A", "admin").await;
    let removed: bool = sqlx::query_scalar("select closer.remove_member($1, $2)")
        .bind(w.a)
        .bind(w.admin_a.profile_id)
        .fetch_one(&mut w.db.connect(&second).await)
        .await
        .expect("an admin removes another admin");
    assert!(removed);
}

// ---------------------------------------------------------------------------------------------
// 6. What the write API costs
// ---------------------------------------------------------------------------------------------

/// The move as the pre-0004 client sent it (one data-modifying statement through the member
/// policies), for comparison in the same run.
const DIRECT_MOVE: &str = "with moved as (
        update leads set stage_id = $3, lost_reason = $4
        where organization_id = $1 and id = $2 and stage_id = $5
        returning id, stage_id, version
    ), logged as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, moved.id, 'stage_change', jsonb_build_object(
            'from_stage_id', $5::uuid, 'to_stage_id', $3::uuid,
            'from', (select name from pipeline_stages where organization_id = $1 and id = $5),
            'to', (select name from pipeline_stages where organization_id = $1 and id = $3),
            'lost_reason', $4::text)
        from moved
    )
    select id, stage_id, version from moved";

/// A move's round trip through `closer.move_lead` against the old direct statement, same lead,
/// same connection, alternating (the old statement runs with the write grants 0004 took away,
/// handed back to this one login for the comparison). Prints both medians
/// (`cargo test --test db tenancy:: move_round_trip -- --nocapture`).
#[tokio::test]
async fn move_round_trip_through_the_api_against_the_direct_statement() {
    let w = World::new().await;
    for grant in [
        "GRANT UPDATE ON leads TO",
        "GRANT INSERT ON lead_activities TO",
    ] {
        sqlx::query(AssertSqlSafe(format!("{grant} {}", w.rep_a.login)))
            .execute(&w.db.admin)
            .await
            .expect("hand the old grants back to one login");
    }
    let stages = w.db.stages(w.a).await;
    let (one, two) = (stages[0].0, stages[1].0);
    let mut conn = w.db.connect(&w.rep_a).await;
    let mut direct = Vec::new();
    let mut api = Vec::new();
    let mut at = one;
    for round in 0..400 {
        let to = if at == one { two } else { one };
        let sql = if round % 2 == 0 {
            DIRECT_MOVE
        } else {
            "select id, stage_id, version from closer.move_lead($1, $2, $3, $4, $5)"
        };
        let started = Instant::now();
        let row = sqlx::query(sql)
            .bind(w.a)
            .bind(w.lead_a)
            .bind(to)
            .bind(None::<String>)
            .bind(at)
            .fetch_optional(&mut conn)
            .await
            .expect("move");
        let took = started.elapsed();
        assert!(row.is_some(), "moved");
        if round >= 40 {
            if round % 2 == 0 {
                direct.push(took);
            } else {
                api.push(took);
            }
        }
        at = to;
    }
    direct.sort();
    api.sort();
    let (d, a) = (direct[direct.len() / 2], api[api.len() / 2]);
    eprintln!(
        "move round trip, median of {} each: direct statement {d:?}, closer.move_lead {a:?} (p90 {:?} vs {:?})",
        direct.len(),
        direct[direct.len() * 9 / 10],
        api[api.len() * 9 / 10]
    );
    assert!(a < d * 3, "the API move costs {a:?} against {d:?}");
    let activities: i64 = sqlx::query_scalar(
        "select count(*) from lead_activities where lead_id = $1 and type = 'stage_change'",
    )
    .bind(w.lead_a)
    .fetch_one(&w.db.admin)
    .await
    .expect("count");
    assert_eq!(activities, 400, "every move logged once");
}
