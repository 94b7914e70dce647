//! Lead screen: reducer behaviour (keys → commands → state and effects) and insta snapshots of
//! whole frames drawn to a `TestBackend`. No database: data results are fed in by hand.

use super::harness::{ch, ctrl, key, render, screen_text};
use std::collections::HashMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use closer::config::keymap::Keymap;
use closer::data::lead::LeadProfile;
use closer::data::models::{BoardSort, ColumnPage, LeadCard, Pipeline, Stage, StageSummary};
use closer::state::lead::{
    Deal, DealChanges, DealStatus, Direction, DocumentType, FieldId, InteractionKind, LeadAction,
    LeadData, LeadDetail, LeadDocument, LeadEffect, LeadFields, LeadScreen, LeadStatus, LeadTag,
    LeadTask, Saved, Tab, TaskPriority, TaskStatus, TimelineEntry, TimelineSource, UpdateReply,
};
use closer::state::popup::form::FieldValue;
use closer::state::{
    Action, BoardAction, BoardData, BoardEffect, Effect, Failure, Options, Popup, Screen, State,
    Viewer, update,
};
use crossterm::event::KeyCode;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0)
        .single()
        .expect("valid date")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

const PIPELINE: u128 = 0xB1;

fn stages() -> Vec<Stage> {
    [
        ("New", "#3b82f6"),
        ("Contacted", "#8b5cf6"),
        ("Won", "#10b981"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (name, color))| Stage {
        id: id(0x101 + i as u128),
        pipeline_id: id(PIPELINE),
        name: name.to_string(),
        order_index: i as i32,
        color: color.to_string(),
        is_won: *name == "Won",
        is_lost: false,
        rotting_days: None,
    })
    .collect()
}

fn card(n: u128, stage: u128, name: &str, score: i32) -> LeadCard {
    LeadCard {
        id: id(0x1000 + n),
        stage_id: id(0x100 + stage),
        name: name.to_string(),
        company: None,
        owner_name: Some("Ada Lovelace".to_string()),
        score,
        last_contacted_at: Some(now() - Duration::days(2)),
        created_at: now() - Duration::days(30),
        overdue_tasks: 0,
        open_tasks: 0,
        version: 1,
        assigned_to: None,
        closed_on: None,
        closed_amount: 0.0,
        closed_currency: None,
    }
}

fn cards() -> Vec<LeadCard> {
    vec![
        card(1, 1, "Grace Hopper", 92),
        card(2, 1, "Alan Turing", 81),
        card(3, 1, "Edsger Dijkstra", 64),
        card(4, 2, "Donald Knuth", 88),
    ]
}

fn detail(lead: Uuid, name: &str) -> LeadDetail {
    LeadDetail {
        id: lead,
        name: name.to_string(),
        email: Some("grace@navy.mil".to_string()),
        phone: Some("+1 555 0100".to_string()),
        mobile: None,
        stage_id: id(0x101),
        stage_name: "New".to_string(),
        stage_color: "#3b82f6".to_string(),
        owner_id: Some(id(0xA1)),
        owner_name: Some("Ada Lovelace".to_string()),
        score: 92,
        engagement_score: 71,
        interest_level: 64,
        purchase_readiness: 40,
        total_calls: 3,
        last_sentiment_score: Some(0.62),
        last_contacted_at: Some(now() - Duration::hours(26)),
        source: Some("website".to_string()),
        lead_source: None,
        lost_reason: None,
        metadata: serde_json::json!({}),
        project_id: Some(id(0xC1)),
        project_name: Some("Harbour View".to_string()),
        property_id: Some(id(0xC2)),
        property_name: Some("Unit 12B".to_string()),
        profile: LeadProfile {
            company: Some("Navy Labs".to_string()),
            job_title: Some("Rear Admiral".to_string()),
            location: Some("Arlington, VA".to_string()),
            industry: Some("Defense".to_string()),
            lead_score: Some(80),
            engagement_level: Some("high".to_string()),
            budget_range: Some("$500k–$700k".to_string()),
            timeline: Some("3–6 months".to_string()),
            min_budget: Some(500_000.0),
            max_budget: Some(700_000.0),
            property_type_interest: Some("Apartment".to_string()),
            preferences: serde_json::json!({
                "bedrooms": 2,
                "parking": true,
                "areas": ["Docklands", "Southbank"],
                "commute": {"max_minutes": 30, "mode": "tram"}
            }),
            custom_fields: serde_json::json!({"referral_code": "NAVY-42"}),
            version: Some(2),
        },
        tags: vec![
            LeadTag {
                id: id(0x7001),
                tag: "vip".to_string(),
                color: "#ef4444".to_string(),
            },
            LeadTag {
                id: id(0x7002),
                tag: "investor".to_string(),
                color: "#10b981".to_string(),
            },
        ],
        created_at: now() - Duration::days(30),
        updated_at: now() - Duration::days(1),
        version: 3,
    }
}

/// An interaction of `kind`, outbound, logged `hours_ago` by Ada.
fn interaction(n: u128, hours_ago: i64, kind: InteractionKind) -> TimelineEntry {
    TimelineEntry {
        id: id(0x5000 + n),
        source: TimelineSource::Interaction,
        kind: kind.as_str().to_string(),
        direction: Some(Direction::Outbound),
        subject: None,
        content: None,
        outcome: None,
        duration_secs: None,
        email_opened: false,
        email_clicked: false,
        who: Some("Ada Lovelace".to_string()),
        at: now() - Duration::hours(hours_ago),
        details: None,
    }
}

fn activity(n: u128, hours_ago: i64, kind: &str, summary: &str) -> TimelineEntry {
    TimelineEntry {
        source: TimelineSource::Activity,
        kind: kind.to_string(),
        direction: None,
        content: Some(summary.to_string()),
        ..interaction(n, hours_ago, InteractionKind::Note)
    }
}

