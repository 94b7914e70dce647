//! Issue 13, real PostgreSQL: the stage history (every write path records it) and the pipeline
//! editor's write API (managers and admins only, enforced by the database).

use crate::common;

use closer::data::pipeline_editor::StageChange;
use closer::data::{DataError, PgStore};
use common::{TestDb, TestUser, sqlstate};
use uuid::Uuid;

struct World {
    db: TestDb,
    org: Uuid,
    rep: TestUser,
    manager: TestUser,
}

async fn world() -> World {
    let db = TestDb::new().await;
    let org = db.org("Cockpit Co").await;
    let rep = db.user("Cockpit Co", "rep").await;
    let manager = db.user("Cockpit Co", "manager").await;
    World {
        db,
        org,
        rep,
        manager,
    }
}

async fn store(w: &World, user: &TestUser) -> PgStore {
    w.db.session(user)
        .await
        .open(w.org)
        .expect("open the organization")
}

/// (from, to, left set) of a lead's stays, oldest first.
async fn stays(db: &TestDb, lead: Uuid) -> Vec<(Option<Uuid>, Option<Uuid>, bool, Option<Uuid>)> {
    sqlx::query_as(
        "select from_stage_id, to_stage_id, left_at is not null, next_stage_id from stage_history
         where lead_id = $1 order by entered_at, left_at nulls last",
    )
    .bind(lead)
    .fetch_all(&db.admin)
    .await
    .expect("read the stage history")
}

#[tokio::test]
async fn every_write_path_records_the_stage_history_with_who_and_when() {
    let w = world().await;
    let stages = w.db.stages(w.org).await;
    let (new, contacted, qualified) = (stages[0].0, stages[1].0, stages[2].0);
    let rep = w.db.login(&w.rep).await;
    let lead: Uuid = sqlx::query_scalar(
        "select id from closer.create_lead($1, $2, 'History Person', null, null, null, null)",
    )
    .bind(w.org)
    .bind(new)
    .fetch_one(&rep)
    .await
    .expect("create a lead through the API");
    for (from, to) in [
        (new, contacted),
        (contacted, qualified),
        (qualified, contacted),
    ] {
        sqlx::query("select closer.move_lead($1, $2, $3, null, $4)")
            .bind(w.org)
            .bind(lead)
            .bind(to)
            .bind(from)
            .execute(&rep)
            .await
            .expect("move through the API");
    }
    // A bulk move by the superuser (a path with no activity) is recorded too.
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(lead)
        .bind(qualified)
        .execute(&w.db.admin)
        .await
        .expect("plain SQL move");
    let got = stays(&w.db, lead).await;
    assert_eq!(
        got,
        vec![
            (None, Some(new), true, Some(contacted)),
            (Some(new), Some(contacted), true, Some(qualified)),
            (Some(contacted), Some(qualified), true, Some(contacted)),
            (Some(qualified), Some(contacted), true, Some(qualified)),
            (Some(contacted), Some(qualified), false, None),
        ]
    );
    let by_rep =
        w.db.admin_count(
            "stage_history",
            &format!("lead_id = '{lead}' and changed_by = '{}'", w.rep.profile_id),
        )
        .await;
    assert_eq!(
        by_rep, 4,
        "the rep's four writes carry the rep; the superuser's none"
    );
    // Members read it (their organization) but cannot write it.
    let visible: i64 = sqlx::query_scalar("select count(*) from stage_history where lead_id = $1")
        .bind(lead)
        .fetch_one(&rep)
        .await
        .expect("a member reads the history");
    assert_eq!(visible, 5);
    let forged = sqlx::query("update stage_history set left_at = null where lead_id = $1")
        .bind(lead)
        .execute(&rep)
        .await
        .expect_err("members cannot write the history");
    assert_eq!(sqlstate(&forged).as_deref(), Some("42501"));
}

