//! Start → first full board frame, and key → frame over a scripted key sequence, both through
//! the real reducer (`state::update`), the real widgets (`ui::draw`) and the app's worker, on a
//! headless terminal. Only top-level entry points are used (`State`, `update`, `ui::draw`,
//! `app::run`, `app::Worker`), so a reorganisation of the screens' internals does not touch this.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use color_eyre::eyre::{Result, bail, eyre};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use super::proc_stat::CoreWait;
use super::report::{Summary, millis, round};
use crate::app::{self, Worker};
use crate::config::Config;
use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::data::PgStore;
use crate::state::{self, BoardStatus, Effect, State};

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
    /// The same keys less the time the loop's thread waited for a core meanwhile (its run-queue
    /// delay): what the app itself took, apart from other processes holding both cores. `None`
    /// without the kernel's schedstat.
    pub keys_less_core_waits: Option<Summary>,
    /// The scripted keys, in order, as typed.
    pub script: String,
    /// Frames drawn while typing (more than keys when something else redraws).
    pub frames: usize,
    pub seconds: f64,
    /// The loop's CPU use while typing (only when it runs on a thread of its own).
    pub cpu_percent_of_core: Option<f64>,
}

/// The state the TUI starts with, with default keys and options so every run types the same.
fn new_state(store: &PgStore) -> State {
    let session = state::Viewer {
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

/// Start → first full frame, `runs` times: the same effects, worker, reducer and draw calls as the
/// app loop, minus the live listener (it only waits for teammates).
pub async fn start(store: &PgStore, runs: usize) -> Result<Vec<Duration>> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        samples.push(first_full_frame(store, None).await?.full);
    }
    Ok(samples)
}

/// One start through a saved view.
pub struct ViewStart {
    /// The first frame with every column's first page through the view (its headers still
    /// saying `…` when the totals take longer).
    pub cards: Duration,
    /// The first frame with the view's exact totals in the headers as well.
    pub full: Duration,
}

/// Start → first full frame of the person's default saved view, whose filter is `view`: every
/// column's first page through it and its exact totals in the headers (so a frame of the
/// unfiltered board, drawn before the view arrived, never counts).
pub async fn start_with_view(
    store: &PgStore,
    view: &crate::filter::Filter,
    runs: usize,
) -> Result<Vec<ViewStart>> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        samples.push(first_full_frame(store, Some(view)).await?);
    }
    Ok(samples)
}

/// Whether the board shows `view`'s cards: every column's first page through it.
fn view_has_cards(state: &State, view: Option<&crate::filter::Filter>) -> bool {
    app::board_is_full(state)
        && view.is_none_or(|f| state.board.filter == *f && state.board.views_request.is_none())
}

/// Whether the board shows `view` completely: pages and exact totals.
fn view_is_full(state: &State, view: Option<&crate::filter::Filter>) -> bool {
    view_has_cards(state, view) && (view.is_none() || state.board.totals_shown())
}