fn timeline() -> Vec<TimelineEntry> {
    vec![
        TimelineEntry {
            subject: Some("Pricing for Unit 12B".to_string()),
            outcome: Some("interested".to_string()),
            duration_secs: Some(750),
            content: Some(
                "Walked through the floor plan and the strata fees. She wants the parking \
                 space included and asked about the settlement date.\nNext: send the contract."
                    .to_string(),
            ),
            ..interaction(1, 2, InteractionKind::Call)
        },
        TimelineEntry {
            subject: Some("Brochure and floor plans".to_string()),
            email_opened: true,
            email_clicked: true,
            content: Some("Hi Grace, attached are the plans.".to_string()),
            ..interaction(2, 20, InteractionKind::Email)
        },
        activity(3, 30, "stage_change", "Moved from Contacted to New"),
        TimelineEntry {
            direction: None,
            content: Some("Prefers calls after 4pm.".to_string()),
            ..interaction(4, 50, InteractionKind::Note)
        },
        TimelineEntry {
            direction: Some(Direction::Inbound),
            content: Some("Is the gym open on weekends?".to_string()),
            ..interaction(5, 80, InteractionKind::Whatsapp)
        },
        activity(6, 100, "task_completed", "Completed task “Send brochure”"),
    ]
}

fn task(
    n: u128,
    title: &str,
    due: Option<NaiveDate>,
    priority: TaskPriority,
    done: bool,
) -> LeadTask {
    LeadTask {
        id: id(0x6000 + n),
        lead_id: id(0x1001),
        title: title.to_string(),
        description: None,
        due_date: due,
        due_time: None,
        priority,
        status: if done {
            TaskStatus::Completed
        } else {
            TaskStatus::Pending
        },
        overdue: !done && due.is_some_and(|d| d < now().date_naive()),
        assigned_to: Some(id(0xA1)),
        assignee_name: Some("Ada Lovelace".to_string()),
        completed_at: done.then(|| now() - Duration::days(12)),
        created_at: now() - Duration::days(20),
        version: 1,
    }
}

pub(crate) fn data(lead: Uuid, name: &str) -> LeadData {
    LeadData {
        detail: detail(lead, name),
        timeline: timeline(),
        // In the store's order: overdue first, then by due date (undated last), done last.
        tasks: vec![
            task(
                2,
                "Call back about parking",
                Some(date(2025, 3, 10)),
                TaskPriority::Medium,
                false,
            ),
            task(
                1,
                "Send the contract",
                Some(date(2025, 3, 20)),
                TaskPriority::High,
                false,
            ),
            task(4, "Ask for referral", None, TaskPriority::Low, false),
            task(
                3,
                "Send brochure",
                Some(date(2025, 3, 1)),
                TaskPriority::Low,
                true,
            ),
        ],
        deals: vec![Deal {
            id: id(0x8001),
            lead_id: lead,
            property_id: None,
            name: "Unit 12B purchase".to_string(),
            amount: 640_000.0,
            currency: "USD".to_string(),
            stage: "negotiation".to_string(),
            probability: 60,
            status: DealStatus::Open,
            expected_close_date: Some(date(2025, 5, 1)),
            created_at: now() - Duration::days(10),
            version: 2,
        }],
        documents: vec![LeadDocument {
            id: id(0x9001),
            lead_id: lead,
            file_name: "contract-12B.pdf".to_string(),
            file_url: "https://files.example.com/contract-12B.pdf".to_string(),
            file_type: Some("application/pdf".to_string()),
            file_size: Some(248_000),
            document_type: DocumentType::Contract,
            uploaded_by: Some(id(0xA1)),
            uploaded_by_name: Some("Ada Lovelace".to_string()),
            created_at: now() - Duration::days(3),
            version: 1,
        }],
    }
}

fn empty_data(lead: Uuid, name: &str) -> LeadData {
    let mut d = data(lead, name);
    d.timeline.clear();
    d.tasks.clear();
    d.deals.clear();
    d.documents.clear();
    d.detail.tags.clear();
    d
}

/// Answers board effects so the board is loaded.
fn answer_board(effect: &Effect) -> Option<Action> {
    Some(match effect {
        Effect::Board(BoardEffect::Load { request, .. }) => {
            let mut summaries = HashMap::new();
            for s in stages() {
                let n = cards().iter().filter(|c| c.stage_id == s.id).count() as i64;
                summaries.insert(
                    s.id,
                    StageSummary {
                        lead_count: n,
                        ..StageSummary::default()
                    },
                );
            }
            Action::Board(BoardAction::Loaded {
                request: *request,
                result: Ok(BoardData {
                    pipelines: vec![Pipeline {
                        id: id(PIPELINE),
                        name: "Sales".to_string(),
                        is_default: true,
                    }],
                    pipeline_id: Some(id(PIPELINE)),
                    stages: stages(),
                    summaries,
                }),
            })
        }
        Effect::Board(BoardEffect::LoadColumn {
            request, stage_id, ..
        }) => Action::Board(BoardAction::ColumnLoaded {
            request: *request,
            stage_id: *stage_id,
            append: false,
            result: Ok(ColumnPage {
                stage_id: *stage_id,
                cards: cards()
                    .into_iter()
                    .filter(|c| c.stage_id == *stage_id)
                    .collect(),
                next_cursor: None,
            }),
        }),
        Effect::Board(BoardEffect::LoadSummaries { .. }) => return None,
        Effect::LoadOverdue { request, .. } => Action::OverdueLoaded {
            request: *request,
            result: Ok(1),
        },
        _ => return None,
    })
}

/// Runs board effects to completion; returns the others.
fn drive(state: &mut State, effects: Vec<Effect>) -> Vec<Effect> {
    let mut queue = effects;
    let mut rest = Vec::new();
    while !queue.is_empty() {
        let effect = queue.remove(0);
        match answer_board(&effect) {
            Some(action) => queue.extend(update(state, action)),
            None => rest.push(effect),
        }
    }
    rest
}

