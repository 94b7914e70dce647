//! Application state: plain data and synchronous reducers, no I/O.
//!
//! `update(&mut state, action) -> Vec<Effect>`: keys, mouse, resizes and data results come in as
//! [`Action`]s; anything slow goes out as an [`Effect`] that the app's worker runs, and its
//! result comes back as another action tagged with the request id the effect carried. Results
//! whose id is no longer awaited are dropped.

pub mod board;
pub mod inbox;
pub mod layout;
pub mod lead;
pub mod overlay;

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;
use uuid::Uuid;

use crate::config::keymap::{Command, Keymap, Scope};
use crate::data::models::{
    BoardSort, ColumnCursor, ColumnPage, LeadCard, LeadHit, MovedLead, Pipeline, Stage,
    StageSummary,
};

pub use board::{Board, BoardStatus, Column, ColumnStatus, MoveRecord, PendingMove, Seek};
pub use overlay::{
    HelpOverlay, HelpSection, JumpOverlay, Overlay, Picker, PickerItem, PickerKind, Prompt,
    PromptPurpose,
};

/// Tags an effect and the result it produces.
pub type RequestId = u64;

/// How long typing in jump-to-lead waits before searching.
pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(150);
/// Hits shown by jump-to-lead.
pub const SEARCH_LIMIT: i64 = 20;
/// Page size while paging a column to find a jump-to-lead target.
pub const SEEK_PAGE: i64 = 200;
/// Pages fetched to find a jump-to-lead target before pinning it at the top.
pub const SEEK_PAGES: u8 = 5;

/// A failed data call as the UI needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// A sentence for the message line.
    pub message: String,
    /// The database could not be reached (vs. it refused the request).
    pub connection: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Connection {
    #[default]
    Connected,
    Reconnecting,
    Offline,
}

/// Who is looking at what.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Session {
    pub organization: String,
    pub person: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Error,
    Info,
}

/// The line above the status bar. Dismissed by the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: MessageKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Board,
    Lead(lead::LeadScreen),
    Inbox(inbox::InboxScreen),
}

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

/// Everything that can change the state.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize {
        width: u16,
        height: u16,
    },
    /// A bound command, as if its key was pressed on the current screen.
    Command(Command),
    /// Spinner frame (sent only while something loads).
    Tick,
    /// The jump-to-lead debounce timer fired.
    DebounceElapsed(RequestId),
    BoardLoaded {
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
    SearchResults {
        request: RequestId,
        result: Result<Vec<LeadHit>, Failure>,
    },
    OverdueLoaded {
        request: RequestId,
        result: Result<i64, Failure>,
    },
    /// A teammate changed data, or the live connection dropped or came back.
    Live(crate::data::live::LiveEvent),
    /// Results and events of the lead screen.
    Lead(lead::LeadAction),
    /// Results and events of the inbox.
    Inbox(inbox::InboxAction),
}

/// Work for the worker. Every data effect's result comes back as the matching action with the
/// same `request`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Pipelines, then stages and summaries of `pipeline_id` (or of the default pipeline:
    /// `is_default`, else the first) → [`Action::BoardLoaded`].
    LoadBoard {
        request: RequestId,
        pipeline_id: Option<Uuid>,
    },
    /// One page of a column → [`Action::ColumnLoaded`] (`append` echoes `after.is_some()`).
    LoadColumn {
        request: RequestId,
        stage_id: Uuid,
        sort: BoardSort,
        after: Option<ColumnCursor>,
        limit: i64,
    },
    /// → [`Action::SummariesLoaded`].
    LoadSummaries {
        request: RequestId,
        pipeline_id: Uuid,
    },
    /// → [`Action::LeadMoved`].
    MoveLead {
        request: RequestId,
        lead_id: Uuid,
        from_stage: Uuid,
        to_stage: Uuid,
        lost_reason: Option<String>,
    },
    /// → [`Action::SearchResults`].
    SearchLeads {
        request: RequestId,
        query: String,
        limit: i64,
    },
    /// Overdue task count, after `delay` (a reconnect probe) → [`Action::OverdueLoaded`].
    LoadOverdue {
        request: RequestId,
        delay: Option<Duration>,
    },
    /// Arm the one-shot debounce timer → [`Action::DebounceElapsed`]; replaces an armed one.
    StartDebounce {
        token: RequestId,
        delay: Duration,
    },
    /// Start listening for teammates' changes → [`Action::Live`] (once, at start).
    Listen,
    /// Cancel this process's running queries on the server (Esc while loading).
    CancelQueries,
    Lead(lead::LeadEffect),
    Inbox(inbox::InboxEffect),
    Quit,
}

/// Board options from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub stale_after_days: i64,
    pub sort: BoardSort,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            stale_after_days: 14,
            sort: BoardSort::Score,
        }
    }
}

