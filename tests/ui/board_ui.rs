//! Board screen: reducer behaviour (keys → commands → state and effects) and insta snapshots of
//! whole frames drawn to a `TestBackend`. No database: data results are fed in by hand.

use super::harness::{ch, find_text, key, render, render_with, state};
use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use closer::config::keymap::Command;
use closer::config::theme::Theme;
use closer::data::closing::{CloseUndo, ClosedLead, ClosedTotals};
use closer::data::models::{
    BoardSort, ColumnCursor, ColumnPage, LeadCard, LeadHit, MovedLead, Pipeline, Stage,
    StageSummary,
};
use closer::state::board::sort_cmp;
use closer::state::{
    Action, BoardAction, BoardData, BoardEffect, Connection, Effect, Failure, MessageKind, Popup,
    State, Viewer, update,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use uuid::Uuid;

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

pub(super) fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 12, 0, 0)
        .single()
        .expect("valid date")
}

const PIPELINE: u128 = 0xB1;

fn stage(n: u128, name: &str, color: &str, order: i32) -> Stage {
    Stage {
        id: id(0x100 + n),
        pipeline_id: id(PIPELINE),
        name: name.to_string(),
        order_index: order,
        color: color.to_string(),
        is_won: name == "Won",
        is_lost: name == "Lost",
        rotting_days: (name != "Won" && name != "Lost").then_some(14),
    }
}

fn stages() -> Vec<Stage> {
    vec![
        stage(1, "New", "#3b82f6", 1),
        stage(2, "Contacted", "#8b5cf6", 2),
        stage(3, "Qualified", "#f59e0b", 3),
        stage(4, "Won", "#10b981", 4),
        stage(5, "Lost", "#ef4444", 5),
    ]
}

struct CardSpec<'a> {
    n: u128,
    stage: u128,
    name: &'a str,
    company: Option<&'a str>,
    owner: Option<&'a str>,
    score: i32,
    contact_days_ago: Option<i64>,
    overdue: i64,
    open: i64,
}

fn card(s: CardSpec<'_>) -> LeadCard {
    LeadCard {
        id: id(0x1000 + s.n),
        stage_id: id(0x100 + s.stage),
        name: s.name.to_string(),
        company: s.company.map(str::to_string),
        owner_name: s.owner.map(str::to_string),
        score: s.score,
        last_contacted_at: s.contact_days_ago.map(|d| now() - Duration::days(d)),
        created_at: now() - Duration::days(60 + i64::try_from(s.n).unwrap_or(0)),
        overdue_tasks: s.overdue,
        open_tasks: s.open,
        version: 1,
        // Ada Lovelace (the person logged in, profile 0xAD) owns the cards she is named on.
        assigned_to: (s.owner == Some("Ada Lovelace")).then_some(id(0xAD)),
        closed_on: (s.stage >= 4).then(|| now().date_naive() - Duration::days(9)),
        closed_amount: if s.stage >= 4 { 875_000.0 } else { 0.0 },
        closed_currency: (s.stage >= 4).then_some(closer::currency::Code::USD),
    }
}

fn cards() -> Vec<LeadCard> {
    let c = |n, stage, name, company, owner, score, days, overdue, open| {
        card(CardSpec {
            n,
            stage,
            name,
            company,
            owner,
            score,
            contact_days_ago: days,
            overdue,
            open,
        })
    };
    vec![
        c(
            1,
            1,
            "Grace Hopper",
            Some("Navy Labs"),
            Some("Ada Lovelace"),
            92,
            Some(1),
            0,
            2,
        ),
        c(
            2,
            1,
            "Alan Turing",
            Some("Bletchley Park"),
            Some("Ada Lovelace"),
            81,
            Some(3),
            2,
            3,
        ),
        c(
            3,
            1,
            "Edsger Dijkstra",
            Some("Eindhoven University"),
            Some("Tony Hoare"),
            64,
            None,
            0,
            0,
        ),
        c(
            4,
            1,
            "Barbara Liskov",
            None,
            Some("Tony Hoare"),
            40,
            Some(30),
            1,
            1,
        ),
        c(
            5,
            2,
            "Donald Knuth",
            Some("Stanford"),
            Some("Ada Lovelace"),
            88,
            Some(2),
            0,
            1,
        ),
        c(
            6,
            2,
            "Margaret Hamilton",
            Some("MIT Instrumentation Lab"),
            None,
            77,
            Some(20),
            0,
            0,
        ),
        c(
            7,
            3,
            "Ken Thompson",
            Some("Bell Labs"),
            Some("Dennis Ritchie"),
            95,
            Some(0),
            3,
            4,
        ),
        c(
            8,
            4,
            "Frances Allen",
            Some("IBM"),
            Some("Ada Lovelace"),
            70,
            Some(5),
            0,
            1,
        ),
    ]
}

fn summaries_for(cards: &[LeadCard]) -> HashMap<Uuid, StageSummary> {
    let mut out: HashMap<Uuid, StageSummary> = HashMap::new();
    for s in stages() {
        out.insert(s.id, StageSummary::default());
    }
    for c in cards {
        let s = out.entry(c.stage_id).or_default();
        s.lead_count += 1;
        s.open_deal_amount += 125_000.0 * f64::from(c.score) / 10.0;
        s.weighted_deal_amount += 30_000.0 * f64::from(c.score) / 10.0;
    }
    out
}

/// A synchronous stand-in for the database that answers effects.
pub(crate) struct Fake {
    stages: Vec<Stage>,
    cards: Vec<LeadCard>,
    /// Answer moves with this failure.
    fail_moves: Option<Failure>,
    pub(crate) hits: Vec<LeadHit>,
    pub(crate) views: Vec<closer::data::views::SavedView>,
}

impl Fake {
    pub(crate) fn new() -> Fake {
        Fake {
            stages: stages(),
            cards: cards(),
            fail_moves: None,
            hits: Vec::new(),
            views: Vec::new(),
        }
    }

