//! The lost reason in the closing popup: typed, or picked by number from the organization's
//! most used recent reasons (`PgStore::recent_lost_reasons`). Typing narrows the list (any
//! reason containing the text, case-insensitive); a digit picks from the narrowed list unless
//! the text already is one of them (then digits are text).

use super::Popup;
use super::closing::{CloseKind, CloseRow, ClosingDialog};
use crate::state::{BoardEffect, Effect, Failure, State};

/// Asks for the recent reasons when the open popup is a move into a lost stage.
pub(crate) fn load(state: &mut State) -> Vec<Effect> {
    let wants = matches!(&state.popup, Some(Popup::Closing(d)) if d.kind == CloseKind::Lost);
    if !wants {
        return Vec::new();
    }
    let request = state.next_id();
    vec![BoardEffect::LoadLostReasons { request }.into()]
}

/// The reasons arrived: shown while the lost popup is open. A failed read leaves typing (the
/// popup works without the list), so it says nothing.
pub(crate) fn on_loaded(state: &mut State, result: Result<Vec<String>, Failure>) -> Vec<Effect> {
    if let (Some(Popup::Closing(dialog)), Ok(reasons)) = (state.popup.as_mut(), result)
        && dialog.kind == CloseKind::Lost
    {
        dialog.recent = reasons;
    }
    Vec::new()
}

/// The reasons the list shows for what is typed, in order (numbered from 1).
pub fn narrowed(dialog: &ClosingDialog) -> Vec<&str> {
    let typed = dialog.reason.trim().to_lowercase();
    dialog
        .recent
        .iter()
        .filter(|r| typed.is_empty() || r.to_lowercase().contains(&typed))
        .map(String::as_str)
        .collect()
}

/// A digit on the reason row picks that reason of the narrowed list (true: handled).
pub(super) fn pick(dialog: &mut ClosingDialog, c: char) -> bool {
    if dialog.focus != CloseRow::Reason || dialog.recent.contains(&dialog.reason) {
        return false;
    }
    let Some(n) = c.to_digit(10).and_then(|d| usize::try_from(d).ok()) else {
        return false;
    };
    let picked = n
        .checked_sub(1)
        .and_then(|i| narrowed(dialog).get(i).map(|r| r.to_string()));
    match picked {
        Some(reason) => {
            dialog.reason = reason;
            dialog.hint = None;
            true
        }
        None => false,
    }
}
