//! Start → first full board frame, and key → frame over a scripted key sequence, both through
//! the real reducer (`state::update`), the real widgets (`ui::draw`) and the app's worker, on a
//! headless terminal. Only top-level entry points are used (`State`, `update`, `ui::draw`,
//! `app::run`, `app::Worker`), so a reorganisation of the screens' internals does not touch this.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::{Result, bail, eyre};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use serde::Serialize;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use super::report::{Summary, millis};
use crate::app::{self, Worker};
use crate::config::Config;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::data::PgStore;
use crate::state::{self, BoardStatus, ColumnStatus, Effect, State};

/// A common terminal size: wide enough for every column of the default pipeline.
pub const WIDTH: u16 = 160;
pub const HEIGHT: u16 = 48;
/// Longest a board may take to load before the bench gives up.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// No frame for this long: the screen has settled (the spinner ticks every 100 ms while loading,
/// so startup waits longer than the gap between keys).
const SETTLED_AT_START: Duration = Duration::from_millis(300);
const SETTLED_AFTER_KEY: Duration = Duration::from_millis(40);

#[derive(Debug, Clone, Serialize)]
pub struct StartFigures {
    /// `Session::connect` + `open`: login, migration check, who am I, memberships.
    pub connect_ms: f64,
    /// From `State::new` to the first frame where every column shows its first page.
    pub first_full_frame: Summary,
    /// The first of those runs (coldest caches).
    pub first_run_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyFigures {
    pub keys: Summary,
    /// The scripted keys, in order, as typed.
    pub script: String,
}

/// The state the TUI starts with, with default keys and options so every run types the same.
fn new_state(store: &PgStore) -> State {
    let session = state::Session {
        organization: store.organization_name().to_string(),
        person: store.me().full_name.clone(),
    };
    let mut state = State::new(
        session,
        Keymap::default(),
        app::options(&Config::default()),
        Utc::now(),
    );
    state.size = (WIDTH, HEIGHT);
    state
}

/// Cards per column page as the board fetches them on this terminal size.
pub fn page_size(store: &PgStore) -> i64 {
    new_state(store).page_size()
}

fn theme() -> Theme {
    Theme::default().resolve(false)
}

/// The app loop's own "first full board frame" rule: every column has its first page.
fn board_is_full(state: &State) -> bool {
    state.board.status == BoardStatus::Ready
        && state
            .board
            .columns
            .iter()
            .all(|c| c.status != ColumnStatus::Idle && c.status != ColumnStatus::Loading)
}

/// Start → first full frame, `runs` times: the same effects, worker, reducer and draw calls as the
/// app loop, minus the live listener (it only waits for teammates).
pub async fn start(store: &PgStore, runs: usize) -> Result<Vec<Duration>> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        samples.push(first_full_frame(store).await?);
    }
    Ok(samples)
}

async fn first_full_frame(store: &PgStore) -> Result<Duration> {
    let started = Instant::now();
    let mut state = new_state(store);
    let theme = theme();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Worker::new(store.clone(), tx);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;
    run_effects(&worker, state.start());
    loop {
        terminal.draw(|frame| crate::ui::draw(frame, &state, &theme))?;
        if board_is_full(&state) {
            return Ok(started.elapsed());
        }
        if let BoardStatus::Failed(why) = &state.board.status {
            bail!("the board failed to load: {why}");
        }
        let action = tokio::time::timeout(LOAD_TIMEOUT, rx.recv())
            .await
            .map_err(|_| eyre!("the board did not load within {LOAD_TIMEOUT:?}"))?
            .ok_or_else(|| eyre!("the worker stopped"))?;
        run_effects(&worker, state::update(&mut state, action));
        // Like the loop: apply results already waiting before drawing once.
        while let Ok(next) = rx.try_recv() {
            run_effects(&worker, state::update(&mut state, next));
        }
    }
}

fn run_effects(worker: &Worker<PgStore>, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::Listen | Effect::StartDebounce { .. } | Effect::Quit => {}
            other => worker.run(other),
        }
    }
}