    fn page(
        &self,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<&ColumnCursor>,
        limit: i64,
    ) -> ColumnPage {
        let mut col: Vec<LeadCard> = self
            .cards
            .iter()
            .filter(|c| c.stage_id == stage_id)
            .cloned()
            .collect();
        col.sort_by(|a, b| sort_cmp(sort, a, b));
        if let Some(after) = after {
            let pos = col
                .iter()
                .position(|c| c.id == after.id)
                .map_or(0, |p| p + 1);
            col.drain(..pos);
        }
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = col.len() > limit;
        col.truncate(limit);
        let next_cursor = more.then(|| col.last()).flatten().map(|c| ColumnCursor {
            sort,
            score: c.score,
            last_contacted_at: c.last_contacted_at,
            created_at: c.created_at,
            id: c.id,
        });
        ColumnPage {
            stage_id,
            cards: col,
            next_cursor,
        }
    }

    pub(super) fn answer(&mut self, effect: &Effect) -> Option<Action> {
        Some(match effect {
            Effect::Board(BoardEffect::Load { request, .. }) => {
                Action::Board(BoardAction::Loaded {
                    request: *request,
                    result: Ok(BoardData {
                        pipelines: vec![
                            Pipeline {
                                id: id(PIPELINE),
                                name: "Sales".to_string(),
                                is_default: true,
                            },
                            Pipeline {
                                id: id(0xB2),
                                name: "Partnerships".to_string(),
                                is_default: false,
                            },
                        ],
                        pipeline_id: Some(id(PIPELINE)),
                        stages: self.stages.clone(),
                        summaries: summaries_for(&self.cards),
                    }),
                })
            }
            Effect::Board(BoardEffect::LoadColumn {
                request,
                stage_id,
                sort,
                after,
                limit,
                filter,
            }) => Action::Board(BoardAction::ColumnLoaded {
                request: *request,
                stage_id: *stage_id,
                append: after.is_some(),
                result: Ok(super::find_ui::only_text_matches(
                    self.page(*stage_id, *sort, after.as_ref(), *limit),
                    filter,
                )),
            }),
            Effect::Board(BoardEffect::LoadViews {
                request,
                open_picker,
            }) => Action::Board(BoardAction::ViewsLoaded {
                request: *request,
                open_picker: *open_picker,
                result: Ok(self.views.clone()),
            }),
            Effect::Board(BoardEffect::WriteView { request, done, .. }) => {
                Action::Board(BoardAction::ViewWritten {
                    request: *request,
                    done: done.clone(),
                    result: Ok(true),
                })
            }
            Effect::Board(BoardEffect::SaveView { request, .. }) => {
                Action::Board(BoardAction::ViewSaved {
                    request: *request,
                    result: Ok(Uuid::nil()),
                })
            }
            // No recent reasons here (tests/ui/closing_more_ui.rs feeds its own).
            Effect::Board(BoardEffect::LoadLostReasons { request }) => {
                Action::Board(BoardAction::LostReasonsLoaded {
                    request: *request,
                    result: Ok(Vec::new()),
                })
            }
            Effect::Board(BoardEffect::LoadFilterChoices { request }) => {
                Action::Board(BoardAction::FilterChoicesLoaded {
                    request: *request,
                    result: Ok(super::find_ui::choices()),
                })
            }
            Effect::Board(BoardEffect::LoadSummaries {
                request, filter, ..
            }) => Action::Board(BoardAction::SummariesLoaded {
                request: *request,
                result: Ok(summaries_for(&super::find_ui::text_matches(
                    &self.cards,
                    filter,
                ))),
            }),
            Effect::Board(BoardEffect::MoveLead {
                request,
                lead_id,
                to_stage,
                ..
            }) => {
                let result = match &self.fail_moves {
                    Some(f) => Err(f.clone()),
                    None => {
                        let card = self.cards.iter_mut().find(|c| c.id == *lead_id)?;
                        card.stage_id = *to_stage;
                        card.version += 1;
                        Ok(MovedLead {
                            lead_id: *lead_id,
                            stage_id: *to_stage,
                            version: card.version,
                        })
                    }
                };
                Action::Board(BoardAction::LeadMoved {
                    request: *request,
                    result,
                })
            }
            Effect::Board(BoardEffect::LoadClosedTotals {
                request, filter, ..
            }) => {
                // Won and lost deals of the period, as `closer.closed_totals` would sum them;
                // the fake's closed deals belong to no lead a filter keeps.
                let totals = if !filter.is_empty() {
                    HashMap::new()
                } else {
                    HashMap::from([
                        (
                            id(0x104),
                            ClosedTotals {
                                deal_count: 3,
                                amount: 1_250_000.0,
                                ..ClosedTotals::default()
                            },
                        ),
                        (
                            id(0x105),
                            ClosedTotals {
                                deal_count: 1,
                                amount: 40_000.0,
                                ..ClosedTotals::default()
                            },
                        ),
                    ])
                };
                Action::Board(BoardAction::ClosedTotalsLoaded {
                    request: *request,
                    result: Ok(totals),
                })
            }
            Effect::Board(BoardEffect::CloseLead { request, close }) => {
                let result = match &self.fail_moves {
                    Some(f) => Err(f.clone()),
                    None => {
                        let card = self.cards.iter_mut().find(|c| c.id == close.lead_id)?;
                        card.stage_id = close.to_stage;
                        card.version += 1;
                        Ok(ClosedLead {
                            moved: MovedLead {
                                lead_id: close.lead_id,
                                stage_id: close.to_stage,
                                version: card.version,
                            },
                            undo: CloseUndo(serde_json::json!({
                                "lead": close.lead_id, "from_stage": close.from_stage,
                                "to_stage": close.to_stage, "previous_reason": null,
                                "deals": [{"id": close.lead_id}], "tasks": []
                            })),
                        })
                    }
                };
                Action::Board(BoardAction::LeadClosed {
                    request: *request,
                    result,
                })
            }
            Effect::Board(BoardEffect::UndoClose { request, undo }) => {
                let lead = undo.0["lead"]
                    .as_str()
                    .and_then(|s| s.parse::<Uuid>().ok())?;
                let from = undo.0["from_stage"]
                    .as_str()
                    .and_then(|s| s.parse::<Uuid>().ok())?;
                let card = self.cards.iter_mut().find(|c| c.id == lead)?;
                card.stage_id = from;
                card.version += 1;
                Action::Board(BoardAction::LeadMoved {
                    request: *request,
                    result: Ok(MovedLead {
                        lead_id: lead,
                        stage_id: from,
                        version: card.version,
                    }),
                })
            }
            Effect::Board(BoardEffect::SearchLeads { request, .. }) => {
                Action::Board(BoardAction::SearchResults {
                    request: *request,
                    result: Ok(self.hits.clone()),
                })
            }
            Effect::LoadOverdue { request, .. } => Action::OverdueLoaded {
                request: *request,
                result: Ok(3),
            },
            Effect::StartDebounce { .. }
            | Effect::Quit
            | Effect::Listen
            | Effect::CancelQueries
            | Effect::Suspend
            | Effect::Lead(_)
            | Effect::Inbox(_)
            | Effect::Insights(_)
            | Effect::Lifecycle(_)
            | Effect::Clipboard(_)
            | Effect::Editor(_) => {
                return None;
            }
        })
    }

