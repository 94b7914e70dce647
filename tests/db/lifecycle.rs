//! A lead's owner and lifecycle (issue 12) against a real PostgreSQL, through member logins:
//! the owner change is the version-checked `closer.update_lead` with its activity row, a
//! stranger cannot be made owner, deleting is for managers and admins only, the contact read
//! for copying; both sort directions page exactly like a plain ORDER BY.

use crate::common;

use closer::data::models::BoardSort;
use closer::data::{DataError, PgStore};
use common::{TestDb, TestUser};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

async fn member(db: &TestDb, org: Uuid, org_name: &str, role: &str) -> (TestUser, PgStore) {
    let user = db.user(org_name, role).await;
    let store = db
        .session(&user)
        .await
        .open(org)
        .expect("a member opens the org");
    (user, store)
}

async fn owner_and_version(db: &TestDb, lead: Uuid) -> (Option<Uuid>, i32) {
    let row = sqlx::query("select assigned_to, version from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("read the lead");
    (row.get("assigned_to"), row.get("version"))
}

#[tokio::test]
async fn a_rep_changes_the_owner_in_one_versioned_write_with_an_activity() {
    let db = TestDb::new().await;
    let org = db.org("Owner Co").await;
    let (rep, store) = member(&db, org, "Owner Co", "rep").await;
    let (manager, _) = member(&db, org, "Owner Co", "manager").await;
    let lead = db.lead(org, "Grace").await;
    let (before, version) = owner_and_version(&db, lead).await;
    assert_ne!(before, Some(manager.profile_id));

    let new_version = store
        .change_owner(lead, version, manager.profile_id)
        .await
        .expect("the owner changes");
    let (after, stored) = owner_and_version(&db, lead).await;
    assert_eq!(after, Some(manager.profile_id));
    assert_eq!(stored, new_version);
    assert!(new_version > version);

    let activity: (String, serde_json::Value) = sqlx::query_as(
        "select type::text, content from lead_activities where lead_id = $1
         order by created_at desc limit 1",
    )
    .bind(lead)
    .fetch_one(&db.admin)
    .await
    .expect("an activity row");
    assert_eq!(activity.0, "lead_updated");
    assert_eq!(activity.1["fields"], serde_json::json!(["assigned_to"]));

    // A stale version changes nothing and says so.
    let stale = store.change_owner(lead, version, rep.profile_id).await;
    assert_eq!(stale, Err(DataError::Conflict));
    assert_eq!(
        owner_and_version(&db, lead).await.0,
        Some(manager.profile_id)
    );

    // A lead that does not exist (or is invisible) is NotFound.
    let gone = store.change_owner(Uuid::new_v4(), 1, rep.profile_id).await;
    assert_eq!(gone, Err(DataError::NotFound));
}

#[tokio::test]
async fn nobody_outside_the_organization_can_be_made_owner() {
    let db = TestDb::new().await;
    let org = db.org("Inside Co").await;
    let _other = db.org("Outside Co").await;
    let (_rep, store) = member(&db, org, "Inside Co", "rep").await;
    let stranger = db.user("Outside Co", "rep").await;
    let lead = db.lead(org, "Alan").await;
    let (before, version) = owner_and_version(&db, lead).await;
    let refused = store.change_owner(lead, version, stranger.profile_id).await;
    assert!(matches!(refused, Err(DataError::Invalid(_))), "{refused:?}");
    assert_eq!(owner_and_version(&db, lead).await, (before, version));
    let activities = db
        .admin_count("lead_activities", &format!("lead_id = '{lead}'"))
        .await;
    assert_eq!(activities, 0, "a refused change logs nothing");
}

#[tokio::test]
async fn only_managers_and_admins_delete_leads() {
    let db = TestDb::new().await;
    let org = db.org("Delete Co").await;
    let (_rep, rep_store) = member(&db, org, "Delete Co", "rep").await;
    let (_manager, manager_store) = member(&db, org, "Delete Co", "manager").await;
    let (_admin, admin_store) = member(&db, org, "Delete Co", "admin").await;
    let first = db.lead(org, "Edsger").await;
    let second = db.lead(org, "Barbara").await;

    assert_eq!(
        rep_store.delete_lead(first).await,
        Err(DataError::PermissionDenied)
    );
    assert_eq!(
        db.admin_count("leads", &format!("id = '{first}'")).await,
        1,
        "the rep's delete changed nothing"
    );

    manager_store
        .delete_lead(first)
        .await
        .expect("a manager deletes");
    assert_eq!(db.admin_count("leads", &format!("id = '{first}'")).await, 0);
    // Twice: it is gone.
    assert_eq!(
        manager_store.delete_lead(first).await,
        Err(DataError::NotFound)
    );
    admin_store
        .delete_lead(second)
        .await
        .expect("an admin deletes");
    assert_eq!(
        db.admin_count("leads", &format!("id = '{second}'")).await,
        0
    );
}

#[tokio::test]
async fn the_contact_for_copying_falls_back_to_the_mobile() {
    let db = TestDb::new().await;
    let org = db.org("Copy Co").await;
    let (_rep, store) = member(&db, org, "Copy Co", "rep").await;
    let lead = db.lead(org, "Zoë").await;
    sqlx::query("update leads set email = 'zoe@example.com', phone = null, mobile = '+1 555 0100' where id = $1")
        .bind(lead)
        .execute(&db.admin)
        .await
        .expect("set up");
    let contact = store.lead_contact(lead).await.expect("read");
    assert_eq!(contact.email.as_deref(), Some("zoe@example.com"));
    assert_eq!(contact.phone.as_deref(), Some("+1 555 0100"));

    sqlx::query("update leads set email = null, phone = null, mobile = null where id = $1")
        .bind(lead)
        .execute(&db.admin)
        .await
        .expect("set up");
    let contact = store.lead_contact(lead).await.expect("read");
    assert_eq!((contact.email, contact.phone), (None, None));
    assert_eq!(
        store.lead_contact(Uuid::new_v4()).await,
        Err(DataError::NotFound)
    );
}

/// Every page of a column, in board order.
async fn all_pages(
    store: &PgStore,
    stage: Uuid,
    sort: BoardSort,
    filter: Option<&closer::filter::Filter>,
) -> Vec<Uuid> {
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let page = match filter {
            Some(f) => {
                store
                    .filtered_column_page(stage, sort, after.clone(), 4, f)
                    .await
            }
            None => store.column_page(stage, sort, after.clone(), 4).await,
        }
        .expect("a page");
        ids.extend(page.cards.iter().map(|c| c.id));
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return ids,
        }
    }
    panic!("paging does not end");
}

