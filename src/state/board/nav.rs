//! Board navigation: commands, the mouse, the stage and pipeline pickers.

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use uuid::Uuid;

use super::{BoardEffect, BoardStatus, ColumnStatus, moves};
use crate::config::keymap::Command;
use crate::data::models::BoardSort;
use crate::state::popup::{Jump, Picker, PickerItem, PickerKind, Popup};
use crate::state::{Effect, Screen, State, layout};

pub(super) fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let fx = match super::marks::command(state, cmd) {
        Some(fx) => fx,
        None => unmarked(state, cmd),
    };
    super::marks::follow_range(state);
    fx
}

fn unmarked(state: &mut State, cmd: Command) -> Vec<Effect> {
    let page = state.visible_cards().max(1);
    match cmd {
        Command::Left => select_column(state, -1),
        Command::Right => select_column(state, 1),
        Command::Up => select_card(state, -1),
        Command::Down => select_card(state, 1),
        Command::PageUp => select_card(state, -isize::try_from(page).unwrap_or(1)),
        Command::PageDown => select_card(state, isize::try_from(page).unwrap_or(1)),
        Command::Top => select_card(state, isize::MIN),
        Command::Bottom => super::bottom::go_bottom(state),
        Command::MovePrevStage => moves::move_selected_by(state, -1),
        Command::MoveNextStage => moves::move_selected_by(state, 1),
        Command::MoveToStage => open_stage_picker(state),
        Command::UndoMove => crate::state::history::undo(state),
        Command::OpenLead => match state.board.selected_card() {
            Some(card) => {
                let (id, name) = (card.id, card.name.clone());
                super::super::lead::open(state, id, name)
            }
            None => Vec::new(),
        },
        Command::SwitchPipeline => open_pipeline_picker(state),
        Command::CycleSort => cycle_sort(state, state.board.sort.next()),
        Command::FlipSort => cycle_sort(state, state.board.sort.flip()),
        Command::FilterLeads => crate::state::popup::filter_bar::open(state),
        Command::OpenViews => super::views::request(state, true),
        Command::CyclePeriod => super::totals::cycle_period(state),
        Command::ChangeOwner | Command::DeleteLead | Command::CopyEmail | Command::CopyPhone => {
            crate::state::lifecycle::command(state, cmd)
        }
        Command::JumpToLead | Command::Search => {
            state.popup = Some(Popup::Jump(Jump::default()));
            Vec::new()
        }
        Command::Back => {
            state.board.seek = None;
            if state.is_loading() {
                // The query is cancelled on the server; its error result restores the screen.
                state.info("Cancelling the running query…");
                return vec![Effect::CancelQueries];
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub(super) fn mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    if state.popup.is_some() || state.screen != Screen::Board {
        return Vec::new();
    }
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            // Hit-test against the layout as drawn (message line included), then dismiss.
            let body = state.board_columns_area();
            state.message = None;
            if layout::too_small(state.size.0, state.size.1) {
                return Vec::new();
            }
            let slots =
                layout::column_slots(body, state.board.columns.len(), state.board.col_offset);
            let Some(slot) = slots.iter().find(|s| {
                mouse.column >= s.area.x
                    && mouse.column < s.area.x.saturating_add(s.area.width)
                    && mouse.row >= s.area.y
                    && mouse.row < s.area.y.saturating_add(s.area.height)
            }) else {
                return Vec::new();
            };
            let index = slot.index;
            let area = slot.area;
            state.board.selected = index;
            let visible = layout::cards_that_fit(area.height);
            if let Some(row) = layout::card_row_at(area, mouse.row)
                && let Some(col) = state.board.columns.get_mut(index)
            {
                let offset =
                    layout::card_offset(col.offset, col.selected, col.cards.len(), visible);
                let target = offset + row;
                if target < col.cards.len() {
                    col.selected = target;
                    col.offset = offset;
                }
            }
            Vec::new()
        }
        MouseEventKind::ScrollDown => select_card(state, 1),
        MouseEventKind::ScrollUp => select_card(state, -1),
        _ => Vec::new(),
    }
}

fn select_column(state: &mut State, delta: isize) -> Vec<Effect> {
    let board = &mut state.board;
    let last = board.columns.len().saturating_sub(1);
    board.selected = board.selected.saturating_add_signed(delta).min(last);
    Vec::new()
}

fn select_card(state: &mut State, delta: isize) -> Vec<Effect> {
    state.board.to_bottom = None;
    if let Some(col) = state.board.column_mut() {
        let last = col.cards.len().saturating_sub(1);
        col.selected = col.selected.saturating_add_signed(delta).min(last);
    }
    Vec::new()
}

fn cycle_sort(state: &mut State, sort: BoardSort) -> Vec<Effect> {
    state.board.sort = sort;
    for col in &mut state.board.columns {
        // Reloaded when visible; cards stay on screen until the new page arrives.
        col.loading = None;
        if col.status == ColumnStatus::Ready || !col.cards.is_empty() {
            col.status = ColumnStatus::Ready;
            col.stale = true;
        } else {
            col.status = ColumnStatus::Idle;
        }
    }
    state.info(format!("Sorted by {}", state.board.sort.label()));
    Vec::new()
}

pub(crate) fn switch_pipeline(state: &mut State, pipeline_id: Uuid) -> Vec<Effect> {
    let request = state.next_id();
    let board = &mut state.board;
    board.pipeline_id = Some(pipeline_id);
    board.columns.clear();
    board.summaries.clear();
    board.selected = 0;
    board.col_offset = 0;
    board.seek = None;
    board.marks.clear();
    board.range = None;
    board.status = BoardStatus::Loading;
    board.load_request = Some(request);
    board.summaries_request = None;
    vec![Effect::Board(BoardEffect::Load {
        request,
        pipeline_id: Some(pipeline_id),
    })]
}

fn open_pipeline_picker(state: &mut State) -> Vec<Effect> {
    let board = &state.board;
    if board.pipelines.is_empty() {
        state.info("No pipelines to switch to");
        return Vec::new();
    }
    let items: Vec<PickerItem> = board
        .pipelines
        .iter()
        .map(|p| PickerItem {
            id: p.id,
            label: p.name.clone(),
            color: None,
            current: Some(p.id) == board.pipeline_id,
        })
        .collect();
    let selected = items.iter().position(|i| i.current).unwrap_or(0);
    state.popup = Some(Popup::Picker(Picker {
        kind: PickerKind::Pipeline,
        title: "Switch pipeline".to_string(),
        items,
        selected,
    }));
    Vec::new()
}

fn open_stage_picker(state: &mut State) -> Vec<Effect> {
    let board = &state.board;
    let Some(card) = board.selected_card() else {
        state.info("No lead selected");
        return Vec::new();
    };
    let lead_id = card.id;
    let name = card.name.clone();
    let from_stage = card.stage_id;
    let items: Vec<PickerItem> = board
        .columns
        .iter()
        .map(|c| PickerItem {
            id: c.stage.id,
            label: c.stage.name.clone(),
            color: Some(c.stage.color.clone()),
            current: c.stage.id == from_stage,
        })
        .collect();
    let current = items.iter().position(|i| i.current).unwrap_or(0);
    let selected = (current + 1).min(items.len().saturating_sub(1));
    state.popup = Some(Popup::Picker(Picker {
        kind: PickerKind::Stage {
            lead_id,
            from_stage,
        },
        title: format!("Move {name} to…"),
        items,
        selected,
    }));
    Vec::new()
}