    /// Answers effects (and the effects their results cause) until none are left. Moves are
    /// held (returned) when `hold_moves`.
    pub(crate) fn drive(
        &mut self,
        state: &mut State,
        effects: Vec<Effect>,
        hold_moves: bool,
    ) -> Vec<Effect> {
        let mut queue = effects;
        let mut held = Vec::new();
        while !queue.is_empty() {
            let effect = queue.remove(0);
            if hold_moves && matches!(effect, Effect::Board(BoardEffect::MoveLead { .. })) {
                held.push(effect);
                continue;
            }
            if let Some(action) = self.answer(&effect) {
                queue.extend(update(state, action));
            } else {
                held.push(effect);
            }
        }
        held
    }
}

pub(crate) fn new_state(width: u16, height: u16) -> State {
    state(
        Viewer {
            organization: "Acme Inc".to_string(),
            person: "Ada Lovelace".to_string(),
        },
        now(),
        width,
        height,
    )
}

pub(crate) fn loaded(fake: &mut Fake, width: u16, height: u16) -> State {
    let mut state = new_state(width, height);
    let fx = state.start();
    fake.drive(&mut state, fx, false);
    state
}

pub(crate) fn column_names(state: &State, col: usize) -> Vec<String> {
    state
        .board
        .columns
        .get(col)
        .map(|c| c.cards.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

pub(super) fn selected_name(state: &State) -> Option<String> {
    state.board.selected_card().map(|c| c.name.clone())
}

fn count(state: &State, stage: u128) -> i64 {
    state.board.summary(id(0x100 + stage)).lead_count
}

// ---------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------

#[test]
fn snapshot_loading() {
    let mut state = new_state(100, 20);
    let fx = state.start();
    assert!(matches!(
        fx.first(),
        Some(Effect::Board(BoardEffect::Load {
            pipeline_id: None,
            ..
        }))
    ));
    insta::assert_snapshot!("loading", render(&state, 100, 20).backend());

    // Stages known, pages still out: columns show their own loading line.
    let mut fake = Fake::new();
    let request = match fx.first() {
        Some(Effect::Board(BoardEffect::Load { request, .. })) => *request,
        _ => 0,
    };
    let board = fake.answer(&Effect::Board(BoardEffect::Load {
        request,
        pipeline_id: None,
    }));
    let mut pages = update(&mut state, board.expect("answer"));
    // The won/lost headers are read alongside the pages (issue 10).
    let before = pages.len();
    pages.retain(|e| !matches!(e, Effect::Board(BoardEffect::LoadClosedTotals { .. })));
    assert_eq!(before - pages.len(), 1, "one closed-totals read");
    assert!(pages.iter().all(|e| matches!(
        e,
        Effect::Board(BoardEffect::LoadColumn { after: None, .. })
    )));
    assert_eq!(pages.len(), 5, "visible columns + 1 margin: {pages:?}");
    insta::assert_snapshot!("loading_columns", render(&state, 100, 20).backend());
}

#[test]
fn snapshot_loaded() {
    let mut fake = Fake::new();
    let state = loaded(&mut fake, 120, 24);
    insta::assert_snapshot!("loaded", render(&state, 120, 24).backend());
    super::pictures::check("board", &render(&state, 120, 24));
}

#[test]
fn snapshot_empty_pipeline_and_no_stages() {
    let mut fake = Fake::new();
    fake.cards.clear();
    let state = loaded(&mut fake, 100, 14);
    insta::assert_snapshot!("empty_pipeline", render(&state, 100, 14).backend());

    let mut fake = Fake::new();
    fake.stages.clear();
    fake.cards.clear();
    let state = loaded(&mut fake, 80, 12);
    assert!(state.board.columns.is_empty());
    insta::assert_snapshot!("no_stages", render(&state, 80, 12).backend());
    // Keys on an empty board do nothing and never panic.
    let mut state = state;
    for a in [
        ch('l'),
        ch('j'),
        ch('L'),
        ch('H'),
        ch('m'),
        ch('u'),
        key(KeyCode::Enter),
        ch('G'),
    ] {
        update(&mut state, a);
    }
    render(&state, 80, 12);
}

#[test]
fn snapshot_card_selected_with_styles() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('j'));
    assert_eq!(selected_name(&state).as_deref(), Some("Alan Turing"));
    let theme = Theme::default();
    let terminal = render_with(&state, 120, 24, &theme);
    insta::assert_snapshot!("card_selected", terminal.backend());

    let buf = terminal.backend().buffer();
    // Every cell of the selected card (2 rows × column width) has the selected background.
    let (x, y) = find_text(&terminal, "Alan Turing").expect("selected card drawn");
    for dx in 0..20 {
        for dy in 0..2 {
            let cell = &buf[(x + dx, y + dy)];
            assert_eq!(cell.bg, theme.selected_bg, "cell {},{}", x + dx, y + dy);
        }
    }
    assert_eq!(buf[(x, y)].fg, theme.selected_fg);
    // Its overdue marker keeps the overdue colour on the selected background.
    let (mx, my) = find_text(&terminal, "2 late").expect("overdue marker on the selected card");
    assert_eq!(buf[(mx, my)].fg, theme.overdue);
    assert_eq!(buf[(mx, my)].bg, theme.selected_bg);
    // An unselected card's overdue marker: overdue colour, normal background.
    let (ox, oy) = find_text(&terminal, "3 late").expect("overdue marker of Ken Thompson");
    assert_eq!(buf[(ox, oy)].fg, theme.overdue);
    assert_eq!(buf[(ox, oy)].bg, Color::Reset);
    // The card above is not selected.
    let (gx, gy) = find_text(&terminal, "Grace Hopper").expect("first card");
    assert_ne!(buf[(gx, gy)].bg, theme.selected_bg);
    // Stage colour in the header.
    let (hx, hy) = find_text(&terminal, "Qualified").expect("header");
    assert_eq!(buf[(hx, hy)].fg, Color::Rgb(0xf5, 0x9e, 0x0b));
}

