//! Many leads at once (migration 0015) through member logins: every bulk write is all or nothing,
//! logs each lead like its single twin, and its one undo puts every lead back exactly or, if a
//! teammate changed one since, none; another organization's lead id refuses the whole write; a
//! rep cannot bulk delete; a closing move is refused with a sentence.

use super::common::TestDb;
use super::{member, owner_and_version};
use closer::data::DataError;
use closer::data::bulk::{BulkWrite, Marked};
use uuid::Uuid;

async fn marked(db: &TestDb, leads: &[Uuid]) -> Vec<Marked> {
    let mut out = Vec::new();
    for id in leads {
        out.push(Marked {
            id: *id,
            version: owner_and_version(db, *id).await.1,
        });
    }
    out
}

async fn stage_of(db: &TestDb, lead: Uuid) -> Uuid {
    sqlx::query_scalar("select stage_id from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("read the stage")
}

async fn activities(db: &TestDb, leads: &[Uuid], kind: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from lead_activities where lead_id = any($1) and type::text = $2",
    )
    .bind(leads)
    .bind(kind)
    .fetch_one(&db.admin)
    .await
    .expect("count activities")
}

#[tokio::test]
async fn a_bulk_move_is_one_write_with_one_undo() {
    let db = TestDb::new().await;
    let org = db.org("Bulk Co").await;
    let (_rep, store) = member(&db, org, "Bulk Co", "rep").await;
    let leads = [
        db.lead(org, "Ann").await,
        db.lead(org, "Bob").await,
        db.lead(org, "Cy").await,
    ];
    let first = stage_of(&db, leads[0]).await;
    let qualified = db.stage(org, "Qualified").await;

    let done = store
        .bulk_write(
            &marked(&db, &leads).await,
            &BulkWrite::Move {
                to_stage: qualified,
            },
            "moved 3 leads".into(),
        )
        .await
        .expect("the marked leads move");
    assert_eq!(done.changed, 3);
    for lead in leads {
        assert_eq!(stage_of(&db, lead).await, qualified);
    }
    assert_eq!(activities(&db, &leads, "stage_change").await, 3);

    let undo = done.undo.expect("a move has an undo");
    assert_eq!(store.bulk_undo(&undo).await, Ok(3));
    for lead in leads {
        assert_eq!(stage_of(&db, lead).await, first);
    }
    assert_eq!(activities(&db, &leads, "stage_change").await, 6);

    // A second undo of the same write finds versions it did not leave: nothing happens.
    let again = store.bulk_undo(&undo).await;
    assert!(
        matches!(&again, Err(DataError::Invalid(why)) if why.contains("nothing was undone")),
        "{again:?}"
    );
}

#[tokio::test]
async fn one_refused_lead_changes_nothing() {
    let db = TestDb::new().await;
    let org = db.org("Mine Co").await;
    let other = db.org("Theirs Co").await;
    let (rep, store) = member(&db, org, "Mine Co", "rep").await;
    let (manager, _) = member(&db, org, "Mine Co", "manager").await;
    let mine = [db.lead(org, "Dee").await, db.lead(org, "Eve").await];
    let theirs = db.lead(other, "Stranger").await;
    let qualified = db.stage(org, "Qualified").await;
    let before: Vec<(Option<Uuid>, i32)> = vec![
        owner_and_version(&db, mine[0]).await,
        owner_and_version(&db, mine[1]).await,
    ];

    // Another organization's lead id: refused as a whole, with a sentence.
    let mut list = marked(&db, &mine).await;
    list.push(Marked {
        id: theirs,
        version: owner_and_version(&db, theirs).await.1,
    });
    let refused = store
        .bulk_write(
            &list,
            &BulkWrite::Assign {
                owner: manager.profile_id,
            },
            "reassigned".into(),
        )
        .await;
    assert!(
        matches!(&refused, Err(DataError::Invalid(why)) if why.contains("not visible to you") && why.contains("nothing was changed")),
        "{refused:?}"
    );
    assert_eq!(owner_and_version(&db, mine[0]).await, before[0]);
    assert_eq!(owner_and_version(&db, mine[1]).await, before[1]);
    assert_eq!(owner_and_version(&db, theirs).await.0, None);

    // A forged undo naming another organization's lead reaches nothing.
    let forged = closer::data::bulk::BulkUndo {
        label: "forged".into(),
        payload: serde_json::json!({"kind": "assign", "leads": [
            {"id": theirs, "version": owner_and_version(&db, theirs).await.1,
             "assigned_to": rep.profile_id}]}),
    };
    let refused = store.bulk_undo(&forged).await;
    assert!(
        matches!(&refused, Err(DataError::Invalid(why)) if why.contains("nothing was undone")),
        "{refused:?}"
    );
    assert_eq!(owner_and_version(&db, theirs).await.0, None);

    // A teammate's change since marking: refused as a whole, naming the lead.
    let list = marked(&db, &mine).await;
    sqlx::query("update leads set score = score + 1 where id = $1")
        .bind(mine[1])
        .execute(&db.admin)
        .await
        .expect("a teammate's change");
    let refused = store
        .bulk_write(
            &list,
            &BulkWrite::Move {
                to_stage: qualified,
            },
            "moved".into(),
        )
        .await;
    assert!(
        matches!(&refused, Err(DataError::Invalid(why)) if why.contains("Eve")),
        "{refused:?}"
    );
    assert_ne!(stage_of(&db, mine[0]).await, qualified);

    // Into a won stage: refused with the reason (closing is per lead).
    let won = db.stage(org, "Won").await;
    let refused = store
        .bulk_write(
            &marked(&db, &mine).await,
            &BulkWrite::Move { to_stage: won },
            "moved".into(),
        )
        .await;
    assert!(
        matches!(&refused, Err(DataError::Invalid(why)) if why.contains("one at a time")),
        "{refused:?}"
    );
    assert_ne!(stage_of(&db, mine[0]).await, won);

    // A rep may not bulk delete (the database decides); nothing is deleted.
    let refused = store
        .bulk_write(&marked(&db, &mine).await, &BulkWrite::Delete, "".into())
        .await;
    assert_eq!(refused, Err(DataError::PermissionDenied));
    assert_eq!(
        db.admin_count("leads", &format!("organization_id = '{org}'"))
            .await,
        2
    );
}

