//! Authorship checked per statement (migration 0066): rows of `leads` and `lead_activities` are
//! written by their caller, now. The row stamps that enforced it cost 15 % of an import; a check
//! over each INSERT's rows replaces them. Members write nothing directly, so these tests attack
//! the check the only way left: a security-definer function, as the API's are, that names an
//! author (a bug in a future API function), called by a rep.

use crate::common;

use common::TestDb;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// A function owned like the API's (`closer_owner`) that inserts the given activities and,
/// with `lead_author`, a lead by that author; callable by members.
async fn authoring_function(db: &TestDb) {
    for statement in [
        "create function closer.test_write_as(org uuid, lead uuid, authors uuid[], at timestamptz, lead_author uuid)
             returns integer language plpgsql security definer set search_path = '' as $$
         declare written integer;
         begin
             insert into public.lead_activities (organization_id, lead_id, type, created_by, created_at, content)
             select org, lead, 'note_added', a, coalesce(at, now()), '{}'::jsonb from unnest(authors) a;
             get diagnostics written = row_count;
             if lead_author is not null then
                 insert into public.leads (organization_id, stage_id, name, created_by)
                 select org, l.stage_id, 'Written by someone', lead_author
                 from public.leads l where l.organization_id = org and l.id = lead;
             end if;
             return written;
         end $$",
        "alter function closer.test_write_as(uuid, uuid, uuid[], timestamptz, uuid) owner to closer_owner",
        "grant execute on function closer.test_write_as(uuid, uuid, uuid[], timestamptz, uuid) to closer_member",
    ] {
        sqlx::query(statement)
            .execute(&db.admin)
            .await
            .expect("the authoring function");
    }
}

async fn write_as(
    pool: &PgPool,
    org: Uuid,
    lead: Uuid,
    authors: &[Option<Uuid>],
    at: Option<&str>,
    lead_author: Option<Uuid>,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar("select closer.test_write_as($1, $2, $3, $4::timestamptz, $5)")
        .bind(org)
        .bind(lead)
        .bind(authors)
        .bind(at)
        .bind(lead_author)
        .fetch_one(pool)
        .await
}

/// The check's refusal: the whole statement fails with 42501.
fn assert_refused(outcome: Result<i32, sqlx::Error>, what: &str) {
    let error = outcome.expect_err(what);
    assert_eq!(
        common::sqlstate(&error).as_deref(),
        Some("42501"),
        "{what}: {error}"
    );
}

#[tokio::test]
async fn rows_naming_another_author_or_time_are_refused_whole() {
    let db = TestDb::new().await;
    let org = db.org("Authors Org").await;
    let rep = db.user("Authors Org", "rep").await;
    let victim = db.user("Authors Org", "manager").await;
    let lead = db.lead(org, "Authored lead").await;
    authoring_function(&db).await;
    let pool = db.login(&rep).await;
    let notes = format!("lead_id = '{lead}' and type = 'note_added'");
    let activities = || db.admin_count("lead_activities", &notes);
    let before = activities().await;

    // One of two rows names the manager: the whole statement is refused, nothing lands.
    assert_refused(
        write_as(
            &pool,
            org,
            lead,
            &[Some(rep.profile_id), Some(victim.profile_id)],
            None,
            None,
        )
        .await,
        "an activity as someone else",
    );
    let control = write_as(&pool, org, lead, &[Some(rep.profile_id)], None, None).await;
    assert!(
        control.is_ok(),
        "control: the caller as author: {control:?}"
    );
    assert_refused(
        write_as(&pool, org, lead, &[None], None, None).await,
        "an activity without an author",
    );
    assert_refused(
        write_as(
            &pool,
            org,
            lead,
            &[Some(rep.profile_id)],
            Some("2020-01-01T00:00:00Z"),
            None,
        )
        .await,
        "a backdated activity",
    );
    assert_eq!(
        activities().await,
        before + 1,
        "only the control's row landed"
    );

    // A lead written as the manager is refused; as the caller it lands with the caller.
    let in_org = format!("organization_id = '{org}'");
    let leads = || db.admin_count("leads", &in_org);
    let count = leads().await;
    assert_refused(
        write_as(&pool, org, lead, &[], None, Some(victim.profile_id)).await,
        "a lead as someone else",
    );
    assert_eq!(leads().await, count);
    write_as(&pool, org, lead, &[], None, Some(rep.profile_id))
        .await
        .expect("a lead as the caller");
    let author: Option<Uuid> = sqlx::query_scalar(
        "select created_by from leads where organization_id = $1 and name = 'Written by someone'",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("the new lead");
    assert_eq!(author, Some(rep.profile_id));
}

#[tokio::test]
async fn an_import_writes_as_its_caller_and_an_update_keeps_the_author() {
    let db = TestDb::new().await;
    let org = db.org("Import Authors").await;
    let rep = db.user("Import Authors", "rep").await;
    let stage = db.first_stage(org).await;
    let pool = db.login(&rep).await;
    let batch = json!([
        {"row_no": 1, "name": "Ada One", "email": "ada.one@example.test", "tags": ["vip"]},
        {"row_no": 2, "name": "Bo Two", "phone": "+1 555 0102", "tags": []}
    ]);
    let created: i64 = sqlx::query_scalar(
        "select count(*) from closer.import_leads($1, $2, $3, 'skip') where action = 'created'",
    )
    .bind(org)
    .bind(batch)
    .bind(stage)
    .fetch_one(&pool)
    .await
    .expect("import as the rep");
    assert_eq!(created, 2);
    let not_rep = format!(
        "organization_id = '{org}' and created_by is distinct from '{}'",
        rep.profile_id
    );
    let others = |table: &'static str| db.admin_count(table, &not_rep);
    assert_eq!(others("leads").await, 0, "every imported lead is the rep's");
    assert_eq!(
        others("lead_activities").await,
        0,
        "every activity is the rep's"
    );
    assert_eq!(
        db.admin_count("lead_activities", &format!("organization_id = '{org}'"))
            .await,
        2
    );

    // Even the owner's UPDATE naming the author leaves it (the row trigger, UPDATE OF created_by).
    let kept: Option<Uuid> = sqlx::query_scalar(
        "update leads set created_by = null, name = name || ' (renamed)'
         where organization_id = $1 and name = 'Ada One' returning created_by",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("rename and try to clear the author");
    assert_eq!(kept, Some(rep.profile_id));
}