#[test]
fn no_color_keeps_the_selection_visible() {
    let mut fake = Fake::new();
    let state = loaded(&mut fake, 120, 24);
    let terminal = render_with(&state, 120, 24, &Theme::plain());
    let buf = terminal.backend().buffer();
    let (x, y) = find_text(&terminal, "Grace Hopper").expect("drawn");
    assert!(
        buf[(x, y)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    let (ox, oy) = find_text(&terminal, "Alan Turing").expect("drawn");
    assert!(
        !buf[(ox, oy)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    for cell in buf.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset));
    }
}

#[test]
fn snapshot_move_pending_then_error() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let fx = update(&mut state, ch('L'));
    let held = fake.drive(&mut state, fx, true);
    assert_eq!(held.len(), 1);
    insta::assert_snapshot!("move_pending", render(&state, 120, 24).backend());

    let request = match held.first() {
        Some(Effect::Board(BoardEffect::MoveLead { request, .. })) => *request,
        other => panic!("expected a move, got {other:?}"),
    };
    update(
        &mut state,
        Action::Board(BoardAction::LeadMoved {
            request,
            result: Err(Failure {
                message: "You are not allowed to do that (your role or organization forbids it)"
                    .to_string(),
                connection: false,
            }),
        }),
    );
    let terminal = render(&state, 120, 24);
    insta::assert_snapshot!("move_error", terminal.backend());
    let (x, y) = find_text(&terminal, "You are not allowed").expect("message line");
    assert_eq!(
        terminal.backend().buffer()[(x, y)].fg,
        Theme::default().error
    );
}

#[test]
fn snapshot_help_overlay() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 40);
    update(&mut state, ch('?'));
    assert!(matches!(state.popup, Some(Popup::Help(_))));
    insta::assert_snapshot!("help", render(&state, 100, 40).backend());
    update(&mut state, key(KeyCode::Esc));
    assert!(state.popup.is_none());
}

#[test]
fn snapshot_stage_picker() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    update(&mut state, ch('m'));
    assert!(matches!(state.popup, Some(Popup::Picker(_))));
    insta::assert_snapshot!("stage_picker", render(&state, 100, 24).backend());
    // Jump two stages: New → Qualified.
    update(&mut state, ch('j'));
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Board(BoardEffect::MoveLead { to_stage, .. }) if *to_stage == id(0x103))),
        "{fx:?}"
    );
    assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
    assert_eq!(state.board.selected, 2);
}

#[test]
fn snapshot_narrow_terminal() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 40, 12);
    insta::assert_snapshot!("narrow", render(&state, 40, 12).backend());
    // Scrolling right keeps the selected column visible.
    update(&mut state, ch('l'));
    update(&mut state, ch('l'));
    assert_eq!(state.board.selected, 2);
    assert_eq!(state.board.col_offset, 1);
    insta::assert_snapshot!("narrow_scrolled", render(&state, 40, 12).backend());
}

#[test]
fn snapshot_too_small() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 20, 5);
    insta::assert_snapshot!("too_small", render(&state, 20, 5).backend());
    for a in [ch('l'), ch('j'), ch('L'), ch('?')] {
        update(&mut state, a);
        render(&state, 20, 5);
    }
}

#[test]
fn snapshot_hostile_text() {
    let mut fake = Fake::new();
    fake.cards = vec![
        card(CardSpec {
            n: 1,
            stage: 1,
            name: "\u{1b}[31mRed\u{1b}[0m \u{1b}]0;pwned\u{7}Alert",
            company: Some("Evil\r\nCorp\tLtd"),
            owner: Some("\u{9b}2J Mallory"),
            score: 50,
            contact_days_ago: Some(2),
            overdue: 0,
            open: 1,
        }),
        card(CardSpec {
            n: 2,
            stage: 1,
            name: "\u{202E}txet desrever\u{202C} مرحبا بالعالم",
            company: Some("שלום עולם"),
            owner: None,
            score: 60,
            contact_days_ago: Some(1),
            overdue: 1,
            open: 1,
        }),
        card(CardSpec {
            n: 3,
            stage: 1,
            name: "Zero\u{200B}Width\u{200D}Join\u{FEFF}er",
            company: Some("👩\u{200D}👩\u{200D}👧 Family 🙂🙂🙂🙂🙂🙂🙂"),
            owner: Some("🙂 Emoji"),
            score: 70,
            contact_days_ago: None,
            overdue: 0,
            open: 0,
        }),
        card(CardSpec {
            n: 4,
            stage: 2,
            name: "张伟张伟张伟张伟张伟张伟张伟",
            company: Some("株式会社テスト株式会社テスト"),
            owner: Some("山田 太郎"),
            score: 99,
            contact_days_ago: Some(40),
            overdue: 12,
            open: 12,
        }),
    ];
    let state = loaded(&mut fake, 100, 16);
    let terminal = render(&state, 100, 16);
    let buf = terminal.backend().buffer();
    for cell in buf.content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "{:?}",
            cell.symbol()
        );
        assert!(!cell.symbol().contains('\u{202E}'));
    }
    insta::assert_snapshot!("hostile_text", terminal.backend());
}

#[test]
fn snapshot_jump_overlay() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    update(&mut state, ch('/'));
    let mut fx = Vec::new();
    for c in "tho".chars() {
        fx = update(&mut state, ch(c));
    }
    let token = match fx.first() {
        Some(Effect::StartDebounce { token, .. }) => *token,
        other => panic!("expected a debounce, got {other:?}"),
    };
    fake.hits = vec![LeadHit {
        id: id(0x1007),
        name: "Ken Thompson".to_string(),
        company: Some("Bell Labs".to_string()),
        stage_id: id(0x103),
        matched: None,
    }];
    let fx = update(&mut state, Action::DebounceElapsed(token));
    fake.drive(&mut state, fx, false);
    insta::assert_snapshot!("jump", render(&state, 100, 24).backend());
}

