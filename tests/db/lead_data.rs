//! The lead detail screen's data layer against a real PostgreSQL, through real rep logins (RLS
//! applies): every write with its activity row, optimistic locking between two logins, a lead
//! deleted meanwhile, counters of logged calls, tenant isolation, the merged timeline, and text
//! that must survive byte for byte.

use crate::common;

use chrono::{Duration, NaiveTime, Utc};
use closer::data::lead::{
    DealChanges, DealStatus, Direction, DocumentType, FieldDiff, InteractionKind, LeadEdit,
    LeadField, NewDeal, NewDocument, NewInteraction, NewLead, NewTask, TimelineKind,
    TimelineSource, UpdateOutcome,
};
use closer::data::models::{TaskPriority, TaskStatus};
use closer::data::{DataError, PgStore};
use common::{TestDb, TestUser};
use serde_json::{Value, json};
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

async fn store_of(db: &TestDb, user: &TestUser, org: Uuid) -> PgStore {
    db.session(user)
        .await
        .open(org)
        .expect("a member opens the org")
}

/// An organization with one rep and their store.
async fn team(db: &TestDb, org_name: &str) -> (Uuid, TestUser, PgStore) {
    let org = db.org(org_name).await;
    let rep = db.user(org_name, "rep").await;
    let store = store_of(db, &rep, org).await;
    (org, rep, store)
}

fn invalid<T: std::fmt::Debug>(result: Result<T, DataError>) -> String {
    match result {
        Err(DataError::Invalid(why)) => why,
        other => panic!("expected DataError::Invalid, got {other:?}"),
    }
}

/// (type, content, created_by) of a lead's activities, oldest first (superuser view).
async fn activities(db: &TestDb, lead: Uuid) -> Vec<(String, Value, Option<Uuid>)> {
    sqlx::query_as(
        "select type, content, created_by from lead_activities where lead_id = $1 order by created_at, id",
    )
    .bind(lead)
    .fetch_all(&db.admin)
    .await
    .expect("read activities")
}

fn types(activities: &[(String, Value, Option<Uuid>)]) -> Vec<&str> {
    activities.iter().map(|(t, _, _)| t.as_str()).collect()
}

/// (total_calls, last_contacted_at, version) as stored.
async fn counters(db: &TestDb, lead: Uuid) -> (i32, Option<chrono::DateTime<Utc>>, i32) {
    sqlx::query_as("select total_calls, last_contacted_at, version from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("read the lead's counters")
}

fn interaction(kind: InteractionKind, direction: Option<Direction>) -> NewInteraction {
    NewInteraction {
        kind,
        direction,
        subject: None,
        content: None,
        duration_secs: None,
        outcome: None,
    }
}

fn task(title: &str, due_date: Option<chrono::NaiveDate>) -> NewTask {
    NewTask {
        title: title.to_owned(),
        description: None,
        due_date,
        due_time: None,
        priority: TaskPriority::Medium,
        assigned_to: None,
    }
}

fn deal(name: &str, amount: f64) -> NewDeal {
    NewDeal {
        name: name.to_owned(),
        amount,
        currency: None,
        stage: "proposal".to_owned(),
        probability: 40,
        status: DealStatus::Open,
        expected_close_date: None,
    }
}

fn recent(at: Option<chrono::DateTime<Utc>>) -> bool {
    at.is_some_and(|at| (Utc::now() - at).num_seconds().abs() < 120)
}

/// Text that has broken terminals and databases before.
fn hostile() -> String {
    [
        "\u{1b}[31mred\u{1b}[0m ",
        "\u{1b}]0;pwned\u{7} ",
        "\u{9b}2J ",
        "\u{202E}evil\u{202C} ",
        "\u{200F}שלום עולם\u{200E} مرحبا ",
        "zero\u{200B}width\u{200C}\u{200D}\u{FEFF} ",
        "👨‍👩‍👧‍👦 🏳️‍🌈 🙂 ",
        "张伟 日本語 한국어 ",
        "e\u{301} ",
        "tab\tcr\r\nlf\n",
        "'; drop table leads; -- $1 %s {} \\x00 \\u0000 ",
        "  trailing  ",
    ]
    .concat()
}

// ---------------------------------------------------------------------------
// Reading a lead
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lead_detail_reads_lead_profile_project_property_and_tags() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Detail Org").await;
    let stage = db.first_stage(org).await;
    let project: Uuid = sqlx::query_scalar(
        "insert into projects (organization_id, name) values ($1, 'Harbour View') returning id",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("project");
    let property: Uuid = sqlx::query_scalar(
        "insert into properties (organization_id, project_id, name) values ($1, $2, 'Unit 4B') returning id",
    )
    .bind(org)
    .bind(project)
    .fetch_one(&db.admin)
    .await
    .expect("property");
    let lead: Uuid = sqlx::query_scalar(
        "insert into leads (organization_id, stage_id, name, email, phone, mobile, assigned_to, project_id,
                            property_id, score, engagement_score, interest_level, purchase_readiness,
                            last_sentiment_score, source, lead_source, metadata)
         values ($1, $2, 'Zoë Ångström', 'zoe@example.com', '+44 20 7946 0958', '07700 900123', $3, $4,
                 $5, 72, 40, 55, 30, 0.625, 'website', 'spring campaign', '{\"utm\": \"x\"}')
         returning id",
    )
    .bind(org)
    .bind(stage)
    .bind(rep.profile_id)
    .bind(project)
    .bind(property)
    .fetch_one(&db.admin)
    .await
    .expect("lead");
    sqlx::query(
        "insert into lead_profiles (organization_id, lead_id, company, job_title, location, industry, lead_score,
                                    engagement_level, budget_range, timeline, min_budget, max_budget,
                                    property_type_interest, preferences, custom_fields)
         values ($1, $2, 'Acme', 'CTO', 'Leeds', 'Logistics', 81, 'high', '300-400k', 'Q3', 300000.50,
                 400000, 'flat', '{\"floor\": \"high\"}', '{\"pets\": true}')",
    )
    .bind(org)
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("profile");
    sqlx::query(
        "insert into lead_tags (organization_id, lead_id, tag, color)
         values ($1, $2, 'beta', '#00ff00'), ($1, $2, 'alpha', '#ff0000')",
    )
    .bind(org)
    .bind(lead)
    .execute(&db.admin)
    .await
    .expect("tags");

    let d = store
        .lead_detail(lead)
        .await
        .expect("the rep reads the lead");
    assert_eq!(d.id, lead);
    assert_eq!(d.name, "Zoë Ångström");
    assert_eq!(d.email.as_deref(), Some("zoe@example.com"));
    assert_eq!(d.phone.as_deref(), Some("+44 20 7946 0958"));
    assert_eq!(d.mobile.as_deref(), Some("07700 900123"));
    assert_eq!(d.stage_id, stage);
    assert_eq!(d.stage_name, "New");
    assert!(d.stage_color.starts_with('#'));
    assert_eq!(d.owner_id, Some(rep.profile_id));
    assert_eq!(d.owner_name, Some(format!("Person {}", rep.login)));
    assert_eq!(
        (
            d.score,
            d.engagement_score,
            d.interest_level,
            d.purchase_readiness
        ),
        (72, 40, 55, 30)
    );
    assert_eq!(d.total_calls, 0);
    assert_eq!(d.last_sentiment_score, Some(0.625));
    assert_eq!(d.last_contacted_at, None);
    assert_eq!(d.source.as_deref(), Some("website"));
    assert_eq!(d.lead_source.as_deref(), Some("spring campaign"));
    assert_eq!(d.metadata, json!({"utm": "x"}));
    assert_eq!(d.project_name.as_deref(), Some("Harbour View"));
    assert_eq!(d.property_name.as_deref(), Some("Unit 4B"));
    assert_eq!(d.version, 1);
    let p = &d.profile;
    assert_eq!(p.company.as_deref(), Some("Acme"));
    assert_eq!(p.job_title.as_deref(), Some("CTO"));
    assert_eq!(p.location.as_deref(), Some("Leeds"));
    assert_eq!(p.industry.as_deref(), Some("Logistics"));
    assert_eq!(p.lead_score, Some(81));
    assert_eq!(p.engagement_level.as_deref(), Some("high"));
    assert_eq!(p.budget_range.as_deref(), Some("300-400k"));
    assert_eq!(p.timeline.as_deref(), Some("Q3"));
    assert_eq!(p.min_budget, Some(300000.5));
    assert_eq!(p.max_budget, Some(400000.0));
    assert_eq!(p.property_type_interest.as_deref(), Some("flat"));
    assert_eq!(p.preferences, json!({"floor": "high"}));
    assert_eq!(p.custom_fields, json!({"pets": true}));
    assert_eq!(p.version, Some(1));
    let tags: Vec<(&str, &str)> = d
        .tags
        .iter()
        .map(|t| (t.tag.as_str(), t.color.as_str()))
        .collect();
    assert_eq!(tags, [("alpha", "#ff0000"), ("beta", "#00ff00")]);

    // A lead without a profile row reads with an empty profile.
    let bare = db.lead(org, "Bare").await;
    let d = store.lead_detail(bare).await.expect("bare lead");
    assert_eq!(d.profile.version, None);
    assert_eq!(d.profile.company, None);
    assert_eq!(d.profile.preferences, json!({}));
    assert!(d.tags.is_empty());
    assert_eq!(d.owner_name, None);

    assert_eq!(
        store.lead_detail(Uuid::new_v4()).await,
        Err(DataError::NotFound)
    );
}

