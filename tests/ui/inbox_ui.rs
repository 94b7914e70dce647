//! Task inbox: reducer behaviour (keys → commands → state and effects) and insta snapshots of
//! whole frames drawn to a `TestBackend`. No database: data results are fed in by hand, with a
//! fixed `now` (Friday 2025-03-14 12:00 UTC, the rep in UTC).

use super::harness::{ch, ctrl, find_text, key, render, render_with, screen_text, state};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use closer::config::keymap::Command;
use closer::config::theme::Theme;
use closer::data::models::{LeadHit, TaskPriority, TaskRow, TaskStatus};
use closer::state::inbox::{
    Assignee, Facts, GroupKind, InboxAction, InboxData, InboxEffect, InboxScreen, Popup,
    SnoozeChoice, TriageStep, UndoToken, View,
};
use closer::state::{
    Action, BoardEffect, Effect, Failure, MessageKind, Screen, State, Viewer, update,
};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
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

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).expect("valid date")
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("valid time")
}

const ME: u128 = 0xA1;
const TONY: u128 = 0xA2;

struct T<'a> {
    n: u128,
    title: &'a str,
    lead: &'a str,
    stage: &'a str,
    due: Option<NaiveDate>,
    at: Option<NaiveTime>,
    priority: TaskPriority,
    who: u128,
}

fn task(t: T<'_>) -> TaskRow {
    TaskRow {
        id: id(0x2000 + t.n),
        lead_id: id(0x1000 + t.n % 5),
        lead_name: t.lead.to_string(),
        stage_name: t.stage.to_string(),
        title: t.title.to_string(),
        description: None,
        due_date: t.due,
        due_time: t.at,
        priority: t.priority,
        status: TaskStatus::Pending,
        assigned_to: Some(id(t.who)),
        assignee_name: Some(if t.who == ME {
            "Ada Lovelace".to_string()
        } else {
            "Tony Hoare".to_string()
        }),
        completed_at: None,
        version: 1,
    }
}

fn overdue_tasks() -> Vec<TaskRow> {
    vec![
        task(T {
            n: 1,
            title: "Call back about financing",
            lead: "Grace Hopper",
            stage: "Qualified",
            due: Some(date(3, 11)),
            at: None,
            priority: TaskPriority::High,
            who: ME,
        }),
        task(T {
            n: 2,
            title: "Send the revised offer",
            lead: "Alan Turing",
            stage: "Contacted",
            due: Some(date(3, 13)),
            at: None,
            priority: TaskPriority::Medium,
            who: ME,
        }),
        task(T {
            n: 3,
            title: "Morning check-in call",
            lead: "Barbara Liskov",
            stage: "New",
            due: Some(date(3, 14)),
            at: Some(time(9, 30)),
            priority: TaskPriority::Low,
            who: ME,
        }),
    ]
}

fn today_tasks() -> Vec<TaskRow> {
    vec![
        task(T {
            n: 4,
            title: "Viewing at Elm Street 12",
            lead: "Donald Knuth",
            stage: "Qualified",
            due: Some(date(3, 14)),
            at: Some(time(15, 0)),
            priority: TaskPriority::High,
            who: ME,
        }),
        task(T {
            n: 5,
            title: "Prepare the contract draft",
            lead: "Edsger Dijkstra",
            stage: "Negotiation",
            due: Some(date(3, 14)),
            at: None,
            priority: TaskPriority::Medium,
            who: ME,
        }),
    ]
}

fn upcoming_tasks() -> Vec<TaskRow> {
    vec![
        task(T {
            n: 6,
            title: "Follow up on the mortgage pre-approval",
            lead: "Margaret Hamilton",
            stage: "Contacted",
            due: Some(date(3, 17)),
            at: None,
            priority: TaskPriority::Medium,
            who: ME,
        }),
        task(T {
            n: 7,
            title: "Quarterly review",
            lead: "Ken Thompson",
            stage: "Won",
            due: Some(date(4, 2)),
            at: Some(time(10, 0)),
            priority: TaskPriority::Low,
            who: ME,
        }),
    ]
}

fn no_date_tasks() -> Vec<TaskRow> {
    vec![task(T {
        n: 8,
        title: "Ask for a referral",
        lead: "Frances Allen",
        stage: "Won",
        due: None,
        at: None,
        priority: TaskPriority::Low,
        who: ME,
    })]
}

fn completed_tasks() -> Vec<TaskRow> {
    let mut t = task(T {
        n: 9,
        title: "Book the photographer",
        lead: "Grace Hopper",
        stage: "Qualified",
        due: Some(date(3, 14)),
        at: None,
        priority: TaskPriority::Medium,
        who: ME,
    });
    t.status = TaskStatus::Completed;
    t.completed_at = Some(now() - chrono::Duration::hours(2));
    vec![t]
}

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).expect("offset")
}

pub(crate) fn mixed() -> InboxData {
    InboxData::new(
        vec![
            (GroupKind::Overdue, overdue_tasks()),
            (GroupKind::Today, today_tasks()),
            (GroupKind::Upcoming, upcoming_tasks()),
            (GroupKind::NoDate, no_date_tasks()),
            (GroupKind::Completed, completed_tasks()),
        ],
        utc(),
    )
}

fn new_state(width: u16, height: u16) -> State {
    state(
        Viewer {
            organization: "Acme Realty".to_string(),
            person: "Ada Lovelace".to_string(),
        },
        now(),
        width,
        height,
    )
}

