//! The one harness of the state+render tests: build a state, press keys the way the keymap
//! spells them, draw a whole frame to a `TestBackend` and read it back.
//!
//! `Ui::new(100, 30).press("L").screen()` is the short form; the free functions below are the
//! pieces the tests use when they feed data results by hand.

use chrono::{DateTime, TimeZone, Utc};
use closer::config::keymap::{KeySpec, Keymap};
use closer::config::theme::Theme;
use closer::data::models::BoardSort;
use closer::state::{Action, Effect, Options, State, Viewer, update};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A state of `size` driven by keys, drawn on demand.
pub struct Ui {
    pub state: State,
    /// Effects returned by the keys pressed so far (data results are not fed back).
    pub effects: Vec<Effect>,
}

impl Ui {
    /// A fresh state (default keymap, 2025-03-14 12:00 UTC) resized to `width` × `height`.
    pub fn new(width: u16, height: u16) -> Ui {
        let now: DateTime<Utc> = Utc
            .with_ymd_and_hms(2025, 3, 14, 12, 0, 0)
            .single()
            .expect("valid date");
        let session = Viewer {
            organization: "Acme Inc".to_string(),
            person: "Ada Lovelace".to_string(),
        };
        Ui {
            state: state(session, now, width, height),
            effects: Vec::new(),
        }
    }

    /// Presses keys written as in the keymap (`"L"`, `"ctrl-c"`, `"esc"`), separated by spaces.
    pub fn press(mut self, keys: &str) -> Ui {
        for spec in keys.split_whitespace() {
            let key: KeySpec = spec.parse().expect("a key as the keymap writes it");
            let fx = update(
                &mut self.state,
                Action::Key(KeyEvent::new(key.code(), key.modifiers())),
            );
            self.effects.extend(fx);
        }
        self
    }

    /// The frame as text, one line per row.
    pub fn screen(&self) -> String {
        let (w, h) = self.state.size;
        screen_text(&render(&self.state, w, h))
    }
}

/// A state for `session` at `now`, with the default keymap and options, resized.
pub fn state(session: Viewer, now: DateTime<Utc>, width: u16, height: u16) -> State {
    let mut state = State::new(
        session,
        Keymap::default(),
        Options {
            stale_after_days: 14,
            sort: BoardSort::Score,
        },
        now,
    );
    update(&mut state, Action::Resize { width, height });
    state
}

pub fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Action {
    let modifiers = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Action::Key(KeyEvent::new(KeyCode::Char(c), modifiers))
}

pub fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn render(state: &State, width: u16, height: u16) -> Terminal<TestBackend> {
    render_with(state, width, height, &Theme::default())
}

pub fn render_with(state: &State, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
    terminal
        .draw(|frame| closer::ui::draw(frame, state, theme))
        .expect("draw");
    terminal
}

pub fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// Finds the first cell position whose symbol starts `text` on a row.
pub fn find_text(terminal: &Terminal<TestBackend>, text: &str) -> Option<(u16, u16)> {
    let buf = terminal.backend().buffer();
    for y in 0..buf.area.height {
        let row: String = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(byte) = row.find(text) {
            let x = row[..byte].chars().count();
            return Some((u16::try_from(x).unwrap_or(0), y));
        }
    }
    None
}

#[test]
fn the_harness_presses_keys_as_the_keymap_spells_them() {
    let ui = Ui::new(80, 24).press("?");
    assert!(
        matches!(ui.state.popup, Some(closer::state::Popup::Help(_))),
        "? opens the help popup"
    );
    assert!(ui.screen().contains("Keys"), "the help popup is drawn");
    let ui = ui.press("esc");
    assert!(ui.state.popup.is_none(), "esc closes it");
}