// ---------------------------------------------------------------------------
// Creating a lead
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_lead_checks_input_then_writes_lead_profile_and_activity_together() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Create Org").await;
    let colleague = db.user("Create Org", "rep").await;
    let stage = db.first_stage(org).await;
    let new_lead = |name: &str, email: Option<&str>, phone: Option<&str>| NewLead {
        name: name.to_owned(),
        email: email.map(str::to_owned),
        phone: phone.map(str::to_owned),
        company: None,
        stage_id: stage,
        assigned_to: None,
    };

    let why = invalid(store.create_lead(new_lead("   ", None, None)).await);
    assert_eq!(why, "A lead needs a name");
    let why = invalid(
        store
            .create_lead(new_lead(&"x".repeat(201), None, None))
            .await,
    );
    assert!(
        why.contains("at most 200 characters") && why.contains("201"),
        "{why}"
    );
    let why = invalid(
        store
            .create_lead(new_lead("Ann", Some("ann.example.com"), None))
            .await,
    );
    assert!(
        why.contains("not an email address") && why.contains("@"),
        "{why}"
    );
    let why = invalid(
        store
            .create_lead(new_lead("Ann", Some("ann@example"), None))
            .await,
    );
    assert!(why.contains("domain with a dot"), "{why}");
    let why = invalid(
        store
            .create_lead(new_lead("Ann", Some("ann smith@example.com"), None))
            .await,
    );
    assert!(why.contains("space"), "{why}");
    let why = invalid(
        store
            .create_lead(new_lead("Ann", None, Some("555-CALL-ANN")))
            .await,
    );
    assert!(
        why.contains("only digits, spaces and + ( ) . / -") && why.contains("“C”"),
        "{why}"
    );
    let why = invalid(store.create_lead(new_lead("Ann", None, Some("12"))).await);
    assert!(why.contains("5 to 30"), "{why}");
    let why = invalid(store.create_lead(new_lead("Ann\u{0}", None, None)).await);
    assert!(why.contains("NUL"), "{why}");
    assert_eq!(db.admin_count("leads", "true").await, 0, "nothing written");

    // Another organization's stage is not visible: no lead, a sentence.
    let foreign_stage = db.first_stage(db.org("Elsewhere").await).await;
    let why = invalid(
        store
            .create_lead(NewLead {
                stage_id: foreign_stage,
                ..new_lead("Ann", None, None)
            })
            .await,
    );
    assert!(why.contains("stage"), "{why}");
    assert_eq!(db.admin_count("leads", "true").await, 0);

    let id = store
        .create_lead(NewLead {
            company: Some("Acme".into()),
            ..new_lead(
                "Ann Example",
                Some("  ann@example.com "),
                Some("+1 (555) 010-0100"),
            )
        })
        .await
        .expect("a valid lead is created");
    let d = store.lead_detail(id).await.expect("read back");
    assert_eq!(d.name, "Ann Example");
    assert_eq!(d.email.as_deref(), Some("ann@example.com"), "trimmed");
    assert_eq!(d.phone.as_deref(), Some("+1 (555) 010-0100"));
    assert_eq!(d.stage_id, stage);
    assert_eq!(d.owner_id, Some(rep.profile_id), "owned by me by default");
    assert_eq!(d.profile.version, Some(1), "a profile row exists");
    assert_eq!(d.profile.company.as_deref(), Some("Acme"));
    let created_by: Option<Uuid> = sqlx::query_scalar("select created_by from leads where id = $1")
        .bind(id)
        .fetch_one(&db.admin)
        .await
        .expect("created_by");
    assert_eq!(created_by, Some(rep.profile_id));
    let acts = activities(&db, id).await;
    assert_eq!(types(&acts), ["lead_created"]);
    assert_eq!(acts[0].1["stage"], json!("New"));
    assert_eq!(acts[0].2, Some(rep.profile_id));

    let theirs = store
        .create_lead(NewLead {
            assigned_to: Some(colleague.profile_id),
            ..new_lead("For a colleague", None, None)
        })
        .await
        .expect("assigned to a colleague");
    let d = store.lead_detail(theirs).await.expect("read back");
    assert_eq!(d.owner_id, Some(colleague.profile_id));
    assert_eq!(d.owner_name, Some(format!("Person {}", colleague.login)));

    // An owner from outside the organization breaks the member foreign key: nothing written.
    let outsider = db.user("Elsewhere", "rep").await;
    let why = invalid(
        store
            .create_lead(NewLead {
                assigned_to: Some(outsider.profile_id),
                ..new_lead("Wrong owner", None, None)
            })
            .await,
    );
    assert!(why.contains("does not exist or is not visible"), "{why}");
    assert_eq!(db.admin_count("leads", "true").await, 2);
    assert_eq!(db.admin_count("lead_profiles", "true").await, 2);
    assert_eq!(db.admin_count("lead_activities", "true").await, 2);
}