pub(crate) fn board(width: u16, height: u16) -> State {
    let mut state = State::new(
        Viewer {
            organization: "Acme Realty".to_string(),
            person: "Ada Lovelace".to_string(),
        },
        Keymap::default(),
        Options {
            stale_after_days: 14,
            sort: BoardSort::Score,
        },
        now(),
    );
    update(&mut state, Action::Resize { width, height });
    let fx = state.start();
    drive(&mut state, fx);
    state
}

fn load_request(fx: &[Effect]) -> Option<(u64, Uuid)> {
    fx.iter().find_map(|e| match e {
        Effect::Lead(LeadEffect::Load {
            request, lead_id, ..
        }) => Some((*request, *lead_id)),
        _ => None,
    })
}

/// Answers the lead load in `fx` with `data`.
fn answer_load(state: &mut State, fx: Vec<Effect>, make: impl Fn(Uuid) -> LeadData) -> Vec<Effect> {
    let rest = drive(state, fx);
    let Some((request, lead)) = load_request(&rest) else {
        return rest;
    };
    let more = update(
        state,
        Action::Lead(LeadAction::Loaded {
            request,
            result: Ok(Some(Box::new(make(lead)))),
        }),
    );
    drive(state, more)
}

/// The board with Grace Hopper's lead open and loaded (times shown in UTC).
pub(crate) fn lead_open(width: u16, height: u16) -> State {
    let mut state = board(width, height);
    let fx = update(&mut state, key(KeyCode::Enter));
    answer_load(&mut state, fx, |lead| data(lead, "Grace Hopper"));
    set_utc(&mut state);
    state
}

fn set_utc(state: &mut State) {
    if let Screen::Lead(screen) = &mut state.screen {
        screen.tz = FixedOffset::east_opt(0).expect("utc");
    }
}

fn screen(state: &State) -> &LeadScreen {
    match &state.screen {
        Screen::Lead(s) => s,
        other => panic!("not on the lead screen: {other:?}"),
    }
}

fn typed(state: &mut State, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(update(state, ch(c)));
    }
    fx
}

pub(crate) fn lead_popup(state: &State) -> Option<&Popup> {
    state.popup.as_ref().filter(|p| {
        matches!(
            p,
            Popup::Form(_) | Popup::Conflict(_) | Popup::Tags(_) | Popup::Filter { .. }
        )
    })
}

pub(crate) fn form_value(state: &State, field: FieldId) -> Option<String> {
    match lead_popup(state)? {
        Popup::Form(form) => Some(form.raw(field).to_string()),
        Popup::Conflict(p) => Some(p.form.raw(field).to_string()),
        _ => None,
    }
}

pub(crate) fn lead_effects(fx: &[Effect]) -> Vec<LeadEffect> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Lead(l) => Some(l.clone()),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------

#[test]
fn snapshot_each_tab() {
    let mut state = lead_open(120, 30);
    insta::assert_snapshot!("overview", render(&state, 120, 30).backend());
    super::pictures::check("lead", &render(&state, 120, 30));
    update(&mut state, ch('2'));
    insta::assert_snapshot!("timeline", render(&state, 120, 30).backend());
    update(&mut state, key(KeyCode::Enter));
    insta::assert_snapshot!("timeline_expanded", render(&state, 120, 30).backend());
    update(&mut state, ch('3'));
    insta::assert_snapshot!("tasks", render(&state, 120, 30).backend());
    update(&mut state, ch('4'));
    insta::assert_snapshot!("deals", render(&state, 120, 30).backend());
    update(&mut state, ch('5'));
    insta::assert_snapshot!("documents", render(&state, 120, 30).backend());
}

#[test]
fn snapshot_loading_and_empty_tabs() {
    let mut state = board(100, 20);
    let fx = update(&mut state, key(KeyCode::Enter));
    insta::assert_snapshot!("loading", render(&state, 100, 20).backend());
    answer_load(&mut state, fx, |lead| empty_data(lead, "Grace Hopper"));
    set_utc(&mut state);
    let mut text = String::new();
    for tab in ['2', '3', '4', '5'] {
        update(&mut state, ch(tab));
        text.push_str(&screen_text(&render(&state, 100, 20)));
    }
    for empty in [
        "Nothing here yet",
        "No tasks · t adds one",
        "No deals · d adds one",
        "No documents",
    ] {
        assert!(text.contains(empty), "{empty} missing:\n{text}");
    }
    update(&mut state, ch('3'));
    insta::assert_snapshot!("tasks_empty", render(&state, 100, 20).backend());
}

#[test]
fn snapshot_long_content_and_a_megabyte_note() {
    let mut state = board(100, 24);
    let fx = update(&mut state, key(KeyCode::Enter));
    answer_load(&mut state, fx, |lead| {
        let mut d = data(lead, "Grace Hopper");
        let mut huge = String::with_capacity(1_100_000);
        let mut n = 0;
        while huge.len() < 1_000_000 {
            n += 1;
            huge.push_str(&format!(
                "Line {n}: the client asked again about parking, storage and the strata report; "
            ));
            if n % 3 == 0 {
                huge.push('\n');
            }
        }
        d.timeline[0] = TimelineEntry {
            subject: Some("A very long subject that goes on and on about the details of the purchase and never seems to end".to_string()),
            content: Some(huge),
            ..interaction(1, 2, InteractionKind::Meeting)
        };
        d.detail.profile.custom_fields = serde_json::json!({
            "notes": "x".repeat(100_000),
            "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {"j": 1}}}}}}}}}}
        });
        d
    });
    set_utc(&mut state);
    // The end of the overview: the long and the deep custom fields.
    update(&mut state, ch('G'));
    insta::assert_snapshot!("overview_long", render(&state, 100, 24).backend());
    update(&mut state, ch('2'));
    update(&mut state, key(KeyCode::Enter));
    let started = std::time::Instant::now();
    let terminal = render(&state, 100, 24);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "a 1 MB note must only lay out what is visible"
    );
    insta::assert_snapshot!("timeline_megabyte", terminal.backend());
    // Page keys scroll inside the expanded note.
    update(&mut state, ctrl('d'));
    assert!(screen(&state).expanded_scroll > 0);
    render(&state, 100, 24);
}