fn load_request(fx: &[Effect]) -> Option<(u64, View)> {
    fx.iter().find_map(|e| match e {
        Effect::Inbox(InboxEffect::Load { request, view, .. }) => Some((*request, *view)),
        _ => None,
    })
}

/// The inbox opened and loaded with `data`.
fn inbox(data: InboxData, width: u16, height: u16) -> State {
    let mut state = new_state(width, height);
    let fx = update(&mut state, Action::Command(Command::OpenInbox));
    let (request, view) = load_request(&fx).expect("opening the inbox reads it");
    assert_eq!(view, View::Mine);
    update(
        &mut state,
        Action::Inbox(InboxAction::Loaded {
            request,
            result: Ok(data),
        }),
    );
    state
}

fn screen(state: &State) -> &InboxScreen {
    match &state.screen {
        Screen::Inbox(s) => s,
        other => panic!("not the inbox: {other:?}"),
    }
}

fn typed(state: &mut State, text: &str) -> Vec<Effect> {
    let mut fx = Vec::new();
    for c in text.chars() {
        fx.extend(update(state, ch(c)));
    }
    fx
}

fn selected_title(state: &State) -> Option<String> {
    screen(state).current().map(|t| t.title.clone())
}

fn complete_effect(fx: &[Effect]) -> Option<(u64, Vec<Uuid>)> {
    fx.iter().find_map(|e| match e {
        Effect::Inbox(InboxEffect::Complete { request, ids, .. }) => Some((*request, ids.clone())),
        _ => None,
    })
}

fn written(request: u64, undo: Option<UndoToken>) -> Action {
    Action::Inbox(InboxAction::Written {
        request,
        result: Ok(undo),
    })
}

fn token(ids: &[Uuid]) -> UndoToken {
    UndoToken(ids.iter().map(|id| (*id, TaskStatus::Pending)).collect())
}

fn loads_overdue(fx: &[Effect]) -> bool {
    fx.iter().any(|e| matches!(e, Effect::LoadOverdue { .. }))
}

// ---------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------

#[test]
fn snapshot_loading_then_empty_inbox() {
    let mut state = new_state(90, 16);
    let fx = update(&mut state, Action::Command(Command::OpenInbox));
    let (request, _) = load_request(&fx).expect("a read");
    assert!(
        loads_overdue(&fx),
        "opening also refreshes the overdue count"
    );
    let text = screen_text(&render(&state, 90, 16));
    assert!(text.contains("Loading tasks"), "{text}");
    update(
        &mut state,
        Action::Inbox(InboxAction::Loaded {
            request,
            result: Ok(InboxData::new(Vec::new(), utc())),
        }),
    );
    insta::assert_snapshot!("empty_inbox", render(&state, 90, 16).backend());
}

#[test]
fn snapshot_only_overdue() {
    let data = InboxData::new(vec![(GroupKind::Overdue, overdue_tasks())], utc());
    let mut state = inbox(data, 100, 14);
    state.overdue = Some(3);
    insta::assert_snapshot!("only_overdue", render(&state, 100, 14).backend());
}

#[test]
fn snapshot_mixed_with_styles() {
    let mut state = inbox(mixed(), 110, 24);
    state.overdue = Some(3);
    update(&mut state, ch('j'));
    assert_eq!(
        selected_title(&state).as_deref(),
        Some("Send the revised offer")
    );
    let theme = Theme::default();
    let terminal = render_with(&state, 110, 24, &theme);
    insta::assert_snapshot!("mixed", terminal.backend());
    super::pictures::check("inbox", &terminal);
    let buf = terminal.backend().buffer();
    // The selected row has the selected background across the row.
    let (_, y) = find_text(&terminal, "Send the revised offer").expect("selected row");
    for x in 0..110 {
        assert_eq!(buf[(x, y)].bg, theme.selected_bg, "cell {x},{y}");
    }
    // Overdue due dates are in the overdue colour, also on the selected row.
    let (x, y) = find_text(&terminal, "yesterday").expect("overdue due");
    assert_eq!(buf[(x, y)].fg, theme.overdue);
    assert_eq!(buf[(x, y)].bg, theme.selected_bg);
    let (x, y) = find_text(&terminal, "3d overdue").expect("overdue due");
    assert_eq!(buf[(x, y)].fg, theme.overdue);
    assert_eq!(buf[(x, y)].bg, Color::Reset);
    // A task due today at a time already past is overdue too.
    let (x, y) = find_text(&terminal, "today 09:30").expect("past time today");
    assert_eq!(buf[(x, y)].fg, theme.overdue);
    // Later today is not.
    let (x, y) = find_text(&terminal, "today 15:00").expect("later today");
    assert_ne!(buf[(x, y)].fg, theme.overdue);
    // The status bar shows the overdue count everywhere.
    let (x, y) = find_text(&terminal, "3 overdue  ").expect("status bar count");
    assert_eq!(y, 23);
    assert_eq!(buf[(x, y)].fg, theme.overdue);

    // Completed tasks expand with C.
    update(&mut state, ch('C'));
    insta::assert_snapshot!("mixed_completed", render(&state, 110, 24).backend());
}