// ---------------------------------------------------------------------------
// Logging interactions
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_a_call_counts_it_sets_last_contacted_and_records_an_activity() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Call Org").await;
    let lead = db.lead(org, "Callee").await;
    assert_eq!(counters(&db, lead).await, (0, None, 1));

    let logged = store
        .log_interaction(
            lead,
            NewInteraction {
                subject: Some("Intro call".into()),
                content: Some("Wants a 2-bed flat".into()),
                duration_secs: Some(300),
                outcome: Some("interested".into()),
                ..interaction(InteractionKind::Call, Some(Direction::Outbound))
            },
        )
        .await
        .expect("log a call");
    assert_eq!(logged.total_calls, 1);
    assert_eq!(logged.lead_version, 2);
    assert!(recent(logged.last_contacted_at));
    let (calls, last, version) = counters(&db, lead).await;
    assert_eq!((calls, version), (1, 2));
    assert_eq!(last, logged.last_contacted_at);

    let (kind, direction, duration, outcome, created_by): (String, Option<String>, Option<i32>, Option<String>, Option<Uuid>) =
        sqlx::query_as(
            "select type::text, direction::text, duration, outcome, created_by from lead_interactions where id = $1",
        )
        .bind(logged.interaction_id)
        .fetch_one(&db.admin)
        .await
        .expect("the interaction row");
    assert_eq!(kind, "call");
    assert_eq!(direction.as_deref(), Some("outbound"));
    assert_eq!(duration, Some(300));
    assert_eq!(outcome.as_deref(), Some("interested"));
    assert_eq!(created_by, Some(rep.profile_id));
    let acts = activities(&db, lead).await;
    assert_eq!(types(&acts), ["interaction_logged"]);
    assert_eq!(
        acts[0].1["interaction_id"],
        json!(logged.interaction_id.to_string())
    );
    assert_eq!(acts[0].1["kind"], json!("call"));
    assert_eq!(acts[0].2, Some(rep.profile_id), "created_by is the caller");

    // An inbound call counts too.
    let again = store
        .log_interaction(
            lead,
            interaction(InteractionKind::Call, Some(Direction::Inbound)),
        )
        .await
        .expect("log an inbound call");
    assert_eq!((again.total_calls, again.lead_version), (2, 3));
    assert!(again.last_contacted_at >= logged.last_contacted_at);
    assert_eq!(counters(&db, lead).await.0, 2);
    let d = store.lead_detail(lead).await.expect("detail");
    assert_eq!(d.total_calls, 2);
    assert_eq!(d.version, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_email_does_not_count_as_a_call_but_an_outbound_one_is_contact() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Email Org").await;
    let lead = db.lead(org, "Writer").await;

    let logged = store
        .log_interaction(
            lead,
            NewInteraction {
                subject: Some("Re: brochure".into()),
                ..interaction(InteractionKind::Email, Some(Direction::Inbound))
            },
        )
        .await
        .expect("log an inbound email");
    assert_eq!(logged.total_calls, 0);
    assert_eq!(logged.last_contacted_at, None);
    assert_eq!(logged.lead_version, 1, "the lead row is untouched");
    assert_eq!(counters(&db, lead).await, (0, None, 1));
    assert_eq!(
        db.admin_count("lead_interactions", &format!("lead_id = '{lead}'"))
            .await,
        1
    );

    let sent = store
        .log_interaction(
            lead,
            interaction(InteractionKind::Email, Some(Direction::Outbound)),
        )
        .await
        .expect("log an outbound email");
    assert_eq!(sent.total_calls, 0, "an email is not a call");
    assert!(recent(sent.last_contacted_at), "outbound contact");
    assert_eq!(sent.lead_version, 2);
    let (calls, last, _) = counters(&db, lead).await;
    assert_eq!((calls, last), (0, sent.last_contacted_at));

    // A meeting or WhatsApp message out is contact too; one without a direction is not.
    let before = counters(&db, lead).await;
    store
        .log_interaction(lead, interaction(InteractionKind::Meeting, None))
        .await
        .expect("a meeting without direction");
    assert_eq!(counters(&db, lead).await, before);
    let out = store
        .log_interaction(
            lead,
            interaction(InteractionKind::Whatsapp, Some(Direction::Outbound)),
        )
        .await
        .expect("an outbound WhatsApp message");
    assert!(out.last_contacted_at > sent.last_contacted_at);
    assert_eq!(out.total_calls, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_never_updates_last_contacted() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Note Org").await;
    let lead = db.lead(org, "Noted").await;

    for direction in [None, Some(Direction::Outbound)] {
        let logged = store
            .log_interaction(
                lead,
                NewInteraction {
                    content: Some("Prefers mornings".into()),
                    ..interaction(InteractionKind::Note, direction)
                },
            )
            .await
            .expect("log a note");
        assert_eq!(logged.last_contacted_at, None);
        assert_eq!(logged.total_calls, 0);
        assert_eq!(logged.lead_version, 1);
    }
    assert_eq!(counters(&db, lead).await, (0, None, 1));

    let why = invalid(
        store
            .log_interaction(
                lead,
                interaction(InteractionKind::Note, Some(Direction::Inbound)),
            )
            .await,
    );
    assert!(why.contains("note"), "{why}");
    let why = invalid(
        store
            .log_interaction(
                lead,
                NewInteraction {
                    duration_secs: Some(-5),
                    ..interaction(InteractionKind::Call, None)
                },
            )
            .await,
    );
    assert!(why.contains("negative"), "{why}");
    let filter = format!("lead_id = '{lead}'");
    assert_eq!(db.admin_count("lead_interactions", &filter).await, 2);
    assert_eq!(db.admin_count("lead_activities", &filter).await, 2);
}

// ---------------------------------------------------------------------------
// Tenant isolation and gone leads
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_of_another_org_cannot_log_on_or_change_this_lead() {
    let db = TestDb::new().await;
    let (org_a, _rep_a, _store_a) = team(&db, "Org A").await;
    let (org_b, rep_b, store_b) = team(&db, "Org B").await;
    let lead = db.lead(org_a, "A's lead").await;

    assert_eq!(
        store_b
            .log_interaction(
                lead,
                NewInteraction {
                    content: Some("sneaky".into()),
                    ..interaction(InteractionKind::Call, Some(Direction::Outbound))
                },
            )
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(store_b.lead_detail(lead).await, Err(DataError::NotFound));
    assert_eq!(
        store_b
            .add_task(lead, task("sneaky", None), chrono::Utc::now())
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        store_b.add_deal(lead, deal("sneaky", 1.0)).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        store_b
            .add_document(
                lead,
                NewDocument {
                    file_name: "x.pdf".into(),
                    file_url: "https://example.com/x.pdf".into(),
                    file_type: None,
                    file_size: None,
                    document_type: DocumentType::Other,
                },
            )
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        store_b.add_tag(lead, "sneaky", "#123456").await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        store_b.remove_tag(lead, "sneaky").await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        store_b
            .update_lead(
                lead,
                1,
                LeadEdit {
                    name: Some("Taken".into()),
                    ..LeadEdit::default()
                },
            )
            .await,
        Err(DataError::NotFound)
    );
    assert!(
        store_b
            .timeline(lead, None, 50)
            .await
            .expect("empty")
            .is_empty()
    );
    assert!(
        store_b
            .lead_tasks(lead, chrono::Utc::now())
            .await
            .expect("empty")
            .is_empty()
    );
    assert!(store_b.deals(lead).await.expect("empty").is_empty());
    assert!(store_b.documents(lead).await.expect("empty").is_empty());

    // Straight SQL from B's login, as a hostile rep would type it, fails too.
    let pool_b = db.login(&rep_b).await;
    let into_a = sqlx::query(
        "insert into lead_interactions (organization_id, lead_id, type) values ($1, $2, 'call')",
    )
    .bind(org_a)
    .bind(lead)
    .execute(&pool_b)
    .await
    .expect_err("RLS refuses a row in another organization");
    assert_eq!(common::sqlstate(&into_a).as_deref(), Some("42501"));
    // Members have no write privilege at all (migration 0004): even a write into their own
    // organization is refused; the write API refuses the other organization's lead.
    let across = sqlx::query(
        "insert into lead_interactions (organization_id, lead_id, type) values ($1, $2, 'call')",
    )
    .bind(org_b)
    .bind(lead)
    .execute(&pool_b)
    .await
    .expect_err("a child row cannot point at another organization's lead");
    assert_eq!(common::sqlstate(&across).as_deref(), Some("42501"));
    let through_api: Option<Uuid> = sqlx::query_scalar(
        "select id from closer.log_interaction($1, $2, 'call', null, null, null, null, null)",
    )
    .bind(org_b)
    .bind(lead)
    .fetch_optional(&pool_b)
    .await
    .expect("the function finds no such lead in B");
    assert_eq!(through_api, None);
    let into_a_api =
        sqlx::query("select closer.log_interaction($1, $2, 'call', null, null, null, null, null)")
            .bind(org_a)
            .bind(lead)
            .execute(&pool_b)
            .await
            .expect_err("the function refuses an organization the caller is not a member of");
    assert_eq!(common::sqlstate(&into_a_api).as_deref(), Some("42501"));
    let touched = sqlx::query("update leads set total_calls = total_calls + 1 where id = $1")
        .bind(lead)
        .execute(&pool_b)
        .await
        .expect_err("members cannot update leads directly");
    assert_eq!(common::sqlstate(&touched).as_deref(), Some("42501"));

    let filter = format!("lead_id = '{lead}'");
    for table in [
        "lead_interactions",
        "lead_activities",
        "lead_tasks",
        "deals",
        "lead_documents",
        "lead_tags",
        "lead_profiles",
    ] {
        assert_eq!(db.admin_count(table, &filter).await, 0, "{table}");
    }
    assert_eq!(counters(&db, lead).await, (0, None, 1));
    let name: String = sqlx::query_scalar("select name from leads where id = $1")
        .bind(lead)
        .fetch_one(&db.admin)
        .await
        .expect("name");
    assert_eq!(name, "A's lead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saving_a_lead_a_manager_deleted_meanwhile_is_not_found() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Gone Org").await;
    let manager = db.user("Gone Org", "manager").await;
    let lead = db.lead(org, "Soon gone").await;
    let seen = store.lead_detail(lead).await.expect("the rep opened it");

    let manager_pool = db.login(&manager).await;
    let deleted: Vec<Uuid> = sqlx::query_scalar("select id from closer.delete_lead($1, $2)")
        .bind(org)
        .bind(lead)
        .fetch_all(&manager_pool)
        .await
        .expect("a manager deletes the lead");
    assert_eq!(deleted.len(), 1);

    let edit = LeadEdit {
        name: Some("Renamed".into()),
        company: Some(Some("Acme".into())),
        ..LeadEdit::default()
    };
    assert_eq!(
        store.update_lead(lead, seen.version, edit).await,
        Err(DataError::NotFound)
    );
    assert_eq!(
        store
            .log_interaction(lead, interaction(InteractionKind::Call, None))
            .await,
        Err(DataError::NotFound)
    );
    assert_eq!(store.lead_detail(lead).await, Err(DataError::NotFound));
    assert_eq!(db.admin_count("leads", "true").await, 0);
    assert_eq!(db.admin_count("lead_profiles", "true").await, 0);
    assert_eq!(db.admin_count("lead_activities", "true").await, 0);
}

// ---------------------------------------------------------------------------
// Editing a lead: saving and conflicts
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_lead_saves_lead_and_profile_fields_with_an_activity() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Edit Org").await;
    let colleague = db.user("Edit Org", "rep").await;
    let lead = db.lead(org, "Before").await;
    let v1 = store.lead_detail(lead).await.expect("read").version;
    assert_eq!(v1, 1);

    let saved = store
        .update_lead(
            lead,
            v1,
            LeadEdit {
                name: Some("After".into()),
                email: Some(Some(" after@example.com ".into())),
                phone: Some(Some("+44 113 496 0000".into())),
                score: Some(64),
                assigned_to: Some(Some(colleague.profile_id)),
                company: Some(Some("Acme".into())),
                job_title: Some(Some("Buyer".into())),
                engagement_level: Some(Some("medium".into())),
                min_budget: Some(Some(250000.0)),
                max_budget: Some(Some(325000.75)),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("save");
    assert_eq!(saved, UpdateOutcome::Saved { version: 2 });
    let d = store.lead_detail(lead).await.expect("read back");
    assert_eq!(d.version, 2);
    assert_eq!(d.name, "After");
    assert_eq!(d.email.as_deref(), Some("after@example.com"));
    assert_eq!(d.phone.as_deref(), Some("+44 113 496 0000"));
    assert_eq!(d.score, 64);
    assert_eq!(d.owner_id, Some(colleague.profile_id));
    assert_eq!(
        d.profile.version,
        Some(1),
        "the missing profile row was created"
    );
    assert_eq!(d.profile.company.as_deref(), Some("Acme"));
    assert_eq!(d.profile.job_title.as_deref(), Some("Buyer"));
    assert_eq!(d.profile.engagement_level.as_deref(), Some("medium"));
    assert_eq!(d.profile.min_budget, Some(250000.0));
    assert_eq!(d.profile.max_budget, Some(325000.75));
    assert_eq!(d.profile.location, None, "untouched fields stay empty");

    // A profile-only edit bumps the lead's version too (it is the lock for both rows), and
    // clearing works; untouched fields keep their values.
    let saved = store
        .update_lead(
            lead,
            2,
            LeadEdit {
                email: Some(None),
                company: Some(Some("Acme Holdings".into())),
                max_budget: Some(None),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("second save");
    assert_eq!(saved, UpdateOutcome::Saved { version: 3 });
    let d = store.lead_detail(lead).await.expect("read back");
    assert_eq!(d.email, None);
    assert_eq!(d.profile.company.as_deref(), Some("Acme Holdings"));
    assert_eq!(d.profile.max_budget, None);
    assert_eq!(d.profile.min_budget, Some(250000.0));
    assert_eq!(d.profile.job_title.as_deref(), Some("Buyer"));
    assert_eq!(d.profile.version, Some(2));
    assert_eq!(d.name, "After");
    assert_eq!(d.score, 64);

    let acts = activities(&db, lead).await;
    assert_eq!(types(&acts), ["lead_updated", "lead_updated"]);
    assert_eq!(
        acts[0].1["fields"],
        json!([
            "name",
            "email",
            "phone",
            "score",
            "assigned_to",
            "company",
            "job_title",
            "engagement_level",
            "min_budget",
            "max_budget"
        ])
    );
    assert_eq!(
        acts[1].1["fields"],
        json!(["email", "company", "max_budget"])
    );
    assert!(acts.iter().all(|(_, _, by)| *by == Some(rep.profile_id)));
    let timeline = store
        .timeline(lead, Some(TimelineKind::Activities), 10)
        .await
        .expect("timeline");
    assert_eq!(
        timeline[0].content.as_deref(),
        Some("Updated email, company, maximum budget")
    );

    // Checks before the database, with sentences; nothing is written.
    let why = invalid(
        store
            .update_lead(
                lead,
                3,
                LeadEdit {
                    min_budget: Some(Some(500.0)),
                    max_budget: Some(Some(100.0)),
                    ..LeadEdit::default()
                },
            )
            .await,
    );
    assert!(why.contains("above the maximum"), "{why}");
    let why = invalid(
        store
            .update_lead(
                lead,
                3,
                LeadEdit {
                    score: Some(101),
                    ..LeadEdit::default()
                },
            )
            .await,
    );
    assert!(why.contains("between 0 and 100"), "{why}");
    let why = invalid(
        store
            .update_lead(
                lead,
                3,
                LeadEdit {
                    email: Some(Some("nope".into())),
                    ..LeadEdit::default()
                },
            )
            .await,
    );
    assert!(why.contains("not an email address"), "{why}");
    let why = invalid(
        store
            .update_lead(
                lead,
                3,
                LeadEdit {
                    engagement_level: Some(Some("extreme".into())),
                    ..LeadEdit::default()
                },
            )
            .await,
    );
    assert!(why.contains("low, medium or high"), "{why}");
    let why = invalid(store.update_lead(lead, 3, LeadEdit::default()).await);
    assert!(why.contains("Nothing to save"), "{why}");
    // A budget below the stored minimum breaks the database's own check: still a sentence.
    let why = invalid(
        store
            .update_lead(
                lead,
                3,
                LeadEdit {
                    max_budget: Some(Some(1000.0)),
                    ..LeadEdit::default()
                },
            )
            .await,
    );
    assert_eq!(why, "The minimum budget would be above the maximum budget");
    assert_eq!(counters(&db, lead).await.2, 3, "nothing was saved");
    assert_eq!(activities(&db, lead).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reps_saving_one_lead_conflict_and_nothing_is_lost() {
    let db = TestDb::new().await;
    let org = db.org("Race Org").await;
    let rep_a = db.user("Race Org", "rep").await;
    let rep_b = db.user("Race Org", "rep").await;
    let store_a = store_of(&db, &rep_a, org).await;
    let store_b = store_of(&db, &rep_b, org).await;
    let lead = store_a
        .create_lead(NewLead {
            name: "Contested".into(),
            email: None,
            phone: Some("+1 555 0000".into()),
            company: Some("Initech".into()),
            stage_id: db.first_stage(org).await,
            assigned_to: None,
        })
        .await
        .expect("create");

    // Both open the lead at the same version.
    let seen_a = store_a.lead_detail(lead).await.expect("A reads");
    let seen_b = store_b.lead_detail(lead).await.expect("B reads");
    assert_eq!(seen_a.version, seen_b.version);
    let v = seen_a.version;

    let saved = store_a
        .update_lead(
            lead,
            v,
            LeadEdit {
                company: Some(Some("Acme".into())),
                phone: Some(Some("+1 555 0100".into())),
                score: Some(70),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("A saves");
    assert_eq!(saved, UpdateOutcome::Saved { version: v + 1 });

    // B saves against the old version: the same phone as A, a different company, and a job
    // title A never touched.
    let outcome = store_b
        .update_lead(
            lead,
            v,
            LeadEdit {
                company: Some(Some("Globex".into())),
                phone: Some(Some("+1 555 0100".into())),
                job_title: Some(Some("CTO".into())),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("B's save answers");
    let UpdateOutcome::Conflict { theirs, differing } = outcome else {
        panic!("expected a conflict, got {outcome:?}");
    };
    assert_eq!(theirs.version, v + 1, "the version to save against");
    assert_eq!(theirs.profile.company.as_deref(), Some("Acme"));
    assert_eq!(theirs.phone.as_deref(), Some("+1 555 0100"));
    assert_eq!(theirs.score, 70);
    assert_eq!(
        differing,
        vec![
            FieldDiff {
                field: LeadField::Company,
                mine: Some("Globex".into()),
                theirs: Some("Acme".into()),
            },
            FieldDiff {
                field: LeadField::JobTitle,
                mine: Some("CTO".into()),
                theirs: None,
            },
        ],
        "the phone was changed to the same value: no difference to show"
    );

    // Nothing of A's change is lost, and nothing of B's was written.
    let now = store_a.lead_detail(lead).await.expect("read");
    assert_eq!(now.version, v + 1);
    assert_eq!(now.profile.company.as_deref(), Some("Acme"));
    assert_eq!(now.phone.as_deref(), Some("+1 555 0100"));
    assert_eq!(now.score, 70);
    assert_eq!(now.profile.job_title, None);
    let by_b = db
        .admin_count(
            "lead_activities",
            &format!("lead_id = '{lead}' and created_by = '{}'", rep_b.profile_id),
        )
        .await;
    assert_eq!(by_b, 0, "B's failed save recorded nothing");

    // B keeps A's company, adds the job title, and saves against the version it was shown.
    let saved = store_b
        .update_lead(
            lead,
            theirs.version,
            LeadEdit {
                job_title: Some(Some("CTO".into())),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("B saves again");
    assert_eq!(saved, UpdateOutcome::Saved { version: v + 2 });
    let now = store_b.lead_detail(lead).await.expect("read");
    assert_eq!(now.profile.company.as_deref(), Some("Acme"));
    assert_eq!(now.profile.job_title.as_deref(), Some("CTO"));
    assert_eq!(now.phone.as_deref(), Some("+1 555 0100"));
    assert_eq!(now.score, 70);

    // A, still at v + 1, now conflicts in turn.
    let outcome = store_a
        .update_lead(
            lead,
            v + 1,
            LeadEdit {
                job_title: Some(Some("CEO".into())),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("A's stale save answers");
    assert!(
        matches!(&outcome, UpdateOutcome::Conflict { differing, .. }
            if differing.len() == 1 && differing[0].theirs.as_deref() == Some("CTO")),
        "{outcome:?}"
    );
}

// ---------------------------------------------------------------------------
// The timeline
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeline_merges_interactions_and_activities_newest_first_and_filters() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Timeline Org").await;
    let stages = db.stages(org).await;
    let lead = store
        .create_lead(NewLead {
            name: "Busy".into(),
            email: None,
            phone: None,
            company: None,
            stage_id: stages[0].0,
            assigned_to: None,
        })
        .await
        .expect("create");
    let call = store
        .log_interaction(
            lead,
            NewInteraction {
                subject: Some("Intro".into()),
                content: Some("Talked budgets".into()),
                duration_secs: Some(95),
                outcome: Some("callback".into()),
                ..interaction(InteractionKind::Call, Some(Direction::Outbound))
            },
        )
        .await
        .expect("call");
    let email = store
        .log_interaction(
            lead,
            NewInteraction {
                subject: Some("Brochure".into()),
                ..interaction(InteractionKind::Email, Some(Direction::Outbound))
            },
        )
        .await
        .expect("email");
    store
        .log_interaction(
            lead,
            NewInteraction {
                content: Some("Has a dog".into()),
                ..interaction(InteractionKind::Note, None)
            },
        )
        .await
        .expect("note");
    store
        .add_task(lead, task("Send floor plans", None), chrono::Utc::now())
        .await
        .expect("task");
    store
        .move_lead(lead, stages[0].0, stages[1].0, None)
        .await
        .expect("move");
    // The email happened yesterday (logged late): it sorts by when it happened.
    sqlx::query(
        "update lead_interactions set occurred_at = now() - interval '1 day' where id = $1",
    )
    .bind(email.interaction_id)
    .execute(&db.admin)
    .await
    .expect("backdate");

    let all = store.timeline(lead, None, 100).await.expect("timeline");
    let kinds: Vec<&str> = all.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "stage_change",
            "task_added",
            "note",
            "call",
            "lead_created",
            "email"
        ],
        "interaction_logged activities stay out: the interaction itself is shown"
    );
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at), "newest first");
    let who = format!("Person {}", rep.login);
    assert!(all.iter().all(|e| e.who.as_deref() == Some(who.as_str())));
    assert_eq!(all[0].source, TimelineSource::Activity);
    assert_eq!(
        all[0].content.as_deref(),
        Some(format!("Moved from {} to {}", stages[0].1, stages[1].1).as_str())
    );
    assert_eq!(
        all[1].content.as_deref(),
        Some("Added task “Send floor plans”")
    );
    assert_eq!(all[4].content.as_deref(), Some("Created the lead in New"));
    let c = &all[3];
    assert_eq!(c.id, call.interaction_id);
    assert_eq!(c.source, TimelineSource::Interaction);
    assert_eq!(c.interaction_kind(), Some(InteractionKind::Call));
    assert_eq!(c.direction, Some(Direction::Outbound));
    assert_eq!(c.subject.as_deref(), Some("Intro"));
    assert_eq!(c.content.as_deref(), Some("Talked budgets"));
    assert_eq!(c.outcome.as_deref(), Some("callback"));
    assert_eq!(c.duration_secs, Some(95));
    assert!(!c.email_opened && !c.email_clicked);
    assert_eq!(all[5].subject.as_deref(), Some("Brochure"));

    let calls = store
        .timeline(
            lead,
            Some(TimelineKind::Interaction(InteractionKind::Call)),
            100,
        )
        .await
        .expect("calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, call.interaction_id);
    let interactions = store
        .timeline(lead, Some(TimelineKind::Interactions), 100)
        .await
        .expect("interactions");
    let kinds: Vec<&str> = interactions.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["note", "call", "email"]);
    let acts = store
        .timeline(lead, Some(TimelineKind::Activities), 100)
        .await
        .expect("activities");
    let kinds: Vec<&str> = acts.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["stage_change", "task_added", "lead_created"]);
    assert!(acts.iter().all(|e| e.details.is_some()));
    let meetings = store
        .timeline(
            lead,
            Some(TimelineKind::Interaction(InteractionKind::Meeting)),
            100,
        )
        .await
        .expect("meetings");
    assert!(meetings.is_empty());

    let newest = store.timeline(lead, None, 2).await.expect("limited");
    assert_eq!(newest, all[..2].to_vec());
}

// ---------------------------------------------------------------------------
// Tasks
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_added_completed_and_rescheduled_with_consistent_status() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Task Org").await;
    let colleague = db.user("Task Org", "rep").await;
    let lead = db.lead(org, "Tasked").await;
    let today = Utc::now().date_naive();
    let past = today - Duration::days(2);
    let soon = today + Duration::days(1);
    let later = today + Duration::days(5);

    let undated = store
        .add_task(lead, task("Whenever", None), chrono::Utc::now())
        .await
        .expect("undated");
    let late = store
        .add_task(lead, task("Was due", Some(past)), chrono::Utc::now())
        .await
        .expect("past due");
    let far = store
        .add_task(
            lead,
            NewTask {
                priority: TaskPriority::High,
                assigned_to: Some(colleague.profile_id),
                description: Some("bring the keys".into()),
                ..task("Viewing", Some(later))
            },
            chrono::Utc::now(),
        )
        .await
        .expect("later");
    let near = store
        .add_task(
            lead,
            NewTask {
                due_time: NaiveTime::from_hms_opt(9, 30, 0),
                ..task("Call back", Some(soon))
            },
            chrono::Utc::now(),
        )
        .await
        .expect("soon");

    let tasks = store
        .lead_tasks(lead, chrono::Utc::now())
        .await
        .expect("tasks");
    let order: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    assert_eq!(
        order,
        [late, near, far, undated],
        "overdue first, then by due date"
    );
    assert_eq!(
        tasks[0].status,
        TaskStatus::Overdue,
        "status set at write time"
    );
    assert!(tasks[0].overdue);
    assert!(
        tasks[1..]
            .iter()
            .all(|t| t.status == TaskStatus::Pending && !t.overdue)
    );
    assert_eq!(tasks[1].due_time, NaiveTime::from_hms_opt(9, 30, 0));
    // Overdue is derived at the `now` the caller passes: three days on, the call back is late.
    let ahead = store
        .lead_tasks(lead, chrono::Utc::now() + Duration::days(3))
        .await
        .expect("tasks three days on");
    let late_then: Vec<Uuid> = ahead.iter().filter(|t| t.overdue).map(|t| t.id).collect();
    assert_eq!(late_then, [late, near], "overdue at the given now");
    assert_eq!(
        tasks[0].assigned_to,
        Some(rep.profile_id),
        "mine by default"
    );
    assert_eq!(tasks[2].assigned_to, Some(colleague.profile_id));
    assert_eq!(
        tasks[2].assignee_name,
        Some(format!("Person {}", colleague.login))
    );
    assert_eq!(tasks[2].priority, TaskPriority::High);
    assert_eq!(tasks[2].description.as_deref(), Some("bring the keys"));

    // Completing checks the version.
    let far_version = tasks[2].version;
    assert_eq!(
        store.complete_task(far, far_version + 7).await,
        Err(DataError::Conflict)
    );
    let v = store
        .complete_task(far, far_version)
        .await
        .expect("complete");
    assert_eq!(v, far_version + 1);
    // Rescheduling the overdue task into the future makes it pending; into the past, overdue.
    let late_version = tasks[0].version;
    let v_late = store
        .reschedule_task(late, late_version, Some(later), None, chrono::Utc::now())
        .await
        .expect("reschedule");
    assert_eq!(
        store
            .reschedule_task(late, late_version, Some(soon), None, chrono::Utc::now())
            .await,
        Err(DataError::Conflict)
    );
    let tasks = store
        .lead_tasks(lead, chrono::Utc::now())
        .await
        .expect("tasks");
    let by_id = |id: Uuid| tasks.iter().find(|t| t.id == id).expect("task listed");
    let done = by_id(far);
    assert_eq!(done.status, TaskStatus::Completed);
    assert!(recent(done.completed_at));
    assert!(!done.overdue);
    let moved = by_id(late);
    assert_eq!(moved.status, TaskStatus::Pending);
    assert_eq!(moved.due_date, Some(later));
    assert!(!moved.overdue);
    assert_eq!(
        tasks.last().map(|t| t.id),
        Some(far),
        "completed tasks come last"
    );
    let v_late = store
        .reschedule_task(
            late,
            v_late,
            Some(past),
            NaiveTime::from_hms_opt(8, 0, 0),
            chrono::Utc::now(),
        )
        .await
        .expect("back into the past");
    let tasks = store
        .lead_tasks(lead, chrono::Utc::now())
        .await
        .expect("tasks");
    assert_eq!(tasks[0].id, late);
    assert_eq!(tasks[0].status, TaskStatus::Overdue);
    assert_eq!(tasks[0].version, v_late);

    // A completed task keeps its status when rescheduled.
    let done_version = store
        .lead_tasks(lead, chrono::Utc::now())
        .await
        .expect("tasks")
        .iter()
        .find(|t| t.id == far)
        .map(|t| t.version)
        .expect("far");
    store
        .reschedule_task(far, done_version, Some(past), None, chrono::Utc::now())
        .await
        .expect("reschedule a completed task");
    let status: String = sqlx::query_scalar("select status::text from lead_tasks where id = $1")
        .bind(far)
        .fetch_one(&db.admin)
        .await
        .expect("status");
    assert_eq!(status, "completed");

    // Sentences, and gone tasks.
    let why = invalid(
        store
            .add_task(lead, task("  ", None), chrono::Utc::now())
            .await,
    );
    assert_eq!(why, "A task needs a title");
    let why = invalid(
        store
            .add_task(
                lead,
                NewTask {
                    due_time: NaiveTime::from_hms_opt(10, 0, 0),
                    ..task("No date", None)
                },
                chrono::Utc::now(),
            )
            .await,
    );
    assert!(why.contains("due date"), "{why}");
    assert_eq!(
        store
            .add_task(Uuid::new_v4(), task("Nowhere", None), chrono::Utc::now())
            .await,
        Err(DataError::NotFound)
    );
    sqlx::query("delete from lead_tasks where id = $1")
        .bind(undated)
        .execute(&db.admin)
        .await
        .expect("delete");
    assert_eq!(
        store.complete_task(undated, 1).await,
        Err(DataError::NotFound)
    );

    let acts = activities(&db, lead).await;
    assert_eq!(
        types(&acts),
        [
            "task_added",
            "task_added",
            "task_added",
            "task_added",
            "task_completed",
            "task_rescheduled",
            "task_rescheduled",
            "task_rescheduled"
        ]
    );
    assert_eq!(acts[4].1["title"], json!("Viewing"));
    assert!(acts.iter().all(|(_, _, by)| *by == Some(rep.profile_id)));
    let timeline = store
        .timeline(lead, Some(TimelineKind::Activities), 3)
        .await
        .expect("timeline");
    assert_eq!(
        timeline[1].content,
        Some(format!("Rescheduled task “Was due” to {past} 08:00"))
    );
}

// ---------------------------------------------------------------------------
// Deals, documents, tags
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deals_are_added_and_updated_with_version_checks() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Deal Org").await;
    let lead = db.lead(org, "Buyer").await;
    let stage = db.first_stage(org).await;
    let open_amount = || async {
        sqlx::query_scalar::<_, f64>(
            "select open_deal_amount::float8 from stage_summaries where organization_id = $1 and stage_id = $2",
        )
        .bind(org)
        .bind(stage)
        .fetch_one(&db.admin)
        .await
        .expect("summary")
    };

    let close = Utc::now().date_naive() + Duration::days(30);
    let id = store
        .add_deal(
            lead,
            NewDeal {
                expected_close_date: Some(close),
                ..deal("Flat 4B", 250_000.5)
            },
        )
        .await
        .expect("add");
    let deals = store.deals(lead).await.expect("deals");
    assert_eq!(deals.len(), 1);
    let d = &deals[0];
    assert_eq!(d.id, id);
    assert_eq!(d.name, "Flat 4B");
    assert_eq!(d.amount, 250_000.5);
    assert_eq!(d.stage, "proposal");
    assert_eq!(d.probability, 40);
    assert_eq!(d.status, DealStatus::Open);
    assert_eq!(d.expected_close_date, Some(close));
    assert_eq!(d.version, 1);
    assert_eq!(open_amount().await, 250_000.5, "the board total follows");

    assert_eq!(
        store
            .update_deal(
                id,
                5,
                DealChanges {
                    amount: Some(1.0),
                    ..DealChanges::default()
                }
            )
            .await,
        Err(DataError::Conflict)
    );
    let v = store
        .update_deal(
            id,
            1,
            DealChanges {
                amount: Some(260_000.0),
                stage: Some("closed".into()),
                probability: Some(100),
                status: Some(DealStatus::Won),
                expected_close_date: Some(None),
                ..DealChanges::default()
            },
        )
        .await
        .expect("update");
    assert_eq!(v, 2);
    let d = &store.deals(lead).await.expect("deals")[0];
    assert_eq!(
        (
            d.amount,
            d.stage.as_str(),
            d.probability,
            d.status,
            d.expected_close_date,
            d.name.as_str()
        ),
        (260_000.0, "closed", 100, DealStatus::Won, None, "Flat 4B")
    );
    assert_eq!(open_amount().await, 0.0, "a won deal is no longer open");

    let why = invalid(
        store
            .add_deal(
                lead,
                NewDeal {
                    probability: 120,
                    ..deal("Bad", 1.0)
                },
            )
            .await,
    );
    assert!(why.contains("between 0 and 100"), "{why}");
    let why = invalid(
        store
            .add_deal(
                lead,
                NewDeal {
                    stage: "dreaming".into(),
                    ..deal("Bad", 1.0)
                },
            )
            .await,
    );
    assert!(why.contains("qualification"), "{why}");
    let why = invalid(store.add_deal(lead, deal("Bad", -3.0)).await);
    assert!(why.contains("negative"), "{why}");
    let why = invalid(store.update_deal(id, 2, DealChanges::default()).await);
    assert!(why.contains("Nothing to save"), "{why}");
    sqlx::query("delete from deals where id = $1")
        .bind(id)
        .execute(&db.admin)
        .await
        .expect("delete");
    assert_eq!(
        store
            .update_deal(
                id,
                2,
                DealChanges {
                    name: Some("Gone".into()),
                    ..DealChanges::default()
                }
            )
            .await,
        Err(DataError::NotFound)
    );

    let acts = activities(&db, lead).await;
    assert_eq!(types(&acts), ["deal_added", "deal_updated"]);
    assert_eq!(
        acts[1].1["fields"],
        json!([
            "amount",
            "stage",
            "probability",
            "status",
            "expected_close_date"
        ])
    );
    assert!(acts.iter().all(|(_, _, by)| *by == Some(rep.profile_id)));
    let timeline = store
        .timeline(lead, Some(TimelineKind::Activities), 10)
        .await
        .expect("timeline");
    assert_eq!(
        timeline[0].content.as_deref(),
        Some("Updated deal “Flat 4B”: won")
    );
    assert_eq!(
        timeline[1].content.as_deref(),
        Some("Added deal “Flat 4B” ($250,000.50)")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_record_links_and_local_files_as_metadata() {
    let db = TestDb::new().await;
    let (org, rep, store) = team(&db, "Doc Org").await;
    let lead = db.lead(org, "Reader").await;

    let link = NewDocument::from_location(
        "https://example.com/files/Brochure%202025.pdf?download=1",
        DocumentType::Brochure,
    )
    .await
    .expect("a link");
    assert_eq!(link.file_name, "Brochure%202025.pdf");
    assert_eq!(link.file_type.as_deref(), Some("application/pdf"));
    assert_eq!(link.file_size, None);
    let first = store.add_document(lead, link).await.expect("add the link");

    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("Offer #2 – Zoë.docx");
    std::fs::write(&path, vec![b'x'; 12_345]).expect("write the file");
    let local =
        NewDocument::from_location(path.to_str().expect("utf-8 path"), DocumentType::Proposal)
            .await
            .expect("a local file");
    assert_eq!(local.file_name, "Offer #2 – Zoë.docx");
    assert_eq!(local.file_size, Some(12_345));
    assert!(local.file_url.starts_with("file:///"), "{}", local.file_url);
    assert!(
        local
            .file_url
            .ends_with("/Offer%20%232%20%E2%80%93%20Zo%C3%AB.docx"),
        "{}",
        local.file_url
    );
    assert_eq!(
        local.file_type.as_deref(),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    let second = store
        .add_document(lead, local.clone())
        .await
        .expect("add the file");

    let docs = store.documents(lead).await.expect("documents");
    let ids: Vec<Uuid> = docs.iter().map(|d| d.id).collect();
    assert_eq!(ids, [second, first], "newest first");
    assert_eq!(docs[0].file_url, local.file_url);
    assert_eq!(docs[0].file_size, Some(12_345));
    assert_eq!(docs[0].document_type, DocumentType::Proposal);
    assert_eq!(docs[0].uploaded_by, Some(rep.profile_id));
    assert_eq!(
        docs[0].uploaded_by_name,
        Some(format!("Person {}", rep.login))
    );
    assert_eq!(docs[1].document_type, DocumentType::Brochure);

    let missing = dir.path().join("nope.pdf");
    let why = invalid(
        NewDocument::from_location(missing.to_str().expect("utf-8"), DocumentType::Other).await,
    );
    assert!(why.starts_with("No file at"), "{why}");
    let why = invalid(
        NewDocument::from_location(dir.path().to_str().expect("utf-8"), DocumentType::Other).await,
    );
    assert!(why.contains("not a file"), "{why}");
    let why = invalid(
        store
            .add_document(
                lead,
                NewDocument {
                    file_url: "https://example.com/\u{1b}[2J".into(),
                    ..local.clone()
                },
            )
            .await,
    );
    assert!(why.contains("U+001B"), "{why}");

    let acts = activities(&db, lead).await;
    assert_eq!(types(&acts), ["document_added", "document_added"]);
    assert_eq!(acts[1].1["file_name"], json!("Offer #2 – Zoë.docx"));
    assert_eq!(acts[1].1["document_type"], json!("proposal"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_are_added_recoloured_and_removed_with_activities() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Tag Org").await;
    let lead = db.lead(org, "Tagged").await;

    let vip = store.add_tag(lead, " vip ", "#ff0000").await.expect("add");
    assert_eq!((vip.tag.as_str(), vip.color.as_str()), ("vip", "#ff0000"));
    let again = store
        .add_tag(lead, "vip", "#00ff00")
        .await
        .expect("recolour");
    assert_eq!(again.id, vip.id, "the same tag");
    assert_eq!(again.color, "#00ff00");
    store
        .add_tag(lead, "vip", "#00ff00")
        .await
        .expect("same colour again");
    store
        .add_tag(lead, "cash buyer", "#0000ff")
        .await
        .expect("second tag");
    let tags: Vec<(String, String)> = store
        .lead_detail(lead)
        .await
        .expect("detail")
        .tags
        .into_iter()
        .map(|t| (t.tag, t.color))
        .collect();
    assert_eq!(
        tags,
        [
            ("cash buyer".to_owned(), "#0000ff".to_owned()),
            ("vip".to_owned(), "#00ff00".to_owned())
        ]
    );

    assert_eq!(store.remove_tag(lead, "cash buyer").await, Ok(true));
    assert_eq!(store.remove_tag(lead, "cash buyer").await, Ok(false));
    let why = invalid(store.add_tag(lead, "hot", "red").await);
    assert!(why.contains("#1a2b3c"), "{why}");
    let why = invalid(store.add_tag(lead, "   ", "#ffffff").await);
    assert!(why.contains("empty"), "{why}");
    let why = invalid(store.add_tag(lead, &"t".repeat(51), "#ffffff").await);
    assert!(why.contains("50"), "{why}");

    let acts = activities(&db, lead).await;
    assert_eq!(
        types(&acts),
        ["tag_added", "tag_updated", "tag_added", "tag_removed"],
        "re-adding with the same colour records nothing"
    );
    assert_eq!(acts[1].1["from_color"], json!("#ff0000"));
    let timeline = store
        .timeline(lead, Some(TimelineKind::Activities), 10)
        .await
        .expect("timeline");
    let sentences: Vec<&str> = timeline
        .iter()
        .filter_map(|e| e.content.as_deref())
        .collect();
    assert_eq!(
        sentences,
        [
            "Removed tag cash buyer",
            "Tagged cash buyer",
            "Recoloured tag vip",
            "Tagged vip"
        ]
    );
}

// ---------------------------------------------------------------------------
// Text that must survive
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_megabyte_note_round_trips() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Big Org").await;
    let lead = db.lead(org, "Verbose").await;
    let line = "A long note line – ünïcödé 张伟 🙂 with some plain words to pad it out.\n";
    let mut note = String::new();
    while note.len() < 1024 * 1024 {
        note.push_str(line);
    }
    assert!(note.chars().count() <= closer::data::lead::MAX_CONTENT_CHARS);

    let logged = store
        .log_interaction(
            lead,
            NewInteraction {
                content: Some(note.clone()),
                ..interaction(InteractionKind::Note, None)
            },
        )
        .await
        .expect("a 1 MB note is logged");
    let timeline = store
        .timeline(lead, Some(TimelineKind::Interactions), 10)
        .await
        .expect("timeline");
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0].id, logged.interaction_id);
    assert!(
        timeline[0].content.as_deref() == Some(note.as_str()),
        "byte-exact"
    );
    let stored: i32 =
        sqlx::query_scalar("select octet_length(content) from lead_interactions where id = $1")
            .bind(logged.interaction_id)
            .fetch_one(&db.admin)
            .await
            .expect("length");
    assert_eq!(stored as usize, note.len());

    // Past the column's limit: a sentence, not a database error.
    let huge = "x".repeat(closer::data::lead::MAX_CONTENT_CHARS + 1);
    let why = invalid(
        store
            .log_interaction(
                lead,
                NewInteraction {
                    content: Some(huge),
                    ..interaction(InteractionKind::Note, None)
                },
            )
            .await,
    );
    assert!(why.contains("too long"), "{why}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_text_round_trips_byte_exact() {
    let db = TestDb::new().await;
    let (org, _rep, store) = team(&db, "Hostile Org").await;
    let text = hostile();
    assert!(text.chars().count() <= 200);

    let lead = store
        .create_lead(NewLead {
            name: text.clone(),
            email: None,
            phone: None,
            company: Some(text.clone()),
            stage_id: db.first_stage(org).await,
            assigned_to: None,
        })
        .await
        .expect("create with hostile text");
    let d = store.lead_detail(lead).await.expect("read");
    assert_eq!(d.name.as_bytes(), text.as_bytes());
    assert_eq!(d.profile.company.as_deref(), Some(text.as_str()));

    // Through the JSON-carried edit path.
    let reversed: String = text.chars().rev().collect();
    let saved = store
        .update_lead(
            lead,
            d.version,
            LeadEdit {
                name: Some(reversed.clone()),
                job_title: Some(Some(text.clone())),
                source: Some(Some(text.clone())),
                budget_range: Some(Some(reversed.clone())),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("update with hostile text");
    assert!(matches!(saved, UpdateOutcome::Saved { .. }));
    let d = store.lead_detail(lead).await.expect("read");
    assert_eq!(d.name.as_bytes(), reversed.as_bytes());
    assert_eq!(d.profile.job_title.as_deref(), Some(text.as_str()));
    assert_eq!(d.source.as_deref(), Some(text.as_str()));
    assert_eq!(d.profile.budget_range.as_deref(), Some(reversed.as_str()));

    // A conflict hands the stored hostile text back unchanged.
    let outcome = store
        .update_lead(
            lead,
            d.version - 1,
            LeadEdit {
                job_title: Some(Some("plain".into())),
                ..LeadEdit::default()
            },
        )
        .await
        .expect("stale save");
    let UpdateOutcome::Conflict { differing, .. } = outcome else {
        panic!("expected a conflict, got {outcome:?}");
    };
    assert_eq!(differing[0].theirs.as_deref(), Some(text.as_str()));

    let logged = store
        .log_interaction(
            lead,
            NewInteraction {
                subject: Some(text.clone()),
                content: Some(text.repeat(3)),
                outcome: Some(text.clone()),
                ..interaction(InteractionKind::Email, Some(Direction::Outbound))
            },
        )
        .await
        .expect("log with hostile text");
    let entry = store
        .timeline(lead, Some(TimelineKind::Interactions), 1)
        .await
        .expect("timeline")
        .pop()
        .expect("the email");
    assert_eq!(entry.id, logged.interaction_id);
    assert_eq!(entry.subject.as_deref(), Some(text.as_str()));
    assert_eq!(entry.content, Some(text.repeat(3)));
    assert_eq!(entry.outcome.as_deref(), Some(text.as_str()));

    store
        .add_task(
            lead,
            NewTask {
                description: Some(text.clone()),
                ..task(&text, None)
            },
            chrono::Utc::now(),
        )
        .await
        .expect("task with hostile text");
    let t = &store
        .lead_tasks(lead, chrono::Utc::now())
        .await
        .expect("tasks")[0];
    assert_eq!(t.title, text);
    assert_eq!(t.description.as_deref(), Some(text.as_str()));

    store
        .add_deal(lead, deal(&text, 10.0))
        .await
        .expect("deal with hostile text");
    assert_eq!(store.deals(lead).await.expect("deals")[0].name, text);

    let tag = "🔥\u{200B}热\u{202E}x\u{1b}[0m";
    store
        .add_tag(lead, tag, "#abcdef")
        .await
        .expect("hostile tag");
    assert_eq!(
        store.lead_detail(lead).await.expect("read").tags[0].tag,
        tag
    );
    assert_eq!(store.remove_tag(lead, tag).await, Ok(true));

    // The activity sentences carry the text as is (drawing cleans it, not storage).
    let summaries = store
        .timeline(lead, Some(TimelineKind::Activities), 10)
        .await
        .expect("timeline");
    assert!(
        summaries
            .iter()
            .any(|e| e.content.as_deref() == Some(format!("Added task “{text}”").as_str()))
    );

    // NUL cannot be stored in PostgreSQL text: refused with a sentence, nothing written.
    let before = db
        .admin_count("lead_interactions", &format!("lead_id = '{lead}'"))
        .await;
    let why = invalid(
        store
            .log_interaction(
                lead,
                NewInteraction {
                    content: Some("a\u{0}b".into()),
                    ..interaction(InteractionKind::Note, None)
                },
            )
            .await,
    );
    assert!(why.contains("U+0000"), "{why}");
    assert_eq!(
        db.admin_count("lead_interactions", &format!("lead_id = '{lead}'"))
            .await,
        before
    );
}
