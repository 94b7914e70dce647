//! Lost leads through `closer import leads` (issue 14): a lost lead is imported with its reason,
//! or rejected alone (row and column), never failing the rest of its batch.

use crate::common;
use crate::import::{import, rejection, setup};
use crate::shell_util;

use common::TestDb;
use serde_json::Value;

/// A lost lead needs its reason. Through `closer.import_leads` a reasonless lost row comes back
/// 'rejected' and is not written, instead of failing its whole batch in the insert check of 0019.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reasonless_lost_lead_is_rejected_alone_not_with_its_batch() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Lost Org").await;
    let org = db.org("Lost Org").await;
    let open = db.first_stage(org).await;
    let lost: uuid::Uuid = sqlx::query_scalar(
        "select id from pipeline_stages where organization_id = $1 and is_lost limit 1",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("a lost stage");
    let rows: Vec<serde_json::Value> = (2..1_002)
        .map(|n| {
            let stage = if n == 500 { lost } else { open };
            serde_json::json!({"row_no": n, "name": format!("Row {n}"), "stage_id": stage})
        })
        .collect();
    let pool = db.login(&shell.user).await;
    let done: Vec<(i32, String)> =
        sqlx::query_as("select row_no, action from closer.import_leads($1, $2, $3, 'skip')")
            .bind(org)
            .bind(serde_json::Value::Array(rows))
            .bind(open)
            .fetch_all(&pool)
            .await
            .expect("the batch goes through");
    let rejected: Vec<i32> = done
        .iter()
        .filter(|(_, action)| action == "rejected")
        .map(|(row, _)| *row)
        .collect();
    assert_eq!((done.len(), rejected), (1_000, vec![500]));
    assert_eq!(db.admin_count("leads", "true").await, 999);

    // A single insert without a reason is still refused by the trigger:
    // closing::a_new_lead_cannot_start_in_a_lost_stage_without_a_reason.
}

/// The command line: a reasonless lost row is reported with its row and column; all or nothing
/// writes nothing, --partial writes the rest and its rejects file imports once fixed. Update mode
/// refuses a move into Lost without a reason, keeps the one given, and drops it on the way out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_leads_import_with_their_reason_or_are_rejected_by_row() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Reason Org").await;
    let path = shell.file(
        "lost.csv",
        b"Name,Stage,Lost reason\nKept,Qualified,\nNo Reason,Lost,\nPriced Out,Lost,Price\n",
    );
    let out = shell.run(&["import", "leads", &path, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "all or nothing refuses");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(
        (report["rejected"].as_u64(), report["written"].as_bool()),
        (Some(1), Some(false)),
        "{report}"
    );
    let (column, reason) = rejection(&report, 3);
    assert_eq!(column, "Stage");
    assert!(reason.contains("needs a lost reason"), "{reason}");
    assert_eq!(db.admin_count("leads", "true").await, 0, "nothing written");

    let rejects = shell.dir.path().join("lost.csv.rejects.csv");
    let report = import(&shell, &path, &["--partial"]);
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(1)),
        "{report}"
    );
    let text = std::fs::read_to_string(&rejects).expect("the rejects file");
    assert!(text.contains("No Reason,Lost,"), "{text}");
    let fixed = shell.file(
        "fixed.csv",
        text.replace("No Reason,Lost,", "No Reason,Lost,Timing")
            .as_bytes(),
    );
    assert_eq!(import(&shell, &fixed, &[])["created"], 1);
    assert_eq!(
        db.admin_count("leads", "lost_reason in ('Price', 'Timing')")
            .await,
        2
    );

    let moved = |body: &str| shell.file("move.csv", body.as_bytes());
    let update = ["--on-duplicate", "update"];
    let out = shell.run(&[
        "import",
        "leads",
        &moved("Name,Stage\nKept,Lost\n"),
        "--on-duplicate",
        "update",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", shell_util::text(&out));
    let report = import(
        &shell,
        &moved("Name,Stage,Lost reason\nKept,Lost,Budget\n"),
        &update,
    );
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(
        db.admin_count("leads", "name = 'Kept' and lost_reason = 'Budget'")
            .await,
        1
    );
    let report = import(&shell, &moved("Name,Stage\nKept,Qualified\n"), &update);
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(
        db.admin_count("leads", "name = 'Kept' and lost_reason is null")
            .await,
        1
    );
}