#[test]
fn no_color_keeps_selection_and_overdue_visible() {
    let state = inbox(mixed(), 100, 20);
    let terminal = render_with(&state, 100, 20, &Theme::plain());
    let buf = terminal.backend().buffer();
    let (x, y) = find_text(&terminal, "Call back about financing").expect("selected row");
    assert!(
        buf[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    let (x, y) = find_text(&terminal, "yesterday").expect("overdue due");
    assert!(
        buf[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::BOLD)
    );
}

fn team_data() -> InboxData {
    let mut overdue = overdue_tasks();
    let mut today = today_tasks();
    let mut upcoming = upcoming_tasks();
    overdue[1].assigned_to = Some(id(TONY));
    overdue[1].assignee_name = Some("Tony Hoare".to_string());
    today[0].assigned_to = Some(id(TONY));
    today[0].assignee_name = Some("Tony Hoare".to_string());
    upcoming[0].assigned_to = None;
    upcoming[0].assignee_name = None;
    InboxData::new(
        vec![
            (GroupKind::Overdue, overdue),
            (GroupKind::Today, today),
            (GroupKind::Upcoming, upcoming),
        ],
        utc(),
    )
}

#[test]
fn snapshot_team_view_grouped_by_person() {
    let mut state = inbox(mixed(), 100, 24);
    let fx = update(&mut state, ch('w'));
    let (request, view) = load_request(&fx).expect("the team view reads again");
    assert_eq!(view, View::Team);
    update(
        &mut state,
        Action::Inbox(InboxAction::Loaded {
            request,
            result: Ok(team_data()),
        }),
    );
    let text = screen_text(&render(&state, 100, 24));
    let ada = text.find("Ada Lovelace  ").expect("Ada's section");
    let tony = text.find("Tony Hoare").expect("Tony's section");
    let nobody = text.find("Unassigned").expect("unassigned last");
    assert!(ada < tony && tony < nobody, "{text}");
    insta::assert_snapshot!("team_view", render(&state, 100, 24).backend());
    // Back to my tasks.
    let fx = update(&mut state, ch('w'));
    assert_eq!(load_request(&fx).map(|(_, v)| v), Some(View::Mine));
}

#[test]
fn snapshot_bulk_selection() {
    let mut state = inbox(mixed(), 100, 20);
    update(&mut state, key(KeyCode::Char(' ')));
    update(&mut state, key(KeyCode::Char(' ')));
    assert_eq!(screen(&state).marked.len(), 2);
    assert_eq!(
        selected_title(&state).as_deref(),
        Some("Morning check-in call")
    );
    insta::assert_snapshot!("bulk_selection", render(&state, 100, 20).backend());
}

#[test]
fn snapshot_triage() {
    let mut state = inbox(mixed(), 100, 20);
    let fx = update(&mut state, ch('t'));
    let (request, lead_id) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inbox(InboxEffect::LoadFacts { request, lead_id }) => {
                Some((*request, *lead_id))
            }
            _ => None,
        })
        .expect("triage reads the lead's key facts");
    assert_eq!(lead_id, id(0x1001));
    update(
        &mut state,
        Action::Inbox(InboxAction::FactsLoaded {
            request,
            lead_id,
            result: Ok(Facts {
                lead_name: "Grace Hopper".to_string(),
                rows: vec![
                    ("Stage".to_string(), "Qualified".to_string()),
                    ("Phone".to_string(), "+1 555 0100".to_string()),
                    ("Email".to_string(), "grace@navy.example".to_string()),
                    ("Last contact".to_string(), "3 days ago".to_string()),
                    ("Open deals".to_string(), "1 · 450,000".to_string()),
                ],
            }),
        }),
    );
    insta::assert_snapshot!("triage", render(&state, 100, 20).backend());
    super::pictures::check("triage", &render(&state, 100, 20));
}

#[test]
fn snapshot_triage_inbox_zero() {
    let data = InboxData::new(
        vec![(GroupKind::Overdue, overdue_tasks()[..1].to_vec())],
        utc(),
    );
    let mut state = inbox(data, 90, 16);
    update(&mut state, ch('t'));
    let fx = update(&mut state, ch('x'));
    assert!(complete_effect(&fx).is_some());
    let text = screen_text(&render(&state, 90, 16));
    assert!(text.contains("Inbox zero"), "{text}");
    insta::assert_snapshot!("triage_inbox_zero", render(&state, 90, 16).backend());
}

#[test]
fn snapshot_popups() {
    let mut state = inbox(mixed(), 90, 22);
    update(&mut state, ch('z'));
    insta::assert_snapshot!("snooze_menu", render(&state, 90, 22).backend());
    update(&mut state, ch('d'));
    typed(&mut state, "mon 9:30");
    insta::assert_snapshot!("snooze_date", render(&state, 90, 22).backend());
    update(&mut state, key(KeyCode::Esc));

    update(&mut state, ch('A'));
    let request = match &screen(&state).teammates {
        closer::state::inbox::Assignees::Loading(r) => *r,
        other => panic!("teammates are read: {other:?}"),
    };
    update(
        &mut state,
        Action::Inbox(InboxAction::TeammatesLoaded {
            request,
            result: Ok(vec![
                Assignee {
                    id: id(TONY),
                    name: "Tony Hoare".to_string(),
                    me: false,
                },
                Assignee {
                    id: id(ME),
                    name: "Ada Lovelace".to_string(),
                    me: true,
                },
            ]),
        }),
    );
    insta::assert_snapshot!("reassign_picker", render(&state, 90, 22).backend());
    update(&mut state, key(KeyCode::Esc));

    update(&mut state, ch('a'));
    typed(&mut state, "Send floor plans");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "tue");
    insta::assert_snapshot!("new_task", render(&state, 90, 22).backend());
}

