//! Application state: plain data and synchronous reducers, no I/O.
//!
//! `update(&mut state, action) -> Vec<Effect>`: keys, mouse, resizes and data results come in as
//! [`Action`]s; anything slow goes out as an [`Effect`] that the app's jobs run, and its result
//! comes back as another action tagged with the request id the effect carried. Results whose id
//! is no longer awaited are dropped.
//!
//! This file holds the shared types and the router. Each screen (`board/`, `lead/`, `inbox/`)
//! sits behind [`screen::Contract`]; its actions and effects are nested in [`Action`] and
//! [`Effect`]. `connection` owns the overdue count, reconnect probes and live updates.

pub mod board;
mod connection;
pub mod history;
pub mod inbox;
pub mod insights;
mod interrupt;
pub mod layout;
pub mod lead;
pub mod lifecycle;
pub mod paste;
pub mod popup;
pub mod request;
mod router;
pub mod screen;

use std::time::Duration;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;

use crate::config::keymap::{Command, Keymap, Scope};
use crate::data::models::BoardSort;
use screen::Contract;

pub use board::{
    Board, BoardAction, BoardData, BoardEffect, BoardStatus, Column, ColumnStatus, PendingMove,
    SEARCH_DEBOUNCE, SEARCH_LIMIT, SEEK_PAGE, SEEK_PAGES, Seek,
};
pub(crate) use connection::note_failure;
pub use popup::{Popup, PromptPurpose};
pub(crate) use router::quit;

/// Tags an effect and the result it produces.
pub type RequestId = u64;

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
pub struct Viewer {
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

/// The screen in front. The board's data lives in [`State::board`] whatever is in front (the
/// lead screen walks its columns), so `Board` carries nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    Board,
    Lead(lead::LeadScreen),
    Inbox(inbox::InboxScreen),
    Insights(insights::InsightsScreen),
}

impl Screen {
    /// The lead this screen was left for, if it was left to open one (Back returns to it).
    pub(crate) fn opened_lead(&self) -> Option<uuid::Uuid> {
        match self {
            Screen::Inbox(s) => s.opened_lead,
            _ => None,
        }
    }
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
    /// The debounce timer armed by [`Effect::StartDebounce`] fired.
    DebounceElapsed(RequestId),
    OverdueLoaded {
        request: RequestId,
        result: Result<i64, Failure>,
    },
    /// A teammate changed data, or the live connection dropped or came back.
    Live(crate::data::live::LiveEvent),
    /// Results of the board.
    Board(BoardAction),
    /// Results and events of the lead screen.
    Lead(lead::LeadAction),
    /// Results and events of the inbox.
    Inbox(inbox::InboxAction),
    /// Results of the insights screen.
    Insights(insights::InsightsAction),
    /// Results of the pipeline editor popup.
    Editor(popup::editor::EditorAction),
    /// Text pasted into the terminal (bracketed paste): typed into the focused field whole.
    Paste(String),
    /// Results of the owner and lifecycle commands (issue 12).
    Lifecycle(lifecycle::LifecycleAction),
}

/// Work for the app's jobs. Every data effect's result comes back as the matching action with
/// the same `request`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
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
    /// ctrl-z: hand the terminal back and stop the process until `fg` (then redraw).
    Suspend,
    Board(BoardEffect),
    Lead(lead::LeadEffect),
    Inbox(inbox::InboxEffect),
    Insights(insights::InsightsEffect),
    Editor(popup::editor::EditorEffect),
    Quit,
    /// A lead's owner, deletion and contact (issue 12).
    Lifecycle(lifecycle::LifecycleEffect),
    /// Put this text on the terminal's clipboard (OSC 52; run by the loop).
    Clipboard(String),
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
    pub session: Viewer,
    pub keymap: Keymap,
    pub screen: Screen,
    /// Screens left to open the one in front, newest last; Back returns to the newest when the
    /// screen in front is what it was left for (today: the inbox, left to open a lead). Results
    /// of a screen in here still reach it.
    pub back: Vec<Screen>,
    pub board: Board,
    /// The open popup (one at a time).
    pub popup: Option<Popup>,
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
    /// ctrl-c was pressed once over typed text: a second one quits.
    pub quit_armed: bool,
    /// The undo history of every screen (`u`).
    pub history: history::History,
    /// The rep's IANA time zone (`profiles.time_zone`): date fields check DST days in it
    /// (`dates::dst`); `None` when unknown (no check).
    pub zone: Option<chrono_tz::Tz>,
    next_request: RequestId,
}

