//! Deals and tags written while their lead moves (migration 0052): each trigger reads its lead's
//! stage from the lead row locked as a move locks it, so with reps moving leads between two
//! stages while teammates add, edit and remove deals and tags on the same leads, the stage
//! headers and the filter deltas still equal a recount from the rows, without a deadlock. A deal
//! added while its lead changes owner takes the new owner (migration 0058).

use super::import_totals::delta_mismatches;
use super::next_step::{deadlocks, leads_in, mover, rep_stores};
use super::{World, world};

use closer::data::PgStore;
use closer::data::lead::{DealChanges, DealStatus, NewDeal};
use uuid::Uuid;

/// An open deal in the organization's currency.
fn race_deal(name: String, amount: f64) -> NewDeal {
    NewDeal {
        name,
        amount,
        currency: None,
        stage: "qualification".to_owned(),
        probability: 40,
        status: DealStatus::Open,
        expected_close_date: None,
    }
}

/// The first `n` open stages of the pipeline, in board order.
async fn open_stages(w: &World, n: i64) -> Vec<Uuid> {
    let stages: Vec<Uuid> = sqlx::query_scalar(
        "select s.id from pipeline_stages s where s.organization_id = $1 and s.pipeline_id = $2
           and not s.is_won and not s.is_lost order by s.order_index limit $3",
    )
    .bind(w.org)
    .bind(w.pipeline)
    .bind(n)
    .fetch_all(&w.db.admin)
    .await
    .expect("open stages");
    assert_eq!(stages.len() as i64, n, "open stages in the pipeline");
    stages
}

/// Adds an open deal to a lead and changes its amount, `rounds` times.
async fn deal_writer(store: PgStore, lead: Uuid, rounds: usize) -> Vec<String> {
    let mut errors = Vec::new();
    for i in 0..rounds {
        let deal = race_deal(format!("Race deal {i}"), 1_000.0 + i as f64);
        let id = match store.add_deal(lead, deal).await {
            Ok(id) => id,
            Err(e) => {
                errors.push(format!("add deal {i} on {lead}: {e}"));
                continue;
            }
        };
        let changes = DealChanges {
            amount: Some(2_000.0 + i as f64),
            ..DealChanges::default()
        };
        if let Err(e) = store.update_deal(id, 1, changes).await {
            errors.push(format!("update deal {i} on {lead}: {e}"));
        }
    }
    errors
}

/// Adds a tag to a lead, and removes every other one again, `rounds` times.
async fn tag_writer(store: PgStore, lead: Uuid, rounds: usize) -> Vec<String> {
    let mut errors = Vec::new();
    for i in 0..rounds {
        let tag = format!("race-{i}");
        if let Err(e) = store.add_tag(lead, &tag, "#1a2b3c").await {
            errors.push(format!("add tag {i} on {lead}: {e}"));
        }
        if i % 2 == 0
            && let Err(e) = store.remove_tag(lead, &tag).await
        {
            errors.push(format!("remove tag {i} on {lead}: {e}"));
        }
    }
    errors
}

/// Per stage of the pipeline: the header's leads and open amount in the organization's currency
/// minus a recount from the rows; only the stages where they differ.
async fn header_mismatches(w: &World) -> Vec<(Uuid, i64, f64)> {
    let headers = w.store.stage_summaries(w.pipeline).await.expect("headers");
    let recount: Vec<(Uuid, i64, f64)> = sqlx::query_as(
        "select s.id,
                (select count(*) from leads l where l.organization_id = $1 and l.stage_id = s.id),
                (select coalesce(sum(d.amount), 0)::float8 from deals d join leads l on l.id = d.lead_id
                 where l.organization_id = $1 and l.stage_id = s.id and d.status = 'open'
                   and d.currency = (select o.currency from organizations o where o.id = $1))
         from pipeline_stages s where s.organization_id = $1 and s.pipeline_id = $2",
    )
    .bind(w.org)
    .bind(w.pipeline)
    .fetch_all(&w.db.admin)
    .await
    .expect("recount headers");
    recount
        .into_iter()
        .filter_map(|(stage, n, amount)| {
            let got = headers.get(&stage).cloned().unwrap_or_default();
            let off = (got.lead_count - n, got.open_deal_amount - amount);
            (off.0 != 0 || off.1.abs() > 0.005).then_some((stage, off.0, off.1))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deals_and_tags_written_during_moves_land_in_the_leads_stage() {
    const LEADS: usize = 4;
    const ROUNDS: usize = 15;
    let w = world().await;
    let stages = open_stages(&w, 2).await;
    let (a, b) = (stages[0], stages[1]);
    let leads = leads_in(&w, a, LEADS).await;
    assert!(header_mismatches(&w).await.is_empty(), "headers before");
    let stores = rep_stores(&w, 3).await;
    let before = deadlocks(&w).await;
    let mut handles = Vec::new();
    for (i, lead) in leads.iter().enumerate() {
        let store = |k: usize| stores[(i + k) % 3].clone();
        handles.push(tokio::spawn(mover(store(0), *lead, a, b, ROUNDS)));
        handles.push(tokio::spawn(deal_writer(store(1), *lead, ROUNDS)));
        handles.push(tokio::spawn(tag_writer(store(2), *lead, ROUNDS)));
    }
    let mut errors = Vec::new();
    for handle in handles {
        errors.extend(handle.await.expect("a worker finished"));
    }
    assert!(errors.is_empty(), "errors under load: {errors:?}");
    assert_eq!(deadlocks(&w).await, before, "the server detected deadlocks");
    let wrong = header_mismatches(&w).await;
    assert!(wrong.is_empty(), "headers minus recount: {wrong:?}");
    let (wrong, groups) = delta_mismatches(&w).await;
    assert!(wrong.is_empty(), "deltas minus recount {wrong:#?}");
    assert!(groups > 40, "only {groups} groups");
}

#[tokio::test]
async fn a_deal_added_while_its_lead_changes_owner_takes_the_new_owner() {
    let w = world().await;
    let lead = leads_in(&w, open_stages(&w, 1).await[0], 1).await[0];
    let store = rep_stores(&w, 1).await.remove(0);
    let new_owner: Uuid = sqlx::query_scalar(
        "select m.profile_id from organization_members m
         where m.organization_id = $1
           and m.profile_id is distinct from (select assigned_to from leads where id = $2)
         order by m.profile_id limit 1",
    )
    .bind(w.org)
    .bind(lead)
    .fetch_one(&w.db.admin)
    .await
    .expect("another member");

    // A teammate's owner change, still uncommitted while the deal is added.
    let mut change = w.db.admin.begin().await.expect("begin");
    sqlx::query("update leads set assigned_to = $2 where id = $1")
        .bind(lead)
        .bind(new_owner)
        .execute(&mut *change)
        .await
        .expect("give the lead away");
    let deal = race_deal("Race deal".to_owned(), 1_000.0);
    let adding = tokio::spawn(async move { store.add_deal(lead, deal).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    change.commit().await.expect("commit the owner change");
    let deal = adding.await.expect("the writer").expect("the deal");
    let owner: Option<Uuid> = sqlx::query_scalar("select owner_id from deals where id = $1")
        .bind(deal)
        .fetch_one(&w.db.admin)
        .await
        .expect("the deal's owner");
    assert_eq!(
        owner,
        Some(new_owner),
        "the deal keeps its lead's old owner"
    );
}
