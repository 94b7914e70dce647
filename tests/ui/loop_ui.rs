//! The loop's order on a multi-threaded runtime like the app's: a key's frame is flushed before
//! the work it starts is handed to a worker (a worker woken first took the core from the loop
//! halfway through the frame on a busy machine).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use closer::config::theme::Theme;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};

use super::board_ui::headless::{Backend as Data, wait_until};
use super::board_ui::new_state;

/// A headless terminal that counts its flushes (frames sent to the screen).
struct Counting {
    inner: TestBackend,
    flushes: Arc<AtomicUsize>,
}

impl closer::tui::clipboard::Clipboard for Counting {
    fn set_clipboard(&mut self, _text: &str) -> std::io::Result<()> {
        Ok(())
    }
}

impl Backend for Counting {
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
        self.flushes.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// The move a key starts reaches the worker only after the frame showing it was flushed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keys_frame_goes_out_before_its_work_starts() {
    let data = Data::new();
    let flushes = data.frames.clone();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<std::io::Result<Event>>();
    let events =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (e, rx)) })
            .boxed();
    let mut terminal = Terminal::new(Counting {
        inner: TestBackend::new(100, 20),
        flushes: flushes.clone(),
    })
    .expect("terminal");
    let probe = data.clone();
    let driver = tokio::spawn(async move {
        wait_until("first pages", || {
            *probe.pages.lock().unwrap_or_else(|p| p.into_inner()) >= 5
        })
        .await;
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
        let key = |c: char, m| Ok(Event::Key(KeyEvent::new(KeyCode::Char(c), m)));
        let _ = tx.send(key('L', KeyModifiers::SHIFT));
        wait_until("the move", || {
            !probe
                .moves
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
        })
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let _ = tx.send(key('q', KeyModifiers::NONE));
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