#[test]
fn snapshot_capture_form() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('c'));
    update(&mut state, ch('c')); // type: call
    update(&mut state, ch('o')); // outbound
    typed(&mut state, "Connected");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "12");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "Parking and settlement");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "She wants the parking space included.");
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "Send the contract by Friday.");
    insta::assert_snapshot!("capture_form", render(&state, 100, 30).backend());
}

#[test]
fn snapshot_new_lead_form_with_validation() {
    let mut state = board(100, 24);
    // Second column: the new lead defaults to it.
    update(&mut state, ch('l'));
    update(&mut state, ch('n'));
    typed(&mut state, "Barbara Liskov");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "barbara@mit");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "call me");
    let fx = update(&mut state, ctrl('s'));
    assert!(
        lead_effects(&fx).is_empty(),
        "invalid input is not sent: {fx:?}"
    );
    assert_eq!(
        form_value(&state, FieldId::Stage),
        Some(id(0x102).to_string())
    );
    insta::assert_snapshot!("new_lead_invalid", render(&state, 100, 24).backend());
    // Fixing both sends the lead, owned by the rep, in that column (the email has focus).
    for _ in 0..3 {
        update(&mut state, key(KeyCode::Backspace));
    }
    typed(&mut state, "mit.edu");
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ctrl('u'));
    typed(&mut state, "+1 617 555 0199");
    let fx = update(&mut state, ctrl('s'));
    match lead_effects(&fx).as_slice() {
        [LeadEffect::CreateLead { lead, .. }] => {
            assert_eq!(lead.name, "Barbara Liskov");
            assert_eq!(lead.email.as_deref(), Some("barbara@mit.edu"));
            assert_eq!(lead.stage_id, id(0x102));
            assert_eq!(lead.assigned_to, None, "owned by the rep");
        }
        other => panic!("expected a create, got {other:?}"),
    }
}

fn conflict_state() -> (State, u64) {
    let mut state = lead_open(110, 26);
    update(&mut state, ch('e'));
    // Email (field 2) and company (field 6) changed by me.
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ctrl('u'));
    typed(&mut state, "grace@hopper.dev");
    for _ in 0..4 {
        update(&mut state, key(KeyCode::Tab));
    }
    update(&mut state, ctrl('u'));
    typed(&mut state, "Hopper Consulting");
    let fx = update(&mut state, ctrl('s'));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::UpdateLead {
                request,
                version,
                fields,
                ..
            },
        ] => {
            assert_eq!(*version, 3);
            assert_eq!(fields.email, "grace@hopper.dev");
            *request
        }
        other => panic!("expected an update, got {other:?}"),
    };
    // Meanwhile a teammate changed the email and the phone.
    let mut theirs = LeadFields::of(&detail(id(0x1001), "Grace Hopper"));
    theirs.email = "g.hopper@navy.mil".to_string();
    theirs.phone = "+1 555 0199".to_string();
    let fx = update(
        &mut state,
        Action::Lead(LeadAction::Updated {
            request,
            result: Ok(UpdateReply::Conflict {
                theirs: Box::new(theirs),
                version: 4,
            }),
        }),
    );
    assert!(fx.is_empty());
    (state, request)
}

#[test]
fn tags_complete_from_the_organizations_tags() {
    // Issue 11: existing tags were never suggested.
    let mut state = lead_open(100, 24);
    let fx = update(&mut state, ch('T'));
    let request = lead_effects(&fx)
        .iter()
        .find_map(|e| match e {
            LeadEffect::LoadOrgTags { request } => Some(*request),
            _ => None,
        })
        .expect("the organization's tags are read");
    update(
        &mut state,
        Action::Lead(LeadAction::OrgTags(
            request,
            Ok(vec!["VIP".to_string(), "Hot lead".to_string()]),
        )),
    );
    typed(&mut state, "ho");
    let screen = screen_text(&render(&state, 100, 24));
    assert!(screen.contains("→ Hot lead"), "{screen}");
    update(&mut state, key(KeyCode::Right));
    match &state.popup {
        Some(Popup::Tags(editor)) => assert_eq!(editor.input.value(), "Hot lead"),
        other => panic!("expected the tag editor, got {other:?}"),
    }
    // `vip` is already on the lead: not offered.
    let mut state = lead_open(100, 24);
    let fx = update(&mut state, ch('T'));
    if let Some(LeadEffect::LoadOrgTags { request }) = lead_effects(&fx).first() {
        update(
            &mut state,
            Action::Lead(LeadAction::OrgTags(*request, Ok(vec!["VIP".to_string()]))),
        );
    }
    typed(&mut state, "v");
    match &state.popup {
        Some(Popup::Tags(editor)) => assert_eq!(editor.suggestion(), None),
        other => panic!("expected the tag editor, got {other:?}"),
    }
}

#[test]
fn keys_typed_while_the_lead_loads_are_kept() {
    // Issue 11: Enter then `c` at once dropped the `c`.
    let mut state = board(100, 30);
    let fx = update(&mut state, key(KeyCode::Enter));
    let early = update(&mut state, ch('c'));
    assert!(early.is_empty());
    assert!(
        lead_popup(&state).is_none(),
        "nothing opens before the lead is there"
    );
    answer_load(&mut state, fx, |lead| data(lead, "Grace Hopper"));
    match lead_popup(&state) {
        Some(Popup::Form(form)) => assert!(form.title.contains("Log"), "{}", form.title),
        other => panic!("expected the capture form, got {other:?}"),
    }
}

#[test]
fn keeping_theirs_everywhere_closes_without_a_save() {
    // Issue 11: "keep theirs" (T, Enter) reported "Nothing to save" and needed Esc three times.
    let (mut state, _) = conflict_state();
    update(&mut state, ch('T'));
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(
        !lead_effects(&fx)
            .iter()
            .any(|e| matches!(e, LeadEffect::UpdateLead { .. })),
        "nothing is written"
    );
    assert!(lead_popup(&state).is_none(), "one key closes it");
    assert!(load_request(&fx).is_some(), "the lead is read again");
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Kept their version: nothing to save")
    );
}

