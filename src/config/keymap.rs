//! Bindable commands, key specs and the keymap built from defaults plus the
//! `[keys]` section of the configuration file.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use serde::Deserialize;

use super::{ConfigError, ConfigErrorKind, Location};

// ---------------------------------------------------------------------------
// Key specs
// ---------------------------------------------------------------------------

/// One key, possibly with modifiers, as written in the config (`"j"`, `"J"`,
/// `"shift-right"`, `"ctrl-c"`, `"enter"`, `"f1"`, `"?"`, ...).
///
/// Canonical form: for character keys the SHIFT modifier is never stored —
/// a shifted letter is its uppercase letter (`"shift-j"` == `"J"`) and other
/// shifted characters are written as the character they produce (`"?"`).
/// `"shift-tab"` is `"backtab"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    code: KeyCode,
    modifiers: KeyModifiers,
}

/// Why a key spec string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpecError {
    message: String,
}

impl fmt::Display for KeySpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for KeySpecError {}

/// Named keys: (canonical name, aliases, code).
const NAMED_KEYS: &[(&str, &[&str], KeyCode)] = &[
    ("enter", &["return"], KeyCode::Enter),
    ("esc", &["escape"], KeyCode::Esc),
    ("tab", &[], KeyCode::Tab),
    ("backtab", &[], KeyCode::BackTab),
    ("space", &[], KeyCode::Char(' ')),
    ("backspace", &[], KeyCode::Backspace),
    ("delete", &["del"], KeyCode::Delete),
    ("insert", &["ins"], KeyCode::Insert),
    ("up", &[], KeyCode::Up),
    ("down", &[], KeyCode::Down),
    ("left", &[], KeyCode::Left),
    ("right", &[], KeyCode::Right),
    ("home", &[], KeyCode::Home),
    ("end", &[], KeyCode::End),
    ("pgup", &["pageup"], KeyCode::PageUp),
    ("pgdn", &["pagedown", "pgdown"], KeyCode::PageDown),
];

const RELEVANT_MODIFIERS: KeyModifiers = KeyModifiers::CONTROL
    .union(KeyModifiers::ALT)
    .union(KeyModifiers::SHIFT);

impl KeySpec {
    /// A key spec from a crossterm code and modifiers, normalised to the
    /// canonical form (see the type docs). Modifiers other than
    /// ctrl/alt/shift are ignored.
    pub fn new(code: KeyCode, modifiers: KeyModifiers) -> KeySpec {
        let mut code = code;
        let mut modifiers = modifiers & RELEVANT_MODIFIERS;
        match code {
            KeyCode::Char(c) => {
                if modifiers.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() {
                    code = KeyCode::Char(c.to_ascii_uppercase());
                }
                modifiers.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => modifiers.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if modifiers.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                modifiers.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        KeySpec { code, modifiers }
    }

    /// The key pressed in `event`, or `None` for key release events.
    pub fn from_event(event: &KeyEvent) -> Option<KeySpec> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        Some(KeySpec::new(event.code, event.modifiers))
    }

    /// Whether `event` is a press (or repeat) of this key. Uppercase letters
    /// match whether or not the terminal reports SHIFT; `shift-right` is
    /// Right + SHIFT.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        KeySpec::from_event(event).is_some_and(|k| k == *self)
    }

    /// The key code.
    pub fn code(&self) -> KeyCode {
        self.code
    }

    /// The modifiers (ctrl/alt, and shift for non-character keys).
    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }

    fn parse(text: &str) -> Result<KeySpec, KeySpecError> {
        let err = |message: String| Err(KeySpecError { message });
        if text.is_empty() {
            return err("empty key name".to_owned());
        }
        let mut rest = text;
        let mut modifiers = KeyModifiers::empty();
        // Peel modifier prefixes while something longer than one character
        // remains, so that "ctrl--" is ctrl + '-' and "-" is '-'.
        while rest.chars().count() > 1 {
            let Some((prefix, tail)) = rest.split_once('-') else {
                break;
            };
            let modifier = match prefix.to_ascii_lowercase().as_str() {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "m" | "a" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                _ => return err(unknown_key_message(text)),
            };
            if tail.is_empty() {
                return err(format!("key `{text}`: missing a key after `{prefix}-`"));
            }
            if modifiers.contains(modifier) {
                return err(format!("key `{text}`: modifier `{prefix}` given twice"));
            }
            modifiers |= modifier;
            rest = tail;
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if modifiers.contains(KeyModifiers::SHIFT) && !c.is_ascii_alphabetic() {
                    return err(format!(
                        "key `{text}`: shift can only be combined with letters and named keys; \
                         write the character the shifted key produces instead (e.g. \"?\")"
                    ));
                }
                KeyCode::Char(c)
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some(code) = named_key(&lower) {
                    code
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok())
                    && (1..=12).contains(&n)
                {
                    KeyCode::F(n)
                } else {
                    return err(unknown_key_message(text));
                }
            }
        };
        Ok(KeySpec::new(code, modifiers))
    }
}

