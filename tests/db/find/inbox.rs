//! The filter language on the inbox (issue 12): the tasks `PgStore::inbox_where` shows, and its
//! exact group totals, equal a hand-written SQL query for each filter, through a member login.

use super::common::TestDb;
use super::store_of;
use closer::filter;
use std::collections::BTreeSet;
use uuid::Uuid;

#[tokio::test]
async fn inbox_filters_equal_plain_sql() {
    let db = TestDb::new().await;
    let org = db.org("Inbox Filter Co").await;
    let rep = db.user("Inbox Filter Co", "rep").await;
    let manager = db.user("Inbox Filter Co", "manager").await;
    let stage = db.first_stage(org).await;
    // 12 leads, every third tagged vip; 3 tasks each: overdue, later, completed yesterday,
    // alternately the rep's and the manager's; one title in four says "Call".
    let mut n = 0;
    for i in 0..12 {
        let lead: Uuid = sqlx::query_scalar(
            "insert into leads (organization_id, stage_id, name) values ($1, $2, $3) returning id",
        )
        .bind(org)
        .bind(stage)
        .bind(format!("Lead {i}"))
        .fetch_one(&db.admin)
        .await
        .expect("lead");
        if i % 3 == 0 {
            sqlx::query(
                "insert into lead_tags (organization_id, lead_id, tag) values ($1, $2, 'vip')",
            )
            .bind(org)
            .bind(lead)
            .execute(&db.admin)
            .await
            .expect("tag");
        }
        for (due, done) in [("-3 days", false), ("+3 days", false), ("-5 days", true)] {
            n += 1;
            let owner = if n % 2 == 0 {
                rep.profile_id
            } else {
                manager.profile_id
            };
            let title = if n % 4 == 0 {
                format!("Call {n}")
            } else {
                format!("Email {n}")
            };
            sqlx::query(
                "insert into lead_tasks (organization_id, lead_id, title, due_date, assigned_to, status, completed_at)
                 values ($1, $2, $3, (now() + $4::interval)::date, $5,
                         case when $6 then 'completed'::task_status else 'pending'::task_status end,
                         case when $6 then now() - interval '1 day' end)",
            )
            .bind(org)
            .bind(lead)
            .bind(title)
            .bind(due)
            .bind(owner)
            .bind(done)
            .execute(&db.admin)
            .await
            .expect("task");
        }
    }
    let store = store_of(&db, &manager, org).await;
    let now = chrono::Utc::now();
    let cases = [
        ("owner:me", "t.assigned_to = $2".to_string()),
        (
            "tag:vip",
            "t.lead_id in (select lead_id from lead_tags where tag = 'vip')".to_string(),
        ),
        (
            "overdue",
            "t.status <> 'completed' and t.due_date < current_date".to_string(),
        ),
        ("call", "t.title ilike '%call%'".to_string()),
        (
            "tag:vip owner:me overdue",
            "t.assigned_to = $2 and t.status <> 'completed' and t.due_date < current_date
             and t.lead_id in (select lead_id from lead_tags where tag = 'vip')"
                .to_string(),
        ),
    ];
    for (text, sql) in cases {
        let f = filter::parse(text).expect("parses");
        let inbox = store
            .inbox_where(now, true, None, false, &f)
            .await
            .expect("the filtered inbox");
        let shown: BTreeSet<Uuid> = inbox.tasks.iter().map(|(_, t)| t.id).collect();
        let expected: BTreeSet<Uuid> = sqlx::query_scalar::<_, Uuid>(sqlx::AssertSqlSafe(format!(
            "select t.id from lead_tasks t where t.organization_id = $1
               and (t.status <> 'completed' or t.completed_at >= now() - interval '7 days')
               and {sql}"
        )))
        .bind(org)
        .bind(manager.profile_id)
        .fetch_all(&db.admin)
        .await
        .expect("plain SQL")
        .into_iter()
        .collect();
        assert!(!expected.is_empty(), "{text}: the case keeps some tasks");
        assert!(expected.len() < 36, "{text}: the case drops some tasks");
        assert_eq!(shown, expected, "{text}");
        let total: i64 = inbox.totals.values().sum();
        assert_eq!(total, expected.len() as i64, "{text}: exact totals");
    }
}