/// The whole application state.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub session: Session,
    pub keymap: Keymap,
    pub screen: Screen,
    pub board: Board,
    pub overlay: Option<Overlay>,
    pub message: Option<Message>,
    pub connection: Connection,
    pub overdue: Option<i64>,
    pub overdue_request: Option<RequestId>,
    /// Failed reconnect probes in a row.
    pub retries: u32,
    pub stale_after_days: i64,
    /// The clock used for "3d" and staleness; the app sets it, tests pin it.
    pub now: DateTime<Utc>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Spinner frame.
    pub spinner: usize,
    pub quit: bool,
    /// The inbox as left when a lead was opened from it: Esc on that lead comes back to it.
    pub parked_inbox: Option<Box<inbox::InboxScreen>>,
    next_request: RequestId,
}

impl State {
    pub fn new(session: Session, keymap: Keymap, options: Options, now: DateTime<Utc>) -> State {
        State {
            session,
            keymap,
            screen: Screen::Board,
            board: Board {
                sort: options.sort,
                ..Board::default()
            },
            overlay: None,
            message: None,
            connection: Connection::Connected,
            overdue: None,
            overdue_request: None,
            retries: 0,
            stale_after_days: options.stale_after_days,
            now,
            size: (80, 24),
            spinner: 0,
            quit: false,
            parked_inbox: None,
            next_request: 1,
        }
    }

    /// The effects of the first frame: the board and the overdue count, in parallel.
    pub fn start(&mut self) -> Vec<Effect> {
        // The inbox first when it is the start screen (nothing otherwise).
        let mut fx = inbox::reload(self);
        let request = self.next_id();
        self.board.status = BoardStatus::Loading;
        self.board.load_request = Some(request);
        fx.push(Effect::LoadBoard {
            request,
            pipeline_id: self.board.pipeline_id,
        });
        fx.extend(self.load_overdue(None));
        fx.push(Effect::Listen);
        fx
    }

    pub fn next_id(&mut self) -> RequestId {
        let id = self.next_request;
        self.next_request += 1;
        id
    }

    /// Whether something is in flight that the screen shows as loading (the spinner ticks only
    /// then).
    pub fn is_loading(&self) -> bool {
        self.board.load_request.is_some()
            || self.board.columns.iter().any(|c| c.loading.is_some())
            || matches!(&self.overlay, Some(Overlay::Jump(j)) if j.request.is_some())
            || inbox::is_loading(self)
    }

    /// The scope of the screen in front.
    pub fn scope(&self) -> Scope {
        match self.screen {
            Screen::Board => Scope::Board,
            Screen::Lead(_) => Scope::Lead,
            Screen::Inbox(_) => Scope::Inbox,
        }
    }

    /// Where the board columns are drawn.
    pub fn board_area(&self) -> Rect {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        layout::frame(area, self.message.is_some()).body
    }

    /// Whole cards visible per column.
    pub fn visible_cards(&self) -> usize {
        layout::cards_that_fit(self.board_area().height)
    }

    /// Cards fetched per page: what is visible plus a margin.
    pub fn page_size(&self) -> i64 {
        i64::try_from(self.visible_cards() + layout::PAGE_MARGIN).unwrap_or(i64::MAX)
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            kind: MessageKind::Error,
            text: text.into(),
        });
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            kind: MessageKind::Info,
            text: text.into(),
        });
    }
}

/// The reducer.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let mut fx = match action {
        Action::Key(key) => on_key(state, key),
        Action::Mouse(mouse) => on_mouse(state, mouse),
        Action::Resize { width, height } => {
            state.size = (width, height);
            // Lists whose selection fits on the first screen show from the top again (a tiny
            // terminal must not leave them scrolled once it grows).
            let visible = state.visible_cards();
            for col in &mut state.board.columns {
                if col.selected < visible {
                    col.offset = 0;
                }
            }
            Vec::new()
        }
        Action::Command(cmd) => {
            state.message = None;
            on_command(state, cmd)
        }
        Action::Tick => {
            state.spinner = state.spinner.wrapping_add(1);
            Vec::new()
        }
        Action::DebounceElapsed(token) => on_debounce(state, token),
        Action::BoardLoaded { request, result } => on_board_loaded(state, request, result),
        Action::ColumnLoaded {
            request,
            stage_id,
            append,
            result,
        } => on_column_loaded(state, request, stage_id, append, result),
        Action::SummariesLoaded { request, result } => {
            if state.board.summaries_request != Some(request) {
                return Vec::new();
            }
            state.board.summaries_request = None;
            match result {
                Ok(summaries) => {
                    state.connection = Connection::Connected;
                    // Counts of moves still in flight would flicker; keep local ones then.
                    if state.board.pending.is_empty() {
                        state.board.summaries = summaries;
                    }
                    Vec::new()
                }
                Err(f) => note_failure(state, &f),
            }
        }
        Action::LeadMoved { request, result } => on_lead_moved(state, request, result),
        Action::SearchResults { request, result } => on_search_results(state, request, result),
        Action::OverdueLoaded { request, result } => on_overdue(state, request, result),
        Action::Live(event) => on_live(state, event),
        Action::Lead(action) => lead::update(state, action),
        Action::Inbox(action) => inbox::update(state, action),
    };
    fx.extend(settle(state));
    fx
}

