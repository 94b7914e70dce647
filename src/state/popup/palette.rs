//! The command palette (`:` / ctrl-p): fuzzy search over every command of every screen (each
//! shown with its key from the keymap in effect, so it teaches the keys, and with the screen it
//! belongs to when that is not the one in front), the screens, the pipelines, and leads by name
//! (a bounded data-layer search, debounced); Enter runs it. A command of another screen switches
//! there first (`run_elsewhere`) or says where it applies.

use crossterm::event::KeyEvent;
use std::cmp::Reverse;
use uuid::Uuid;

use super::{Popup, input};
use crate::config::keymap::{Command, Scope};
use crate::data::models::LeadHit;
use crate::state::request::InFlight;
use crate::state::{
    Effect, Failure, RequestId, SEARCH_DEBOUNCE, Screen, State, board, note_failure,
};

/// The open palette. Its entries are derived from the state on every key and frame
/// ([`entries`]); only the lead hits come from the database.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Palette {
    pub query: String,
    pub selected: usize,
    pub leads: Vec<LeadHit>,
    /// The debounce timer armed for the latest keystroke.
    pub debounce: Option<RequestId>,
    /// The lead search whose result is awaited.
    pub request: Option<RequestId>,
}

/// What an entry does.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Command(Command),
    Pipeline(Uuid),
    /// A saved view (issue 12): shown on the board.
    View(Uuid),
    Lead {
        id: Uuid,
        name: String,
    },
}

/// One line of the palette.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub label: String,
    /// Right-aligned: the key of a command, or what kind of thing it is.
    pub detail: String,
    pub target: Target,
}

/// Commands that make no sense from the palette (they act on a popup or are the palette).
const HIDDEN: [Command; 5] = [
    Command::CommandPalette,
    Command::Confirm,
    Command::Cancel,
    Command::SaveForm,
    Command::ExternalEditor,
];

pub fn open(state: &mut State) -> Vec<Effect> {
    super::show(state, Popup::Palette(Palette::default()))
}

/// The entries matching the query, best first (everything, in help order, for an empty query).
pub fn entries(state: &State, palette: &Palette) -> Vec<Entry> {
    let scope = state.scope();
    // This screen's commands first (help order), then those of the other screens.
    let mut commands: Vec<Command> = Command::ALL
        .iter()
        .copied()
        .filter(|c| !HIDDEN.contains(c) && !matches!(c.scopes(), [Scope::Popup] | [Scope::Editor]))
        .collect();
    commands.sort_by_key(|c| Reverse(applies_here(*c, scope)));
    let mut all = Vec::new();
    for cmd in commands {
        let keys = state.keymap.keys_label(cmd);
        let detail = match home(cmd, scope) {
            None => keys,
            Some(other) if keys.is_empty() => other.title().to_lowercase(),
            Some(other) => format!("{keys} · {}", other.title().to_lowercase()),
        };
        all.push(Entry {
            label: cmd.description().to_string(),
            detail,
            target: Target::Command(cmd),
        });
    }
    for (label, cmd) in [
        ("Board", Command::OpenBoard),
        ("Task inbox", Command::OpenInbox),
        ("Insights", Command::OpenInsights),
    ] {
        all.push(Entry {
            label: label.to_string(),
            detail: "screen".to_string(),
            target: Target::Command(cmd),
        });
    }
    for p in &state.board.pipelines {
        all.push(Entry {
            label: format!("Pipeline {}", p.name),
            detail: "pipeline".to_string(),
            target: Target::Pipeline(p.id),
        });
    }
    // Saved views (issue 12): the picker, and each view by name.
    all.push(Entry {
        label: "Saved views…".to_string(),
        detail: state.keymap.keys_label(Command::OpenViews),
        target: Target::Command(Command::OpenViews),
    });
    for v in &state.board.views {
        all.push(Entry {
            label: format!("View {}", v.name),
            detail: if v.mine { "view" } else { "team view" }.to_string(),
            target: Target::View(v.id),
        });
    }
    for hit in &palette.leads {
        all.push(Entry {
            label: hit.name.clone(),
            detail: hit
                .company
                .as_ref()
                .map_or_else(|| "lead".to_string(), |c| format!("lead · {c}")),
            target: Target::Lead {
                id: hit.id,
                name: hit.name.clone(),
            },
        });
    }
    let query = palette.query.trim();
    if query.is_empty() {
        return all;
    }
    let mut scored: Vec<(i64, usize, Entry)> = all
        .into_iter()
        .enumerate()
        .filter_map(|(i, e)| {
            // Leads were found by the database: they match even when the name alone does not.
            let lead = matches!(e.target, Target::Lead { .. });
            let score = fuzzy_score(query, &e.label).or(lead.then_some(0))?;
            Some((score, i, e))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, _, e)| e).collect()
}

