//! The insights screen (issue 13): the pipeline on the board, a period and a person, the
//! figures of `data::insights` laid out as text rows with bars (`rows.rs`), scrolled like a
//! document so an 80×24 terminal (or a screen reader) gets every number. No I/O here.
//!
//! Live changes do not re-read: one open costs several period-wide queries, so figures are
//! re-read when the period or person changes, or on Refresh.

mod rows;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::screen::Contract;
use super::{Effect, Failure, RequestId, Screen, State};
use crate::config::keymap::Command;
use crate::data::insights::{Insights, InsightsQuery, Period};
use crate::data::live::Change;

pub use rows::{Row, RowKind, rows};

/// The screen's state.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightsScreen {
    pub period: Period,
    /// `None`: the whole team.
    pub person: Option<Uuid>,
    /// People offered by the person filter: (profile, name), from the last team-wide load.
    pub people: Vec<(Uuid, String)>,
    pub data: Option<Insights>,
    pub request: Option<RequestId>,
    pub error: Option<String>,
    /// First row shown.
    pub scroll: usize,
}

impl InsightsScreen {
    pub fn new(now: DateTime<Utc>) -> InsightsScreen {
        InsightsScreen {
            period: Period::quarter_of(now.date_naive()),
            person: None,
            people: Vec::new(),
            data: None,
            request: None,
            error: None,
            scroll: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum InsightsAction {
    Loaded {
        request: RequestId,
        /// Boxed: the insights are the largest result an action carries.
        result: Result<Box<Insights>, Failure>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum InsightsEffect {
    /// → [`InsightsAction::Loaded`].
    Load {
        request: RequestId,
        query: InsightsQuery,
    },
}

impl From<InsightsEffect> for Effect {
    fn from(effect: InsightsEffect) -> Effect {
        Effect::Insights(effect)
    }
}

/// `I`: the insights of the pipeline on the board, for the current quarter.
pub fn open(state: &mut State) -> Vec<Effect> {
    if !matches!(state.screen, Screen::Insights(_)) {
        state.screen = Screen::Insights(InsightsScreen::new(state.now));
    }
    load(state)
}

fn screen_mut(state: &mut State) -> Option<&mut InsightsScreen> {
    match &mut state.screen {
        Screen::Insights(s) => Some(s),
        _ => None,
    }
}

fn load(state: &mut State) -> Vec<Effect> {
    let Some(pipeline_id) = state.board.pipeline_id else {
        state.error("The board has no pipeline yet: wait for it to load, then press I again");
        return Vec::new();
    };
    let request = state.next_id();
    let Some(s) = screen_mut(state) else {
        return Vec::new();
    };
    s.request = Some(request);
    vec![
        InsightsEffect::Load {
            request,
            query: InsightsQuery {
                pipeline_id,
                period: s.period,
                person: s.person,
            },
        }
        .into(),
    ]
}

/// Quarter → month (the quarter's first) → year → quarter.
fn next_kind(period: Period) -> Period {
    match period {
        Period::Quarter(y, q) => Period::Month(y, 3 * (q - 1) + 1),
        Period::Month(y, _) => Period::Year(y),
        Period::Year(y) => Period::Quarter(y, 1),
    }
}

/// Rows the document has, for clamping the scroll.
fn row_count(s: &InsightsScreen) -> usize {
    s.data.as_ref().map_or(0, |d| rows(d).len())
}

pub struct Reducer;

impl Contract for Reducer {
    type Action = InsightsAction;

    fn key(_state: &mut State, _key: &KeyEvent) -> Option<Vec<Effect>> {
        None
    }

    fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
        let page = usize::from(state.board_area().height.saturating_sub(2)).max(1);
        let Some(s) = screen_mut(state) else {
            return Vec::new();
        };
        // The last scroll position shows the last page whole.
        let last = row_count(s).saturating_sub(page);
        match cmd {
            Command::Down => s.scroll = (s.scroll + 1).min(last),
            Command::Up => s.scroll = s.scroll.saturating_sub(1),
            Command::PageDown => s.scroll = (s.scroll + page).min(last),
            Command::PageUp => s.scroll = s.scroll.saturating_sub(page),
            Command::Top => s.scroll = 0,
            Command::Bottom => s.scroll = last,
            Command::PrevPeriod | Command::NextPeriod | Command::CyclePeriodKind => {
                s.period = match cmd {
                    Command::PrevPeriod => s.period.previous(),
                    Command::NextPeriod => s.period.next(),
                    _ => next_kind(s.period),
                };
                return load(state);
            }
            Command::CyclePerson => {
                if s.people.is_empty() {
                    return Vec::new();
                }
                let at = s
                    .person
                    .and_then(|p| s.people.iter().position(|(id, _)| *id == p));
                s.person = match at {
                    None => s.people.first().map(|(id, _)| *id),
                    Some(i) => s.people.get(i + 1).map(|(id, _)| *id),
                };
                return load(state);
            }
            Command::Back => state.screen = Screen::Board,
            _ => {}
        }
        Vec::new()
    }

    fn update(state: &mut State, action: InsightsAction) -> Vec<Effect> {
        let InsightsAction::Loaded { request, result } = action;
        let Some(s) = screen_mut(state) else {
            return Vec::new();
        };
        if s.request != Some(request) {
            return Vec::new();
        }
        s.request = None;
        match result {
            Ok(data) => {
                // The whole team's leaderboard names everyone the filter can pick.
                if s.person.is_none() && data.leaderboard.len() > 1 {
                    s.people = data
                        .leaderboard
                        .iter()
                        .map(|r| (r.profile_id, r.name.clone()))
                        .collect();
                }
                s.error = None;
                let last = rows(&data).len().saturating_sub(1);
                s.scroll = s.scroll.min(last);
                s.data = Some(*data);
            }
            Err(failure) => {
                s.error = Some(failure.message.clone());
                return crate::state::note_failure(state, &failure);
            }
        }
        Vec::new()
    }

    fn on_live_change(_state: &mut State, _change: &Change) -> Vec<Effect> {
        Vec::new()
    }

    fn reload(state: &mut State) -> Vec<Effect> {
        if matches!(state.screen, Screen::Insights(_)) {
            load(state)
        } else {
            Vec::new()
        }
    }

    fn is_loading(state: &State) -> bool {
        matches!(&state.screen, Screen::Insights(s) if s.request.is_some())
    }
}
