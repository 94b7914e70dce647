//! The help popup: the bindings in effect, grouped by scope, captured when it opens.

use crossterm::event::{KeyCode, KeyEvent};

use super::Popup;
use crate::config::keymap::{Command, Keymap, Scope};
use crate::state::{Effect, State};

/// The bindings in effect, grouped by scope, captured when the popup opens.
#[derive(Debug, Clone, PartialEq)]
pub struct Help {
    pub sections: Vec<HelpSection>,
    /// First visible line.
    pub scroll: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HelpSection {
    pub title: String,
    /// (keys, description)
    pub rows: Vec<(String, String)>,
}

impl Help {
    /// The screen's scope first, then the global commands.
    pub fn new(keymap: &Keymap, screen: Scope) -> Help {
        let mut sections = Vec::new();
        for scope in [screen, Scope::Global] {
            let rows = keymap
                .bindings(scope)
                .into_iter()
                .map(|(cmd, keys)| {
                    let label = if keys.is_empty() {
                        "(unbound)".to_string()
                    } else {
                        keys.iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(" ")
                    };
                    (label, cmd.description().to_string())
                })
                .collect();
            sections.push(HelpSection {
                title: scope.title().to_string(),
                rows,
            });
        }
        if screen == Scope::Board {
            sections.push(board_legend());
        }
        Help {
            sections,
            scroll: 0,
        }
    }

    /// Lines the popup has (titles, rows and a blank line between sections).
    pub fn line_count(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.rows.len() + 1)
            .sum::<usize>()
            + self.sections.len().saturating_sub(1)
    }
}

/// What every mark on a board card and header means (issue 10).
fn board_legend() -> HelpSection {
    let rows = [
        ("✓ ✗", "won stage, lost stage"),
        (
            "$3.5M · w $831k",
            "open deals' amount · weighted by probability",
        ),
        (
            "$1.2M · 3 won",
            "won (lost) deals closed in the status bar's period (P switches)",
        ),
        (
            "+€300k",
            "deals in another currency, never added to the sum (… more than one)",
        ),
        (
            "forecast",
            "weighted amount in your organization's currency (+: others left out)",
        ),
        ("me", "your own lead (others: the owner's initials)"),
        (
            "87d",
            "days without contact, shown once the stage's rotting limit passed",
        ),
        ("2 late", "overdue tasks of the lead"),
        ("no next step", "an open lead with no open task"),
        (
            "Mar 14 $1.2M",
            "closed lead: the day it closed and its won/lost amount",
        ),
        ("⋯", "a move is being saved"),
        ("✓", "a marked card: m / o / T / D act on every marked card"),
    ];
    HelpSection {
        title: "Card and header marks".to_string(),
        rows: rows
            .iter()
            .map(|(mark, meaning)| (mark.to_string(), meaning.to_string()))
            .collect(),
    }
}

/// Keys while the help popup is open.
pub(super) fn key(state: &mut State, mut help: Help, key: KeyEvent) -> Vec<Effect> {
    let cmd = state.keymap.command_for(state.scope(), &key);
    let max = help.line_count().saturating_sub(1);
    match cmd {
        Some(Command::Back | Command::Help) => return Vec::new(),
        Some(Command::Quit) if key.code == KeyCode::Char('q') => return Vec::new(),
        Some(Command::Quit) => return crate::state::quit(state),
        Some(Command::Down) => help.scroll = (help.scroll + 1).min(max),
        Some(Command::Up) => help.scroll = help.scroll.saturating_sub(1),
        Some(Command::PageDown) => help.scroll = (help.scroll + 10).min(max),
        Some(Command::PageUp) => help.scroll = help.scroll.saturating_sub(10),
        Some(Command::Top) => help.scroll = 0,
        Some(Command::Bottom) => help.scroll = max,
        _ if matches!(
            state.keymap.popup_command(&key),
            Some(Command::Cancel | Command::Confirm)
        ) =>
        {
            return Vec::new();
        }
        _ => {}
    }
    state.popup = Some(Popup::Help(help));
    Vec::new()
}
