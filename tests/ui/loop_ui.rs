//! The loop's order on a multi-threaded runtime like the app's: a key's frame is flushed before
//! the work it starts is handed to a worker (a worker woken first took the core from the loop
//! halfway through the frame on a busy machine).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use closer::bench::frames::FlushHook;
use closer::config::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::board_ui::headless::{Backend as Data, event_stream, key_event, wait_until};
use super::board_ui::new_state;

/// The move a key starts reaches the worker only after the frame showing it was flushed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_frame_goes_out_before_its_work_starts() {
    let (state, data, before) = run_after_first_frame(|probe, flushes, tx| async move {
        let before = flushes.load(Ordering::SeqCst);
        probe.move_then_quit(&tx).await;
        before
    })
    .await;
    assert!(state.quit);
    let at_move = data
        .frames_at_move
        .lock()
        .map(|f| f.clone())
        .unwrap_or_default();
    assert_eq!(at_move.len(), 1, "one move");
    assert!(
        at_move[0] > before,
        "the key's frame ({before} flushed before it) was out before the move started: {at_move:?}"
    );
}

/// A teammate's change comes back as several results (the headers, then each column's first page,
/// trickling in): they share a frame or two instead of drawing one each (`app::pacing`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_teammates_change_draws_a_few_frames_not_one_per_result() {
    let (_, _, drawn) = run_after_first_frame(|probe, flushes, tx| async move {
        *probe.page_stagger.lock().unwrap_or_else(|p| p.into_inner()) = Duration::from_millis(8);
        let (pages, frames) = (probe.pages_read(), flushes.load(Ordering::SeqCst));
        probe.teammate_changed_every_stage();
        wait_until("the columns re-read", || probe.pages_read() >= pages + 5).await;
        settled(&flushes).await;
        let drawn = flushes.load(Ordering::SeqCst) - frames;
        let _ = tx.send(key_event('q'));
        drawn
    })
    .await;
    // One per result would be seven: the change, the headers and five pages 8 ms apart.
    assert!((1..=3).contains(&drawn), "{drawn} frames");
}

type Keys = tokio::sync::mpsc::UnboundedSender<std::io::Result<crossterm::event::Event>>;

/// Runs the real loop over the fake data and, beside it, `driver` once every column's first
/// page is drawn and the frames have settled (it gets the data, the flush count and the keys; it
/// must quit the loop). Returns the loop's last state, the data and what the driver returned.
async fn run_after_first_frame<F, Fut, T>(driver: F) -> (closer::state::State, Data, T)
where
    F: FnOnce(Data, Arc<AtomicUsize>, Keys) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = T> + Send,
    T: Send + 'static,
{
    let data = Data::new();
    let flushes = data.frames.clone();
    let (tx, events) = event_stream();
    let probe = data.clone();
    let driver = tokio::spawn(async move {
        probe.first_pages().await;
        settled(&flushes).await;
        driver(probe, flushes, tx).await
    });
    let state = run_loop(&data, events).await;
    let out = driver.await.expect("driver");
    (state, data, out)
}

/// The real loop over the fake data on a headless terminal that counts its flushes into
/// `data.frames`, until the test's driver quits it.
async fn run_loop(
    data: &Data,
    events: futures::stream::BoxStream<'static, std::io::Result<crossterm::event::Event>>,
) -> closer::state::State {
    let counter = data.frames.clone();
    let mut terminal = Terminal::new(FlushHook {
        inner: TestBackend::new(100, 20),
        on_flush: move || {
            counter.fetch_add(1, Ordering::SeqCst);
        },
    })
    .expect("terminal");
    closer::app::run(
        &mut terminal,
        events,
        data.clone(),
        new_state(100, 20),
        Theme::default(),
    )
    .await
    .expect("loop ends cleanly")
}

/// Waits until no frame was flushed for 100 ms.
async fn settled(flushes: &AtomicUsize) {
    let mut last = flushes.load(Ordering::SeqCst);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = flushes.load(Ordering::SeqCst);
        if now == last {
            return;
        }
        last = now;
    }
}