/// Whether `cmd` acts on the screen whose scope is `scope` (or everywhere).
fn applies_here(cmd: Command, scope: Scope) -> bool {
    let scopes = cmd.scopes();
    scopes.contains(&Scope::Global) || scopes.contains(&scope)
}

/// The screen `cmd` belongs to when it does not act on the one in front.
fn home(cmd: Command, scope: Scope) -> Option<Scope> {
    if applies_here(cmd, scope) {
        return None;
    }
    cmd.scopes().first().copied()
}

/// A fuzzy match of `query` in `text`: every query character in order (case-insensitive,
/// spaces ignored). Higher is better: consecutive characters, word starts and an early first
/// match score more. `None` when it does not match.
pub fn fuzzy_score(query: &str, text: &str) -> Option<i64> {
    let text: Vec<char> = text.to_lowercase().chars().collect();
    let mut score = 0i64;
    let mut at = 0usize;
    let mut last: Option<usize> = None;
    for q in query.to_lowercase().chars().filter(|c| !c.is_whitespace()) {
        let found = (at..text.len()).find(|&i| text.get(i) == Some(&q))?;
        let word_start = found == 0 || text.get(found - 1).is_some_and(|c| !c.is_alphanumeric());
        score += 1;
        if word_start {
            score += 8;
        }
        if last.is_some_and(|l| l + 1 == found) {
            score += 5;
        }
        if last.is_none() {
            score -= i64::try_from(found).unwrap_or(i64::MAX).min(20);
        }
        last = Some(found);
        at = found + 1;
    }
    // The query as one piece of the label beats letters scattered over a long sentence.
    let whole: String = text.iter().collect();
    if let Some(at) = whole.find(query.to_lowercase().trim()) {
        let word_start = at == 0 || whole[..at].ends_with(|c: char| !c.is_alphanumeric());
        score += if word_start { 60 } else { 30 };
    }
    // Shorter labels win ties: "Switch pipeline" over a long sentence that also matches.
    Some(score * 100 - i64::try_from(text.len()).unwrap_or(0))
}

pub(super) fn key(state: &mut State, mut palette: Palette, key: KeyEvent) -> Vec<Effect> {
    let popup = state.keymap.popup_command(&key);
    let count = entries(state, &palette).len();
    let last = count.saturating_sub(1);
    match key.code {
        _ if popup == Some(Command::Cancel) => return Vec::new(),
        _ if popup == Some(Command::Confirm) => {
            let chosen = entries(state, &palette).into_iter().nth(palette.selected);
            return match chosen {
                Some(entry) => run(state, entry.target),
                None => super::show(state, Popup::Palette(palette)),
            };
        }
        _ if super::list_step(state, &key).is_some() => {
            let delta = super::list_step(state, &key).unwrap_or_default();
            palette.selected = super::step(palette.selected, delta, last);
        }
        _ => {
            if input::edit(&mut palette.query, &key, input::MAX_LINE) {
                palette.selected = 0;
                palette.request = None;
                palette.leads.clear();
                if palette.query.trim().chars().count() >= 2 {
                    let token = state.next_id();
                    palette.debounce = Some(token);
                    state.popup = Some(Popup::Palette(palette));
                    return vec![Effect::StartDebounce {
                        token,
                        delay: SEARCH_DEBOUNCE,
                    }];
                }
                palette.debounce = None;
            }
        }
    }
    super::show(state, Popup::Palette(palette))
}