#[tokio::test]
async fn reps_cannot_change_pipelines_even_with_sql() {
    let w = world().await;
    let pipeline = w.db.default_pipeline(w.org).await;
    let stages = w.db.stages(w.org).await;
    let (a, b) = (stages[0].0, stages[1].0);
    let rep = w.db.login(&w.rep).await;
    let order: Vec<Uuid> = stages.iter().rev().map(|(id, _)| *id).collect();
    let calls = [
        format!(
            "select closer.create_pipeline('{}', 'Rogue', array['A'])",
            w.org
        ),
        format!(
            "select closer.rename_pipeline('{}', '{pipeline}', 'Rogue')",
            w.org
        ),
        format!(
            "select closer.archive_pipeline('{}', '{pipeline}', true)",
            w.org
        ),
        format!(
            "select closer.add_stage('{}', '{pipeline}', 'Rogue', null)",
            w.org
        ),
        format!(
            "select closer.update_stage('{}', '{a}', '{{\"name\": \"Rogue\"}}')",
            w.org
        ),
        format!(
            "select closer.reorder_stages('{}', '{pipeline}', array[{}]::uuid[])",
            w.org,
            order
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        format!("select closer.delete_stage('{}', '{a}', '{b}')", w.org),
        format!("update pipeline_stages set name = 'Rogue' where id = '{a}'"),
        format!("update pipelines set archived_at = now() where id = '{pipeline}'"),
        format!("delete from pipeline_stages where id = '{a}'"),
        format!(
            "insert into pipeline_stages (organization_id, pipeline_id, name, order_index) values ('{}', '{pipeline}', 'Rogue', 99)",
            w.org
        ),
    ];
    for sql in &calls {
        let error = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&rep)
            .await
            .expect_err(sql);
        assert_eq!(sqlstate(&error).as_deref(), Some("42501"), "{sql}: {error}");
    }
    // Through the data layer the rep gets a sentence, and nothing changed.
    let store = store(&w, &w.rep).await;
    assert_eq!(
        store.rename_pipeline(pipeline, "Rogue").await,
        Err(DataError::PermissionDenied)
    );
    assert_eq!(w.db.stages(w.org).await, stages);
    assert_eq!(w.db.admin_count("pipelines", "name = 'Rogue'").await, 0);
}