fn named_key(lower: &str) -> Option<KeyCode> {
    NAMED_KEYS
        .iter()
        .find(|(name, aliases, _)| *name == lower || aliases.contains(&lower))
        .map(|(_, _, code)| *code)
}

fn unknown_key_message(text: &str) -> String {
    let names: Vec<&str> = NAMED_KEYS.iter().map(|(name, _, _)| *name).collect();
    format!(
        "unknown key `{text}`: expected a single character (\"j\", \"J\", \"?\") or one of {}, \
         f1..f12, optionally prefixed with ctrl-, alt- or shift-",
        names.join(", ")
    )
}

impl FromStr for KeySpec {
    type Err = KeySpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeySpec::parse(s)
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "f{n}"),
            code => {
                let name = NAMED_KEYS
                    .iter()
                    .find(|(_, _, c)| *c == code)
                    .map_or("?", |(name, _, _)| *name);
                f.write_str(name)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Scopes and commands
// ---------------------------------------------------------------------------

/// Where a command applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Everywhere (unless a text input has focus).
    Global,
    /// The pipeline board.
    Board,
    /// The lead detail screen.
    Lead,
    /// The task inbox.
    Inbox,
}

impl Scope {
    /// All scopes, in help-popup order.
    pub const ALL: [Scope; 4] = [Scope::Global, Scope::Board, Scope::Lead, Scope::Inbox];

    /// Title for the help popup.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Global",
            Scope::Board => "Board",
            Scope::Lead => "Lead",
            Scope::Inbox => "Inbox",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Scope::Global => "everywhere",
            Scope::Board => "on the board",
            Scope::Lead => "on the lead screen",
            Scope::Inbox => "in the inbox",
        }
    }
}

const GLOBAL: &[Scope] = &[Scope::Global];
const BOARD: &[Scope] = &[Scope::Board];
const LEAD: &[Scope] = &[Scope::Lead];
const INBOX: &[Scope] = &[Scope::Inbox];
/// List navigation works on every screen.
const LISTS: &[Scope] = &[Scope::Board, Scope::Lead, Scope::Inbox];
const BOARD_INBOX: &[Scope] = &[Scope::Board, Scope::Inbox];
/// Task commands work in the inbox and on a lead's Tasks tab.
const INBOX_LEAD: &[Scope] = &[Scope::Inbox, Scope::Lead];

macro_rules! commands {
    ($( $(#[$meta:meta])* $variant:ident = $name:literal, $scopes:expr, $desc:literal, [$($key:literal),*]; )*) => {
        /// A bindable command. The config names (`[keys]` table keys) are
        /// the snake_case variant names, e.g. `move_next_stage`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Command {
            $( $(#[$meta])* #[doc = $desc] $variant, )*
        }

        impl Command {
            /// Every command, grouped by scope, in help-popup order.
            pub const ALL: &'static [Command] = &[$(Command::$variant,)*];

            /// The config name (`move_next_stage`).
            pub fn name(self) -> &'static str {
                match self { $(Command::$variant => $name,)* }
            }

            /// One-line description for the help popup.
            pub fn description(self) -> &'static str {
                match self { $(Command::$variant => $desc,)* }
            }

            /// Every scope the command applies in (navigation commands
            /// apply on several screens; `open_lead` on the board and in the
            /// inbox).
            pub fn scopes(self) -> &'static [Scope] {
                match self { $(Command::$variant => $scopes,)* }
            }

            /// The default key specs, as written in the config.
            pub fn default_keys(self) -> &'static [&'static str] {
                match self { $(Command::$variant => &[$($key),*],)* }
            }
        }
    };
}