#[test]
fn no_size_panics() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 80, 24);
    let overlays: Vec<Vec<Action>> = vec![
        vec![],
        vec![ch('?')],
        vec![ch('m')],
        vec![ch('p')],
        vec![ch('/'), ch('x')],
        vec![ch('m'), ch('5'), ch('a')],
        vec![ch('j'), key(KeyCode::Enter)],
    ];
    for actions in overlays {
        let mut s = state.clone();
        for a in actions {
            update(&mut s, a);
        }
        for w in 0..45 {
            for h in 0..14 {
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
    update(
        &mut state,
        Action::Resize {
            width: 80,
            height: 24,
        },
    );
    render(&state, 80, 24);
}

// ---------------------------------------------------------------------------
// Reducers
// ---------------------------------------------------------------------------

fn move_effect(fx: &[Effect]) -> Option<(u64, Uuid, Uuid, Uuid, Option<String>)> {
    fx.iter().find_map(|e| match e {
        Effect::Board(BoardEffect::MoveLead {
            request,
            lead_id,
            from_stage,
            to_stage,
            lost_reason,
        }) => Some((
            *request,
            *lead_id,
            *from_stage,
            *to_stage,
            lost_reason.clone(),
        )),
        _ => None,
    })
}

#[test]
fn move_next_stage_is_optimistic() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    assert_eq!(
        state.keymap.command_for(
            state.scope(),
            &KeyEvent::new(KeyCode::Char('L'), KeyModifiers::SHIFT)
        ),
        Some(Command::MoveNextStage)
    );
    let fx = update(&mut state, ch('L'));
    let (_, lead, from, to, reason) = move_effect(&fx).expect("a move effect");
    assert_eq!(
        (lead, from, to, reason),
        (id(0x1001), id(0x101), id(0x102), None)
    );
    // Moved at once, counts adjusted, selection follows the card, marked pending.
    assert!(!column_names(&state, 0).contains(&"Grace Hopper".to_string()));
    assert!(column_names(&state, 1).contains(&"Grace Hopper".to_string()));
    assert_eq!((count(&state, 1), count(&state, 2)), (3, 3));
    assert_eq!(state.board.selected, 1);
    assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
    assert!(state.board.is_pending(id(0x1001)));
    // Score order: 92 goes above Knuth's 88.
    assert_eq!(
        column_names(&state, 1).first().map(String::as_str),
        Some("Grace Hopper")
    );
    // Shift-right does the same.
    let fx = update(
        &mut state,
        Action::Key(KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT)),
    );
    assert!(fx.is_empty(), "queued behind the first move: {fx:?}");
    assert_eq!(state.board.selected, 2);
    assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
}

#[test]
fn repeated_moves_are_sent_in_order() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let first = move_effect(&update(&mut state, ch('L'))).expect("first move");
    assert!(update(&mut state, ch('L')).is_empty());
    let answer = fake
        .answer(&Effect::Board(BoardEffect::MoveLead {
            request: first.0,
            lead_id: first.1,
            from_stage: first.2,
            to_stage: first.3,
            lost_reason: None,
        }))
        .expect("answered");
    let fx = update(&mut state, answer);
    let second = move_effect(&fx).expect("second move sent after the first succeeded");
    assert_eq!((second.2, second.3), (id(0x102), id(0x103)));
    let rest = fake.drive(&mut state, fx, false);
    assert!(rest.is_empty());
    assert!(!state.board.is_pending(id(0x1001)));
    assert_eq!(state.board.selected, 2);
    assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
    assert_eq!(
        (count(&state, 1), count(&state, 2), count(&state, 3)),
        (3, 2, 2)
    );
}

#[test]
fn failed_move_restores_the_card() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('j'));
    let before = state.board.clone();
    fake.fail_moves = Some(Failure {
        message: "Someone else changed this record first; reload to see their change".to_string(),
        connection: false,
    });
    let fx = update(&mut state, ch('L'));
    assert_eq!(selected_name(&state).as_deref(), Some("Alan Turing"));
    assert_eq!(state.board.selected, 1);
    fake.drive(&mut state, fx, false);
    assert_eq!(column_names(&state, 0), column_names_of(&before, 0));
    assert_eq!(column_names(&state, 1), column_names_of(&before, 1));
    assert_eq!((count(&state, 1), count(&state, 2)), (4, 2));
    assert_eq!(state.board.selected, 0);
    assert_eq!(selected_name(&state).as_deref(), Some("Alan Turing"));
    assert!(state.board.pending.is_empty());
    let msg = state.message.clone().expect("error message");
    assert_eq!(msg.kind, MessageKind::Error);
    assert!(msg.text.contains("Someone else changed"));
    // Dismissed by the next key.
    update(&mut state, ch('j'));
    assert!(state.message.is_none());
}