async fn first_full_frame(
    store: &PgStore,
    view: Option<&crate::filter::Filter>,
) -> Result<ViewStart> {
    let started = Instant::now();
    let mut state = new_state(store);
    let theme = theme();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Worker::new(store.clone(), tx);
    let mut terminal = Terminal::new(TestBackend::new(WIDTH, HEIGHT))?;
    run_effects(&worker, state.start());
    let mut cards = None;
    // Like the loop: a frame goes out before the work its update started.
    let mut started_work = Vec::new();
    loop {
        terminal.draw(|frame| crate::ui::draw(frame, &state, &theme))?;
        run_effects(&worker, std::mem::take(&mut started_work));
        let now = started.elapsed();
        if view_has_cards(&state, view) {
            cards.get_or_insert(now);
        }
        if view_is_full(&state, view) {
            return Ok(ViewStart {
                cards: cards.unwrap_or(now),
                full: now,
            });
        }
        if let BoardStatus::Failed(why) = &state.board.status {
            bail!("the board failed to load: {why}");
        }
        let action = tokio::time::timeout(LOAD_TIMEOUT, rx.recv())
            .await
            .map_err(|_| eyre!("the board did not load within {LOAD_TIMEOUT:?}"))?
            .ok_or_else(|| eyre!("the worker stopped"))?;
        started_work = state::update(&mut state, action);
        // Like the loop: apply results already waiting before drawing once.
        while let Ok(next) = rx.try_recv() {
            started_work.extend(state::update(&mut state, next));
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

/// How keys are typed.
#[derive(Debug, Clone)]
pub enum Pace {
    /// `count` keys, each once the screen has settled (nothing else is drawing).
    Settled { count: usize },
    /// A key every `every` until `stop` is set, whatever else is drawing (a TUI watching live
    /// load). `ready` is told once the board has loaded and settled. The CPU time of the threads
    /// called `threads` (the loop's and its runtime's) is measured while typing.
    Steady {
        every: Duration,
        stop: Arc<AtomicBool>,
        ready: Arc<Notify>,
        threads: &'static str,
    },
}

/// Key → frame: the real `app::run` loop (with its live listener) on a headless terminal. A key
/// is timed from when it is sent to the first frame flushed after the loop took it, so a frame
/// already being drawn for something else never counts.
pub async fn keys(store: PgStore, pace: Pace) -> Result<KeyFigures> {
    let script = script();
    let (frame_tx, mut frames) = mpsc::unbounded_channel::<Flushed>();
    let (key_tx, key_rx) = mpsc::unbounded_channel::<Event>();
    let (taken_tx, mut taken) = mpsc::unbounded_channel::<Instant>();
    let events = Box::pin(futures::stream::unfold(
        (key_rx, taken_tx),
        |(mut rx, taken_tx)| async move {
            let event = rx.recv().await?;
            let _ = taken_tx.send(Instant::now());
            Some((Ok::<_, std::io::Error>(event), (rx, taken_tx)))
        },
    ));
    let mut terminal = Terminal::new(FlushHook {
        inner: TestBackend::new(WIDTH, HEIGHT),
        // The receiver may be gone once the bench has its samples; frames after that are moot.
        on_flush: move || {
            let _ = frame_tx.send(Flushed {
                at: Instant::now(),
                core_wait: CoreWait::now(),
            });
        },
    })?;
    let state = new_state(&store);
    let driver = drive(&script, &pace, key_tx, &mut taken, &mut frames);
    let app = app::run(&mut terminal, events, store, state, theme());
    let (ran, typed) = tokio::join!(app, driver);
    ran?;
    let typed = typed?;
    let wall = typed.wall.as_secs_f64();
    Ok(KeyFigures {
        keys: Summary::of(&typed.samples),
        keys_less_core_waits: (typed.less_core_waits.len() == typed.samples.len())
            .then(|| Summary::of(&typed.less_core_waits)),
        script: describe(&script),
        frames: typed.frames,
        seconds: round(wall),
        cpu_percent_of_core: typed
            .cpu
            .map(|cpu| round(100.0 * cpu.as_secs_f64() / wall.max(f64::EPSILON))),
    })
}

/// A frame reaching the headless screen, read on the loop's thread as it flushes.
struct Flushed {
    at: Instant,
    core_wait: Option<CoreWait>,
}

struct Typed {
    samples: Vec<Duration>,
    /// Each sample less its thread's run-queue delay, where both ends were read on one thread.
    less_core_waits: Vec<Duration>,
    /// Frames flushed while typing (keys and everything else, e.g. live updates).
    frames: usize,
    wall: Duration,
    /// CPU time of the app's threads while typing (only measured for `Pace::Steady`, where the
    /// app has threads of its own).
    cpu: Option<Duration>,
}

async fn drive(
    script: &[KeyEvent],
    pace: &Pace,
    key_tx: UnboundedSender<Event>,
    taken: &mut UnboundedReceiver<Instant>,
    frames: &mut UnboundedReceiver<Flushed>,
) -> Result<Typed> {
    // Dropping `key_tx` on return ends the event stream, which ends the loop.
    settle(frames, SETTLED_AT_START).await?;
    let cpu_before = match pace {
        Pace::Steady { ready, threads, .. } => {
            ready.notify_one();
            threads_cpu(threads)
        }
        Pace::Settled { .. } => None,
    };
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut less_core_waits = Vec::new();
    let mut drawn_frames = 0;
    for (n, key) in script.iter().cycle().enumerate() {
        match pace {
            Pace::Settled { count } if n >= *count => break,
            Pace::Steady { stop, .. } if stop.load(Ordering::Relaxed) => break,
            _ => {}
        }
        let sent = Instant::now();
        // Read on the thread that sends: the loop's own while `keys` runs on it (a block_on).
        let waited_before = CoreWait::now();
        key_tx
            .send(Event::Key(*key))
            .map_err(|_| eyre!("the app loop stopped"))?;
        let took = within(taken.recv()).await?;
        let drawn = loop {
            let frame = within(frames.recv()).await?;
            drawn_frames += 1;
            if frame.at >= took {
                break frame;
            }
        };
        let sample = drawn.at.saturating_duration_since(sent);
        samples.push(sample);
        if let Some(waited) = drawn
            .core_wait
            .zip(waited_before)
            .and_then(|(after, before)| after.since(&before))
        {
            less_core_waits.push(sample.saturating_sub(waited));
        }
        match pace {
            Pace::Settled { .. } => settle(frames, SETTLED_AFTER_KEY).await?,
            Pace::Steady { every, .. } => {
                tokio::time::sleep(every.saturating_sub(sent.elapsed())).await
            }
        }
        while frames.try_recv().is_ok() {
            drawn_frames += 1;
        }
    }
    let cpu = match pace {
        Pace::Steady { threads, .. } => {
            cpu_before.and_then(|before| Some(threads_cpu(threads)?.saturating_sub(before)))
        }
        Pace::Settled { .. } => None,
    };
    Ok(Typed {
        samples,
        less_core_waits,
        frames: drawn_frames,
        wall: started.elapsed(),
        cpu,
    })
}

/// CPU time (user + system) of this process's threads called `name`, from /proc (Linux).
fn threads_cpu(name: &str) -> Option<Duration> {
    let ticks = super::proc_stat::threads_ticks(name)?;
    Some(Duration::from_secs_f64(
        ticks as f64 / super::proc_stat::TICKS_PER_SECOND,
    ))
}

/// The next timestamp, or an error if the loop stopped or took more than 10 s.
async fn within<T>(next: impl Future<Output = Option<T>>) -> Result<T> {
    tokio::time::timeout(Duration::from_secs(10), next)
        .await
        .map_err(|_| eyre!("no frame within 10 s of a key"))?
        .ok_or_else(|| eyre!("the app loop stopped"))
}

/// Waits until no frame arrived for `quiet` (at most `LOAD_TIMEOUT`).
async fn settle<T>(frames: &mut UnboundedReceiver<T>, quiet: Duration) -> Result<()> {
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

/// A headless terminal that calls `on_flush` at every flush, the moment a frame would reach the
/// screen: the bench timestamps it, `tests/ui/loop_ui.rs` counts it.
pub struct FlushHook<F> {
    pub inner: TestBackend,
    pub on_flush: F,
}

impl<F: FnMut()> crate::tui::clipboard::Clipboard for FlushHook<F> {
    fn set_clipboard(&mut self, _text: &str) -> std::io::Result<()> {
        Ok(())
    }
}

impl<F: FnMut()> Backend for FlushHook<F> {
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
        (self.on_flush)();
        Ok(())
    }
}