commands! {
    // Global
    Quit = "quit", GLOBAL, "Quit closer", ["q", "ctrl-c"];
    Help = "help", GLOBAL, "Show the key bindings", ["?"];
    Search = "search", GLOBAL, "Search leads, contacts and organizations", ["ctrl-f"];
    CommandPalette = "command_palette", GLOBAL, "Open the command palette", [":"];
    Refresh = "refresh", GLOBAL, "Reload data from the database", ["r"];
    OpenInbox = "open_inbox", GLOBAL, "Go to the task inbox", ["i"];
    OpenBoard = "open_board", GLOBAL, "Go to the pipeline board", ["b"];
    NewLead = "new_lead", GLOBAL, "Create a new lead", ["n"];
    Back = "back", GLOBAL, "Go back / close the popup", ["esc"];
    SaveForm = "save_form", GLOBAL, "Save the open form", ["ctrl-s"];
    ExternalEditor = "external_editor", GLOBAL, "Edit the focused form text in $EDITOR", ["ctrl-e"];
    // Board (navigation also in lists elsewhere)
    Left = "left", BOARD, "Previous stage column", ["h", "left"];
    Right = "right", BOARD, "Next stage column", ["l", "right"];
    Up = "up", LISTS, "Move up", ["k", "up"];
    Down = "down", LISTS, "Move down", ["j", "down"];
    Top = "top", LISTS, "Go to the top", ["g", "home"];
    Bottom = "bottom", LISTS, "Go to the bottom", ["G", "end"];
    PageUp = "page_up", LISTS, "Page up", ["ctrl-u", "pgup"];
    PageDown = "page_down", LISTS, "Page down", ["ctrl-d", "pgdn"];
    MovePrevStage = "move_prev_stage", BOARD, "Move the lead to the previous stage", ["H", "shift-left"];
    MoveNextStage = "move_next_stage", BOARD, "Move the lead to the next stage", ["L", "shift-right"];
    MoveToStage = "move_to_stage", BOARD, "Move the lead to a stage…", ["m"];
    UndoMove = "undo_move", BOARD, "Undo the last stage move", ["u"];
    OpenLead = "open_lead", BOARD_INBOX, "Open the lead", ["enter"];
    SwitchPipeline = "switch_pipeline", BOARD, "Switch pipeline", ["p"];
    CycleSort = "cycle_sort", BOARD, "Cycle the card sort order", ["s"];
    JumpToLead = "jump_to_lead", BOARD, "Jump to a lead by name", ["/"];
    // Lead
    NextTab = "next_tab", LEAD, "Next tab", ["tab", "l"];
    PrevTab = "prev_tab", LEAD, "Previous tab", ["backtab", "h"];
    TabOverview = "tab_overview", LEAD, "Overview tab", ["1"];
    TabTimeline = "tab_timeline", LEAD, "Timeline tab", ["2"];
    TabTasks = "tab_tasks", LEAD, "Tasks tab", ["3"];
    TabDeals = "tab_deals", LEAD, "Deals tab", ["4"];
    TabDocuments = "tab_documents", LEAD, "Documents tab", ["5"];
    PrevLead = "prev_lead", LEAD, "Previous lead", ["["];
    NextLead = "next_lead", LEAD, "Next lead", ["]"];
    LogInteraction = "log_interaction", LEAD, "Log a call, email or meeting", ["c"];
    AddTask = "add_task", LEAD, "Add a task", ["t"];
    EditLead = "edit_lead", LEAD, "Edit the lead", ["e"];
    AddTag = "add_tag", LEAD, "Tags: add or remove", ["T"];
    ExpandEntry = "expand_entry", LEAD, "Expand the timeline entry / edit the deal", ["enter"];
    FilterTimeline = "filter_timeline", LEAD, "Filter the timeline", ["f"];
    OpenDocument = "open_document", LEAD, "Open the document", ["o"];
    AddDeal = "add_deal", LEAD, "Add a deal", ["d"];
    AddDocument = "add_document", LEAD, "Attach a document", ["a"];
    // Inbox
    CompleteTask = "complete_task", INBOX_LEAD, "Complete the task", ["x"];
    UndoComplete = "undo_complete", INBOX, "Undo the last completion", ["u"];
    Snooze = "snooze", INBOX, "Snooze the task", ["z"];
    Reschedule = "reschedule", INBOX_LEAD, "Reschedule the task", ["R"];
    ChangePriority = "change_priority", INBOX, "Change the priority", ["P"];
    Reassign = "reassign", INBOX, "Reassign the task", ["A"];
    EditTask = "edit_task", INBOX, "Edit the task", ["e"];
    ToggleMark = "toggle_mark", INBOX, "Mark / unmark the task", ["space"];
    MarkGroup = "mark_group", INBOX, "Mark the whole group", ["V"];
    TriageMode = "triage_mode", INBOX, "Triage mode: one task at a time", ["t"];
    ToggleTeam = "toggle_team", INBOX, "Show my tasks / the team's", ["w"];
    ToggleCompleted = "toggle_completed", INBOX, "Show / hide completed tasks", ["C"];
    LogCall = "log_call", INBOX, "Log a call for the task's lead", ["c"];
    SkipTask = "skip_task", INBOX, "Triage: skip to the next task", ["s"];
    NewTask = "new_task", INBOX, "Add a task for a lead", ["a"];
}