#[tokio::test]
async fn a_manager_shapes_the_pipeline_and_reorder_is_one_statement() {
    let w = world().await;
    let pipeline = w.db.default_pipeline(w.org).await;
    let store = store(&w, &w.manager).await;
    let created = store
        .create_pipeline(
            "Partners",
            &["Intro".into(), "Pilot".into(), "Signed".into()],
        )
        .await
        .expect("create a pipeline");
    let partner_stages = store.stage_settings(created).await.expect("read stages");
    assert_eq!(
        partner_stages
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["Intro", "Pilot", "Signed"]
    );
    store
        .rename_pipeline(created, "Channel partners")
        .await
        .expect("rename");
    store
        .archive_pipeline(created, true)
        .await
        .expect("archive");
    let listed = store.editor_pipelines().await.expect("list");
    assert!(
        listed
            .iter()
            .any(|p| p.name == "Channel partners" && p.archived)
    );
    assert!(matches!(
        store.archive_pipeline(pipeline, true).await,
        Err(DataError::Invalid(_))
    ));

    let added = store
        .add_stage(pipeline, "Negotiation", Some("#123456"))
        .await
        .expect("add a stage");
    let version = store
        .update_stage(
            added,
            &StageChange {
                name: Some("Negotiating".into()),
                color: Some("#abcdef".into()),
                default_probability: Some(Some(75)),
                rotting_days: Some(Some(5)),
                ..StageChange::default()
            },
        )
        .await
        .expect("update the stage");
    assert!(version >= 2);
    store
        .update_stage(
            added,
            &StageChange {
                is_won: Some(true),
                ..StageChange::default()
            },
        )
        .await
        .expect("make it a won stage");
    let settings = store.stage_settings(pipeline).await.expect("read");
    let stage = settings
        .iter()
        .find(|s| s.id == added)
        .expect("the new stage");
    assert_eq!(
        (
            stage.name.as_str(),
            stage.color.as_str(),
            stage.is_won,
            stage.default_probability,
            stage.rotting_days
        ),
        ("Negotiating", "#abcdef", true, Some(75), None),
        "a won stage stops rotting"
    );

    // Reorder: the whole new order in one statement (one call, one round trip).
    let mut order: Vec<Uuid> = settings.iter().map(|s| s.id).collect();
    order.reverse();
    let rep_pool = w.db.login(&w.rep).await;
    let channel: String = sqlx::query_scalar("select closer.my_notify_channel($1)")
        .bind(w.org)
        .fetch_one(&rep_pool)
        .await
        .expect("the rep's channel");
    let mut listener = sqlx::postgres::PgListener::connect_with(&rep_pool)
        .await
        .expect("listen as the rep");
    listener.listen(&channel).await.expect("LISTEN");
    let moved = store
        .reorder_stages(pipeline, &order)
        .await
        .expect("reorder");
    assert_eq!(
        moved as usize,
        order.len() - usize::from(order.len() % 2 == 1)
    );
    let after: Vec<Uuid> = store
        .stage_settings(pipeline)
        .await
        .expect("read")
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(after, order);
    // The rep's board hears exactly one "reload" (stages: null) for the whole reorder.
    let first = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .expect("a notification within 5 s")
        .expect("receive");
    assert_eq!(first.payload(), r#"{"v": 1, "leads": [], "stages": null}"#);
    let second = tokio::time::timeout(std::time::Duration::from_millis(500), listener.recv()).await;
    assert!(
        second.is_err(),
        "one notification per transaction: {second:?}"
    );
    // An order that misses a stage is refused with a sentence.
    assert!(matches!(
        store.reorder_stages(pipeline, &order[1..]).await,
        Err(DataError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_deleted_stage_keeps_every_lead_and_logs_it_on_each() {
    let w = world().await;
    let stages = w.db.stages(w.org).await;
    let (new, contacted) = (stages[0].0, stages[1].0);
    let mut leads = Vec::new();
    for i in 0..5 {
        let lead = w.db.lead(w.org, &format!("Lead {i}")).await;
        leads.push(lead);
    }
    let store = store(&w, &w.manager).await;
    // The leads' own stage cannot be the destination, nor another pipeline's.
    assert!(matches!(
        store.delete_stage(new, new).await,
        Err(DataError::Invalid(_))
    ));
    let moved = store
        .delete_stage(new, contacted)
        .await
        .expect("delete the stage");
    assert_eq!(moved, 5);
    assert_eq!(
        w.db.admin_count("pipeline_stages", &format!("id = '{new}'"))
            .await,
        0
    );
    for lead in &leads {
        let stage: Uuid = sqlx::query_scalar("select stage_id from leads where id = $1")
            .bind(lead)
            .fetch_one(&w.db.admin)
            .await
            .expect("the lead is still there");
        assert_eq!(stage, contacted);
        let logged = w
            .db
            .admin_count(
                "lead_activities",
                &format!(
                    "lead_id = '{lead}' and type = 'stage_change' and content ->> 'reason' = 'stage_deleted'
                     and created_by = '{}'",
                    w.manager.profile_id
                ),
            )
            .await;
        assert_eq!(logged, 1, "the move is logged on the lead");
        // History: the stay in the deleted stage lost its stage, the move is recorded.
        let got = stays(&w.db, *lead).await;
        assert_eq!(
            got,
            vec![
                (None, None, true, Some(contacted)),
                (Some(new), Some(contacted), false, None),
            ]
        );
    }
    // The remaining stages are numbered without a gap.
    let orders: Vec<i32> = sqlx::query_scalar(
        "select order_index from pipeline_stages where organization_id = $1 and pipeline_id = $2 order by 1",
    )
    .bind(w.org)
    .bind(w.db.default_pipeline(w.org).await)
    .fetch_all(&w.db.admin)
    .await
    .expect("orders");
    assert_eq!(orders, (0..orders.len() as i32).collect::<Vec<_>>());
}

#[tokio::test]
async fn an_archived_pipeline_leaves_the_picker_and_stage_settings_need_a_manager() {
    let w = world().await;
    let manager = store(&w, &w.manager).await;
    let rep = store(&w, &w.rep).await;
    let created = manager
        .create_pipeline("Partners", &["Intro".into(), "Signed".into()])
        .await
        .expect("create");
    let names = |pipelines: Vec<closer::data::models::Pipeline>| {
        pipelines.into_iter().map(|p| p.name).collect::<Vec<_>>()
    };
    assert!(names(rep.pipelines().await.expect("picker")).contains(&"Partners".to_string()));
    manager
        .archive_pipeline(created, true)
        .await
        .expect("archive");
    for store in [&rep, &manager] {
        let listed = names(store.pipelines().await.expect("picker"));
        assert!(!listed.contains(&"Partners".to_string()), "{listed:?}");
        assert!(!listed.is_empty(), "the default pipeline stays");
    }
    // The editor still lists it, as archived.
    let all = manager.editor_pipelines().await.expect("editor list");
    assert!(all.iter().any(|p| p.id == created && p.archived));

    // The editor's new keys are one call each, refused for a rep (a sentence, nothing changed).
    let stage = manager.stage_settings(created).await.expect("stages")[0].clone();
    for change in [
        StageChange {
            color: Some("#abcdef".into()),
            ..StageChange::default()
        },
        StageChange {
            default_probability: Some(Some(35)),
            ..StageChange::default()
        },
        StageChange {
            rotting_days: Some(None),
            ..StageChange::default()
        },
    ] {
        assert_eq!(
            rep.update_stage(stage.id, &change).await,
            Err(DataError::PermissionDenied)
        );
        manager
            .update_stage(stage.id, &change)
            .await
            .expect("a manager changes it");
    }
    let after = manager.stage_settings(created).await.expect("stages")[0].clone();
    assert_eq!(
        (
            after.color.as_str(),
            after.default_probability,
            after.rotting_days
        ),
        ("#abcdef", Some(35), None)
    );
    assert_eq!(
        rep.create_pipeline("Rogue", &["A".into()]).await,
        Err(DataError::PermissionDenied)
    );
}

/// (pipeline_id, owner_id, version) of a deal.
async fn deal_scope(db: &TestDb, deal: Uuid) -> (Option<Uuid>, Option<Uuid>, i32) {
    sqlx::query_as("select pipeline_id, owner_id, version from deals where id = $1")
        .bind(deal)
        .fetch_one(&db.admin)
        .await
        .expect("read the deal")
}

#[tokio::test]
async fn a_deal_carries_its_leads_pipeline_and_owner_whoever_writes() {
    let w = world().await;
    let pipeline = w.db.default_pipeline(w.org).await;
    let stages = w.db.stages(w.org).await;
    let lead = w.db.lead(w.org, "Scoped").await;
    sqlx::query("update leads set assigned_to = $2 where id = $1")
        .bind(lead)
        .bind(w.rep.profile_id)
        .execute(&w.db.admin)
        .await
        .expect("assign");
    // A writer's own values are overwritten by the lead's.
    let deal: Uuid = sqlx::query_scalar(
        "insert into deals (organization_id, lead_id, name, amount, pipeline_id, owner_id)
         values ($1, $2, 'Flat', 100, gen_random_uuid(), gen_random_uuid()) returning id",
    )
    .bind(w.org)
    .bind(lead)
    .fetch_one(&w.db.admin)
    .await
    .expect("insert a deal");
    let (p, o, version) = deal_scope(&w.db, deal).await;
    assert_eq!((p, o), (Some(pipeline), Some(w.rep.profile_id)));

    // A move inside the pipeline writes no deal.
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(lead)
        .bind(stages[1].0)
        .execute(&w.db.admin)
        .await
        .expect("move");
    assert_eq!(deal_scope(&w.db, deal).await.2, version, "no deal write");

    // A new owner and another pipeline follow.
    sqlx::query("update leads set assigned_to = $2 where id = $1")
        .bind(lead)
        .bind(w.manager.profile_id)
        .execute(&w.db.admin)
        .await
        .expect("reassign");
    assert_eq!(deal_scope(&w.db, deal).await.1, Some(w.manager.profile_id));
    let manager = store(&w, &w.manager).await;
    let other = manager
        .create_pipeline("Partners", &["Intro".into()])
        .await
        .expect("create");
    let intro = manager.stage_settings(other).await.expect("stages")[0].id;
    sqlx::query("update leads set stage_id = $2 where id = $1")
        .bind(lead)
        .bind(intro)
        .execute(&w.db.admin)
        .await
        .expect("move to the other pipeline");
    assert_eq!(deal_scope(&w.db, deal).await.0, Some(other));
    // Forging the columns directly is undone at once.
    sqlx::query("update deals set pipeline_id = $2, owner_id = null where id = $1")
        .bind(deal)
        .bind(pipeline)
        .execute(&w.db.admin)
        .await
        .expect("forge");
    let (p, o, _) = deal_scope(&w.db, deal).await;
    assert_eq!((p, o), (Some(other), Some(w.manager.profile_id)));
}