#[test]
fn snapshot_hostile_text() {
    let mut tasks = overdue_tasks();
    tasks[0].title = "\u{1b}[31mRed\u{1b}[0m \u{1b}]0;pwned\u{7}Alert\r\nnext".to_string();
    tasks[0].lead_name = "\u{9b}2J Mallory".to_string();
    tasks[1].title = "\u{202E}txet desrever\u{202C} مرحبا بالعالم".to_string();
    tasks[1].lead_name = "שלום עולם".to_string();
    tasks[2].title =
        "Zero\u{200B}Width\u{200D}Join\u{FEFF}er 👩\u{200D}👩\u{200D}👧 🙂🙂".to_string();
    tasks[2].stage_name = "\u{1b}[2J".to_string();
    let mut today = today_tasks();
    today[0].title = "张伟张伟张伟张伟张伟张伟张伟张伟张伟张伟张伟张伟张伟张伟张伟张伟".to_string();
    today[0].lead_name = "株式会社テスト株式会社テスト".to_string();
    let data = InboxData::new(
        vec![(GroupKind::Overdue, tasks), (GroupKind::Today, today)],
        utc(),
    );
    let mut state = inbox(data, 100, 14);
    let check = |terminal: &Terminal<TestBackend>| {
        for cell in terminal.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "{:?}",
                cell.symbol()
            );
            assert!(!cell.symbol().contains('\u{202E}'));
            assert!(!cell.symbol().contains('\u{200B}'));
        }
    };
    let terminal = render(&state, 100, 14);
    check(&terminal);
    insta::assert_snapshot!("hostile_text", terminal.backend());
    // Triage and the edit form show the same text safely.
    update(&mut state, ch('t'));
    check(&render(&state, 100, 14));
    update(&mut state, key(KeyCode::Esc));
    update(&mut state, ch('e'));
    check(&render(&state, 100, 14));
}

#[test]
fn survives_tiny_terminals_and_resizes() {
    let base = inbox(mixed(), 80, 24);
    let scenarios: Vec<Vec<Action>> = vec![
        vec![],
        vec![ch('C')],
        vec![ch('?')],
        vec![ch('t')],
        vec![ch('t'), ch('x'), ch('x'), ch('x'), ch('x'), ch('x')],
        vec![ch('z')],
        vec![ch('z'), ch('d'), ch('x')],
        vec![ch('R')],
        vec![ch('P')],
        vec![ch('A')],
        vec![ch('e')],
        vec![ch('a'), ch('x')],
        vec![ch('G'), key(KeyCode::Char(' ')), ch('V')],
        vec![ch('w')],
    ];
    for actions in scenarios {
        let mut s = base.clone();
        for a in actions {
            update(&mut s, a);
        }
        for w in (0..60).step_by(3).chain([20]) {
            for h in (0..22).step_by(2).chain([5]) {
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
    }
    let mut s = base;
    update(
        &mut s,
        Action::Resize {
            width: 20,
            height: 5,
        },
    );
    let text = screen_text(&render(&s, 20, 5));
    assert!(text.contains("too small"), "{text}");
    // Scrolling keeps the selection visible in a short terminal.
    update(
        &mut s,
        Action::Resize {
            width: 80,
            height: 10,
        },
    );
    for _ in 0..7 {
        update(&mut s, ch('j'));
    }
    let title = selected_title(&s).expect("a task is selected");
    let text = screen_text(&render(&s, 80, 10));
    assert!(text.contains(&title), "{title} not visible:\n{text}");
}

// ---------------------------------------------------------------------------
// Reducers
// ---------------------------------------------------------------------------

#[test]
fn inbox_is_reachable_and_the_start_screen() {
    let mut state = new_state(80, 24);
    let fx = update(&mut state, ch('i'));
    assert!(matches!(state.screen, Screen::Inbox(_)));
    assert!(load_request(&fx).is_some());
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.screen, Screen::Board);

    // Started on the inbox: the first effects read it (and the board in the background).
    let mut state = new_state(80, 24);
    state.screen = Screen::Inbox(InboxScreen::default());
    let fx = state.start();
    assert!(matches!(
        fx.first(),
        Some(Effect::Inbox(InboxEffect::Load { .. }))
    ));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Board(BoardEffect::Load { .. })))
    );
    assert!(loads_overdue(&fx));
}

#[test]
fn groups_sort_by_priority_then_due() {
    let state = inbox(mixed(), 100, 30);
    let s = screen(&state);
    let titles: Vec<&str> = s
        .task_ids()
        .iter()
        .filter_map(|id| s.data.find(*id))
        .map(|(_, t)| t.title.as_str())
        .collect();
    assert_eq!(
        titles,
        vec![
            "Call back about financing",
            "Send the revised offer",
            "Morning check-in call",
            "Viewing at Elm Street 12",
            "Prepare the contract draft",
            "Follow up on the mortgage pre-approval",
            "Quarterly review",
            "Ask for a referral",
        ],
        "completed tasks stay collapsed"
    );
}

#[test]
fn complete_is_optimistic_and_sends_one_effect() {
    let mut state = inbox(mixed(), 100, 24);
    state.overdue = Some(3);
    let fx = update(&mut state, ch('x'));
    let (_, ids) = complete_effect(&fx).expect("a complete effect");
    assert_eq!(ids, vec![id(0x2001)]);
    let s = screen(&state);
    assert_eq!(s.data.count(GroupKind::Overdue), 2);
    assert_eq!(s.data.count(GroupKind::Completed), 2);
    assert_eq!(
        s.data.find(id(0x2001)).map(|(k, t)| (k, t.status)),
        Some((GroupKind::Completed, TaskStatus::Completed))
    );
    // The cursor stays in place: on the next task.
    assert_eq!(
        selected_title(&state).as_deref(),
        Some("Send the revised offer")
    );
    // The status bar count drops at once.
    assert_eq!(state.overdue, Some(2));
    assert!(
        matches!(&state.message, Some(m) if m.kind == MessageKind::Info && m.text.contains("Done"))
    );
}

