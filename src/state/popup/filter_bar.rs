//! The board's filter bar: type a filter (`owner:me tag:vip score:>70 rotting`), see at once
//! which word is wrong, Tab completes keys, owners, tags and sources, Enter applies. Parsing is
//! local and instant; the database is read once, on Enter.

use crossterm::event::KeyEvent;

use super::{Popup, input};
use crate::config::keymap::Command;
use crate::filter::{self, FilterError};
use crate::state::{Effect, State, board};

/// Suggestions shown under the input.
pub const SUGGESTIONS: usize = 5;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FilterBar {
    pub input: String,
    /// Why the text does not parse (its span is underlined).
    pub error: Option<FilterError>,
    /// Completions of the last word.
    pub suggestions: Vec<String>,
    pub selected: usize,
    /// The inbox's filter (issue 12) rather than the board's.
    pub inbox: bool,
}

impl FilterBar {
    fn update(&mut self, choices: Option<&filter::FilterChoices>) {
        self.error = filter::parse(&self.input).err();
        let empty = filter::FilterChoices::default();
        self.suggestions = filter::complete(&self.input, choices.unwrap_or(&empty), SUGGESTIONS);
        self.selected = self.selected.min(self.suggestions.len().saturating_sub(1));
    }
}

/// Opens the bar with the active filter's text, and asks for the completion lists once.
pub fn open(state: &mut State) -> Vec<Effect> {
    let text = state.board.filter.to_string();
    let mut bar = FilterBar {
        input: if text.is_empty() { text } else { text + " " },
        ..FilterBar::default()
    };
    bar.update(state.board.filter_choices.as_ref());
    state.popup = Some(Popup::FilterBar(bar));
    board::filter::request_choices(state)
}

/// The inbox's bar (`f` in the inbox): the same language, applied to tasks.
pub fn open_inbox(state: &mut State) -> Vec<Effect> {
    let text = crate::state::inbox::screen(state)
        .map(|s| s.filter.to_string())
        .unwrap_or_default();
    let mut bar = FilterBar {
        input: if text.is_empty() { text } else { text + " " },
        inbox: true,
        ..FilterBar::default()
    };
    bar.update(state.board.filter_choices.as_ref());
    state.popup = Some(Popup::FilterBar(bar));
    board::filter::request_choices(state)
}

/// Recomputes suggestions when the completion lists arrive while the bar is open.
pub fn refresh(state: &mut State) {
    let choices = state.board.filter_choices.clone();
    if let Some(Popup::FilterBar(bar)) = &mut state.popup {
        bar.update(choices.as_ref());
    }
}

pub(super) fn key(state: &mut State, mut bar: FilterBar, key: &KeyEvent) -> Vec<Effect> {
    let popup = state.keymap.popup_command(key);
    match key.code {
        _ if popup == Some(Command::Cancel) => return Vec::new(),
        _ if popup == Some(Command::Confirm) || (bar.inbox && super::is_save(state, key)) => {
            return match filter::parse(&bar.input) {
                Ok(f) if bar.inbox => crate::state::inbox::apply_filter(state, f),
                Ok(f) => board::filter::apply(state, f),
                Err(e) => {
                    bar.error = Some(e);
                    state.popup = Some(Popup::FilterBar(bar));
                    Vec::new()
                }
            };
        }
        _ if super::is_save(state, key) => {
            return match filter::parse(&bar.input) {
                Ok(f) => board::views::save(state, f),
                Err(e) => {
                    bar.error = Some(e);
                    state.popup = Some(Popup::FilterBar(bar));
                    Vec::new()
                }
            };
        }
        _ if popup == Some(Command::NextField) => {
            if let Some(word) = bar.suggestions.get(bar.selected) {
                bar.input = filter::apply_completion(&bar.input, word);
                bar.selected = 0;
            }
        }
        _ if popup == Some(Command::PopupDown) => {
            bar.selected = (bar.selected + 1).min(bar.suggestions.len().saturating_sub(1));
        }
        _ if popup == Some(Command::PopupUp) => bar.selected = bar.selected.saturating_sub(1),
        _ => {
            if input::edit(&mut bar.input, key, filter::MAX_LEN) {
                bar.selected = 0;
            }
        }
    }
    bar.update(state.board.filter_choices.as_ref());
    state.popup = Some(Popup::FilterBar(bar));
    Vec::new()
}