#[tokio::test]
async fn both_directions_page_exactly_like_a_plain_order_by() {
    let db = TestDb::new().await;
    let org = db.org("Sort Co").await;
    let (_rep, store) = member(&db, org, "Sort Co", "rep").await;
    let stage = db.first_stage(org).await;
    // Ties on every key (ids break them), never-contacted leads, equal creation times.
    for i in 0..23 {
        let lead = db.lead(org, &format!("Lead {i:02}")).await;
        sqlx::query(
            "update leads set score = $2, created_at = timestamptz '2026-01-01' + ($3 || ' days')::interval,
                 last_contacted_at = case when $4 then null else timestamptz '2026-02-01' + ($5 || ' hours')::interval end
             where id = $1",
        )
        .bind(lead)
        .bind((i * 7) % 5 * 10)
        .bind((i % 6).to_string())
        .bind(i % 4 == 0)
        .bind((i % 3).to_string())
        .execute(&db.admin)
        .await
        .expect("set up");
    }
    let plain = |order: &str| {
        format!(
            "select id from leads where organization_id = $1 and stage_id = $2 order by {order}"
        )
    };
    let contact = "coalesce(last_contacted_at, '-infinity'::timestamptz)";
    let cases = [
        (BoardSort::Score, plain("score desc, id desc")),
        (BoardSort::ScoreAsc, plain("score asc, id asc")),
        (
            BoardSort::LastContact,
            plain(&format!("{contact} desc, id desc")),
        ),
        (
            BoardSort::LastContactAsc,
            plain(&format!("{contact} asc, id asc")),
        ),
        (BoardSort::Newest, plain("created_at desc, id desc")),
        (BoardSort::Oldest, plain("created_at asc, id asc")),
    ];
    let everything = closer::filter::parse("").expect("the empty filter");
    let some = closer::filter::parse("score:>5").expect("a filter");
    for (sort, sql) in cases {
        let expected: Vec<Uuid> = sqlx::query_scalar(AssertSqlSafe(sql.clone()))
            .bind(org)
            .bind(stage)
            .fetch_all(&db.admin)
            .await
            .expect("plain SQL");
        assert_eq!(expected.len(), 23);
        assert_eq!(
            all_pages(&store, stage, sort, None).await,
            expected,
            "{sort:?}"
        );
        assert_eq!(
            all_pages(&store, stage, sort, Some(&everything)).await,
            expected,
            "{sort:?} through the filter path"
        );
        let filtered_sql = sql.replace("order by", "and score > 5 order by");
        let expected: Vec<Uuid> = sqlx::query_scalar(AssertSqlSafe(filtered_sql))
            .bind(org)
            .bind(stage)
            .fetch_all(&db.admin)
            .await
            .expect("plain SQL");
        assert_eq!(
            all_pages(&store, stage, sort, Some(&some)).await,
            expected,
            "{sort:?} filtered"
        );
        // The flip is its own inverse and keeps the key.
        assert_eq!(sort.flip().flip(), sort);
        assert_eq!(sort.flip().key(), sort.key());
    }
}

#[tokio::test]
async fn ascending_pages_scan_the_board_indexes_backward() {
    let db = TestDb::new().await;
    let org = db.org("Plan Co").await;
    let stage = db.first_stage(org).await;
    let mut tx = db.admin.begin().await.expect("a transaction");
    // Tiny tables: make the planner show what it would do at scale.
    sqlx::query("set local enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .expect("set");
    sqlx::query("set local enable_sort = off")
        .execute(&mut *tx)
        .await
        .expect("set");
    let cases = [
        (BoardSort::ScoreAsc, "leads_board_score_idx", "5"),
        (
            BoardSort::LastContactAsc,
            "leads_board_contact_idx",
            "2026-01-01",
        ),
        (BoardSort::Oldest, "leads_board_newest_idx", "2026-01-01"),
    ];
    for (sort, index, key) in cases {
        let sql = closer::data::store::column_page_sql_where(sort, true, "true");
        let key_type = if sort == BoardSort::ScoreAsc {
            "int"
        } else {
            "timestamptz"
        };
        let sql = sql
            .replace(&format!("$6::{key_type}"), &format!("'{key}'::{key_type}"))
            .replace("$7::uuid", "'00000000-0000-0000-0000-000000000000'::uuid");
        let plan: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!("explain {sql}")))
            .bind(org)
            .bind(stage)
            .bind(20_i64)
            .bind("UTC")
            .bind(chrono::Utc::now())
            .fetch_all(&mut *tx)
            .await
            .expect("explain");
        let plan = plan.join("\n");
        assert!(
            plan.contains(&format!("Index Scan Backward using {index}")),
            "{sort:?}:\n{plan}"
        );
    }
}

mod bulk;
