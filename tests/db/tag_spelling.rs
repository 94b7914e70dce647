//! A tag's spelling (migration 0064): adding a tag takes the organization's spelling of it, its
//! earliest row, and finds it with one probe of `lead_tags_spelling_idx` whatever the number of
//! leads holding the tag. Before, `closer.add_tag`, `closer.bulk_tag` and every import batch read
//! every row of the tag (at 1M leads: 200k rows, ~100 ms for one tag on one lead, ~1 s of each
//! 2,000-row import batch). Counted by PostgreSQL's own per-transaction statistics.

use crate::common;
use crate::import::setup;

use common::TestDb;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Leads holding the tag: enough that reading all of them is unmistakable in the counters.
const HOLDERS: i64 = 20_000;

/// Index entries and heap rows this transaction read from `lead_tags`, and its sequential scans.
async fn lead_tag_reads(tx: &mut PgConnection) -> (i64, i64, i64) {
    sqlx::query_as(
        "select (select coalesce(sum(pg_stat_get_xact_tuples_returned(i.indexrelid)), 0)::bigint
                 from pg_index i where i.indrelid = 'public.lead_tags'::regclass),
                coalesce(t.idx_tup_fetch, 0), coalesce(t.seq_scan, 0)
         from pg_stat_xact_user_tables t where t.relid = 'public.lead_tags'::regclass",
    )
    .fetch_one(tx)
    .await
    .expect("this transaction's reads of lead_tags")
}

/// An organization whose tag `vip` is spelled `Vip` on its first lead and `VIP` on the
/// [`HOLDERS`] leads tagged after it; returns the organization and a first stage.
async fn tagged_org(db: &TestDb, name: &str) -> (Uuid, Uuid) {
    let org = db.org(name).await;
    let stage = db.first_stage(org).await;
    sqlx::query(
        "with made as (
             insert into leads (organization_id, stage_id, name)
             select $1, $2, 'Holder ' || n from generate_series(1, $3) n returning id, name)
         insert into lead_tags (organization_id, lead_id, tag, created_at)
         select $1, id, case when name = 'Holder 1' then 'Vip' else 'VIP' end,
                now() - case when name = 'Holder 1' then interval '2 days' else interval '1 day' end
         from made",
    )
    .bind(org)
    .bind(stage)
    .bind(HOLDERS)
    .execute(&db.admin)
    .await
    .expect("tagged leads");
    sqlx::query("analyze lead_tags")
        .execute(&db.admin)
        .await
        .expect("analyze");
    (org, stage)
}

fn assert_probed(reads: (i64, i64, i64), what: &str) {
    let (entries, fetched, scans) = reads;
    assert_eq!(scans, 0, "{what}: sequential scans of lead_tags");
    assert!(
        entries < 50 && fetched < 50,
        "{what}: {entries} index entries and {fetched} rows of lead_tags read, for a tag {HOLDERS} leads hold"
    );
}

async fn begin(pool: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    pool.begin().await.expect("a transaction")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tag_on_one_lead_takes_the_earliest_spelling_from_one_probe() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Spelling Org").await;
    let (org, _) = tagged_org(&db, "Spelling Org").await;
    let lead = db.lead(org, "Newcomer").await;
    let pool = db.login(&shell.user).await;

    let mut tx = begin(&pool).await;
    let spelled: String =
        sqlx::query_scalar("select tag from closer.add_tag($1, $2, 'vIP', '#ff0000')")
            .bind(org)
            .bind(lead)
            .fetch_one(&mut *tx)
            .await
            .expect("a member tags a lead");
    assert_eq!(spelled, "Vip", "the organization's earliest spelling");
    assert_probed(lead_tag_reads(&mut tx).await, "add_tag");
    tx.rollback().await.expect("rollback");

    let mut tx = begin(&pool).await;
    let version: i32 = sqlx::query_scalar("select version from leads where id = $1")
        .bind(lead)
        .fetch_one(&mut *tx)
        .await
        .expect("the lead's version");
    let undo: serde_json::Value =
        sqlx::query_scalar("select closer.bulk_tag($1, $2, 'VIP', '#00ff00')")
            .bind(org)
            .bind(json!([{ "id": lead, "version": version }]))
            .fetch_one(&mut *tx)
            .await
            .expect("a member tags marked leads");
    assert_eq!(undo["tag"], "Vip", "{undo}");
    assert_probed(lead_tag_reads(&mut tx).await, "bulk_tag");
    tx.rollback().await.expect("rollback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_batch_spells_its_tags_from_one_probe_each() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Import Spelling Org").await;
    let (org, stage) = tagged_org(&db, "Import Spelling Org").await;
    let batch = json!([
        {"row_no": 2, "name": "Imported A", "email": "a@spelling.test", "tags": ["vip", "Fresh"]},
        {"row_no": 3, "name": "Imported B", "email": "b@spelling.test", "tags": ["VIP", "fresh"]},
    ]);
    let pool = db.login(&shell.user).await;
    let mut tx = begin(&pool).await;
    let done: Vec<(i32, String, Uuid)> = sqlx::query_as(
        "select row_no, action, lead_id from closer.import_leads($1, $2, $3, 'skip')",
    )
    .bind(org)
    .bind(&batch)
    .bind(stage)
    .fetch_all(&mut *tx)
    .await
    .expect("the batch goes through");
    assert!(done.iter().all(|(_, a, _)| a == "created"), "{done:?}");
    let reads = lead_tag_reads(&mut tx).await;
    let tags: Vec<String> = sqlx::query_scalar(
        "select tag from lead_tags where lead_id = any($1) order by lead_id, tag",
    )
    .bind(done.iter().map(|(_, _, id)| *id).collect::<Vec<_>>())
    .fetch_all(&mut *tx)
    .await
    .expect("the imported tags");
    tx.rollback().await.expect("rollback");
    // A known tag in the organization's spelling; a new one in the file's first spelling.
    assert_eq!(tags, ["Fresh", "Vip", "Fresh", "Vip"]);
    assert_probed(reads, "import_leads");
}
