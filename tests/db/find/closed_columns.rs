//! Won and lost columns through a filter: `rotting` never keeps a closed lead, and `overdue`
//! keeps one only while a closed lead still has an open task (migration 0046 answers that from
//! a near-empty index so a closed column is not walked lead by lead). Pages equal SQL both ways.

use std::collections::BTreeSet;

use uuid::Uuid;

use super::{board_ids, sql_ids, world};

const OVERDUE: &str = "l.id in (select lead_id from lead_tasks where status <> 'completed' and due_date < (now() at time zone $3)::date)";

async fn closed_leads(w: &super::World) -> BTreeSet<Uuid> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select l.id from leads l join pipeline_stages s on s.id = l.stage_id
         where l.organization_id = $1 and (s.is_won or s.is_lost)",
    )
    .bind(w.org)
    .fetch_all(&w.db.admin)
    .await
    .expect("closed leads");
    ids.into_iter().collect()
}

#[tokio::test]
async fn overdue_in_closed_columns_follows_the_open_tasks_of_closed_leads() {
    let w = world().await;
    let closed = closed_leads(&w).await;
    assert!(!closed.is_empty(), "the world has closed leads");

    // As populated: some closed leads have overdue tasks, and the closed columns show them.
    let board = board_ids(&w, "overdue").await;
    assert_eq!(board, sql_ids(&w, OVERDUE).await);
    assert!(board.iter().any(|id| closed.contains(id)), "{board:?}");

    // Every task of a closed lead completed: no closed lead is overdue, open ones still are.
    sqlx::query(
        "update lead_tasks set status = 'completed', completed_at = now()
         where organization_id = $1 and lead_closed and status in ('pending', 'overdue')",
    )
    .bind(w.org)
    .execute(&w.db.admin)
    .await
    .expect("complete the closed leads' tasks");
    let board = board_ids(&w, "overdue").await;
    assert_eq!(board, sql_ids(&w, OVERDUE).await);
    assert!(!board.is_empty());
    assert!(board.iter().all(|id| !closed.contains(id)), "{board:?}");

    // One overdue task back on one won or lost lead: its column shows exactly that lead again.
    let lead = *closed.iter().next().expect("a closed lead");
    sqlx::query(
        "insert into lead_tasks (organization_id, lead_id, title, due_date, status)
         values ($1, $2, 'Send the contract copy', current_date - 3, 'pending')",
    )
    .bind(w.org)
    .bind(lead)
    .execute(&w.db.admin)
    .await
    .expect("an overdue task on a closed lead");
    let board = board_ids(&w, "overdue").await;
    assert_eq!(board, sql_ids(&w, OVERDUE).await);
    let closed_kept: Vec<_> = board.iter().filter(|id| closed.contains(id)).collect();
    assert_eq!(closed_kept, vec![&lead]);
}

#[tokio::test]
async fn rotting_never_keeps_a_closed_lead_even_one_long_untouched() {
    let w = world().await;
    // Closed leads untouched for a year: closed stages have no rotting limit, so none of them
    // rots (their pages are empty by a one-time filter), exactly as the SQL says.
    sqlx::query(
        "update leads set last_contacted_at = now() - interval '365 days'
         where organization_id = $1 and stage_id in (select id from pipeline_stages where is_won or is_lost)",
    )
    .bind(w.org)
    .execute(&w.db.admin)
    .await
    .expect("age the closed leads");
    let rotting = "exists (select 1 from pipeline_stages s where s.id = l.stage_id and s.rotting_days is not null
                   and coalesce(l.last_contacted_at, l.created_at) < now() - s.rotting_days * interval '1 day')";
    let board = board_ids(&w, "rotting").await;
    assert_eq!(board, sql_ids(&w, rotting).await);
    let closed = closed_leads(&w).await;
    assert!(board.iter().all(|id| !closed.contains(id)), "{board:?}");
    assert!(!board.is_empty());
}