fn column_names_of(board: &closer::state::Board, col: usize) -> Vec<String> {
    board
        .columns
        .get(col)
        .map(|c| c.cards.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn stale_move_result_is_ignored() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let fx = update(&mut state, ch('L'));
    let (request, ..) = move_effect(&fx).expect("move");
    let snapshot = state.clone();
    let fx = update(
        &mut state,
        Action::Board(BoardAction::LeadMoved {
            request: request + 1000,
            result: Err(Failure {
                message: "boom".to_string(),
                connection: false,
            }),
        }),
    );
    assert!(fx.is_empty());
    assert_eq!(state, snapshot);
    // A stale column page is ignored too.
    let fx = update(
        &mut state,
        Action::Board(BoardAction::ColumnLoaded {
            request: 999_999,
            stage_id: id(0x101),
            append: false,
            result: Ok(ColumnPage {
                stage_id: id(0x101),
                cards: Vec::new(),
                next_cursor: None,
            }),
        }),
    );
    assert!(fx.is_empty());
    assert_eq!(state, snapshot);
}

#[test]
fn selection_follows_the_lead_across_a_reordering_refresh() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('j'));
    update(&mut state, ch('j'));
    assert_eq!(selected_name(&state).as_deref(), Some("Edsger Dijkstra"));
    // Someone else rescored: Dijkstra is now first, Hopper last.
    for c in &mut fake.cards {
        if c.name == "Edsger Dijkstra" {
            c.score = 99;
        }
        if c.name == "Grace Hopper" {
            c.score = 10;
        }
    }
    let fx = update(&mut state, ch('r'));
    assert!(fx.iter().any(|e| matches!(
        e,
        Effect::Board(BoardEffect::Load {
            pipeline_id: Some(_),
            ..
        })
    )));
    fake.drive(&mut state, fx, false);
    assert_eq!(
        column_names(&state, 0),
        [
            "Edsger Dijkstra",
            "Alan Turing",
            "Barbara Liskov",
            "Grace Hopper"
        ]
    );
    assert_eq!(state.board.columns.first().map(|c| c.selected), Some(0));
    assert_eq!(selected_name(&state).as_deref(), Some("Edsger Dijkstra"));
}

#[test]
fn undo_emits_the_reverse_move() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let fx = update(&mut state, ch('L'));
    fake.drive(&mut state, fx, false);
    update(&mut state, ch('h'));
    let fx = update(&mut state, ch('u'));
    let (_, lead, from, to, _) = move_effect(&fx).expect("undo move");
    assert_eq!((lead, from, to), (id(0x1001), id(0x102), id(0x101)));
    assert_eq!(state.board.selected, 0);
    assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
    fake.drive(&mut state, fx, false);
    // Nothing left to undo.
    assert!(move_effect(&update(&mut state, ch('u'))).is_none());
    assert_eq!(
        state.message.as_ref().map(|m| m.text.as_str()),
        Some("Nothing to undo")
    );
}

#[test]
fn jump_to_lead_debounces_and_drops_stale_results() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('/'));
    let fx = update(&mut state, ch('k'));
    let Some(Effect::StartDebounce { token: t1, .. }) = fx.first().cloned() else {
        panic!("debounce expected: {fx:?}");
    };
    let fx = update(&mut state, ch('e'));
    let Some(Effect::StartDebounce { token: t2, .. }) = fx.first().cloned() else {
        panic!("debounce expected: {fx:?}");
    };
    // The first timer is superseded.
    assert!(update(&mut state, Action::DebounceElapsed(t1)).is_empty());
    let fx = update(&mut state, Action::DebounceElapsed(t2));
    let Some(Effect::Board(BoardEffect::SearchLeads {
        request: r1, query, ..
    })) = fx.first().cloned()
    else {
        panic!("search expected: {fx:?}");
    };
    assert_eq!(query, "ke");
    // Typing again makes r1 stale.
    let fx = update(&mut state, ch('n'));
    let Some(Effect::StartDebounce { token: t3, .. }) = fx.first().cloned() else {
        panic!("debounce expected: {fx:?}");
    };
    let stale_hit = LeadHit {
        id: id(0x1005),
        name: "Donald Knuth".to_string(),
        company: None,
        stage_id: id(0x102),
        matched: None,
    };
    update(
        &mut state,
        Action::Board(BoardAction::SearchResults {
            request: r1,
            result: Ok(vec![stale_hit]),
        }),
    );
    match &state.popup {
        Some(Popup::Jump(j)) => assert!(j.hits.is_empty()),
        other => panic!("jump overlay expected: {other:?}"),
    }
    let fx = update(&mut state, Action::DebounceElapsed(t3));
    fake.hits = vec![LeadHit {
        id: id(0x1007),
        name: "Ken Thompson".to_string(),
        company: Some("Bell Labs".to_string()),
        stage_id: id(0x103),
        matched: None,
    }];
    fake.drive(&mut state, fx, false);
    let fx = update(&mut state, key(KeyCode::Enter));
    fake.drive(&mut state, fx, false);
    assert!(state.popup.is_none());
    assert_eq!(state.board.selected, 2);
    assert_eq!(selected_name(&state).as_deref(), Some("Ken Thompson"));
}

#[test]
fn jump_pages_the_column_until_found() {
    let mut fake = Fake::new();
    // 80 leads in "New": more than the first page.
    for n in 0..80u128 {
        fake.cards.push(card(CardSpec {
            n: 100 + n,
            stage: 1,
            name: &format!("Lead {n:02}"),
            company: None,
            owner: None,
            score: 30 - i32::try_from(n % 30).unwrap_or(0),
            contact_days_ago: Some(1),
            overdue: 0,
            open: 1,
        }));
    }
    let mut state = loaded(&mut fake, 120, 24);
    let loaded_before = state.board.columns.first().map_or(0, |c| c.cards.len());
    assert!(loaded_before < 84, "first page only: {loaded_before}");
    let deep = fake
        .page(id(0x101), BoardSort::Score, None, 1000)
        .cards
        .last()
        .cloned()
        .expect("cards");
    update(&mut state, ch('/'));
    update(&mut state, ch('x'));
    let hit = LeadHit {
        id: deep.id,
        name: deep.name.clone(),
        company: None,
        stage_id: deep.stage_id,
        matched: None,
    };
    if let Some(Popup::Jump(j)) = &mut state.popup {
        j.hits = vec![hit];
    }
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Board(BoardEffect::LoadColumn { after: Some(_), .. })
        )),
        "{fx:?}"
    );
    fake.drive(&mut state, fx, false);
    assert_eq!(selected_name(&state), Some(deep.name));
}

#[test]
fn bottom_goes_to_the_last_card_of_a_long_column() {
    // Issue 11: `G` in a column of 491 cards loaded one more page per press.
    let mut fake = Fake::new();
    for n in 0..491u128 {
        fake.cards.push(card(CardSpec {
            n: 1000 + n,
            stage: 2,
            name: &format!("Lead {n:03}"),
            company: None,
            owner: None,
            score: 10,
            contact_days_ago: Some(1),
            overdue: 0,
            open: 1,
        }));
    }
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('l'));
    let fx = update(&mut state, ch('G'));
    fake.drive(&mut state, fx, false);
    let col = state.board.column().expect("a column");
    assert!(col.next_cursor.is_none(), "the column was read to its end");
    assert_eq!(col.selected + 1, col.cards.len());
    let total = fake
        .cards
        .iter()
        .filter(|c| c.stage_id == col.stage.id)
        .count();
    assert_eq!(col.cards.len(), total);
    assert_eq!(state.board.to_bottom, None);
}

