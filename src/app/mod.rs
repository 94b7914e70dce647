//! The one loop: `select!` over terminal events, data results, and (only while needed) the
//! spinner tick, the search debounce timer and a held background frame → `update` → draw once
//! → start the effects.

pub mod jobs;
mod pacing;

use std::pin::Pin;
use std::time::Duration;

use chrono::Utc;
use crossterm::event::{Event, EventStream, MouseEventKind};
use futures::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::{Instant, Interval, MissedTickBehavior, Sleep};

use crate::config::keymap::Keymap;
use crate::config::theme::Theme;
use crate::config::{self, Config};
use crate::data::PgStore;
use crate::state::lead::{FieldId, LeadAction, LeadEffect};
use crate::state::{Action, Effect, Options, RequestId, State, Viewer, update};
use crate::tui::TerminalGuard;

pub use jobs::{BoardBackend, Worker, failure, load_board};

/// Spinner frame interval (the tick runs only while something loads).
const TICK: Duration = Duration::from_millis(100);

/// Runs the board TUI until the user quits. Enters and restores the terminal.
pub async fn run_board(
    store: PgStore,
    config: &Config,
    keymap: Keymap,
    theme: Theme,
) -> color_eyre::Result<()> {
    run_tui(store, config, keymap, theme, config::StartScreen::Board).await
}

/// Runs the TUI starting on `start` (the board loads in the background either way).
pub async fn run_tui(
    store: PgStore,
    config: &Config,
    keymap: Keymap,
    theme: Theme,
    start: config::StartScreen,
) -> color_eyre::Result<()> {
    let session = Viewer {
        organization: store.organization_name().to_string(),
        person: store.me().full_name.clone(),
    };
    let mut state = State::new(session, keymap, options(config), Utc::now());
    state.board.me = Some(store.me().profile_id);
    state.board.lifecycle.role = Some(store.role());
    state.zone = store.me().time_zone.parse().ok();
    if start == config::StartScreen::Inbox {
        state.screen = crate::state::Screen::Inbox(crate::state::inbox::InboxScreen::default());
    }
    let mut guard = TerminalGuard::enter()?;
    let result = run(guard.terminal(), EventStream::new(), store, state, theme).await;
    drop(guard);
    result.map(drop)
}

/// Board options from the config.
pub fn options(config: &Config) -> Options {
    Options {
        stale_after_days: i64::from(config.ui.stale_after_days),
        sort: config.ui.board_sort.into(),
    }
}

/// The runtime Closer runs on: the loop on the calling thread (`block_on`), its queries and the
/// live listener on two workers called `worker_name`. The load bench's watching TUI uses the
/// same, so what it measures is what a rep gets.
pub fn runtime(worker_name: &str) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(worker_name)
        .enable_all()
        .build()
}

