//! The loop's order on a multi-threaded runtime like the app's: a key's frame is flushed before
//! the work it starts is handed to a worker (a worker woken first took the core from the loop
//! halfway through the frame on a busy machine).

use std::sync::atomic::Ordering;
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
    let data = Data::new();
    let flushes = data.frames.clone();
    let (tx, events) = event_stream();
    let probe = data.clone();
    let driver = tokio::spawn(async move {
        probe.first_pages().await;
        settled(&flushes).await;
        let before = flushes.load(Ordering::SeqCst);
        probe.move_then_quit(&tx).await;
        before
    });
    let state = run_loop(&data, events).await;
    let before = driver.await.expect("driver");
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
    let data = Data::new();
    let flushes = data.frames.clone();
    let (tx, events) = event_stream();
    let probe = data.clone();
    let driver = tokio::spawn(async move {
        probe.first_pages().await;
        settled(&flushes).await;
        *probe.page_stagger.lock().unwrap_or_else(|p| p.into_inner()) = Duration::from_millis(8);
        let (pages, frames) = (probe.pages_read(), flushes.load(Ordering::SeqCst));
        probe.teammate_changed_every_stage();
        wait_until("the columns re-read", || probe.pages_read() >= pages + 5).await;
        settled(&flushes).await;
        let drawn = flushes.load(Ordering::SeqCst) - frames;
        let _ = tx.send(key_event('q'));
        drawn
    });
    run_loop(&data, events).await;
    let drawn = driver.await.expect("driver");
    // One per result would be seven: the change, the headers and five pages 8 ms apart.
    assert!((1..=3).contains(&drawn), "{drawn} frames");
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
async fn settled(flushes: &std::sync::atomic::AtomicUsize) {
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