#[test]
fn snapshot_conflict_prompt() {
    let (state, _) = conflict_state();
    insta::assert_snapshot!("conflict", render(&state, 110, 26).backend());
}

#[test]
fn snapshot_tags_and_filter() {
    let mut state = lead_open(100, 24);
    update(&mut state, ch('T'));
    typed(&mut state, "hot lead");
    update(&mut state, key(KeyCode::Tab));
    insta::assert_snapshot!("tags", render(&state, 100, 24).backend());
    update(&mut state, key(KeyCode::Esc));
    update(&mut state, ch('f'));
    insta::assert_snapshot!("filter", render(&state, 100, 24).backend());
}

#[test]
fn snapshot_hostile_text() {
    let mut state = board(100, 24);
    let fx = update(&mut state, key(KeyCode::Enter));
    answer_load(&mut state, fx, |lead| {
        let mut d = data(lead, "\u{1b}[31mRed\u{1b}[0m \u{1b}]0;pwned\u{7}Grace");
        d.detail.owner_name = Some("\u{9b}2J Mallory".to_string());
        d.detail.profile.company = Some("\u{202E}txet desrever\u{202C} مرحبا".to_string());
        d.detail.tags[0].tag = "Zero\u{200B}Width\u{200D}🙂".to_string();
        d.detail.tags[0].color = "not a colour".to_string();
        d.detail.profile.preferences =
            serde_json::json!({"\u{1b}[2Jkey": "张伟张伟\u{1b}[0m", "👩‍👩‍👧": ["🙂", "株式会社"]});
        d.timeline[0] = TimelineEntry {
            subject: Some("\u{1b}[2J\u{1b}[H wipe \u{202E}abc".to_string()),
            content: Some("line one\r\nline\ttwo \u{1b}[31mred\u{7}\n张伟 🙂 שלום".to_string()),
            ..interaction(1, 2, InteractionKind::Sms)
        };
        d
    });
    set_utc(&mut state);
    for (tab, name) in [('1', "hostile_overview"), ('2', "hostile_timeline")] {
        update(&mut state, ch(tab));
        update(&mut state, key(KeyCode::Enter));
        let terminal = render(&state, 100, 24);
        for cell in terminal.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "{:?}",
                cell.symbol()
            );
            assert!(!cell.symbol().contains('\u{202E}'));
        }
        insta::assert_snapshot!(name, terminal.backend());
    }
}

#[test]
fn no_size_panics_and_forms_survive_resizes() {
    let state = lead_open(80, 24);
    let setups: Vec<Vec<Action>> = vec![
        vec![],
        vec![ch('2'), key(KeyCode::Enter)],
        vec![ch('3')],
        vec![ch('4')],
        vec![ch('5')],
        vec![ch('c'), ch('n'), ch('-')],
        vec![ch('e')],
        vec![ch('t')],
        vec![ch('T')],
        vec![ch('f')],
        vec![ch('?')],
        vec![ch('n')],
    ];
    for actions in setups {
        let mut s = state.clone();
        for a in actions {
            update(&mut s, a);
        }
        typed(&mut s, "张伟 🙂 text");
        let before = s.popup.clone();
        for w in (0..60).step_by(3) {
            for h in 0..16 {
                update(
                    &mut s,
                    Action::Resize {
                        width: w,
                        height: h,
                    },
                );
                render(&s, w, h);
            }
        }
        update(
            &mut s,
            Action::Resize {
                width: 20,
                height: 5,
            },
        );
        render(&s, 20, 5);
        assert_eq!(s.popup, before, "a resize keeps what was typed");
    }
}

// ---------------------------------------------------------------------------
// Reducers
// ---------------------------------------------------------------------------

#[test]
fn tabs_switch_by_number_tab_and_letters() {
    let mut state = lead_open(100, 24);
    assert_eq!(screen(&state).tab, Tab::Overview);
    update(&mut state, key(KeyCode::Tab));
    assert_eq!(screen(&state).tab, Tab::Timeline);
    update(&mut state, ch('l'));
    assert_eq!(screen(&state).tab, Tab::Tasks);
    update(&mut state, key(KeyCode::BackTab));
    assert_eq!(screen(&state).tab, Tab::Timeline);
    update(&mut state, ch('h'));
    update(&mut state, ch('h'));
    assert_eq!(screen(&state).tab, Tab::Documents, "wraps around");
    update(&mut state, ch('4'));
    assert_eq!(screen(&state).tab, Tab::Deals);
    update(&mut state, ch('1'));
    assert_eq!(screen(&state).tab, Tab::Overview);
    // Tasks are ordered overdue first, then by due date, done last.
    let titles: Vec<&str> = screen(&state)
        .data
        .as_ref()
        .map(|d| d.tasks.iter().map(|t| t.title.as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        titles,
        [
            "Call back about parking",
            "Send the contract",
            "Ask for referral",
            "Send brochure"
        ]
    );
    // Esc goes back to the board.
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.screen, Screen::Board);
}

#[test]
fn brackets_walk_the_board_column_without_going_back() {
    let mut state = lead_open(100, 24);
    assert_eq!(screen(&state).lead_id, id(0x1001));
    update(&mut state, ch('3'));
    let fx = update(&mut state, ch(']'));
    let (_, lead) = load_request(&fx).expect("the next lead loads");
    assert_eq!(lead, id(0x1002));
    assert_eq!(screen(&state).lead_id, id(0x1002));
    assert_eq!(screen(&state).name, "Alan Turing");
    assert_eq!(screen(&state).tab, Tab::Tasks, "the tab is kept");
    answer_load(&mut state, fx, |lead| data(lead, "Alan Turing"));
    update(&mut state, ch(']'));
    assert_eq!(screen(&state).lead_id, id(0x1003));
    let fx = update(&mut state, ch(']'));
    assert!(load_request(&fx).is_none(), "no lead after the last");
    assert_eq!(screen(&state).lead_id, id(0x1003));
    assert!(
        state
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("Last lead in New"))
    );
    update(&mut state, ch('['));
    update(&mut state, ch('['));
    assert_eq!(screen(&state).lead_id, id(0x1001));
    update(&mut state, ch('['));
    assert!(
        state
            .message
            .as_ref()
            .is_some_and(|m| m.text.contains("First lead"))
    );
    // The board's cursor followed: going back lands on the last lead seen.
    update(&mut state, ch(']'));
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(
        state.board.selected_card().map(|c| c.name.clone()),
        Some("Alan Turing".to_string())
    );
}

