//! Popups drawn over a screen. Only one is open at a time: each is modal and closes back to the
//! screen, so a stack would only add states nobody can reach.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use uuid::Uuid;

use crate::config::keymap::{Command, Keymap, Scope};
use crate::data::models::LeadHit;

use super::{Effect, RequestId, State};

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help(HelpOverlay),
    Picker(Picker),
    Prompt(Prompt),
    Jump(JumpOverlay),
    /// Forms and pickers of the lead work (capture, edit, tags, conflicts…).
    Lead(Box<super::lead::LeadOverlay>),
}

/// The bindings in effect, grouped by scope, captured when the overlay opens.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpOverlay {
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

impl HelpOverlay {
    /// The screen's scope first, then the global commands.
    pub fn new(keymap: &Keymap, screen: Scope) -> HelpOverlay {
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
        HelpOverlay {
            sections,
            scroll: 0,
        }
    }

    /// Lines the overlay has (titles, rows and a blank line between sections).
    pub fn line_count(&self) -> usize {
        self.sections
            .iter()
            .map(|s| s.rows.len() + 1)
            .sum::<usize>()
            + self.sections.len().saturating_sub(1)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    /// Move `lead_id` out of `from_stage`.
    Stage {
        lead_id: Uuid,
        from_stage: Uuid,
    },
    Pipeline,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PickerItem {
    pub id: Uuid,
    pub label: String,
    /// `#rrggbb` for stages.
    pub color: Option<String>,
    /// Where the lead is / the pipeline shown now.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    pub kind: PickerKind,
    pub title: String,
    pub items: Vec<PickerItem>,
    pub selected: usize,
}

impl Picker {
    pub fn select_by(&mut self, delta: isize) {
        let last = self.items.len().saturating_sub(1);
        self.selected = self.selected.saturating_add_signed(delta).min(last);
    }
}

/// A one-line text prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    pub purpose: PromptPurpose,
    pub title: String,
    pub input: String,
    /// Shown under the input after a refused submit.
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptPurpose {
    /// The reason for moving a lead into a lost stage.
    LostReason {
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        undo: bool,
    },
}

/// Type-to-filter lead search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JumpOverlay {
    pub input: String,
    pub hits: Vec<LeadHit>,
    pub selected: usize,
    /// The debounce timer armed for the latest keystroke.
    pub debounce: Option<RequestId>,
    /// The search whose result is awaited; older results are dropped.
    pub request: Option<RequestId>,
    /// Hits are for `input` as it was when last searched.
    pub searched: Option<String>,
}

/// Keys while the help overlay is open.
pub(crate) fn help_key(state: &mut State, mut help: HelpOverlay, key: KeyEvent) -> Vec<Effect> {
    let cmd = state.keymap.command_for(state.scope(), &key);
    let max = help.line_count().saturating_sub(1);
    match cmd {
        Some(Command::Back | Command::Help) => return Vec::new(),
        Some(Command::Quit) if key.code == KeyCode::Char('q') => return Vec::new(),
        Some(Command::Quit) => return super::quit(state),
        Some(Command::Down) => help.scroll = (help.scroll + 1).min(max),
        Some(Command::Up) => help.scroll = help.scroll.saturating_sub(1),
        Some(Command::PageDown) => help.scroll = (help.scroll + 10).min(max),
        Some(Command::PageUp) => help.scroll = help.scroll.saturating_sub(10),
        Some(Command::Top) => help.scroll = 0,
        Some(Command::Bottom) => help.scroll = max,
        _ if key.code == KeyCode::Esc || key.code == KeyCode::Enter => return Vec::new(),
        _ => {}
    }
    state.overlay = Some(Overlay::Help(help));
    Vec::new()
}

pub(crate) fn edit_line(input: &mut String, key: &KeyEvent) -> bool {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('u') if ctrl => {
            let changed = !input.is_empty();
            input.clear();
            changed
        }
        KeyCode::Char('w') if ctrl => {
            let trimmed = input.trim_end().len();
            let cut = input[..trimmed]
                .rfind(char::is_whitespace)
                .map_or(0, |i| i + 1);
            let changed = cut != input.len();
            input.truncate(cut);
            changed
        }
        KeyCode::Char(c) if !ctrl && !key.modifiers.contains(KeyModifiers::ALT) => {
            if c.is_control() || input.chars().count() >= 200 {
                return false;
            }
            input.push(c);
            true
        }
        KeyCode::Backspace => input.pop().is_some(),
        _ => false,
    }
}
