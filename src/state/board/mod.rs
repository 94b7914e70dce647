//! The board screen: one column per stage of a pipeline, cards paged in as they become visible,
//! optimistic moves, jump-to-lead.
//!
//! Rooms: `model` (plain data), `nav` (commands, mouse, pickers), `moves` (optimistic moves and
//! their results), `seek` (paging to a jump-to-lead target), `load` (board and column reads, and
//! `settle`, which runs after every action and pages in what became visible).

mod bottom;
pub mod filter;
mod live;
mod load;
pub(crate) mod marks;
pub mod model;
mod moves;
mod nav;
mod seek;
mod totals;
pub mod views;

use std::collections::HashMap;

use crossterm::event::{KeyEvent, MouseEvent};
use uuid::Uuid;

use live::live_change;

use super::screen::Contract;
use super::{Effect, Failure, Popup, RequestId, State};
use crate::config::keymap::Command;
use crate::data::closing::{CloseMove, CloseUndo, ClosedLead, ClosedTotals, Period};
use crate::data::live::Change;
use crate::data::models::{
    BoardSort, ColumnCursor, ColumnPage, LeadHit, MovedLead, Pipeline, Stage, StageSummary,
};

pub use model::*;

pub(crate) use load::settle;
pub(crate) use moves::{begin_move, perform_close, perform_move, undo_move};
pub(crate) use nav::switch_pipeline;
pub(crate) use seek::jump_to;

/// How long typing in jump-to-lead waits before searching.
pub const SEARCH_DEBOUNCE: std::time::Duration = std::time::Duration::from_millis(150);
/// Hits shown by jump-to-lead.
pub const SEARCH_LIMIT: i64 = 20;
/// Page size while paging a column to find a jump-to-lead target.
pub const SEEK_PAGE: i64 = 200;
/// Pages fetched to find a jump-to-lead target before pinning it at the top.
pub const SEEK_PAGES: u8 = 5;

/// Stages, summaries and pipelines of one board load.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoardData {
    pub pipelines: Vec<Pipeline>,
    /// The pipeline shown (`None`: the organization has none).
    pub pipeline_id: Option<Uuid>,
    /// In order_index order.
    pub stages: Vec<Stage>,
    pub summaries: HashMap<Uuid, StageSummary>,
}

/// Results that belong to the board (each answers the [`BoardEffect`] with the same request).
#[derive(Debug, Clone, PartialEq)]
pub enum BoardAction {
    Loaded {
        request: RequestId,
        result: Result<BoardData, Failure>,
    },
    ColumnLoaded {
        request: RequestId,
        stage_id: Uuid,
        append: bool,
        result: Result<ColumnPage, Failure>,
    },
    SummariesLoaded {
        request: RequestId,
        result: Result<HashMap<Uuid, StageSummary>, Failure>,
    },
    LeadMoved {
        request: RequestId,
        result: Result<MovedLead, Failure>,
    },
    ClosedTotalsLoaded {
        request: RequestId,
        result: Result<HashMap<Uuid, ClosedTotals>, Failure>,
    },
    /// A closing move's result, with its undo (issue 10).
    LeadClosed {
        request: RequestId,
        result: Result<ClosedLead, Failure>,
    },
    SearchResults {
        request: RequestId,
        result: Result<Vec<LeadHit>, Failure>,
    },
    /// The recent lost reasons the closing popup offers (issue 10).
    LostReasonsLoaded {
        request: RequestId,
        result: Result<Vec<String>, Failure>,
    },
    FilterChoicesLoaded {
        request: RequestId,
        result: Result<crate::filter::FilterChoices, Failure>,
    },
    ViewsLoaded {
        request: RequestId,
        open_picker: bool,
        result: Result<Vec<crate::data::views::SavedView>, Failure>,
    },
    ViewSaved {
        request: RequestId,
        result: Result<Uuid, Failure>,
    },
    /// A change from the view picker landed (`done` says what it did).
    ViewWritten {
        request: RequestId,
        done: String,
        result: Result<bool, Failure>,
    },
}

/// Data work the board asks for; run by the app's board jobs.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardEffect {
    /// Pipelines, then stages and summaries of `pipeline_id` (or of the default pipeline:
    /// `is_default`, else the first) → [`BoardAction::Loaded`].
    Load {
        request: RequestId,
        pipeline_id: Option<Uuid>,
    },
    /// One page of a column → [`BoardAction::ColumnLoaded`] (`append` echoes `after.is_some()`).
    LoadColumn {
        request: RequestId,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
        /// Only the leads this keeps (empty: all).
        filter: crate::filter::Filter,
    },
    /// → [`BoardAction::SummariesLoaded`]; exact totals of the leads `filter` keeps.
    LoadSummaries {
        request: RequestId,
        pipeline_id: Uuid,
        filter: crate::filter::Filter,
    },
    /// → [`BoardAction::LeadMoved`].
    MoveLead {
        request: RequestId,
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        lost_reason: Option<String>,
    },
    /// Won/lost totals of the closed stages → [`BoardAction::ClosedTotalsLoaded`].
    LoadClosedTotals {
        request: RequestId,
        pipeline_id: Uuid,
        period: Period,
        /// The board's filter: closed headers count only the leads it keeps.
        filter: crate::filter::Filter,
    },
    /// A move with closing choices (`closer.close_lead`) → [`BoardAction::LeadClosed`].
    CloseLead {
        request: RequestId,
        close: CloseMove,
    },
    /// Puts back what a closing move changed (`closer.undo_close`) → [`BoardAction::LeadMoved`].
    UndoClose { request: RequestId, undo: CloseUndo },
    /// → [`BoardAction::SearchResults`].
    SearchLeads {
        request: RequestId,
        query: String,
        limit: i64,
    },
    /// The organization's recent lost reasons → [`BoardAction::LostReasonsLoaded`].
    LoadLostReasons { request: RequestId },
    /// Owners, tags and sources to complete in the filter bar → [`BoardAction::FilterChoicesLoaded`].
    LoadFilterChoices { request: RequestId },
    /// The saved views → [`BoardAction::ViewsLoaded`] (the picker opens on them, or at start
    /// the default view is applied).
    LoadViews {
        request: RequestId,
        open_picker: bool,
    },
    /// Saves the filter as one of the person's views → [`BoardAction::ViewSaved`].
    SaveView {
        request: RequestId,
        name: String,
        filter: crate::filter::Filter,
        sort: BoardSort,
    },
    /// Renames, deletes, shares or makes default one of the person's views →
    /// [`BoardAction::ViewWritten`].
    WriteView {
        request: RequestId,
        op: crate::data::views::ViewOp,
        done: String,
    },
}