impl State {
    pub fn new(session: Viewer, keymap: Keymap, options: Options, now: DateTime<Utc>) -> State {
        State {
            session,
            keymap,
            screen: Screen::Board,
            back: Vec::new(),
            board: Board {
                sort: options.sort,
                ..Board::default()
            },
            popup: None,
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
            quit_armed: false,
            history: history::History::default(),
            zone: None,
            next_request: 1,
        }
    }

    /// The effects of the first frame: the board and the overdue count, in parallel.
    pub fn start(&mut self) -> Vec<Effect> {
        // The inbox first when it is the start screen (nothing otherwise).
        let mut fx = inbox::Reducer::reload(self);
        fx.extend(board::start(self));
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
        board::Reducer::is_loading(self)
            || self.popup.as_ref().is_some_and(Popup::is_loading)
            || inbox::Reducer::is_loading(self)
            || lead::Reducer::is_loading(self)
            || insights::Reducer::is_loading(self)
    }

    /// The scope of the screen in front.
    pub fn scope(&self) -> Scope {
        match self.screen {
            Screen::Board => Scope::Board,
            Screen::Lead(_) => Scope::Lead,
            Screen::Inbox(_) => Scope::Inbox,
            Screen::Insights(_) => Scope::Insights,
        }
    }

    /// Where the screen body is drawn (between the title and the message/status lines).
    pub fn board_area(&self) -> Rect {
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        layout::frame(area, self.message.is_some()).body
    }

    /// The board's columns: the body above the key hint line.
    pub fn board_columns_area(&self) -> Rect {
        layout::board_split(self.board_area()).0
    }

    /// Whole cards visible per column.
    pub fn visible_cards(&self) -> usize {
        layout::cards_that_fit(self.board_columns_area().height)
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
        Action::Key(key) => router::on_key(state, key),
        Action::Mouse(mouse) => board::mouse(state, mouse),
        Action::Resize { width, height } => {
            state.size = (width, height);
            board::on_resize(state);
            Vec::new()
        }
        Action::Command(cmd) => {
            state.message = None;
            router::on_command(state, cmd)
        }
        Action::Tick => {
            state.spinner = state.spinner.wrapping_add(1);
            Vec::new()
        }
        Action::DebounceElapsed(token) => match state.popup {
            Some(Popup::Palette(_)) => popup::palette::on_debounce(state, token),
            _ => popup::jump::on_debounce(state, token),
        },
        Action::OverdueLoaded { request, result } => connection::on_overdue(state, request, result),
        Action::Live(event) => connection::on_live(state, event),
        Action::Board(action) => board::Reducer::update(state, action),
        Action::Lead(action) => lead::Reducer::update(state, action),
        Action::Inbox(action) => inbox::Reducer::update(state, action),
        Action::Insights(action) => insights::Reducer::update(state, action),
        Action::Editor(action) => popup::editor::update(state, action),
        Action::Paste(text) => paste::on_paste(state, &text),
        Action::Lifecycle(action) => lifecycle::update(state, action),
    };
    fx.extend(board::settle(state));
    fx
}

/// The board and the overdue count again.
pub(crate) fn refresh(state: &mut State) -> Vec<Effect> {
    let mut fx = board::Reducer::reload(state);
    if state.overdue_request.is_none() {
        fx.extend(state.load_overdue(None));
    }
    fx
}