#[test]
fn paging_fetches_the_next_page_near_the_end() {
    let mut fake = Fake::new();
    for n in 0..60u128 {
        fake.cards.push(card(CardSpec {
            n: 100 + n,
            stage: 2,
            name: &format!("Lead {n:02}"),
            company: None,
            owner: None,
            score: 50,
            contact_days_ago: Some(1),
            overdue: 0,
            open: 1,
        }));
    }
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('l'));
    let first_page = state.board.column().map_or(0, |c| c.cards.len());
    let expected = usize::try_from(state.page_size()).unwrap_or(0);
    assert_eq!(first_page, expected, "visible + margin");
    let mut asked = None;
    for _ in 0..first_page {
        let fx = update(&mut state, ch('j'));
        if let Some(e) = fx.iter().find(|e| {
            matches!(
                e,
                Effect::Board(BoardEffect::LoadColumn { after: Some(_), .. })
            )
        }) {
            asked = Some(e.clone());
            break;
        }
    }
    let asked = asked.expect("next page requested before the end");
    fake.drive(&mut state, vec![asked], false);
    assert!(state.board.column().map_or(0, |c| c.cards.len()) > first_page);
    // Counts come from the summaries, never from loaded cards.
    assert_eq!(count(&state, 2), 62);
}

#[test]
fn sort_cycles_and_reloads() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    update(&mut state, ch('j'));
    let fx = update(&mut state, ch('s'));
    assert_eq!(state.board.sort, BoardSort::LastContact);
    assert!(fx.iter().all(|e| matches!(
        e,
        Effect::Board(BoardEffect::LoadColumn {
            sort: BoardSort::LastContact,
            after: None,
            ..
        })
    )));
    assert!(!fx.is_empty());
    fake.drive(&mut state, fx, false);
    assert_eq!(
        column_names(&state, 0),
        [
            "Grace Hopper",
            "Alan Turing",
            "Barbara Liskov",
            "Edsger Dijkstra"
        ]
    );
    assert_eq!(selected_name(&state).as_deref(), Some("Alan Turing"));
}

#[test]
fn mouse_click_selects_the_card() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let terminal = render(&state, 120, 24);
    let (x, y) = find_text(&terminal, "Donald Knuth").expect("drawn");
    update(
        &mut state,
        Action::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: x + 2,
            row: y + 1,
            modifiers: KeyModifiers::NONE,
        }),
    );
    assert_eq!(state.board.selected, 1);
    assert_eq!(selected_name(&state).as_deref(), Some("Donald Knuth"));
}

#[test]
fn open_lead_and_back() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 80, 20);
    update(&mut state, key(KeyCode::Enter));
    insta::assert_snapshot!("lead_placeholder", render(&state, 80, 20).backend());
    update(&mut state, key(KeyCode::Esc));
    assert_eq!(state.screen, closer::state::Screen::Board);
    let fx = update(&mut state, ch('q'));
    assert_eq!(fx, vec![Effect::Quit]);
    assert!(state.quit);
}

#[test]
fn connection_loss_probes_and_recovers() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    let fx = update(&mut state, ch('L'));
    let (request, ..) = move_effect(&fx).expect("move");
    let fx = update(
        &mut state,
        Action::Board(BoardAction::LeadMoved {
            request,
            result: Err(Failure {
                message: "Cannot reach the database: connection refused".to_string(),
                connection: true,
            }),
        }),
    );
    assert_eq!(state.connection, Connection::Reconnecting);
    let probe = fx
        .iter()
        .find_map(|e| match e {
            Effect::LoadOverdue {
                request,
                delay: Some(_),
            } => Some(*request),
            _ => None,
        })
        .expect("a delayed probe");
    insta::assert_snapshot!("reconnecting", render(&state, 120, 24).backend());
    let fx = update(
        &mut state,
        Action::OverdueLoaded {
            request: probe,
            result: Ok(3),
        },
    );
    assert_eq!(state.connection, Connection::Connected);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Board(BoardEffect::Load { .. })))
    );
}

// ---------------------------------------------------------------------------
// The loop, headless
// ---------------------------------------------------------------------------

pub(crate) mod headless {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use closer::app::BoardBackend;
    use crossterm::event::Event;
    use futures::StreamExt;

    use super::*;

    /// The fake's data behind the loop's worker; `frames` is read when a move starts (set it to
    /// a terminal's flush counter, `loop_ui`).
    #[derive(Clone)]
    pub(crate) struct Backend {
        pub data: Arc<Mutex<Fake>>,
        pub moves: Arc<Mutex<Vec<(Uuid, Uuid, Uuid)>>>,
        pub pages: Arc<Mutex<usize>>,
        pub frames: Arc<AtomicUsize>,
        /// `frames` when each move started.
        pub frames_at_move: Arc<Mutex<Vec<usize>>>,
        /// The loop's channel, once it listens: teammates' changes are sent on it.
        pub live: Arc<Mutex<Option<tokio::sync::mpsc::UnboundedSender<Action>>>>,
        /// A column's page answers after this times its stage's place (1, 2, …): results that
        /// trickle in, as a server's do.
        pub page_stagger: Arc<Mutex<std::time::Duration>>,
    }

    impl Backend {
        /// Waits until the loop has read every visible column's first page.
        pub(crate) async fn first_pages(&self) {
            wait_until("first pages", || self.pages_read() >= 5).await;
        }

        /// Types `L` (move the selected card on), waits for the move to reach the data and its
        /// result to come back, then types `q`.
        pub(crate) async fn move_then_quit(
            &self,
            keys: &tokio::sync::mpsc::UnboundedSender<std::io::Result<Event>>,
        ) {
            let _ = keys.send(key_event('L'));
            wait_until("the move", || {
                !self
                    .moves
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_empty()
            })
            .await;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let _ = keys.send(key_event('q'));
        }

