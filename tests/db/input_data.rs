//! Issue 11 against a real PostgreSQL (migration 0007), through a real rep login: phone numbers
//! with an extension are stored; tags are one tag whatever their case, in the organization's
//! first spelling.

use crate::common;

use closer::data::PgStore;
use closer::data::lead::NewLead;
use common::{TestDb, TestUser};
use uuid::Uuid;

async fn store_of(db: &TestDb, user: &TestUser, org: Uuid) -> PgStore {
    db.session(user)
        .await
        .open(org)
        .expect("a member opens the org")
}

#[tokio::test]
async fn phone_extensions_are_accepted() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    let store = store_of(&db, &rep, org).await;
    let stage = db.first_stage(org).await;
    let id = store
        .create_lead(NewLead {
            name: "Ext Person".to_string(),
            email: None,
            phone: Some("+1 555 1234 x89".to_string()),
            company: None,
            stage_id: stage,
            assigned_to: None,
        })
        .await
        .expect("a phone with an extension is stored");
    let phone: Option<String> = sqlx::query_scalar("select phone from leads where id = $1")
        .bind(id)
        .fetch_one(&db.admin)
        .await
        .expect("read");
    assert_eq!(phone.as_deref(), Some("+1 555 1234 x89"));
    // The database keeps refusing what is not a phone number.
    let refused = sqlx::query("update leads set phone = '555 1234 xyz' where id = $1")
        .bind(id)
        .execute(&db.admin)
        .await;
    assert!(refused.is_err());
}

#[tokio::test]
async fn tags_are_case_insensitive_in_the_organizations_spelling() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    let store = store_of(&db, &rep, org).await;
    let a = db.lead(org, "Lead A").await;
    let b = db.lead(org, "Lead B").await;
    let first = store.add_tag(a, "VIP", "#ff0000").await.expect("tag");
    assert_eq!(first.tag, "VIP");
    // Another lead, typed in lower case: the organization's spelling.
    let second = store.add_tag(b, "vip", "#ff0000").await.expect("tag");
    assert_eq!(second.tag, "VIP");
    // The same lead again in another case: one tag, recoloured.
    store.add_tag(a, "Vip", "#00ff00").await.expect("tag");
    let rows: Vec<(String, String)> =
        sqlx::query_as("select tag, color from lead_tags where lead_id = $1")
            .bind(a)
            .fetch_all(&db.admin)
            .await
            .expect("read");
    assert_eq!(rows, vec![("VIP".to_string(), "#00ff00".to_string())]);
    // Completion offers the organization's tags, one spelling each.
    let known = store.organization_tags().await.expect("org tags");
    assert_eq!(known, vec!["VIP".to_string()]);
    // Removing in any case removes it.
    assert!(store.remove_tag(b, "vIp").await.expect("remove"));
    // The database itself refuses a second spelling on one lead.
    let dup =
        sqlx::query("insert into lead_tags (organization_id, lead_id, tag) values ($1, $2, 'vip')")
            .bind(org)
            .bind(a)
            .execute(&db.admin)
            .await;
    assert!(dup.is_err());
}