/// The scripted keys: walking down and up columns (past the first page, so pages load as a rep
/// scrolls), across columns, and paging. No writes.
fn script() -> Vec<KeyEvent> {
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let ctrl = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let mut keys = Vec::new();
    for column in 0..4 {
        keys.extend(std::iter::repeat_n(key('j'), 12));
        keys.extend(std::iter::repeat_n(key('k'), 4));
        keys.push(ctrl('d'));
        keys.push(ctrl('u'));
        keys.push(key('g'));
        keys.push(key(if column % 2 == 0 { 'l' } else { 'h' }));
        keys.push(key('l'));
    }
    keys
}

fn describe(keys: &[KeyEvent]) -> String {
    keys.iter()
        .map(
            |k| match (k.code, k.modifiers.contains(KeyModifiers::CONTROL)) {
                (KeyCode::Char(c), true) => format!("^{c}"),
                (KeyCode::Char(c), false) => c.to_string(),
                (other, _) => format!("{other:?}"),
            },
        )
        .collect()
}

/// Key → frame: the real `app::run` loop on a headless terminal; each key is sent once the
/// screen has settled, and timed until the next frame is flushed.
pub async fn keys(store: PgStore, count: usize) -> Result<KeyFigures> {
    let script = script();
    let (frame_tx, mut frames) = mpsc::unbounded_channel();
    let (key_tx, key_rx) = mpsc::unbounded_channel::<Event>();
    let events = Box::pin(futures::stream::unfold(key_rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|event| (Ok::<_, std::io::Error>(event), rx))
    }));
    let mut terminal = Terminal::new(TimedBackend {
        inner: TestBackend::new(WIDTH, HEIGHT),
        frames: frame_tx,
    })?;
    let state = new_state(&store);
    let typed: Vec<KeyEvent> = script.iter().cycle().take(count).copied().collect();
    let driver = drive(&typed, key_tx, &mut frames);
    let app = app::run(&mut terminal, events, store, state, theme());
    let (ran, samples) = tokio::join!(app, driver);
    ran?;
    Ok(KeyFigures {
        keys: Summary::of(&samples?),
        script: describe(&script),
    })
}

async fn drive(
    keys: &[KeyEvent],
    key_tx: UnboundedSender<Event>,
    frames: &mut UnboundedReceiver<Instant>,
) -> Result<Vec<Duration>> {
    // Dropping `key_tx` on return ends the event stream, which ends the loop.
    settle(frames, SETTLED_AT_START).await?;
    let mut samples = Vec::with_capacity(keys.len());
    for key in keys {
        while frames.try_recv().is_ok() {}
        let sent = Instant::now();
        key_tx
            .send(Event::Key(*key))
            .map_err(|_| eyre!("the app loop stopped"))?;
        let drawn = tokio::time::timeout(Duration::from_secs(10), frames.recv())
            .await
            .map_err(|_| eyre!("no frame within 10 s of a key"))?
            .ok_or_else(|| eyre!("the app loop stopped"))?;
        samples.push(drawn.saturating_duration_since(sent));
        settle(frames, SETTLED_AFTER_KEY).await?;
    }
    Ok(samples)
}

/// Waits until no frame arrived for `quiet` (at most `LOAD_TIMEOUT`).
async fn settle(frames: &mut UnboundedReceiver<Instant>, quiet: Duration) -> Result<()> {
    let deadline = Instant::now() + LOAD_TIMEOUT;
    loop {
        match tokio::time::timeout(quiet, frames.recv()).await {
            Err(_) => return Ok(()),
            Ok(None) => bail!("the app loop stopped"),
            Ok(Some(_)) if Instant::now() > deadline => {
                bail!("the screen kept changing for {LOAD_TIMEOUT:?}")
            }
            Ok(Some(_)) => {}
        }
    }
}

pub fn start_figures(connect: Duration, samples: &[Duration]) -> StartFigures {
    StartFigures {
        connect_ms: millis(connect),
        first_full_frame: Summary::of(samples),
        first_run_ms: samples.first().copied().map(millis).unwrap_or_default(),
    }
}

/// A headless terminal that timestamps every flush: the moment a frame would reach the screen.
struct TimedBackend {
    inner: TestBackend,
    frames: UnboundedSender<Instant>,
}

impl Backend for TimedBackend {
    type Error = Infallible;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Infallible>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Infallible> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Infallible> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Infallible> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Infallible> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Infallible> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Infallible> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Infallible> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Infallible> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        self.inner.flush()?;
        // The receiver may be gone once the bench has its samples; frames after that are moot.
        let _ = self.frames.send(Instant::now());
        Ok(())
    }
}