#[tokio::test]
async fn reassign_and_tag_undo_exactly_and_refuse_after_a_teammates_change() {
    let db = TestDb::new().await;
    let org = db.org("Undo Co").await;
    let (rep, store) = member(&db, org, "Undo Co", "rep").await;
    let (manager, mgr_store) = member(&db, org, "Undo Co", "manager").await;
    let leads = [db.lead(org, "Fay").await, db.lead(org, "Gus").await];
    sqlx::query("update leads set assigned_to = $2 where id = $1")
        .bind(leads[0])
        .bind(rep.profile_id)
        .execute(&db.admin)
        .await
        .expect("Fay is the rep's");

    let done = store
        .bulk_write(
            &marked(&db, &leads).await,
            &BulkWrite::Assign {
                owner: manager.profile_id,
            },
            "reassigned".into(),
        )
        .await
        .expect("reassigned");
    assert_eq!(done.changed, 2);
    assert_eq!(activities(&db, &leads, "lead_updated").await, 2);
    let undo = done.undo.expect("an undo");
    assert_eq!(store.bulk_undo(&undo).await, Ok(2));
    assert_eq!(
        owner_and_version(&db, leads[0]).await.0,
        Some(rep.profile_id)
    );
    assert_eq!(owner_and_version(&db, leads[1]).await.0, None);

    // Tags: the organization's spelling, leads that had it are left alone, undo removes only
    // what the write added — unless a teammate removed one since.
    store
        .add_tag(leads[0], "VIP", "#3b82f6")
        .await
        .expect("Fay is VIP");
    let done = store
        .bulk_write(
            &marked(&db, &leads).await,
            &BulkWrite::Tag {
                tag: "vip".into(),
                color: "#10b981".into(),
            },
            "tagged".into(),
        )
        .await
        .expect("tagged");
    assert_eq!(done.changed, 1);
    let tags = |lead: Uuid| {
        let db = &db;
        async move {
            sqlx::query_scalar::<_, String>("select tag from lead_tags where lead_id = $1")
                .bind(lead)
                .fetch_all(&db.admin)
                .await
                .expect("tags")
        }
    };
    assert_eq!(tags(leads[1]).await, vec!["VIP".to_string()]);
    let undo = done.undo.expect("an undo");
    mgr_store
        .remove_tag(leads[1], "VIP")
        .await
        .expect("a teammate removes it");
    let refused = store.bulk_undo(&undo).await;
    assert!(
        matches!(&refused, Err(DataError::Invalid(why)) if why.contains("nothing was undone")),
        "{refused:?}"
    );
    assert_eq!(tags(leads[0]).await, vec!["VIP".to_string()]);
}

#[tokio::test]
async fn a_manager_deletes_the_marked_leads_at_once() {
    let db = TestDb::new().await;
    let org = db.org("Gone Co").await;
    let (_manager, store) = member(&db, org, "Gone Co", "manager").await;
    let leads = [db.lead(org, "Hal").await, db.lead(org, "Ivy").await];
    let keep = db.lead(org, "Jo").await;
    let done = store
        .bulk_write(&marked(&db, &leads).await, &BulkWrite::Delete, "".into())
        .await
        .expect("deleted");
    assert_eq!((done.changed, done.undo), (2, None));
    assert_eq!(
        db.admin_count("leads", &format!("organization_id = '{org}'"))
            .await,
        1
    );
    assert!(owner_and_version(&db, keep).await.1 > 0);
}