#[test]
fn a_failed_save_keeps_the_form_and_its_content() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('c'));
    update(&mut state, ch('m'));
    update(&mut state, ch('i'));
    typed(&mut state, "Site visit");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "45");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "Walkthrough");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "Loved the view.");
    let fx = update(&mut state, ctrl('s'));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::LogInteraction {
                request,
                interaction,
                ..
            },
        ] => {
            assert_eq!(interaction.kind, InteractionKind::Meeting);
            assert_eq!(interaction.direction, Some(Direction::Inbound));
            assert_eq!(interaction.duration_secs, Some(45 * 60));
            assert_eq!(interaction.outcome.as_deref(), Some("Site visit"));
            *request
        }
        other => panic!("expected a log, got {other:?}"),
    };
    // Keys are ignored while saving.
    update(&mut state, ch('x'));
    update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Err(Failure {
                message: "You are not allowed to do that".to_string(),
                connection: false,
            }),
        }),
    );
    match lead_popup(&state) {
        Some(Popup::Form(form)) => {
            assert_eq!(
                form.error.as_deref(),
                Some("You are not allowed to do that")
            );
            assert!(form.saving.is_none());
        }
        other => panic!("the form must stay open, got {other:?}"),
    }
    assert_eq!(
        form_value(&state, FieldId::Content).as_deref(),
        Some("Loved the view.")
    );
    assert_eq!(
        form_value(&state, FieldId::Subject).as_deref(),
        Some("Walkthrough")
    );
    assert_eq!(
        form_value(&state, FieldId::Kind).as_deref(),
        Some("meeting")
    );
    insta::assert_snapshot!("capture_failed", render(&state, 100, 30).backend());
    // Saving again sends the same content.
    let fx = update(&mut state, ctrl('s'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::LogInteraction { interaction, .. }] if interaction.content.as_deref() == Some("Loved the view.")
    ));
}

#[test]
fn a_saved_call_offers_the_follow_up_task() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('c'));
    update(&mut state, ch('c'));
    update(&mut state, ch('o'));
    typed(&mut state, "voicemail");
    let fx = update(&mut state, ctrl('s'));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::LogInteraction {
                request,
                interaction,
                ..
            },
        ] => {
            assert_eq!(interaction.kind, InteractionKind::Call);
            *request
        }
        other => panic!("expected a log, got {other:?}"),
    };
    let fx = update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Ok(Saved::Interaction {
                kind: InteractionKind::Call,
            }),
        }),
    );
    assert!(load_request(&fx).is_some(), "the lead re-reads");
    assert_eq!(
        form_value(&state, FieldId::Title).as_deref(),
        Some("Follow up with Grace Hopper")
    );
    insta::assert_snapshot!("follow_up", render(&state, 100, 30).backend());
    // Issue 11: `thu 10:00` is typed whole (no quick key picks `t`oday, `h` is no priority),
    // previewed live; Enter to the title, Enter to the priority, Enter saves.
    typed(&mut state, "thu 10:00");
    assert_eq!(
        form_value(&state, FieldId::Due).as_deref(),
        Some("thu 10:00")
    );
    insta::assert_snapshot!("follow_up_preview", render(&state, 100, 30).backend());
    update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::Enter));
    let fx = update(&mut state, key(KeyCode::Enter));
    match lead_effects(&fx).as_slice() {
        [LeadEffect::AddTask { task, lead_id, .. }] => {
            assert_eq!(*lead_id, id(0x1001));
            assert_eq!(task.due_date, Some(date(2025, 3, 20)));
            assert_eq!(task.due_time, chrono::NaiveTime::from_hms_opt(10, 0, 0));
            assert_eq!(task.title, "Follow up with Grace Hopper");
            assert_eq!(task.priority, TaskPriority::Medium);
        }
        other => panic!("expected a task, got {other:?}"),
    }
}

#[test]
fn typed_dates_and_esc_skip_the_follow_up() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('t'));
    typed(&mut state, "Send floor plans");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "2025-04-01");
    let fx = update(&mut state, ctrl('s'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::AddTask { task, .. }] if task.due_date == Some(date(2025, 4, 1))
    ));
    // A bad date is an inline error, nothing is sent.
    let mut state = lead_open(100, 30);
    update(&mut state, ch('t'));
    typed(&mut state, "x");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "2025-13-45");
    let fx = update(&mut state, ctrl('s'));
    assert!(lead_effects(&fx).is_empty());
    match lead_popup(&state) {
        Some(Popup::Form(form)) => {
            assert!(
                form.field(FieldId::Due)
                    .and_then(|f| f.error.as_ref())
                    .is_some()
            );
            assert_eq!(form.focused().map(|f| f.id), Some(FieldId::Due));
        }
        other => panic!("{other:?}"),
    }
    // Esc on a dirty form asks first.
    update(&mut state, key(KeyCode::Esc));
    assert!(lead_popup(&state).is_some());
    update(&mut state, key(KeyCode::Esc));
    assert!(lead_popup(&state).is_none());
}

