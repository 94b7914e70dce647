//! The loop's order on a multi-threaded runtime like the app's: a key's frame is flushed before
//! the work it starts is handed to a worker (a worker woken first took the core from the loop
//! halfway through the frame on a busy machine).

use std::sync::atomic::Ordering;

use closer::bench::frames::FlushHook;
use closer::config::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::board_ui::headless::{Backend as Data, event_stream};
use super::board_ui::new_state;

/// The move a key starts reaches the worker only after the frame showing it was flushed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_frame_goes_out_before_its_work_starts() {
    let data = Data::new();
    let flushes = data.frames.clone();
    let (tx, events) = event_stream();
    let counter = flushes.clone();
    let mut terminal = Terminal::new(FlushHook {
        inner: TestBackend::new(100, 20),
        on_flush: move || {
            counter.fetch_add(1, Ordering::SeqCst);
        },
    })
    .expect("terminal");
    let probe = data.clone();
    let driver = tokio::spawn(async move {
        probe.first_pages().await;
        // Settled: no frame for 100 ms.
        let mut last = flushes.load(Ordering::SeqCst);
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let now = flushes.load(Ordering::SeqCst);
            if now == last {
                break;
            }
            last = now;
        }
        let before = flushes.load(Ordering::SeqCst);
        probe.move_then_quit(&tx).await;
        before
    });
    let state = closer::app::run(
        &mut terminal,
        events,
        data.clone(),
        new_state(100, 20),
        Theme::default(),
    )
    .await
    .expect("loop ends cleanly");
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