#[test]
fn a_write_result_refreshes_the_inbox_and_the_overdue_count() {
    let mut state = inbox(mixed(), 100, 24);
    let fx = update(&mut state, ch('x'));
    let (request, ids) = complete_effect(&fx).expect("complete");
    let fx = update(&mut state, written(request, Some(token(&ids))));
    assert!(load_request(&fx).is_some(), "re-read after the write");
    assert!(loads_overdue(&fx), "the overdue count after every write");
}

#[test]
fn undo_reopens_the_last_completion() {
    let mut state = inbox(mixed(), 100, 24);
    state.overdue = Some(3);
    let fx = update(&mut state, ch('x'));
    let (request, ids) = complete_effect(&fx).expect("complete");
    update(&mut state, written(request, Some(token(&ids))));
    let fx = update(&mut state, ch('u'));
    let undo = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inbox(InboxEffect::Undo { undo, .. }) => Some(undo.clone()),
            _ => None,
        })
        .expect("an undo effect");
    assert_eq!(undo, token(&ids));
    let s = screen(&state);
    assert_eq!(s.data.count(GroupKind::Overdue), 3);
    assert_eq!(
        s.data.find(id(0x2001)).map(|(k, _)| k),
        Some(GroupKind::Overdue)
    );
    assert_eq!(
        selected_title(&state).as_deref(),
        Some("Call back about financing")
    );
    assert_eq!(state.overdue, Some(3));
    // Only once.
    let fx = update(&mut state, ch('u'));
    assert!(
        fx.iter()
            .all(|e| !matches!(e, Effect::Inbox(InboxEffect::Undo { .. })))
    );
}

#[test]
fn undo_before_the_result_waits_for_it() {
    let mut state = inbox(mixed(), 100, 24);
    let fx = update(&mut state, ch('x'));
    let (request, ids) = complete_effect(&fx).expect("complete");
    let fx = update(&mut state, ch('u'));
    assert!(
        fx.iter()
            .all(|e| !matches!(e, Effect::Inbox(InboxEffect::Undo { .. })))
    );
    let fx = update(&mut state, written(request, Some(token(&ids))));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Inbox(InboxEffect::Undo { .. }))),
        "{fx:?}"
    );
}

#[test]
fn bulk_marks_complete_snooze_and_reassign_together() {
    let mut state = inbox(mixed(), 100, 24);
    update(&mut state, key(KeyCode::Char(' ')));
    update(&mut state, ch('j'));
    update(&mut state, key(KeyCode::Char(' ')));
    let fx = update(&mut state, ch('x'));
    let (_, ids) = complete_effect(&fx).expect("one bulk complete");
    assert_eq!(ids, vec![id(0x2001), id(0x2003)]);
    assert!(screen(&state).marked.is_empty());

    // V marks the cursor's group; a second V unmarks it.
    let mut state = inbox(mixed(), 100, 24);
    for _ in 0..3 {
        update(&mut state, ch('j'));
    }
    assert_eq!(
        selected_title(&state).as_deref(),
        Some("Viewing at Elm Street 12")
    );
    update(&mut state, ch('V'));
    let marked: Vec<Uuid> = screen(&state).marked.iter().copied().collect();
    assert_eq!(marked, vec![id(0x2004), id(0x2005)]);
    update(&mut state, ch('V'));
    assert!(screen(&state).marked.is_empty());

    // Bulk snooze: one effect with every marked task.
    update(&mut state, ch('V'));
    update(&mut state, ch('z'));
    let fx = update(&mut state, ch('3'));
    let (ids, choice) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inbox(InboxEffect::Snooze { ids, choice, .. }) => Some((ids.clone(), *choice)),
            _ => None,
        })
        .expect("a snooze effect");
    assert_eq!(ids, vec![id(0x2004), id(0x2005)]);
    assert_eq!(choice, SnoozeChoice::Days(3));
    assert!(screen(&state).marked.is_empty());

    // Bulk reassign to a teammate; in my view the tasks leave the list.
    let mut state = inbox(mixed(), 100, 24);
    update(&mut state, ch('V'));
    let fx = update(&mut state, ch('A'));
    let request = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inbox(InboxEffect::LoadTeammates { request }) => Some(*request),
            _ => None,
        })
        .expect("teammates are read");
    update(
        &mut state,
        Action::Inbox(InboxAction::TeammatesLoaded {
            request,
            result: Ok(vec![
                Assignee {
                    id: id(ME),
                    name: "Ada Lovelace".to_string(),
                    me: true,
                },
                Assignee {
                    id: id(TONY),
                    name: "Tony Hoare".to_string(),
                    me: false,
                },
            ]),
        }),
    );
    typed(&mut state, "ton");
    let fx = update(&mut state, key(KeyCode::Enter));
    let (ids, to) = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inbox(InboxEffect::Reassign { ids, to, .. }) => Some((ids.clone(), *to)),
            _ => None,
        })
        .expect("a reassign effect");
    assert_eq!(ids, vec![id(0x2001), id(0x2002), id(0x2003)]);
    assert_eq!(to, id(TONY));
    assert_eq!(screen(&state).data.count(GroupKind::Overdue), 0);

    // Issue 11: `u` said "Nothing to undo"; now it puts all three back as they were.
    let fx = update(&mut state, ch('u'));
    let undo = fx
        .iter()
        .find_map(|e| match e {
            Effect::Inbox(InboxEffect::Restore { undo, .. }) => Some(undo.clone()),
            _ => None,
        })
        .expect("a restore effect");
    let back: Vec<(Uuid, Option<Uuid>)> =
        undo.before.iter().map(|b| (b.id, b.assigned_to)).collect();
    let originals: Vec<(Uuid, Option<Uuid>)> = overdue_tasks()
        .iter()
        .map(|t| (t.id, t.assigned_to))
        .collect();
    assert_eq!(back, originals);
    assert_eq!(
        undo.change,
        closer::data::inbox::TaskChange::Assignee(id(TONY))
    );
    let message = state.message.as_ref().map(|m| m.text.clone());
    assert_eq!(
        message.as_deref(),
        Some("Undid: reassigned 3 tasks to Tony Hoare")
    );
}