/// Runs the chosen entry (the palette is already closed).
pub fn run(state: &mut State, target: Target) -> Vec<Effect> {
    match target {
        Target::Command(cmd) => match home(cmd, state.scope()) {
            None => crate::state::router::on_command(state, cmd),
            Some(other) => run_elsewhere(state, cmd, other),
        },
        Target::View(id) => {
            state.screen = Screen::Board;
            board::views::apply_view(state, id)
        }
        Target::Pipeline(id) => {
            state.screen = Screen::Board;
            let name = state
                .board
                .pipelines
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.clone());
            let fx = board::switch_pipeline(state, id);
            if let Some(name) = name {
                state.info(format!("Pipeline {name}"));
            }
            fx
        }
        Target::Lead { id, name } => crate::state::lead::open(state, id, name),
    }
}

/// A command of another screen: the board's run there at once (its data stays loaded); a
/// lead's command opens the selected lead and runs once it has loaded (as typeahead); the
/// inbox and insights open, and the status line teaches the key to press there.
fn run_elsewhere(state: &mut State, cmd: Command, other: Scope) -> Vec<Effect> {
    use crate::state::router::on_command;
    let keys = state.keymap.keys_label(cmd);
    let what = cmd.description();
    match other {
        Scope::Board => {
            state.screen = Screen::Board;
            on_command(state, cmd)
        }
        Scope::Lead => {
            let key = state.keymap.keys(cmd).first().copied();
            let can_open = Command::OpenLead.scopes().contains(&state.scope());
            if let (Some(key), true) = (key, can_open) {
                let mut fx = on_command(state, Command::OpenLead);
                if let Screen::Lead(lead) = &mut state.screen {
                    if lead.data.is_none() {
                        lead.typeahead
                            .push(KeyEvent::new(key.code(), key.modifiers()));
                    } else {
                        fx.extend(on_command(state, cmd));
                    }
                    return fx;
                }
            }
            state.info(format!(
                "“{what}” works on a lead's screen ({keys}): open a lead first"
            ));
            Vec::new()
        }
        Scope::Inbox | Scope::Insights => {
            let fx = on_command(
                state,
                if other == Scope::Inbox {
                    Command::OpenInbox
                } else {
                    Command::OpenInsights
                },
            );
            state.info(format!("{}: “{what}” is {keys} here", other.title()));
            fx
        }
        Scope::Global | Scope::Popup | Scope::Editor => on_command(state, cmd),
    }
}

/// The debounce of the lead search fired.
pub(crate) fn on_debounce(state: &mut State, token: RequestId) -> Vec<Effect> {
    let request = state.next_id();
    let Some(Popup::Palette(palette)) = &mut state.popup else {
        return Vec::new();
    };
    super::search_typed(
        &mut palette.debounce,
        &mut palette.request,
        &palette.query,
        token,
        request,
    )
}

/// The lead search answered.
pub(crate) fn on_search_results(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<LeadHit>, Failure>,
) -> Vec<Effect> {
    let Some(Popup::Palette(palette)) = &mut state.popup else {
        return Vec::new();
    };
    if !palette.request.answered_by(request) {
        return Vec::new();
    }
    palette.request = None;
    match result {
        Ok(hits) => {
            palette.leads = hits;
            Vec::new()
        }
        Err(f) => {
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_prefers_word_starts_and_runs() {
        assert!(fuzzy_score("swp", "Switch pipeline").is_some());
        assert!(fuzzy_score("pipe", "Switch pipeline").is_some());
        assert!(fuzzy_score("xyz", "Switch pipeline").is_none());
        let a = fuzzy_score("switch", "Switch pipeline").unwrap_or(0);
        let b = fuzzy_score("switch", "Show the key bindings with a switch").unwrap_or(0);
        assert!(a > b);
    }
}
