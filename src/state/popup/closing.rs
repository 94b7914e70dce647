//! The closing popup: a move into a won or lost stage, or out of one, is one decision. It asks
//! the lost reason, whether to close (or reopen) the lead's deals and whether to complete, cancel
//! or leave its open tasks, and confirms surprising moves (between closed stages, closed → open) by its title.
//! Tab / arrows move between the rows, space toggles a choice, the keymap's confirm sends it all
//! as one write (`closer.close_lead`).

use crossterm::event::{KeyCode, KeyEvent};
use uuid::Uuid;

use super::closing_deal::{self, DealOrigin};
use super::closing_reasons;
use super::{Popup, input};
use crate::config::keymap::Command;
use crate::data::closing::{DealChoice, TaskChoice};
use crate::state::{Effect, State, board};

/// What kind of close the move is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseKind {
    Won,
    Lost,
    /// From a closed stage back to an open one.
    Reopen,
}

/// A focusable row of the popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseRow {
    Reason,
    Deals,
    Tasks,
    /// Marking a deal won/lost on the lead screen: move the lead too (`closing_deal`).
    Move,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClosingDialog {
    pub lead_id: Uuid,
    pub from_stage: Uuid,
    pub to_stage: Uuid,
    pub kind: CloseKind,
    pub title: String,
    /// A surprising move says so above the choices.
    pub warning: Option<String>,
    pub reason: String,
    pub close_deals: bool,
    /// Complete, cancel or leave (keep) the lead's open tasks; space cycles.
    pub tasks: TaskChoice,
    /// The lead's open tasks (0 hides the row).
    pub open_tasks: i64,
    pub focus: CloseRow,
    /// Shown after a refused confirm.
    pub hint: Option<String>,
    /// The organization's most used recent lost reasons (picked by number).
    pub recent: Vec<String>,
    /// Opened by marking a deal on the lead screen: the held-back deal save.
    pub deal: Option<Box<DealOrigin>>,
}

impl ClosingDialog {
    /// The rows shown, top to bottom.
    pub fn rows(&self) -> Vec<CloseRow> {
        let mut rows = Vec::new();
        if let Some(origin) = &self.deal {
            rows.push(CloseRow::Move);
            if !origin.move_lead {
                return rows;
            }
        }
        if self.kind == CloseKind::Lost {
            rows.push(CloseRow::Reason);
        }
        if self.deal.is_none() {
            rows.push(CloseRow::Deals);
        }
        if self.open_tasks > 0 && self.kind != CloseKind::Reopen {
            rows.push(CloseRow::Tasks);
        }
        rows
    }

    /// The sentence of the deals row.
    pub fn deals_label(&self) -> &'static str {
        match self.kind {
            CloseKind::Won => "Mark open deals won (probability 100, closed today)",
            CloseKind::Lost => "Mark open deals lost (closed today)",
            CloseKind::Reopen => "Reopen the lead's won/lost deals",
        }
    }

    pub fn tasks_label(&self) -> String {
        let n = self.open_tasks;
        let s = if n == 1 { "" } else { "s" };
        match self.tasks {
            TaskChoice::Complete => format!("Complete {n} open task{s}"),
            TaskChoice::Cancel => format!("Cancel {n} open task{s}"),
            TaskChoice::Keep => format!("Leave {n} task{s} open"),
        }
    }
}

/// Opens the popup for a move the board decided needs it.
pub(crate) fn open(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
) -> Vec<Effect> {
    let board = &state.board;
    let stage = |id: Uuid| {
        board
            .column_index(id)
            .and_then(|i| board.columns.get(i))
            .map(|c| c.stage.clone())
    };
    let (Some(from), Some(to)) = (stage(from_stage), stage(to_stage)) else {
        return Vec::new();
    };
    let card = board
        .find_card(lead_id)
        .and_then(|(c, i)| board.columns.get(c)?.cards.get(i));
    let name = card.map(|c| c.name.clone()).unwrap_or_default();
    let open_tasks = card.map_or(0, |c| c.open_tasks);
    let kind = if to.is_won {
        CloseKind::Won
    } else if to.is_lost {
        CloseKind::Lost
    } else {
        CloseKind::Reopen
    };
    let from_closed = from.is_won || from.is_lost;
    let title = match kind {
        CloseKind::Won => format!("Move {name} to {} (won)", to.name),
        CloseKind::Lost => format!("Why was {name} lost? ({})", to.name),
        CloseKind::Reopen => format!("Reopen {name} in {}?", to.name),
    };
    let warning = from_closed.then(|| {
        format!(
            "{name} is already closed in {}: this changes the outcome",
            from.name
        )
    });
    let dialog = ClosingDialog {
        lead_id,
        from_stage,
        to_stage,
        kind,
        title,
        warning,
        reason: String::new(),
        close_deals: true,
        tasks: if kind == CloseKind::Reopen {
            TaskChoice::Keep
        } else {
            TaskChoice::Complete
        },
        open_tasks,
        focus: if kind == CloseKind::Lost {
            CloseRow::Reason
        } else {
            CloseRow::Deals
        },
        hint: None,
        recent: Vec::new(),
        deal: None,
    };
    state.popup = Some(Popup::Closing(dialog));
    closing_reasons::load(state)
}