#[test]
fn esc_clears_marks_before_leaving() {
    let mut state = inbox(mixed(), 100, 24);
    update(&mut state, key(KeyCode::Char(' ')));
    update(&mut state, key(KeyCode::Esc));
    assert!(matches!(state.screen, Screen::Inbox(_)));
    assert!(screen(&state).marked.is_empty());
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.screen, Screen::Board);
}

#[test]
fn triage_works_one_task_at_a_time() {
    let mut state = inbox(mixed(), 100, 24);
    update(&mut state, ch('t'));
    let step = |state: &State| {
        let s = screen(state);
        s.triage.as_ref().map(|t| t.step(s))
    };
    assert_eq!(
        step(&state),
        Some(TriageStep::Working {
            id: id(0x2001),
            position: 1,
            total: 5
        })
    );
    let text = screen_text(&render(&state, 100, 24));
    assert!(text.contains("1 of 5"), "{text}");
    // Done → the next one.
    let fx = update(&mut state, ch('x'));
    assert_eq!(
        complete_effect(&fx).map(|(_, ids)| ids),
        Some(vec![id(0x2001)])
    );
    assert!(matches!(
        step(&state),
        Some(TriageStep::Working { id: i, position: 2, .. }) if i == id(0x2002)
    ));
    // Skip.
    update(&mut state, ch('s'));
    assert!(matches!(
        step(&state),
        Some(TriageStep::Working { id: i, position: 3, .. }) if i == id(0x2003)
    ));
    // Snooze +1 day.
    update(&mut state, ch('z'));
    let fx = update(&mut state, ch('1'));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Inbox(InboxEffect::Snooze { ids, choice: SnoozeChoice::Days(1), .. }) if ids == &vec![id(0x2003)]
    )));
    assert!(matches!(
        step(&state),
        Some(TriageStep::Working { id: i, position: 4, .. }) if i == id(0x2004)
    ));
    // Reschedule by typing a date.
    update(&mut state, ch('R'));
    update(&mut state, ctrl('u'));
    typed(&mut state, "mon");
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Inbox(InboxEffect::Reschedule { id: i, due: Some(d), .. })
            if *i == id(0x2004) && d.date == date(3, 17) && d.time.is_none()
    )));
    assert_eq!(
        screen(&state).data.find(id(0x2004)).map(|(k, _)| k),
        Some(GroupKind::Upcoming)
    );
    update(&mut state, ch('x'));
    assert_eq!(
        step(&state),
        Some(TriageStep::Finished { skipped: 1 }),
        "one task was skipped"
    );
    let text = screen_text(&render(&state, 100, 24));
    assert!(text.contains("1 skipped"), "{text}");
    // t goes through the skipped ones again; done → inbox zero.
    update(&mut state, ch('t'));
    assert!(matches!(step(&state), Some(TriageStep::Working { id: i, .. }) if i == id(0x2002)));
    update(&mut state, ch('x'));
    assert_eq!(step(&state), Some(TriageStep::Finished { skipped: 0 }));
    let t = screen(&state).triage.clone().expect("still in triage");
    assert_eq!((t.done, t.snoozed, t.rescheduled), (3, 1, 1));
    // Esc leaves triage, not the inbox.
    update(&mut state, key(KeyCode::Esc));
    assert!(screen(&state).triage.is_none());
}

#[test]
fn triage_follows_rereads() {
    let mut state = inbox(mixed(), 100, 24);
    let fx = update(&mut state, ch('t'));
    drop(fx);
    // A teammate completed the first task and a new overdue one appeared.
    let mut overdue = overdue_tasks();
    overdue.remove(0);
    overdue.push(task(T {
        n: 10,
        title: "New urgent thing",
        lead: "Grace Hopper",
        stage: "Qualified",
        due: Some(date(3, 12)),
        at: None,
        priority: TaskPriority::Low,
        who: ME,
    }));
    let fx = update(&mut state, Action::Command(Command::Refresh));
    let (request, _) = load_request(&fx).expect("refresh re-reads");
    update(
        &mut state,
        Action::Inbox(InboxAction::Loaded {
            request,
            result: Ok(InboxData::new(
                vec![
                    (GroupKind::Overdue, overdue),
                    (GroupKind::Today, today_tasks()),
                ],
                utc(),
            )),
        }),
    );
    let s = screen(&state);
    let t = s.triage.as_ref().expect("triage");
    assert_eq!(
        t.step(s),
        TriageStep::Working {
            id: id(0x2002),
            position: 1,
            total: 5
        }
    );
    assert_eq!(t.queue.last(), Some(&id(0x200A)));
}