impl From<BoardEffect> for Effect {
    fn from(effect: BoardEffect) -> Effect {
        Effect::Board(effect)
    }
}

/// The board's side of the screen contract.
pub struct Reducer;

impl Contract for Reducer {
    type Action = BoardAction;

    /// The board has no text input of its own: every key goes through the keymap.
    fn key(_state: &mut State, _key: &KeyEvent) -> Option<Vec<Effect>> {
        None
    }

    fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
        nav::command(state, cmd)
    }

    fn update(state: &mut State, action: BoardAction) -> Vec<Effect> {
        match action {
            BoardAction::Loaded { request, result } => {
                load::on_board_loaded(state, request, result)
            }
            BoardAction::ColumnLoaded {
                request,
                stage_id,
                append,
                result,
            } => load::on_column_loaded(state, request, stage_id, append, result),
            BoardAction::SummariesLoaded { request, result } => {
                load::on_summaries(state, request, result)
            }
            BoardAction::LeadMoved { request, result } => {
                moves::on_lead_moved(state, request, result)
            }
            BoardAction::ClosedTotalsLoaded { request, result } => {
                totals::on_closed_totals(state, request, result)
            }
            BoardAction::LeadClosed { request, result } => {
                moves::on_lead_closed(state, request, result)
            }
            BoardAction::LostReasonsLoaded { result, .. } => {
                crate::state::popup::closing_reasons::on_loaded(state, result)
            }
            BoardAction::FilterChoicesLoaded { request, result } => {
                filter::on_choices(state, request, result)
            }
            BoardAction::ViewsLoaded {
                request,
                open_picker,
                result,
            } => views::on_views(state, request, open_picker, result),
            BoardAction::ViewSaved { request, result } => views::on_saved(state, request, result),
            BoardAction::ViewWritten {
                request,
                done,
                result,
            } => views::on_written(state, request, done, result),
            BoardAction::SearchResults { request, result } => match state.popup {
                Some(Popup::Palette(_)) => {
                    crate::state::popup::palette::on_search_results(state, request, result)
                }
                _ => crate::state::popup::jump::on_search_results(state, request, result),
            },
        }
    }

    /// Only the columns the change names are re-read (their first page when visible, via
    /// `settle`, and the headers in one summaries read); "everything" reloads the board. While a
    /// move is in flight, or off screen, the columns are only marked stale (re-read later).
    fn on_live_change(state: &mut State, change: &Change) -> Vec<Effect> {
        live_change(state, change)
    }

    fn reload(state: &mut State) -> Vec<Effect> {
        let request = state.next_id();
        state.board.load_request = Some(request);
        if state.board.columns.is_empty() {
            state.board.status = BoardStatus::Loading;
        }
        vec![
            BoardEffect::Load {
                request,
                pipeline_id: state.board.pipeline_id,
            }
            .into(),
        ]
    }

    /// The board is read in the background whatever screen is in front, so this does not look
    /// at `state.screen`.
    fn is_loading(state: &State) -> bool {
        state.board.load_request.is_some()
            || state.board.columns.iter().any(|c| c.loading.is_some())
            // The owner picker's spinner (issue 12).
            || matches!(
                state.board.lifecycle.members,
                crate::state::inbox::Assignees::Loading(_)
            )
    }
}

/// The first read: the board shows "Loading" until it arrives.
pub fn start(state: &mut State) -> Vec<Effect> {
    let request = state.next_id();
    state.board.status = BoardStatus::Loading;
    state.board.load_request = Some(request);
    let mut fx = vec![
        BoardEffect::Load {
            request,
            pipeline_id: state.board.pipeline_id,
        }
        .into(),
    ];
    // The default saved view, if any, becomes the start view when it arrives.
    fx.extend(views::request(state, false));
    fx
}

/// Lists whose selection fits on the first screen show from the top again (a tiny terminal
/// must not leave them scrolled once it grows).
pub fn on_resize(state: &mut State) {
    let visible = state.visible_cards();
    for col in &mut state.board.columns {
        if col.selected < visible {
            col.offset = 0;
        }
    }
}

/// Clicks and the wheel on the board.
pub fn mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    nav::mouse(state, mouse)
}