#[test]
fn conflict_resolution_saves_the_chosen_values_with_the_new_version() {
    let (mut state, _) = conflict_state();
    let rows: Vec<(FieldId, bool)> = match lead_popup(&state) {
        Some(Popup::Conflict(p)) => p.rows.iter().map(|r| (r.field, r.take_mine)).collect(),
        other => panic!("expected the conflict prompt, got {other:?}"),
    };
    // Email: both changed (mine by default); phone: only they changed (theirs); company: only
    // I changed (mine).
    assert_eq!(
        rows,
        [
            (FieldId::Email, true),
            (FieldId::Phone, false),
            (FieldId::Company, true)
        ]
    );
    // Take their email, keep the rest as offered.
    update(&mut state, ch('t'));
    let fx = update(&mut state, key(KeyCode::Enter));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::UpdateLead {
                request,
                version,
                fields,
                ..
            },
        ] => {
            assert_eq!(*version, 4, "saved against their version");
            assert_eq!(fields.email, "g.hopper@navy.mil");
            assert_eq!(fields.phone, "+1 555 0199");
            assert_eq!(fields.company, "Hopper Consulting");
            assert_eq!(fields.name, "Grace Hopper");
            *request
        }
        other => panic!("expected an update, got {other:?}"),
    };
    let fx = update(
        &mut state,
        Action::Lead(LeadAction::Updated {
            request,
            result: Ok(UpdateReply::Saved { version: 5 }),
        }),
    );
    assert!(lead_popup(&state).is_none());
    assert!(load_request(&fx).is_some());

    // "All mine" keeps every typed value.
    let (mut state, _) = conflict_state();
    update(&mut state, ch('M'));
    let fx = update(&mut state, ctrl('s'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::UpdateLead { fields, version: 4, .. }]
            if fields.email == "grace@hopper.dev" && fields.phone == "+1 555 0100"
    ));
    // "All theirs" is their saved version: nothing to write, the prompt closes (issue 11).
    let (mut state, _) = conflict_state();
    update(&mut state, ch('T'));
    let fx = update(&mut state, ctrl('s'));
    assert!(
        !lead_effects(&fx)
            .iter()
            .any(|e| matches!(e, LeadEffect::UpdateLead { .. }))
    );
    assert!(lead_popup(&state).is_none());
    // A lead gone meanwhile says so and keeps the form.
    let (mut state, _) = conflict_state();
    let fx = update(&mut state, key(KeyCode::Enter));
    let request = match lead_effects(&fx).as_slice() {
        [LeadEffect::UpdateLead { request, .. }] => *request,
        other => panic!("{other:?}"),
    };
    update(
        &mut state,
        Action::Lead(LeadAction::Updated {
            request,
            result: Ok(UpdateReply::Gone),
        }),
    );
    match lead_popup(&state) {
        Some(Popup::Form(form)) => {
            assert!(form.error.as_deref().is_some_and(|e| e.contains("deleted")));
            assert_eq!(form.raw(FieldId::Company), "Hopper Consulting");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(screen(&state).status, LeadStatus::Gone);
}

#[test]
fn a_deleted_lead_says_so() {
    let mut state = board(100, 20);
    let fx = update(&mut state, key(KeyCode::Enter));
    let rest = drive(&mut state, fx);
    let (request, _) = load_request(&rest).expect("load");
    update(
        &mut state,
        Action::Lead(LeadAction::Loaded {
            request,
            result: Ok(None),
        }),
    );
    let text = screen_text(&render(&state, 100, 20));
    assert!(text.contains("deleted or is no longer visible"), "{text}");
    update(&mut state, ch('c'));
    assert!(lead_popup(&state).is_none());
}

#[test]
fn editor_round_trip_and_task_keys() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('c'));
    for _ in 0..5 {
        update(&mut state, key(KeyCode::Tab));
    }
    let fx = update(&mut state, ctrl('e'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::ExternalEdit {
            field: FieldId::Content,
            ..
        }]
    ));
    update(
        &mut state,
        Action::Lead(LeadAction::Edited {
            field: FieldId::Content,
            result: Ok("A long note\nfrom the editor\n".to_string()),
            size: Some((90, 28)),
        }),
    );
    assert_eq!(state.size, (90, 28));
    assert_eq!(
        form_value(&state, FieldId::Content).as_deref(),
        Some("A long note\nfrom the editor")
    );
    update(&mut state, key(KeyCode::Esc));
    update(&mut state, key(KeyCode::Esc));

    // Tasks tab: x completes the selected (overdue) task, R reschedules it.
    update(&mut state, ch('3'));
    let fx = update(&mut state, ch('x'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::CompleteTask { task_id, .. }] if *task_id == id(0x6002)
    ));
    // `w` is the parser's "next week": next Monday (typing replaces the date shown).
    update(&mut state, ch('R'));
    update(&mut state, ch('w'));
    let fx = update(&mut state, key(KeyCode::Enter));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::RescheduleTask {
                request,
                task_id,
                due_date,
                ..
            },
        ] => {
            assert_eq!(*task_id, id(0x6002));
            assert_eq!(*due_date, Some(date(2025, 3, 17)));
            *request
        }
        other => panic!("expected a reschedule, got {other:?}"),
    };
    update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Ok(Saved::Rescheduled { version: 2 }),
        }),
    );
    assert!(lead_popup(&state).is_none());

    // Deals: Enter edits the selected deal with its version.
    update(&mut state, ch('4'));
    update(&mut state, key(KeyCode::Enter));
    // The amount comes with its currency, so an edit never changes it unseen.
    assert_eq!(
        form_value(&state, FieldId::Amount).as_deref(),
        Some("640000 USD")
    );
    // Saving it unchanged sends nothing.
    let fx = update(&mut state, ctrl('s'));
    assert!(lead_effects(&fx).is_empty());
    assert!(lead_popup(&state).is_none());
    // Only what changed is sent, against the deal's version.
    update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ch('c'));
    update(&mut state, ctrl('u'));
    typed(&mut state, "75");
    let fx = update(&mut state, ctrl('s'));
    match lead_effects(&fx).as_slice() {
        [
            LeadEffect::UpdateDeal {
                deal_id,
                version,
                changes,
                ..
            },
        ] => {
            assert_eq!((*deal_id, *version), (id(0x8001), 2));
            assert_eq!(
                *changes,
                DealChanges {
                    stage: Some("closing".to_string()),
                    probability: Some(75),
                    ..DealChanges::default()
                }
            );
        }
        other => panic!("expected a deal update, got {other:?}"),
    }
}