#[test]
fn stale_results_are_ignored() {
    let mut state = inbox(mixed(), 100, 24);
    // A refresh is in flight when the rep completes a task: its answer predates the write.
    let fx = update(&mut state, Action::Command(Command::Refresh));
    let (old_read, _) = load_request(&fx).expect("refresh");
    let fx = update(&mut state, ch('x'));
    let (write, ids) = complete_effect(&fx).expect("complete");
    update(
        &mut state,
        Action::Inbox(InboxAction::Loaded {
            request: old_read,
            result: Ok(mixed()),
        }),
    );
    assert_eq!(
        screen(&state).data.find(id(0x2001)).map(|(k, _)| k),
        Some(GroupKind::Completed),
        "the read from before the write must not undo the optimistic completion"
    );
    // Unknown write ids are ignored.
    let fx = update(&mut state, written(9999, None));
    assert!(fx.iter().all(|e| !matches!(e, Effect::Inbox(_))), "{fx:?}");
    // The write's result re-reads; a still older read is ignored.
    let fx = update(&mut state, written(write, Some(token(&ids))));
    let (new_read, _) = load_request(&fx).expect("re-read after the write");
    assert_ne!(new_read, old_read);
    let mut after = mixed();
    let (_, mut t) = {
        let g = after
            .groups
            .iter_mut()
            .find(|g| g.kind == GroupKind::Overdue)
            .expect("overdue");
        let t = g.tasks.remove(0);
        (GroupKind::Overdue, t)
    };
    t.status = TaskStatus::Completed;
    t.completed_at = Some(now());
    after
        .groups
        .iter_mut()
        .find(|g| g.kind == GroupKind::Completed)
        .expect("completed")
        .tasks
        .push(t);
    update(
        &mut state,
        Action::Inbox(InboxAction::Loaded {
            request: new_read,
            result: Ok(after),
        }),
    );
    assert_eq!(screen(&state).data.count(GroupKind::Overdue), 2);
    // Facts for a lead no longer asked about are dropped.
    let fx = update(
        &mut state,
        Action::Inbox(InboxAction::FactsLoaded {
            request: 12345,
            lead_id: id(0x1001),
            result: Ok(Facts::default()),
        }),
    );
    assert!(fx.is_empty());
    assert!(screen(&state).facts.is_empty());
}

#[test]
fn a_failed_write_says_why_and_rereads() {
    let mut state = inbox(mixed(), 100, 24);
    let fx = update(&mut state, ch('x'));
    let (request, _) = complete_effect(&fx).expect("complete");
    let fx = update(
        &mut state,
        Action::Inbox(InboxAction::Written {
            request,
            result: Err(Failure {
                message: "Someone else changed this task".to_string(),
                connection: false,
            }),
        }),
    );
    assert!(load_request(&fx).is_some(), "the truth is re-read");
    assert!(matches!(&state.message, Some(m) if m.kind == MessageKind::Error));
    // Nothing left to undo.
    update(&mut state, ch('u'));
    assert!(matches!(&state.message, Some(m) if m.text == "Nothing to undo"));
}

#[test]
fn priority_edit_and_new_task() {
    let mut state = inbox(mixed(), 100, 24);
    update(&mut state, ch('j'));
    update(&mut state, ch('P'));
    let fx = update(&mut state, ch('h'));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Inbox(InboxEffect::SetPriority { ids, priority: TaskPriority::High, .. }) if ids == &vec![id(0x2002)]
    )));
    // Optimistically re-sorted; the cursor follows the task.
    assert_eq!(
        selected_title(&state).as_deref(),
        Some("Send the revised offer")
    );

    update(&mut state, ch('e'));
    update(&mut state, ctrl('u'));
    typed(&mut state, "Send the final offer");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "with the parking spot");
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Inbox(InboxEffect::Edit { title, description: Some(d), .. })
            if title == "Send the final offer" && d == "with the parking spot"
    )));
    assert_eq!(
        selected_title(&state).as_deref(),
        Some("Send the final offer")
    );

    // An empty title is refused in the form.
    update(&mut state, ch('e'));
    update(&mut state, ctrl('u'));
    let fx = update(&mut state, ctrl('s'));
    assert!(fx.is_empty());
    assert!(matches!(
        state.popup.as_ref(),
        Some(Popup::Edit { hint: Some(_), .. })
    ));
    update(&mut state, key(KeyCode::Esc));

    // A new task for the selected task's lead.
    update(&mut state, ch('a'));
    typed(&mut state, "Send floor plans");
    update(&mut state, key(KeyCode::Tab));
    typed(&mut state, "tom 14:00");
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ch('h'));
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Inbox(InboxEffect::AddTask { lead_id, title, due: Some(d), priority: TaskPriority::High, .. })
            if *lead_id == id(0x1002) && title == "Send floor plans" && d.date == date(3, 15) && d.time == Some(time(14, 0))
    )), "{fx:?}");

    // Or for another lead, found by name.
    update(&mut state, ch('a'));
    update(&mut state, key(KeyCode::BackTab));
    let fx = typed(&mut state, "ken");
    let request = fx
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::Inbox(InboxEffect::SearchLeads { request, query }) if query == "ken" => {
                Some(*request)
            }
            _ => None,
        })
        .expect("searches as the rep types");
    update(
        &mut state,
        Action::Inbox(InboxAction::LeadsFound {
            request,
            result: Ok(vec![LeadHit {
                id: id(0x1099),
                name: "Ken Thompson".to_string(),
                company: Some("Bell Labs".to_string()),
                stage_id: id(0x101),
                matched: None,
            }]),
        }),
    );
    update(&mut state, key(KeyCode::Enter));
    typed(&mut state, "Call Ken");
    let fx = update(&mut state, ctrl('s'));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Inbox(InboxEffect::AddTask { lead_id, due: None, .. }) if *lead_id == id(0x1099)
    )));
}

