//! ctrl-z: the shell gets the terminal back and the process stops (SIGTSTP, as the terminal
//! would have sent outside raw mode); on `fg` the screen is taken back and redrawn whole.

use ratatui::Terminal;
use ratatui::backend::Backend;

#[cfg(target_os = "linux")]
const SIGTSTP: i32 = 20;
#[cfg(not(target_os = "linux"))]
const SIGTSTP: i32 = 18;

unsafe extern "C" {
    /// C's `raise(3)` from the C library std already links.
    fn raise(signal: i32) -> i32;
}

/// Restores the terminal, stops the process until it is continued, then takes the terminal
/// back. Returns the terminal size after it (the window may have changed meanwhile).
pub fn suspend<B: Backend>(terminal: &mut Terminal<B>) -> Option<(u16, u16)> {
    super::restore();
    // SAFETY: raise only sends a signal to this process; the default action of SIGTSTP stops
    // it and returns when it is continued (SIGCONT from the shell's `fg`).
    let stopped = unsafe { raise(SIGTSTP) } == 0;
    if !stopped {
        tracing::warn!("ctrl-z: could not stop the process");
    }
    super::resume();
    let _ = terminal.clear();
    terminal.size().ok().map(|s| (s.width, s.height))
}