/// The loop, generic over the terminal backend, the event source and the data backend so tests
/// can drive it headless. Returns the final state when the state asks to quit or the event
/// stream ends.
pub async fn run<B, E, S>(
    terminal: &mut Terminal<B>,
    mut events: E,
    store: S,
    mut state: State,
    theme: Theme,
) -> color_eyre::Result<State>
where
    B: Backend + crate::tui::clipboard::Clipboard,
    B::Error: Send + Sync + 'static,
    E: Stream<Item = std::io::Result<Event>> + Unpin,
    S: BoardBackend,
{
    let (tx, mut rx) = mpsc::unbounded_channel();
    let worker = Worker::new(store, tx);
    let mut debounce: Option<(RequestId, Pin<Box<Sleep>>)> = None;
    let mut tick: Interval = tokio::time::interval_at(Instant::now() + TICK, TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);

    if let Ok(size) = terminal.size() {
        state.size = (size.width, size.height);
    }
    // Queries go out first; the loading frame paints while they run.
    let effects = state.start();
    // `$EDITOR` requests (field, text) wait here: the loop owns the terminal and stops reading
    // input while the editor runs.
    let mut editor = None;
    let mut quit = dispatch(effects, &worker, &mut debounce, &mut editor);
    let mut dirty = true;
    let mut pacing = pacing::Pacing::default();
    // Startup time to a full board, logged once (the README's performance figures come from it).
    let mut first_full = Some(Instant::now());

    while !quit {
        if let Some(handover) = editor.take() {
            let (field, text) = match handover {
                Handover::Editor(field, text) => (field, text),
                Handover::Clipboard(text) => {
                    if let Err(err) = terminal.backend_mut().set_clipboard(&text) {
                        tracing::warn!("could not write to the clipboard: {err}");
                    }
                    continue;
                }
                Handover::Suspend => {
                    let size = crate::tui::suspend::suspend(terminal);
                    if let Some((width, height)) = size {
                        update(&mut state, Action::Resize { width, height });
                    }
                    dirty = true;
                    continue;
                }
            };
            let (result, size) = crate::tui::editor::external_edit(terminal, &text).await;
            let action = Action::Lead(LeadAction::Edited {
                field,
                result,
                size,
            });
            quit = dispatch(
                update(&mut state, action),
                &worker,
                &mut debounce,
                &mut editor,
            );
            dirty = true;
            continue;
        }
        if dirty {
            draw(terminal, &mut state, &theme, &mut first_full)?;
            pacing.drawn_for_user();
            dirty = false;
        }
        let loading = state.is_loading();
        let holding = pacing.is_holding();
        // `background`: not the user's doing (data results, live updates, the spinner).
        let (action, background) = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => match to_action(event) {
                    Some(action) => (action, false),
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            Some(action) = rx.recv() => (action, true),
            _ = tick.tick(), if loading => (Action::Tick, true),
            _ = async {
                match debounce.as_mut() {
                    Some((_, sleep)) => sleep.as_mut().await,
                    None => std::future::pending().await,
                }
            }, if debounce.is_some() => {
                match debounce.take() {
                    Some((token, _)) => (Action::DebounceElapsed(token), false),
                    None => continue,
                }
            }
            _ = pacing.held_frame(), if holding => {
                draw(terminal, &mut state, &theme, &mut first_full)?;
                pacing.drawn_for_background();
                continue;
            }
        };
        let was_loading = state.is_loading();
        let mut effects = update(&mut state, action);
        // Apply data results that are already waiting before drawing once. (The event stream
        // is not polled here: crossterm's EventStream keeps the waker of the poll that first
        // returned Pending, so polling it with a no-op waker would lose the next key's wakeup.)
        while !quits(&effects)
            && let Ok(next) = rx.try_recv()
        {
            effects.extend(update(&mut state, next));
        }
        // The frame goes out before the effects' work starts: a worker woken first took the
        // core from the loop halfway through the frame at nearly every key on a busy machine
        // (`perf sched`: the loop's thread switched out, still runnable, for its own runtime's
        // worker).
        if !quits(&effects) {
            if !background {
                draw(terminal, &mut state, &theme, &mut first_full)?;
                pacing.drawn_for_user();
            } else if pacing.draw_background_now(first_full.is_none()) {
                draw(terminal, &mut state, &theme, &mut first_full)?;
                pacing.drawn_for_background();
            }
        }
        quit = dispatch(effects, &worker, &mut debounce, &mut editor);
        // (A handover to the editor or the shell sets it again when the terminal comes back.)
        dirty = false;
        if !was_loading && state.is_loading() {
            tick.reset();
        }
    }
    Ok(state)
}

/// Draws one frame at the state's `now`; logs the first full board frame once (`first_full`
/// holds the start until then).
fn draw<B>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    theme: &Theme,
    first_full: &mut Option<Instant>,
) -> color_eyre::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    state.now = Utc::now();
    terminal.draw(|frame| crate::ui::draw(frame, state, theme))?;
    if let Some(started) = *first_full
        && board_is_full(state)
    {
        *first_full = None;
        tracing::info!(
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "first full board frame"
        );
    }
    Ok(())
}

/// Whether `effects` end the loop.
fn quits(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Quit))
}

/// Every column has its first page (or the pipeline is empty): the "first full board frame"
/// the loop logs and the bench times.
pub fn board_is_full(state: &State) -> bool {
    state.board.status == crate::state::BoardStatus::Ready
        && state.board.columns.iter().all(|c| {
            c.status != crate::state::ColumnStatus::Idle
                && c.status != crate::state::ColumnStatus::Loading
        })
}

/// The terminal handed over by the loop: to `$EDITOR` for a field, or to the shell (ctrl-z).
enum Handover {
    Editor(FieldId, String),
    Suspend,
    /// OSC 52 bytes to write between frames.
    Clipboard(String),
}

/// Runs effects; returns true on quit.
fn dispatch<S: BoardBackend>(
    effects: Vec<Effect>,
    worker: &Worker<S>,
    debounce: &mut Option<(RequestId, Pin<Box<Sleep>>)>,
    editor: &mut Option<Handover>,
) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Quit => quit = true,
            Effect::StartDebounce { token, delay } => {
                *debounce = Some((token, Box::pin(tokio::time::sleep(delay))));
            }
            Effect::Lead(LeadEffect::ExternalEdit { field, text }) => {
                *editor = Some(Handover::Editor(field, text));
            }
            Effect::Suspend => *editor = Some(Handover::Suspend),
            Effect::Clipboard(text) => *editor = Some(Handover::Clipboard(text)),
            other => worker.run(other),
        }
    }
    quit
}

/// Terminal events the state cares about; mouse motion is dropped here so it never redraws.
pub fn to_action(event: Event) -> Option<Action> {
    match event {
        Event::Key(key) => Some(Action::Key(key)),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::Down(_) | MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                Some(Action::Mouse(mouse))
            }
            _ => None,
        },
        Event::Resize(width, height) => Some(Action::Resize { width, height }),
        Event::Paste(text) => Some(Action::Paste(text)),
        _ => None,
    }
}