#[test]
fn enter_opens_the_lead_and_esc_comes_back() {
    let mut state = inbox(mixed(), 100, 24);
    update(&mut state, ch('t'));
    let fx = update(&mut state, ch('x'));
    let (request, ids) = complete_effect(&fx).expect("complete");
    update(&mut state, written(request, Some(token(&ids))));
    update(&mut state, key(KeyCode::Enter));
    match &state.screen {
        Screen::Lead(lead) => assert_eq!(lead.lead_id, id(0x1002)),
        other => panic!("expected the lead screen, got {other:?}"),
    }
    let fx = update(&mut state, key(KeyCode::Esc));
    let s = screen(&state);
    assert!(s.triage.is_some(), "triage resumes where it was");
    assert!(load_request(&fx).is_some(), "and re-reads");

    // c opens the lead with the call capture form.
    update(&mut state, ch('c'));
    assert!(matches!(state.screen, Screen::Lead(_)));
    assert!(state.popup.is_some(), "the capture form is open");
}

#[test]
fn help_lists_every_inbox_key() {
    let mut state = inbox(mixed(), 100, 40);
    update(&mut state, ch('?'));
    let text = screen_text(&render(&state, 100, 40));
    for needle in [
        "Complete the task",
        "Snooze the task",
        "Triage mode",
        "skip to the next task",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[test]
fn task_popups_confirm_and_cancel_with_the_keys_in_effect() {
    let user = closer::config::keymap::KeysSection::new("test")
        .bind("confirm", &["ctrl-y"])
        .bind("cancel", &["ctrl-g"]);
    let mut state = inbox(mixed(), 90, 22);
    state.keymap = closer::config::keymap::Keymap::from_config(&user).expect("valid");
    update(&mut state, ch('z'));
    update(&mut state, ch('d'));
    let text = screen_text(&render(&state, 90, 22));
    assert!(text.contains("ctrl-y save · ctrl-g cancel"), "{text}");
    // Esc is no longer the popup's cancel key; ctrl-g is.
    update(&mut state, key(KeyCode::Esc));
    assert!(state.popup.is_some(), "esc does not close the date popup");
    update(&mut state, ctrl('g'));
    assert!(state.popup.is_none(), "ctrl-g closes it");
}

/// Issue 10: tasks of won/lost leads are left out by default; `O` asks for them (and back).
#[test]
fn o_toggles_the_tasks_of_closed_leads() {
    let mut state = inbox(mixed(), 110, 24);
    let include = |fx: &[Effect]| {
        fx.iter().find_map(|e| match e {
            Effect::Inbox(InboxEffect::Load { include_closed, .. }) => Some(*include_closed),
            _ => None,
        })
    };
    let fx = update(&mut state, ch('O'));
    assert_eq!(include(&fx), Some(true), "{fx:?}");
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Showing tasks of won/lost leads too")
    );
    let fx = update(&mut state, ch('O'));
    assert_eq!(include(&fx), Some(false), "{fx:?}");
}

/// Issue 12: `f` in the inbox opens the filter bar on tasks; Enter re-reads the inbox with the
/// filter (the exact totals come with it) and the status bar shows the active filter.
#[test]
fn the_inbox_filter_is_applied_and_always_visible() {
    let mut state = inbox(mixed(), 100, 16);
    update(&mut state, ch('f'));
    typed(&mut state, "overdue");
    insta::assert_snapshot!("inbox_filter_bar", render(&state, 100, 16).backend());
    let fx = update(&mut state, key(KeyCode::Enter));
    let load = fx.iter().find_map(|e| match e {
        Effect::Inbox(InboxEffect::Load {
            request, filter, ..
        }) => Some((*request, filter.to_string())),
        _ => None,
    });
    let Some((request, filter)) = load else {
        panic!("Enter reads the inbox again: {fx:?}");
    };
    assert_eq!(filter, "overdue");
    update(
        &mut state,
        Action::Inbox(InboxAction::Loaded {
            request,
            result: Ok(InboxData::new(
                vec![(GroupKind::Overdue, overdue_tasks())],
                utc(),
            )),
        }),
    );
    let frame = render(&state, 100, 16);
    assert!(screen_text(&frame).contains("filter: overdue"));
    insta::assert_snapshot!("inbox_filtered", frame.backend());

    // The next read keeps it; an empty filter clears it.
    assert_eq!(screen(&state).filter.to_string(), "overdue");
    update(&mut state, ch('f'));
    for _ in 0..10 {
        update(&mut state, key(KeyCode::Backspace));
    }
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(
        fx.iter().any(
            |e| matches!(e, Effect::Inbox(InboxEffect::Load { filter, .. }) if filter.is_empty())
        ),
        "{fx:?}"
    );
}