/// Teammates' changes refresh what is on screen through RLS; selection stays on the same lead
/// (the board keeps it by id). A reconnect re-reads too: notifications sent meanwhile are lost.
fn on_live(state: &mut State, event: crate::data::live::LiveEvent) -> Vec<Effect> {
    use crate::data::live::LiveEvent;
    match event {
        LiveEvent::Disconnected(_) => {
            state.connection = Connection::Reconnecting;
            Vec::new()
        }
        LiveEvent::Reconnected => {
            state.connection = Connection::Connected;
            state.retries = 0;
            refresh(state)
        }
        LiveEvent::Changed(_change) => {
            // Interim (until the board reducer moves): any change re-reads what is shown.
            let tables: std::collections::BTreeSet<String> =
                ["leads", "lead_tasks"].map(String::from).into();
            let mut fx = lead::on_live_change(state, &tables);
            fx.extend(inbox::on_live_change(state, &tables));
            if tables.iter().any(|t| t == "lead_tasks") && state.overdue_request.is_none() {
                fx.extend(state.load_overdue(None));
            }
            let board_data = [
                "leads",
                "lead_tasks",
                "deals",
                "lead_profiles",
                "lead_interactions",
            ];
            if tables.iter().any(|t| board_data.contains(&t.as_str())) {
                if state.screen == Screen::Board && state.board.pending.is_empty() {
                    // Keep the overdue reload above; refresh() would only add it again.
                    let request = state.next_id();
                    state.board.load_request = Some(request);
                    fx.push(Effect::LoadBoard {
                        request,
                        pipeline_id: state.board.pipeline_id,
                    });
                } else {
                    // Re-read when the rep comes back to the board (or the move settles).
                    for col in &mut state.board.columns {
                        col.stale = true;
                    }
                }
            }
            fx
        }
    }
}

// ---------------------------------------------------------------------------
// Input
// ---------------------------------------------------------------------------

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    state.message = None;
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return quit(state);
    }
    match state.overlay.take() {
        Some(Overlay::Prompt(prompt)) => prompt_key(state, prompt, key),
        Some(Overlay::Jump(jump)) => jump_key(state, jump, key),
        Some(Overlay::Picker(picker)) => picker_key(state, picker, key),
        Some(Overlay::Help(help)) => help_key(state, help, key),
        Some(Overlay::Lead(overlay)) => lead::overlay_key(state, *overlay, key),
        None => {
            let consumed = match state.screen {
                Screen::Lead(_) => lead::key(state, &key),
                Screen::Inbox(_) => inbox::key(state, &key),
                Screen::Board => None,
            };
            match consumed {
                Some(fx) => fx,
                None => match state.keymap.command_for(state.scope(), &key) {
                    Some(cmd) => on_command(state, cmd),
                    None => Vec::new(),
                },
            }
        }
    }
}

fn quit(state: &mut State) -> Vec<Effect> {
    state.quit = true;
    vec![Effect::Quit]
}

fn on_command(state: &mut State, cmd: Command) -> Vec<Effect> {
    if state.overlay.is_some() {
        // Commands sent directly (tests, palette) while a popup is open act on the popup.
        return match cmd {
            Command::Back => {
                state.overlay = None;
                Vec::new()
            }
            Command::Quit => quit(state),
            _ => Vec::new(),
        };
    }
    match cmd {
        Command::Quit => return quit(state),
        Command::Help => {
            state.overlay = Some(Overlay::Help(HelpOverlay::new(
                &state.keymap,
                state.scope(),
            )));
            return Vec::new();
        }
        Command::Refresh => {
            let mut fx = refresh(state);
            fx.extend(lead::reload(state));
            fx.extend(inbox::reload(state));
            return fx;
        }
        Command::OpenBoard => {
            state.screen = Screen::Board;
            return Vec::new();
        }
        Command::OpenInbox => return inbox::open(state),
        Command::Back if inbox::returns_here(state) => return inbox::open(state),
        Command::NewLead => return lead::forms::open_new_lead(state),
        Command::CommandPalette => {
            state.info(format!("{} arrives soon", cmd.description()));
            return Vec::new();
        }
        _ => {}
    }
    match state.screen {
        Screen::Lead(_) => lead::command(state, cmd),
        Screen::Inbox(_) => inbox::command(state, cmd),
        Screen::Board => board_command(state, cmd),
    }
}