pub(super) fn key(state: &mut State, mut dialog: ClosingDialog, key: KeyEvent) -> Vec<Effect> {
    let popup = state.keymap.popup_command(&key);
    if popup == Some(Command::Cancel) {
        if let Some(origin) = dialog.deal.take() {
            return closing_deal::cancel(state, *origin);
        }
        state.info("Move cancelled");
        return Vec::new();
    }
    if popup == Some(Command::Confirm) {
        return confirm(state, dialog);
    }
    let rows = dialog.rows();
    let at = rows.iter().position(|r| *r == dialog.focus).unwrap_or(0);
    let step = |d: isize| {
        let n = rows.len() as isize;
        rows.get(((at as isize + d).rem_euclid(n.max(1))) as usize)
            .copied()
    };
    match key.code {
        _ if matches!(popup, Some(Command::NextField | Command::PopupDown)) => {
            dialog.focus = step(1).unwrap_or(dialog.focus);
        }
        _ if matches!(popup, Some(Command::PrevField | Command::PopupUp)) => {
            dialog.focus = step(-1).unwrap_or(dialog.focus);
        }
        // The reason is text: a space typed there is a space.
        _ if popup == Some(Command::Toggle) && dialog.focus == CloseRow::Deals => {
            dialog.close_deals = !dialog.close_deals;
        }
        _ if popup == Some(Command::Toggle) && dialog.focus == CloseRow::Tasks => {
            dialog.tasks = dialog.tasks.next();
        }
        _ if popup == Some(Command::Toggle) && dialog.focus == CloseRow::Move => {
            if let Some(origin) = dialog.deal.as_mut() {
                origin.move_lead = !origin.move_lead;
            }
        }
        KeyCode::Char(c) if closing_reasons::pick(&mut dialog, c) => {}
        _ if dialog.focus == CloseRow::Reason
            && input::edit(&mut dialog.reason, &key, input::MAX_LINE) =>
        {
            dialog.hint = None;
        }
        _ => {}
    }
    state.popup = Some(Popup::Closing(dialog));
    Vec::new()
}

fn confirm(state: &mut State, mut dialog: ClosingDialog) -> Vec<Effect> {
    if let Some(origin) = dialog.deal.take_if(|o| !o.move_lead) {
        return closing_deal::save_deal_only(state, *origin);
    }
    let reason = dialog.reason.trim().to_string();
    if dialog.kind == CloseKind::Lost && reason.is_empty() {
        let cancel = state
            .keymap
            .keys(Command::Cancel)
            .first()
            .map(|k| format!(", or {} to cancel", k.title_text()))
            .unwrap_or_default();
        dialog.hint = Some(format!("Type a reason{cancel}"));
        dialog.focus = CloseRow::Reason;
        state.popup = Some(Popup::Closing(dialog));
        return Vec::new();
    }
    if dialog.deal.is_some() {
        // The marked deal and the lead's other open deals close with the move.
        dialog.close_deals = true;
        state.popup = None;
        state.info("Closing the lead on the board (u there undoes it)");
    }
    let deals = match (dialog.close_deals, dialog.kind) {
        (false, _) => DealChoice::Keep,
        (true, CloseKind::Reopen) => DealChoice::Reopen,
        (true, _) => DealChoice::Close,
    };
    let tasks = if dialog.rows().contains(&CloseRow::Tasks) {
        dialog.tasks
    } else {
        TaskChoice::Keep
    };
    board::perform_close(
        state,
        dialog.lead_id,
        dialog.from_stage,
        dialog.to_stage,
        (dialog.kind == CloseKind::Lost).then_some(reason),
        deals,
        tasks,
    )
}
