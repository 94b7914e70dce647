//! The terminal guard: raw mode, alternate screen, mouse capture and bracketed paste, restored on drop and on
//! panic (before the panic report is printed, so it is readable).

pub mod clipboard;
pub mod editor;
pub mod opener;
pub mod suspend;

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::Once;

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

/// The terminal as the app draws to it: buffered, flushed once per frame.
pub type Tui = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// Owns the terminal while the TUI runs.
pub struct TerminalGuard {
    terminal: Tui,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen and enables the mouse. Installs the panic hook
    /// (once) on top of whatever hook is set now, so call it after `color_eyre::install()`.
    pub fn enter() -> io::Result<TerminalGuard> {
        if !crate::errors::has_terminal() {
            return Err(io::Error::other(crate::errors::needs_terminal("closer")));
        }
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(
            out,
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        ) {
            restore();
            return Err(e);
        }
        let backend = CrosstermBackend::new(BufWriter::with_capacity(64 * 1024, io::stdout()));
        match Terminal::new(backend) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    pub fn terminal(&mut self) -> &mut Tui {
        &mut self.terminal
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
    }
}

/// Puts the terminal back: mouse off, main screen, cooked mode, cursor shown. Safe to call more
/// than once.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Takes the terminal back after [`restore`] (after `$EDITOR`, after a suspend): raw mode,
/// alternate screen, mouse and bracketed paste again. The caller redraws everything.
pub fn resume() {
    let _ = enable_raw_mode();
    let _ = execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    );
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}