impl Command {
    /// The primary scope (the first of [`Command::scopes`]).
    pub fn scope(self) -> Scope {
        self.scopes().first().copied().unwrap_or(Scope::Global)
    }

    /// Whether the command is active in `scope` (global commands are active
    /// everywhere).
    pub fn applies_in(self, scope: Scope) -> bool {
        let scopes = self.scopes();
        scopes.contains(&scope) || scopes.contains(&Scope::Global)
    }

    /// The command with config name `name`.
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first scope in which two commands are both active, if any (global
/// commands overlap with everything).
fn overlap(a: Command, b: Command) -> Option<Scope> {
    for &sa in a.scopes() {
        for &sb in b.scopes() {
            if sa == sb || sb == Scope::Global {
                return Some(sa);
            }
            if sa == Scope::Global {
                return Some(sb);
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// The [keys] section
// ---------------------------------------------------------------------------

/// A value with the place in the config file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub location: Option<Location>,
}

impl<T> Located<T> {
    /// A value that did not come from a file.
    pub fn unlocated(value: T) -> Located<T> {
        Located {
            value,
            location: None,
        }
    }
}

/// One `command = ["key", ...]` line of `[keys]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBindingEntry {
    pub command: Located<String>,
    /// Empty: the command is unbound.
    pub keys: Vec<Located<String>>,
}

/// The `[keys]` section as written by the user, in file order, with
/// positions for error messages. Built by [`super::Config::from_toml_str`];
/// [`KeysSection::bind`] builds one in code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeysSection {
    /// File label used in error messages.
    pub file: String,
    pub entries: Vec<KeyBindingEntry>,
}

impl KeysSection {
    /// An empty section for `file`.
    pub fn new(file: impl Into<String>) -> KeysSection {
        KeysSection {
            file: file.into(),
            entries: Vec::new(),
        }
    }

    /// Adds `command = keys` (without positions).
    pub fn bind(mut self, command: &str, keys: &[&str]) -> KeysSection {
        self.entries.push(KeyBindingEntry {
            command: Located::unlocated(command.to_owned()),
            keys: keys
                .iter()
                .map(|k| Located::unlocated((*k).to_owned()))
                .collect(),
        });
        self
    }
}

// ---------------------------------------------------------------------------
// Keymap
// ---------------------------------------------------------------------------

/// The bindings in effect: defaults, with each command the user configured
/// replaced by the user's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Keys per command, in the order written.
    keys: HashMap<Command, Vec<KeySpec>>,
    /// (scope, key) → command, for every scope a command applies in.
    lookup: HashMap<(Scope, KeySpec), Command>,
}

impl Default for Keymap {
    /// The default bindings.
    fn default() -> Self {
        // The defaults are checked by a unit test; never panic at runtime.
        Keymap::from_config(&KeysSection::default()).unwrap_or_else(|_| Keymap::build_unchecked())
    }
}

/// One command's keys as planned: (command, [(key, position)], from the user).
type Planned = (Command, Vec<(KeySpec, Option<Location>)>, bool);

struct Bound {
    command: Command,
    location: Option<Location>,
    from_user: bool,
}

impl Keymap {
    /// Defaults overridden by `user`. Errors (with file:line:column) for an
    /// unknown command name, an invalid key spec, and a key bound to two
    /// commands that are active on the same screen.
    pub fn from_config(user: &KeysSection) -> Result<Keymap, ConfigError> {
        let file = user.file.as_str();
        let error = |kind, location: Option<Location>, message: String| ConfigError {
            file: file.to_owned(),
            location,
            kind,
            message,
        };

        // User entries first, in file order, so that errors point at the
        // later user-written key; then the defaults of the other commands.
        let mut entries: Vec<&KeyBindingEntry> = user.entries.iter().collect();
        entries.sort_by_key(|e| e.command.location);
        let mut plan: Vec<Planned> = Vec::new();
        let mut configured: HashMap<Command, Option<Location>> = HashMap::new();
        for entry in entries {
            let name = entry.command.value.as_str();
            let Some(command) = Command::from_name(name) else {
                return Err(error(
                    ConfigErrorKind::UnknownCommand,
                    entry.command.location,
                    unknown_command_message(name),
                ));
            };
            if configured.insert(command, entry.command.location).is_some() {
                return Err(error(
                    ConfigErrorKind::InvalidValue,
                    entry.command.location,
                    format!("`{name}` is bound twice in [keys]"),
                ));
            }
            let mut keys = Vec::new();
            for key in &entry.keys {
                let spec = KeySpec::parse(&key.value)
                    .map_err(|e| error(ConfigErrorKind::InvalidKey, key.location, e.to_string()))?;
                keys.push((spec, key.location));
            }
            plan.push((command, keys, true));
        }
        for &command in Command::ALL {
            if configured.contains_key(&command) {
                continue;
            }
            let mut keys = Vec::new();
            for text in command.default_keys() {
                let spec = KeySpec::parse(text).map_err(|e| {
                    error(
                        ConfigErrorKind::InvalidKey,
                        None,
                        format!("default binding of `{command}`: {e}"),
                    )
                })?;
                keys.push((spec, None));
            }
            plan.push((command, keys, false));
        }

        let mut by_key: HashMap<KeySpec, Vec<Bound>> = HashMap::new();
        let mut keymap = Keymap {
            keys: HashMap::new(),
            lookup: HashMap::new(),
        };
        for (command, keys, from_user) in plan {
            let mut specs: Vec<KeySpec> = Vec::new();
            for (spec, location) in keys {
                if specs.contains(&spec) {
                    continue;
                }
                let bound = by_key.entry(spec).or_default();
                if let Some(other) = bound
                    .iter()
                    .find_map(|b| overlap(command, b.command).map(|s| (b, s)))
                {
                    let (other, scope) = other;
                    let at = location.or(other.location);
                    let mut message = format!(
                        "key `{spec}` is bound to both `{}` and `{command}`, which are both active {}",
                        other.command,
                        scope.describe()
                    );
                    if !other.from_user {
                        message.push_str(&format!(
                            " (`{}` has it by default; rebind it, e.g. `{} = [...]`, or unbind it with `{} = []`)",
                            other.command, other.command, other.command
                        ));
                    } else if !from_user {
                        message.push_str(&format!(
                            " (`{command}` has it by default; rebind it, e.g. `{command} = [...]`, or unbind it with `{command} = []`)"
                        ));
                    } else if let (Some(first), Some(_)) = (other.location, location) {
                        message.push_str(&format!(" (first bound at line {})", first.line));
                    }
                    return Err(error(ConfigErrorKind::DuplicateBinding, at, message));
                }
                bound.push(Bound {
                    command,
                    location,
                    from_user,
                });
                specs.push(spec);
            }
            keymap.insert(command, specs);
        }
        Ok(keymap)
    }

    /// Defaults without validation (fallback only; unreachable in practice).
    fn build_unchecked() -> Keymap {
        let mut keymap = Keymap {
            keys: HashMap::new(),
            lookup: HashMap::new(),
        };
        for &command in Command::ALL {
            let specs = command
                .default_keys()
                .iter()
                .filter_map(|k| KeySpec::parse(k).ok())
                .collect();
            keymap.insert(command, specs);
        }
        keymap
    }

    fn insert(&mut self, command: Command, specs: Vec<KeySpec>) {
        for &spec in &specs {
            for &scope in command.scopes() {
                self.lookup.entry((scope, spec)).or_insert(command);
            }
        }
        self.keys.insert(command, specs);
    }

    /// The command `key` triggers on a screen of `scope`: the screen's
    /// commands first, then the global ones. `None` for unbound keys and
    /// key releases.
    pub fn command_for(&self, scope: Scope, key: &KeyEvent) -> Option<Command> {
        let spec = KeySpec::from_event(key)?;
        self.lookup
            .get(&(scope, spec))
            .or_else(|| self.lookup.get(&(Scope::Global, spec)))
            .copied()
    }

    /// The commands active in `scope` (for `Scope::Global`: the global
    /// ones; screen scopes do not repeat the global commands) with the keys
    /// in effect, in help order. A command the user unbound has an empty
    /// key list.
    pub fn bindings(&self, scope: Scope) -> Vec<(Command, Vec<KeySpec>)> {
        Command::ALL
            .iter()
            .filter(|c| c.scopes().contains(&scope))
            .map(|&c| (c, self.keys(c).to_vec()))
            .collect()
    }

    /// The keys bound to `command` (empty when unbound).
    pub fn keys(&self, command: Command) -> &[KeySpec] {
        self.keys.get(&command).map_or(&[], Vec::as_slice)
    }

    /// The keys of `command` joined with `/` for hints, e.g. `H/shift-left`.
    /// Empty when unbound.
    pub fn keys_label(&self, command: Command) -> String {
        self.keys(command)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn unknown_command_message(name: &str) -> String {
    let best = Command::ALL
        .iter()
        .map(|c| (edit_distance(name, c.name()), c.name()))
        .min_by_key(|(d, _)| *d);
    match best {
        Some((d, suggestion)) if d <= 3 => {
            format!("unknown command `{name}` (did you mean `{suggestion}`?)")
        }
        _ => format!(
            "unknown command `{name}`; see config.example.toml or the help popup (?) for the command names"
        ),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    #[test]
    fn defaults_are_valid_and_conflict_free() {
        let keymap = Keymap::from_config(&KeysSection::default()).expect("defaults are valid");
        assert_eq!(keymap, Keymap::build_unchecked());
        for &c in Command::ALL {
            assert!(!keymap.keys(c).is_empty(), "{c} has a default binding");
        }
    }

    #[test]
    fn names_match_serde() {
        for &c in Command::ALL {
            let de: StrDeserializer<'_, ValueError> = c.name().into_deserializer();
            assert_eq!(Command::deserialize(de), Ok(c));
        }
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "j",
            "J",
            "shift-right",
            "ctrl-c",
            "enter",
            "esc",
            "tab",
            "backtab",
            "space",
            "up",
            "pgdn",
            "pgup",
            "home",
            "f1",
            "f12",
            "?",
            "/",
            "[",
            "]",
            "-",
            "ctrl--",
            "ctrl-alt-x",
            "alt-shift-up",
        ] {
            let spec: KeySpec = text.parse().expect(text);
            assert_eq!(spec.to_string(), text);
        }
    }

    #[test]
    fn aliases_canonicalise() {
        let canon = |s: &str| s.parse::<KeySpec>().expect(s).to_string();
        assert_eq!(canon("shift-j"), "J");
        assert_eq!(canon("Shift-J"), "J");
        assert_eq!(canon("shift-tab"), "backtab");
        assert_eq!(canon("Enter"), "enter");
        assert_eq!(canon("PageDown"), "pgdn");
        assert_eq!(canon("CTRL-d"), "ctrl-d");
        assert_eq!(canon(" "), "space");
    }

    #[test]
    fn bad_specs() {
        for text in [
            "",
            "ctrl-",
            "hyper-x",
            "foo",
            "f13",
            "shift-?",
            "ctrl-ctrl-x",
        ] {
            assert!(text.parse::<KeySpec>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn suggests_close_names() {
        assert!(unknown_command_message("mve_next_stage").contains("`move_next_stage`"));
        assert!(!unknown_command_message("zzzzzzzzzzzz").contains("did you mean"));
    }
}
