//! A lead's owner and lifecycle (issue 12) against a real PostgreSQL, through member logins:
//! the owner change is the version-checked `closer.update_lead` with its activity row, a
//! stranger cannot be made owner, deleting is for managers and admins only, the contact read
//! for copying.

mod common;

use closer::data::{DataError, PgStore};
use common::{TestDb, TestUser};
use sqlx::Row;
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