fn board_command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let page = state.visible_cards().max(1);
    match cmd {
        Command::Left => select_column(state, -1),
        Command::Right => select_column(state, 1),
        Command::Up => select_card(state, -1),
        Command::Down => select_card(state, 1),
        Command::PageUp => select_card(state, -isize::try_from(page).unwrap_or(1)),
        Command::PageDown => select_card(state, isize::try_from(page).unwrap_or(1)),
        Command::Top => select_card(state, isize::MIN),
        Command::Bottom => select_card(state, isize::MAX),
        Command::MovePrevStage => move_selected_by(state, -1),
        Command::MoveNextStage => move_selected_by(state, 1),
        Command::MoveToStage => open_stage_picker(state),
        Command::UndoMove => undo(state),
        Command::OpenLead => match state.board.selected_card() {
            Some(card) => {
                let (id, name) = (card.id, card.name.clone());
                lead::open(state, id, name)
            }
            None => Vec::new(),
        },
        Command::SwitchPipeline => open_pipeline_picker(state),
        Command::CycleSort => cycle_sort(state),
        Command::JumpToLead | Command::Search => {
            state.overlay = Some(Overlay::Jump(JumpOverlay::default()));
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

fn on_mouse(state: &mut State, mouse: MouseEvent) -> Vec<Effect> {
    if state.overlay.is_some() || state.screen != Screen::Board {
        return Vec::new();
    }
    match mouse.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            // Hit-test against the layout as drawn (message line included), then dismiss.
            let body = state.board_area();
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

// ---------------------------------------------------------------------------
// Overlays
// ---------------------------------------------------------------------------

fn help_key(state: &mut State, mut help: HelpOverlay, key: KeyEvent) -> Vec<Effect> {
    let cmd = state.keymap.command_for(state.scope(), &key);
    let max = help.line_count().saturating_sub(1);
    match cmd {
        Some(Command::Back | Command::Help) => return Vec::new(),
        Some(Command::Quit) if key.code == KeyCode::Char('q') => return Vec::new(),
        Some(Command::Quit) => return quit(state),
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

fn picker_key(state: &mut State, mut picker: Picker, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => return picker_confirm(state, &picker),
        KeyCode::Char(c @ '1'..='9') if key.modifiers.is_empty() => {
            let index = usize::from(c as u8 - b'1');
            if index < picker.items.len() {
                picker.selected = index;
                return picker_confirm(state, &picker);
            }
        }
        _ => match state.keymap.command_for(state.scope(), &key) {
            Some(Command::Back) => return Vec::new(),
            Some(Command::Quit) => return Vec::new(),
            Some(Command::Up | Command::Left) => picker.select_by(-1),
            Some(Command::Down | Command::Right) => picker.select_by(1),
            Some(Command::Top | Command::PageUp) => picker.selected = 0,
            Some(Command::Bottom | Command::PageDown) => {
                picker.selected = picker.items.len().saturating_sub(1)
            }
            Some(Command::OpenLead) => return picker_confirm(state, &picker),
            _ => {}
        },
    }
    state.overlay = Some(Overlay::Picker(picker));
    Vec::new()
}

fn picker_confirm(state: &mut State, picker: &Picker) -> Vec<Effect> {
    let Some(item) = picker.items.get(picker.selected) else {
        return Vec::new();
    };
    if item.current {
        return Vec::new();
    }
    match picker.kind {
        PickerKind::Stage {
            lead_id,
            from_stage,
        } => begin_move(state, lead_id, from_stage, item.id, false),
        PickerKind::Pipeline => switch_pipeline(state, item.id),
    }
}

/// Edits a one-line input; returns true when the text changed.
fn edit_line(input: &mut String, key: &KeyEvent) -> bool {
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

fn prompt_key(state: &mut State, mut prompt: Prompt, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => {
            state.info("Move cancelled");
            Vec::new()
        }
        KeyCode::Enter => {
            let reason = prompt.input.trim().to_string();
            if reason.is_empty() {
                prompt.hint = Some("Type a reason, or Esc to cancel".to_string());
                state.overlay = Some(Overlay::Prompt(prompt));
                return Vec::new();
            }
            match prompt.purpose {
                PromptPurpose::LostReason {
                    lead_id,
                    from_stage,
                    to_stage,
                    undo,
                } => perform_move(state, lead_id, from_stage, to_stage, Some(reason), undo),
            }
        }
        _ => {
            if edit_line(&mut prompt.input, &key) {
                prompt.hint = None;
            }
            state.overlay = Some(Overlay::Prompt(prompt));
            Vec::new()
        }
    }
}

fn jump_key(state: &mut State, mut jump: JumpOverlay, key: KeyEvent) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    let last = jump.hits.len().saturating_sub(1);
    match key.code {
        KeyCode::Esc => return Vec::new(),
        KeyCode::Enter => {
            return match jump.hits.get(jump.selected).cloned() {
                Some(hit) => jump_to(state, hit),
                None => {
                    state.overlay = Some(Overlay::Jump(jump));
                    Vec::new()
                }
            };
        }
        KeyCode::Up => jump.selected = jump.selected.saturating_sub(1),
        KeyCode::Char('p') if ctrl => jump.selected = jump.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => jump.selected = (jump.selected + 1).min(last),
        KeyCode::Char('n') if ctrl => jump.selected = (jump.selected + 1).min(last),
        _ => {
            if edit_line(&mut jump.input, &key) {
                // The search in flight is for older text: drop its result.
                jump.request = None;
                if jump.input.trim().is_empty() {
                    jump.debounce = None;
                    jump.hits.clear();
                    jump.selected = 0;
                    jump.searched = None;
                } else {
                    let token = state.next_id();
                    jump.debounce = Some(token);
                    state.overlay = Some(Overlay::Jump(jump));
                    return vec![Effect::StartDebounce {
                        token,
                        delay: SEARCH_DEBOUNCE,
                    }];
                }
            }
        }
    }
    state.overlay = Some(Overlay::Jump(jump));
    Vec::new()
}

fn on_debounce(state: &mut State, token: RequestId) -> Vec<Effect> {
    let request = state.next_id();
    let Some(Overlay::Jump(jump)) = &mut state.overlay else {
        return Vec::new();
    };
    if jump.debounce != Some(token) {
        return Vec::new();
    }
    jump.debounce = None;
    let query = jump.input.trim().to_string();
    if query.is_empty() {
        return Vec::new();
    }
    jump.request = Some(request);
    vec![Effect::SearchLeads {
        request,
        query,
        limit: SEARCH_LIMIT,
    }]
}

fn on_search_results(
    state: &mut State,
    request: RequestId,
    result: Result<Vec<LeadHit>, Failure>,
) -> Vec<Effect> {
    let Some(Overlay::Jump(jump)) = &mut state.overlay else {
        return Vec::new();
    };
    if jump.request != Some(request) {
        return Vec::new();
    }
    jump.request = None;
    match result {
        Ok(hits) => {
            jump.searched = Some(jump.input.trim().to_string());
            jump.hits = hits;
            jump.selected = 0;
            state.connection = Connection::Connected;
            Vec::new()
        }
        Err(f) => {
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}

// ---------------------------------------------------------------------------
// Board navigation
// ---------------------------------------------------------------------------

fn select_column(state: &mut State, delta: isize) -> Vec<Effect> {
    let board = &mut state.board;
    let last = board.columns.len().saturating_sub(1);
    board.selected = board.selected.saturating_add_signed(delta).min(last);
    Vec::new()
}

fn select_card(state: &mut State, delta: isize) -> Vec<Effect> {
    if let Some(col) = state.board.column_mut() {
        let last = col.cards.len().saturating_sub(1);
        col.selected = col.selected.saturating_add_signed(delta).min(last);
    }
    Vec::new()
}

fn cycle_sort(state: &mut State) -> Vec<Effect> {
    state.board.sort = state.board.sort.next();
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

fn refresh(state: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    let request = state.next_id();
    state.board.load_request = Some(request);
    if state.board.columns.is_empty() {
        state.board.status = BoardStatus::Loading;
    }
    fx.push(Effect::LoadBoard {
        request,
        pipeline_id: state.board.pipeline_id,
    });
    if state.overdue_request.is_none() {
        fx.extend(state.load_overdue(None));
    }
    fx
}

fn switch_pipeline(state: &mut State, pipeline_id: Uuid) -> Vec<Effect> {
    let request = state.next_id();
    let board = &mut state.board;
    board.pipeline_id = Some(pipeline_id);
    board.columns.clear();
    board.summaries.clear();
    board.selected = 0;
    board.col_offset = 0;
    board.seek = None;
    board.last_move = None;
    board.status = BoardStatus::Loading;
    board.load_request = Some(request);
    board.summaries_request = None;
    vec![Effect::LoadBoard {
        request,
        pipeline_id: Some(pipeline_id),
    }]
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
    state.overlay = Some(Overlay::Picker(Picker {
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
    state.overlay = Some(Overlay::Picker(Picker {
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

// ---------------------------------------------------------------------------
// Moves
// ---------------------------------------------------------------------------

fn move_selected_by(state: &mut State, delta: isize) -> Vec<Effect> {
    let board = &state.board;
    let Some(card) = board.selected_card() else {
        return Vec::new();
    };
    let from = board.selected;
    let to = from.saturating_add_signed(delta);
    let Some(target) = board.columns.get(to).filter(|_| to != from) else {
        return Vec::new();
    };
    let (lead_id, from_stage, to_stage) = (card.id, card.stage_id, target.stage.id);
    begin_move(state, lead_id, from_stage, to_stage, false)
}

fn undo(state: &mut State) -> Vec<Effect> {
    let Some(last) = state.board.last_move else {
        state.info("Nothing to undo");
        return Vec::new();
    };
    let in_place = state
        .board
        .find_card(last.lead_id)
        .and_then(|(ci, _)| state.board.columns.get(ci))
        .is_some_and(|c| c.stage.id == last.to_stage);
    if !in_place || state.board.column_index(last.from_stage).is_none() {
        state.board.last_move = None;
        state.info("Nothing to undo");
        return Vec::new();
    }
    begin_move(state, last.lead_id, last.to_stage, last.from_stage, true)
}

/// Starts a move: asks for a reason when the target is a lost stage.
fn begin_move(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
    undo: bool,
) -> Vec<Effect> {
    let Some(target) = state
        .board
        .column_index(to_stage)
        .and_then(|i| state.board.columns.get(i))
    else {
        return Vec::new();
    };
    if target.stage.is_lost {
        let name = state
            .board
            .find_card(lead_id)
            .and_then(|(c, i)| state.board.columns.get(c)?.cards.get(i))
            .map(|c| c.name.clone())
            .unwrap_or_default();
        state.overlay = Some(Overlay::Prompt(Prompt {
            purpose: PromptPurpose::LostReason {
                lead_id,
                from_stage,
                to_stage,
                undo,
            },
            title: format!("Why was {name} lost? ({})", target.stage.name),
            input: String::new(),
            hint: None,
        }));
        return Vec::new();
    }
    perform_move(state, lead_id, from_stage, to_stage, None, undo)
}

/// Moves the card at once and sends the move (or queues it behind an earlier move of the same
/// lead, so the database sees them in order). The selection follows the card.
fn perform_move(
    state: &mut State,
    lead_id: Uuid,
    from_stage: Uuid,
    to_stage: Uuid,
    lost_reason: Option<String>,
    undo: bool,
) -> Vec<Effect> {
    let board = &mut state.board;
    let Some((ci, index)) = board.find_card(lead_id) else {
        return Vec::new();
    };
    let in_source = board
        .columns
        .get(ci)
        .is_some_and(|c| c.stage.id == from_stage);
    let Some(to_col) = board.column_index(to_stage) else {
        return Vec::new();
    };
    if !in_source || ci == to_col {
        return Vec::new();
    }
    let Some(new_index) = board.relocate((ci, index), to_col, None) else {
        return Vec::new();
    };
    board.selected = to_col;
    if let Some(col) = board.columns.get_mut(to_col) {
        col.selected = new_index;
    }
    let queued = board.is_pending(lead_id);
    let request = state.next_id();
    let board = &mut state.board;
    board.pending.push(PendingMove {
        request,
        lead_id,
        from_stage,
        to_stage,
        lost_reason: lost_reason.clone(),
        sent: !queued,
        restore_index: index,
    });
    board.last_move = (!undo).then_some(MoveRecord {
        lead_id,
        from_stage,
        to_stage,
    });
    if queued {
        Vec::new()
    } else {
        vec![Effect::MoveLead {
            request,
            lead_id,
            from_stage,
            to_stage,
            lost_reason,
        }]
    }
}

fn on_lead_moved(
    state: &mut State,
    request: RequestId,
    result: Result<MovedLead, Failure>,
) -> Vec<Effect> {
    let board = &mut state.board;
    let Some(pos) = board
        .pending
        .iter()
        .position(|p| p.request == request && p.sent)
    else {
        return Vec::new();
    };
    let done = board.pending.remove(pos);
    match result {
        Ok(moved) => {
            state.connection = Connection::Connected;
            let board = &mut state.board;
            if let Some((c, i)) = board.find_card(moved.lead_id)
                && let Some(card) = board.columns.get_mut(c).and_then(|c| c.cards.get_mut(i))
            {
                card.version = moved.version;
            }
            let mut fx = Vec::new();
            if let Some(next) = board
                .pending
                .iter_mut()
                .find(|p| p.lead_id == done.lead_id && !p.sent)
            {
                next.sent = true;
                fx.push(Effect::MoveLead {
                    request: next.request,
                    lead_id: next.lead_id,
                    from_stage: next.from_stage,
                    to_stage: next.to_stage,
                    lost_reason: next.lost_reason.clone(),
                });
            } else if board.pending.is_empty()
                && let Some(pipeline_id) = board.pipeline_id
            {
                // Amounts cannot be adjusted locally: re-read the totals once all is settled.
                let request = state.next_id();
                state.board.summaries_request = Some(request);
                fx.push(Effect::LoadSummaries {
                    request,
                    pipeline_id,
                });
            }
            fx
        }
        Err(f) => {
            let board = &mut state.board;
            board.pending.retain(|p| p.lead_id != done.lead_id);
            if let Some((c, i)) = board.find_card(done.lead_id)
                && let Some(home) = board.column_index(done.from_stage)
            {
                let was_selected = board.selected == c
                    && board.columns.get(c).is_some_and(|col| col.selected == i);
                if home != c
                    && let Some(at) = board.relocate((c, i), home, Some(done.restore_index))
                    && was_selected
                {
                    board.selected = home;
                    if let Some(col) = board.columns.get_mut(home) {
                        col.selected = at;
                    }
                }
            }
            if board.last_move.is_some_and(|m| m.lead_id == done.lead_id) {
                board.last_move = None;
            }
            state.error(f.message.clone());
            note_failure(state, &f)
        }
    }
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

impl State {
    fn load_overdue(&mut self, delay: Option<Duration>) -> Vec<Effect> {
        let request = self.next_id();
        self.overdue_request = Some(request);
        vec![Effect::LoadOverdue { request, delay }]
    }

    /// Requests a page of column `ci` unless one is in flight.
    fn request_page(&mut self, ci: usize, append: bool, limit: i64) -> Option<Effect> {
        let request = self.next_id();
        let sort = self.board.sort;
        let col = self.board.columns.get_mut(ci)?;
        if col.loading.is_some() {
            return None;
        }
        let after = if append {
            Some(col.next_cursor.clone()?)
        } else {
            None
        };
        col.loading = Some(request);
        if !append && col.cards.is_empty() {
            col.status = ColumnStatus::Loading;
        }
        Some(Effect::LoadColumn {
            request,
            stage_id: col.stage.id,
            sort,
            after,
            limit,
        })
    }
}

fn on_board_loaded(
    state: &mut State,
    request: RequestId,
    result: Result<BoardData, Failure>,
) -> Vec<Effect> {
    if state.board.load_request != Some(request) {
        return Vec::new();
    }
    state.board.load_request = None;
    let data = match result {
        Ok(data) => data,
        Err(f) => {
            if state.board.columns.is_empty() {
                state.board.status = BoardStatus::Failed(f.message.clone());
            }
            state.error(f.message.clone());
            return note_failure(state, &f);
        }
    };
    state.connection = Connection::Connected;
    let board = &mut state.board;
    let same_pipeline = board.pipeline_id == data.pipeline_id;
    let selected_stage = board.column().map(|c| c.stage.id);
    let mut old: HashMap<Uuid, Column> = if same_pipeline {
        board.columns.drain(..).map(|c| (c.stage.id, c)).collect()
    } else {
        board.columns.clear();
        HashMap::new()
    };
    board.columns = data
        .stages
        .into_iter()
        .map(|stage| match old.remove(&stage.id) {
            Some(mut col) => {
                col.stage = stage;
                col.loading = None;
                col.stale = true;
                if !matches!(col.status, ColumnStatus::Ready) {
                    col.status = ColumnStatus::Idle;
                }
                col
            }
            None => Column::new(stage),
        })
        .collect();
    board.selected = selected_stage
        .and_then(|id| board.column_index(id))
        .unwrap_or(board.selected)
        .min(board.columns.len().saturating_sub(1));
    if !same_pipeline {
        board.col_offset = 0;
    }
    board.pipelines = data.pipelines;
    board.pipeline_id = data.pipeline_id;
    board.summaries = data.summaries;
    board.status = BoardStatus::Ready;
    Vec::new()
}

fn on_column_loaded(
    state: &mut State,
    request: RequestId,
    stage_id: Uuid,
    append: bool,
    result: Result<ColumnPage, Failure>,
) -> Vec<Effect> {
    let Some(ci) = state.board.column_index(stage_id) else {
        return Vec::new();
    };
    if state.board.columns.get(ci).and_then(|c| c.loading) != Some(request) {
        return Vec::new();
    }
    match result {
        Ok(page) => {
            state.connection = Connection::Connected;
            state.board.apply_page(request, page, append);
            if let Some(col) = state.board.columns.get_mut(ci) {
                col.stale = false;
            }
            continue_seek(state)
        }
        Err(f) => {
            if let Some(col) = state.board.columns.get_mut(ci) {
                col.loading = None;
                col.stale = false;
                // No automatic retry (it would loop): `r` reloads.
                col.next_cursor = None;
                if col.cards.is_empty() {
                    col.status = ColumnStatus::Failed(f.message.clone());
                }
            }
            if state
                .board
                .seek
                .as_ref()
                .is_some_and(|s| s.hit.stage_id == stage_id)
            {
                state.board.seek = None;
            }
            state.error(format!("{} (r to retry)", f.message));
            note_failure(state, &f)
        }
    }
}

fn on_overdue(state: &mut State, request: RequestId, result: Result<i64, Failure>) -> Vec<Effect> {
    if state.overdue_request != Some(request) {
        return Vec::new();
    }
    state.overdue_request = None;
    match result {
        Ok(n) => {
            state.overdue = Some(n);
            state.retries = 0;
            if state.connection != Connection::Connected {
                state.connection = Connection::Connected;
                state.info("Reconnected");
                return refresh(state);
            }
            Vec::new()
        }
        Err(f) if f.connection => {
            state.retries = state.retries.saturating_add(1);
            state.connection = if state.retries >= 3 {
                Connection::Offline
            } else {
                Connection::Reconnecting
            };
            let secs = 1u64 << state.retries.min(5);
            state.load_overdue(Some(Duration::from_secs(secs.min(30))))
        }
        Err(_) => Vec::new(),
    }
}

/// A connection failure starts reconnect probes (one at a time).
fn note_failure(state: &mut State, failure: &Failure) -> Vec<Effect> {
    if !failure.connection {
        return Vec::new();
    }
    if state.connection == Connection::Connected {
        state.connection = Connection::Reconnecting;
    }
    if state.overdue_request.is_none() {
        return state.load_overdue(Some(Duration::from_secs(1)));
    }
    Vec::new()
}

// ---------------------------------------------------------------------------
// Jump to lead
// ---------------------------------------------------------------------------

fn jump_to(state: &mut State, hit: LeadHit) -> Vec<Effect> {
    let Some(ci) = state.board.column_index(hit.stage_id) else {
        state.info(format!("{} is in another pipeline (p to switch)", hit.name));
        return Vec::new();
    };
    state.board.selected = ci;
    state.board.seek = Some(Seek {
        hit,
        pages_left: SEEK_PAGES,
    });
    continue_seek(state)
}

/// Selects the jump target if loaded, else pages its column, else pins it at the top.
fn continue_seek(state: &mut State) -> Vec<Effect> {
    let Some(seek) = state.board.seek.clone() else {
        return Vec::new();
    };
    let Some(ci) = state.board.column_index(seek.hit.stage_id) else {
        state.board.seek = None;
        return Vec::new();
    };
    let Some(col) = state.board.columns.get_mut(ci) else {
        return Vec::new();
    };
    if let Some(i) = col.position(seek.hit.id) {
        col.selected = i;
        state.board.selected = ci;
        state.board.seek = None;
        return Vec::new();
    }
    if col.loading.is_some() || col.stale || col.status == ColumnStatus::Idle {
        // A page is coming (settle requests it for the now visible column).
        return Vec::new();
    }
    if col.next_cursor.is_some() && seek.pages_left > 0 {
        if let Some(s) = state.board.seek.as_mut() {
            s.pages_left -= 1;
        }
        return state
            .request_page(ci, true, SEEK_PAGE)
            .into_iter()
            .collect();
    }
    // Not among the loaded cards: show it at the top from what the search returned.
    let hit = seek.hit;
    let card = LeadCard {
        id: hit.id,
        stage_id: hit.stage_id,
        name: hit.name,
        company: hit.company,
        owner_name: None,
        score: 0,
        last_contacted_at: None,
        created_at: state.now,
        overdue_tasks: 0,
        open_tasks: 1,
        version: 0,
    };
    col.insert_card(0, card);
    col.selected = 0;
    state.board.selected = ci;
    state.board.seek = None;
    Vec::new()
}

// ---------------------------------------------------------------------------
// After every action
// ---------------------------------------------------------------------------

/// Keeps the selection visible and requests what became visible: first pages of visible
/// columns (plus one on each side), the next page when the selection nears the end of the
/// loaded cards.
fn settle(state: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    if state.board.columns.is_empty() {
        state.board.selected = 0;
        state.board.col_offset = 0;
        return fx;
    }
    let body = state.board_area();
    let n = state.board.columns.len();
    let fit = layout::columns_that_fit(body.width, n).max(1);
    state.board.selected = state.board.selected.min(n - 1);
    state.board.col_offset =
        layout::column_offset(state.board.col_offset, state.board.selected, n, fit);
    let visible = layout::cards_that_fit(body.height);
    for col in &mut state.board.columns {
        col.clamp_selection();
        col.offset = layout::card_offset(col.offset, col.selected, col.cards.len(), visible);
    }
    if state.board.load_request.is_some() && state.board.status != BoardStatus::Ready {
        return fx;
    }
    let page = state.page_size();
    let first = state.board.col_offset.saturating_sub(1);
    let last = (state.board.col_offset + fit + 1).min(n);
    for ci in first..last {
        let Some(col) = state.board.columns.get(ci) else {
            continue;
        };
        let wants_first = col.status == ColumnStatus::Idle || col.stale;
        let near_end = col.status == ColumnStatus::Ready
            && !col.stale
            && col.next_cursor.is_some()
            && col
                .cards
                .len()
                .saturating_sub(col.selected.max(col.offset + visible))
                <= visible;
        if wants_first {
            fx.extend(state.request_page(ci, false, page));
        } else if near_end {
            fx.extend(state.request_page(ci, true, page));
        }
    }
    fx
}
