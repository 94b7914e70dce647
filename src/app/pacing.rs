//! Background frames in a burst share one. A teammate's change arrives as one live batch a second
//! at most, but it comes back as several results (the headers, then each stale column's first
//! page), and the loop drew a frame for each: ~10 of the watching TUI's 30 frames a second under
//! a 300 tx/s floor. After a frame drawn for a background action, the next one
//! waits `GAP`, taking in whatever else arrives meanwhile. What the user does is never held: a
//! key's frame, and the first result after it, go out at once.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// Shortest time between two frames drawn for background actions alone.
pub const GAP: Duration = Duration::from_millis(50);

#[derive(Default)]
pub struct Pacing {
    /// When the last frame was drawn, if it was drawn for a background action.
    last_background: Option<Instant>,
    /// The held frame's time, once one is held.
    held: Option<Pin<Box<Sleep>>>,
}

impl Pacing {
    /// A frame went out for the user (a key, a resize, the terminal coming back): it showed
    /// everything, and the next background result draws at once.
    pub fn drawn_for_user(&mut self) {
        self.last_background = None;
        self.held = None;
    }

    /// A frame went out for a background action (it showed everything held so far).
    pub fn drawn_for_background(&mut self) {
        self.last_background = Some(Instant::now());
        self.held = None;
    }

    /// A background action was applied: whether to draw it now. Otherwise its frame is held
    /// (`held_frame`), and it shows in that frame or in the user's next one. `steady` says the
    /// screen has loaded (the board's first full frame is out): loading frames are never held.
    pub fn draw_background_now(&mut self, steady: bool) -> bool {
        if self.held.is_some() {
            return false;
        }
        match self.last_background {
            Some(at) if steady && at.elapsed() < GAP => {
                self.held = Some(Box::pin(tokio::time::sleep_until(at + GAP)));
                false
            }
            _ => true,
        }
    }

    pub fn is_holding(&self) -> bool {
        self.held.is_some()
    }

    /// Resolves when the held frame is due; never while none is held.
    pub async fn held_frame(&mut self) {
        match self.held.as_mut() {
            Some(due) => due.as_mut().await,
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_burst_after_a_background_frame_is_held_until_the_gap_ends() {
        let mut pacing = Pacing::default();
        assert!(pacing.draw_background_now(true), "nothing drawn yet");
        let drawn = Instant::now();
        pacing.drawn_for_background();
        assert!(!pacing.draw_background_now(true));
        assert!(
            !pacing.draw_background_now(true),
            "one frame held for the burst"
        );
        assert!(pacing.is_holding());
        pacing.held_frame().await;
        assert!(drawn.elapsed() >= GAP);
        pacing.drawn_for_background();
        assert!(!pacing.is_holding());
    }

    #[tokio::test]
    async fn the_users_frames_and_loading_frames_are_never_held() {
        let mut pacing = Pacing::default();
        pacing.drawn_for_background();
        assert!(pacing.draw_background_now(false), "still loading");
        pacing.drawn_for_user();
        assert!(
            pacing.draw_background_now(true),
            "the first result after a key"
        );
        pacing.drawn_for_background();
        assert!(!pacing.draw_background_now(true));
        pacing.drawn_for_user();
        assert!(!pacing.is_holding(), "a key's frame showed what was held");
        tokio::time::sleep(GAP).await;
        pacing.drawn_for_background();
        tokio::time::sleep(GAP).await;
        assert!(pacing.draw_background_now(true), "the gap is over");
    }
}
