//! Insights screen (issue 13): `I` opens it for the board's pipeline and the current quarter,
//! keys change the period and person, and every panel is drawn with its numbers in text, at
//! 80×24 (scrolled) and 160×48, with and without colours.

use super::harness::{Ui, render_with, screen_text};
use chrono::NaiveDate;
use closer::config::theme::Theme;
use closer::data::insights::{FunnelStage, Insights, MonthAmount, Period, Ranked, RepRow};
use closer::state::insights::{InsightsAction, InsightsEffect};
use closer::state::{Action, Effect, Screen, update};
use uuid::Uuid;

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn month(m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, 1).expect("a month")
}

fn money(m: u32, count: i64, amount: f64, weighted: f64) -> MonthAmount {
    MonthAmount {
        month: month(m),
        count,
        amount,
        weighted,
    }
}

fn stage(
    n: u128,
    name: &str,
    entered: i64,
    moved_on: i64,
    conversion: Option<f64>,
    median: Option<f64>,
    p80: Option<f64>,
) -> FunnelStage {
    FunnelStage {
        stage_id: id(n),
        name: name.into(),
        is_won: name == "Won",
        is_lost: name == "Lost",
        entered,
        moved_on,
        conversion,
        median_days: median,
        p80_days: p80,
        stays_left: moved_on,
    }
}

fn rep(n: u128, name: &str, won: f64, open: f64, calls: i64, on_time: i64, done: i64) -> RepRow {
    RepRow {
        profile_id: id(n),
        name: name.into(),
        won_amount: won,
        won_count: (won / 50_000.0) as i64,
        open_pipeline: open,
        calls,
        tasks_on_time: on_time,
        tasks_completed: done,
    }
}

pub(crate) fn sample() -> Insights {
    Insights {
        pipeline: "Sales Pipeline".into(),
        currency: "USD".into(),
        other_currencies: Vec::new(),
        period: "2025-Q1".into(),
        from: month(1),
        to_exclusive: month(4),
        person: None,
        forecast: vec![
            money(2, 4, 310_000.0, 124_000.0),
            money(3, 9, 820_500.0, 410_250.0),
        ],
        won: vec![
            money(1, 2, 150_000.0, 150_000.0),
            money(3, 3, 260_000.0, 260_000.0),
        ],
        lost: vec![
            money(1, 1, 40_000.0, 40_000.0),
            money(2, 2, 95_000.0, 95_000.0),
        ],
        won_count: 5,
        lost_count: 3,
        won_amount: 410_000.0,
        lost_amount: 135_000.0,
        win_rate: Some(62.5),
        funnel: vec![
            stage(1, "New", 120, 84, Some(70.0), Some(2.5), Some(6.0)),
            stage(2, "Contacted", 84, 40, Some(47.6), Some(5.0), Some(11.2)),
            stage(3, "Qualified", 40, 22, Some(55.0), Some(8.0), Some(19.5)),
            stage(4, "Proposal", 22, 5, Some(22.7), Some(12.0), Some(30.0)),
            stage(5, "Won", 5, 0, None, None, None),
            stage(6, "Lost", 3, 0, None, None, None),
        ],
        avg_days_to_close: Some(41.3),
        lost_reasons: vec![
            Ranked {
                label: "Price too high".into(),
                count: 2,
                amount: 0.0,
            },
            Ranked {
                label: "Chose a competitor".into(),
                count: 1,
                amount: 0.0,
            },
        ],
        sources: vec![
            Ranked {
                label: "referral".into(),
                count: 3,
                amount: 260_000.0,
            },
            Ranked {
                label: "web".into(),
                count: 2,
                amount: 150_000.0,
            },
        ],
        leaderboard: vec![
            rep(10, "Grace Hopper", 260_000.0, 520_000.0, 48, 30, 33),
            rep(11, "Ada Lovelace", 150_000.0, 610_500.0, 61, 25, 31),
            rep(12, "Alan Turing", 0.0, 0.0, 3, 0, 2),
        ],
    }
}

/// The board has a pipeline; `I` asks for the current quarter; the answer is fed back.
fn opened(width: u16, height: u16) -> Ui {
    let mut ui = Ui::new(width, height);
    ui.state.board.pipeline_id = Some(id(99));
    let mut ui = ui.press("I");
    let request = ui
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Insights(InsightsEffect::Load { request, query }) => {
                assert_eq!(query.pipeline_id, id(99));
                assert_eq!(query.period, Period::Quarter(2025, 1));
                assert_eq!(query.person, None);
                Some(*request)
            }
            _ => None,
        })
        .expect("I asks for the insights");
    update(
        &mut ui.state,
        Action::Insights(InsightsAction::Loaded {
            request,
            result: Ok(Box::new(sample())),
        }),
    );
    ui
}

#[test]
fn insights_at_80x24_first_page() {
    let ui = opened(80, 24);
    assert!(matches!(ui.state.screen, Screen::Insights(_)));
    insta::assert_snapshot!("insights_80x24_top", ui.screen());
}

#[test]
fn insights_at_80x24_scrolls_to_every_panel() {
    let ui = opened(80, 24).press("ctrl-d");
    insta::assert_snapshot!("insights_80x24_page2", ui.screen());
    let ui = ui.press("G");
    insta::assert_snapshot!("insights_80x24_bottom", ui.screen());
}

#[test]
fn insights_at_160x48() {
    insta::assert_snapshot!("insights_160x48", opened(160, 48).screen());
}

#[test]
fn insights_without_colours_keep_bars_and_numbers() {
    let ui = opened(100, 30);
    let terminal = render_with(&ui.state, 100, 30, &Theme::plain());
    let text = screen_text(&terminal);
    assert!(text.contains("████"), "bars are characters:\n{text}");
    assert!(
        text.contains("entered 120 · moved on 84 (70.0 %)"),
        "{text}"
    );
    let buf = terminal.backend().buffer();
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "no colour with NO_COLOR"
        );
    }
}

#[test]
fn period_and_person_keys_ask_again() {
    let ui = opened(80, 24).press("[");
    let period = ui.effects.iter().rev().find_map(|e| match e {
        Effect::Insights(InsightsEffect::Load { query, .. }) => Some(query.period),
        _ => None,
    });
    assert_eq!(period, Some(Period::Quarter(2024, 4)));
    let ui = ui.press("t");
    let period = ui.effects.iter().rev().find_map(|e| match e {
        Effect::Insights(InsightsEffect::Load { query, .. }) => Some(query.period),
        _ => None,
    });
    assert_eq!(period, Some(Period::Month(2024, 10)));
    let ui = ui.press("p");
    let person = ui.effects.iter().rev().find_map(|e| match e {
        Effect::Insights(InsightsEffect::Load { query, .. }) => Some(query.person),
        _ => None,
    });
    assert_eq!(
        person,
        Some(Some(id(10))),
        "the first person of the team's leaderboard"
    );
    let ui = ui.press("esc");
    assert!(matches!(ui.state.screen, Screen::Board));
}