        pub(crate) fn new() -> Self {
            Backend {
                data: Arc::new(Mutex::new(Fake::new())),
                moves: Arc::default(),
                pages: Arc::default(),
                frames: Arc::default(),
                frames_at_move: Arc::default(),
                live: Arc::default(),
                page_stagger: Arc::default(),
            }
        }

        /// The column pages read so far.
        pub(crate) fn pages_read(&self) -> usize {
            *self.pages.lock().unwrap_or_else(|p| p.into_inner())
        }

        /// A teammate's change to every stage, as the live listener delivers it.
        pub(crate) fn teammate_changed_every_stage(&self) {
            let stages = self.lock().stages.iter().map(|s| s.id).collect();
            let change = closer::data::live::Change {
                leads: closer::data::live::Scope::All,
                stages: closer::data::live::Scope::Ids(stages),
            };
            if let Some(tx) = self.live.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                let _ = tx.send(Action::Live(closer::data::live::LiveEvent::Changed(change)));
            }
        }

        fn lock(&self) -> std::sync::MutexGuard<'_, Fake> {
            self.data.lock().unwrap_or_else(|p| p.into_inner())
        }
    }

    impl BoardBackend for Backend {
        async fn pipelines(&self) -> Result<Vec<Pipeline>, Failure> {
            Ok(vec![Pipeline {
                id: id(PIPELINE),
                name: "Sales".to_string(),
                is_default: true,
            }])
        }
        async fn stages(&self, _pipeline_id: Uuid) -> Result<Vec<Stage>, Failure> {
            Ok(self.lock().stages.clone())
        }
        async fn stage_summaries(
            &self,
            _pipeline_id: Uuid,
        ) -> Result<HashMap<Uuid, StageSummary>, Failure> {
            Ok(summaries_for(&self.lock().cards))
        }
        async fn column_page(
            &self,
            stage_id: Uuid,
            sort: BoardSort,
            after: Option<ColumnCursor>,
            limit: i64,
        ) -> Result<ColumnPage, Failure> {
            *self.pages.lock().unwrap_or_else(|p| p.into_inner()) += 1;
            let stagger = *self.page_stagger.lock().unwrap_or_else(|p| p.into_inner());
            let place = self.lock().stages.iter().position(|s| s.id == stage_id);
            if let Some(place) = place.filter(|_| !stagger.is_zero()) {
                tokio::time::sleep(stagger * (place as u32 + 1)).await;
            }
            Ok(self.lock().page(stage_id, sort, after.as_ref(), limit))
        }
        async fn move_lead(
            &self,
            lead_id: Uuid,
            from_stage: Uuid,
            to_stage: Uuid,
            _lost_reason: Option<String>,
        ) -> Result<MovedLead, Failure> {
            self.frames_at_move
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(self.frames.load(Ordering::SeqCst));
            self.moves
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((lead_id, from_stage, to_stage));
            let mut data = self.lock();
            let card = data
                .cards
                .iter_mut()
                .find(|c| c.id == lead_id && c.stage_id == from_stage)
                .ok_or(Failure {
                    message: "gone".to_string(),
                    connection: false,
                })?;
            card.stage_id = to_stage;
            card.version += 1;
            Ok(MovedLead {
                lead_id,
                stage_id: to_stage,
                version: card.version,
            })
        }
        async fn search_leads(&self, _query: String, _limit: i64) -> Result<Vec<LeadHit>, Failure> {
            Ok(Vec::new())
        }
        async fn overdue_task_count(&self) -> Result<i64, Failure> {
            Ok(2)
        }
        fn listen(&self, tx: tokio::sync::mpsc::UnboundedSender<Action>) {
            *self.live.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
        }
    }

    /// Terminal events the test sends, as the loop's event stream.
    pub(crate) fn event_stream() -> (
        tokio::sync::mpsc::UnboundedSender<std::io::Result<Event>>,
        futures::stream::BoxStream<'static, std::io::Result<Event>>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<Event>>();
        let events =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) })
                .boxed();
        (tx, events)
    }

    /// The key `c` as the terminal reports it (upper case with shift).
    pub(crate) fn key_event(c: char) -> std::io::Result<Event> {
        let modifiers = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        Ok(Event::Key(KeyEvent::new(KeyCode::Char(c), modifiers)))
    }

    pub(crate) async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        panic!("timed out waiting for {what}");
    }

    #[tokio::test]
    async fn loop_loads_moves_and_quits() {
        let backend = Backend::new();
        let (tx, events) = event_stream();
        let mut terminal = Terminal::new(TestBackend::new(100, 20)).expect("terminal");
        let state = new_state(100, 20);
        let probe = backend.clone();
        let driver = tokio::spawn(async move {
            probe.first_pages().await;
            probe.move_then_quit(&tx).await;
        });
        let state = closer::app::run(
            &mut terminal,
            events,
            backend.clone(),
            state,
            Theme::default(),
        )
        .await
        .expect("loop ends cleanly");
        driver.await.expect("driver");
        assert!(state.quit);
        assert_eq!(
            backend.moves.lock().map(|m| m.clone()).unwrap_or_default(),
            vec![(id(0x1001), id(0x101), id(0x102))]
        );
        assert!(state.board.pending.is_empty(), "move confirmed");
        assert_eq!(selected_name(&state).as_deref(), Some("Grace Hopper"));
        assert_eq!(state.board.selected, 1);
        assert_eq!(state.overdue, Some(2));
        assert!(!state.is_loading(), "idle: no spinner tick");
        assert!(find_text(&terminal, "Grace Hopper").is_some());
    }
}

#[test]
fn esc_while_the_board_loads_cancels_the_query_on_the_server() {
    let mut state = closer::state::State::new(
        closer::state::Viewer::default(),
        closer::config::Keymap::default(),
        closer::state::Options::default(),
        chrono::Utc::now(),
    );
    let _ = state.start();
    assert!(state.is_loading());
    let fx = closer::state::update(
        &mut state,
        closer::state::Action::Command(closer::config::Command::Back),
    );
    assert_eq!(fx, vec![closer::state::Effect::CancelQueries]);
    assert!(
        state.message.is_some(),
        "the rep sees that it is being cancelled"
    );
}