#[test]
fn documents_open_only_safe_targets() {
    let mut state = lead_open(100, 24);
    update(&mut state, ch('5'));
    let fx = update(&mut state, ch('o'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::Open { target }] if target == "https://files.example.com/contract-12B.pdf"
    ));
    for bad in [
        "--help",
        "javascript:alert(1)",
        "; rm -rf /",
        "file\u{1b}[2J",
    ] {
        assert!(closer::state::lead::openable(bad).is_err(), "{bad}");
    }
    // Attaching a URL (the worker takes the name from it).
    update(&mut state, ch('a'));
    typed(&mut state, "https://files.example.com/brochure.pdf?x=1");
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ch('b'));
    let fx = update(&mut state, ctrl('s'));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::AddDocument { document, .. }]
            if document.location == "https://files.example.com/brochure.pdf?x=1"
                && document.file_name.is_none()
                && document.document_type == DocumentType::Brochure
    ));
}

#[test]
fn tags_add_and_remove() {
    let mut state = lead_open(100, 24);
    update(&mut state, ch('T'));
    typed(&mut state, "hot #ff8800");
    let fx = update(&mut state, key(KeyCode::Enter));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::AddTag {
                request,
                tag,
                color,
                ..
            },
        ] => {
            assert_eq!((tag.as_str(), color.as_str()), ("hot", "#ff8800"));
            *request
        }
        other => panic!("{other:?}"),
    };
    update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Ok(Saved::Tag(LeadTag {
                id: id(0x7003),
                tag: "hot".to_string(),
                color: "#ff8800".to_string(),
            })),
        }),
    );
    update(&mut state, key(KeyCode::Up));
    update(&mut state, key(KeyCode::Up));
    let fx = update(&mut state, key(KeyCode::Delete));
    assert!(matches!(
        lead_effects(&fx).as_slice(),
        [LeadEffect::RemoveTag { tag_id, .. }] if *tag_id == id(0x7001)
    ));
    // A duplicate is refused before it is sent.
    typed(&mut state, "investor");
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(lead_effects(&fx).is_empty());
}

#[test]
fn timeline_filter_and_expand() {
    let mut state = lead_open(100, 24);
    update(&mut state, ch('f'));
    update(&mut state, ch('c'));
    assert_eq!(screen(&state).tab, Tab::Timeline);
    assert_eq!(screen(&state).timeline().len(), 1);
    update(&mut state, ch('f'));
    update(&mut state, ch('v'));
    assert_eq!(screen(&state).timeline().len(), 2);
    update(&mut state, ch('f'));
    update(&mut state, ch('a'));
    assert_eq!(screen(&state).timeline().len(), 6);
    update(&mut state, ch('j'));
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(screen(&state).expanded, Some(id(0x5002)));
    update(&mut state, key(KeyCode::Enter));
    assert_eq!(screen(&state).expanded, None);
}

#[test]
fn choice_fields_render_the_selection() {
    let mut state = lead_open(100, 30);
    update(&mut state, ch('c'));
    match lead_popup(&state) {
        Some(Popup::Form(form)) => match &form.fields[0].value {
            FieldValue::Choice { selected, .. } => assert_eq!(*selected, 1, "call by default"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn forms_confirm_and_cancel_with_the_keys_in_effect() {
    let user = closer::config::keymap::KeysSection::new("test")
        .bind("confirm", &["ctrl-y"])
        .bind("cancel", &["ctrl-g"]);
    let mut state = lead_open(100, 30);
    state.keymap = Keymap::from_config(&user).expect("valid");
    update(&mut state, ch('t'));
    let focus = |state: &State| match lead_popup(state) {
        Some(Popup::Form(form)) => form.focus,
        other => panic!("the task form is open, got {other:?}"),
    };
    assert_eq!(focus(&state), 0);
    update(&mut state, ctrl('y'));
    assert_eq!(
        focus(&state),
        1,
        "the rebound confirm key moves to the next field"
    );
    update(&mut state, key(KeyCode::Esc));
    assert!(
        lead_popup(&state).is_some(),
        "esc no longer closes the form"
    );
    update(&mut state, ctrl('g'));
    assert!(lead_popup(&state).is_none(), "ctrl-g closes it");
}

#[test]
fn popup_moves_and_conflict_choices_follow_the_keys_in_effect() {
    // Issue 15: popups read their keys from the keymap, so they can be rebound.
    let user = closer::config::keymap::KeysSection::new("test")
        .bind("next_field", &["ctrl-j"])
        .bind("take_theirs", &["x"]);
    let mut state = lead_open(100, 30);
    state.keymap = Keymap::from_config(&user).expect("valid");
    update(&mut state, ch('t'));
    let focus = |state: &State| match lead_popup(state) {
        Some(Popup::Form(form)) => form.focus,
        other => panic!("the task form is open, got {other:?}"),
    };
    update(&mut state, key(KeyCode::Tab));
    assert_eq!(focus(&state), 0, "Tab is no longer next_field");
    update(&mut state, ctrl('j'));
    assert_eq!(focus(&state), 1, "ctrl-j is");

    let (mut state, _) = conflict_state();
    state.keymap = Keymap::from_config(&user).expect("valid");
    let email_is_mine = |state: &State| match lead_popup(state) {
        Some(Popup::Conflict(p)) => p.rows[0].take_mine,
        other => panic!("expected the conflict prompt, got {other:?}"),
    };
    update(&mut state, ch('t'));
    assert!(email_is_mine(&state), "t is unbound now");
    update(&mut state, ch('x'));
    assert!(
        !email_is_mine(&state),
        "x keeps theirs (the editor's x is another popup's)"
    );
}
