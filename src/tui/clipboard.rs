//! Copying to the clipboard with OSC 52: the terminal emulator (local, even over SSH, and tmux
//! with `set-clipboard on`) sets its clipboard from an escape sequence, so no clipboard tool or
//! display connection is needed on the machine Closer runs on.

use std::io::{self, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ratatui::backend::{CrosstermBackend, TestBackend};

/// Larger payloads are refused by common terminals (xterm's default limit is about 100 kB).
pub const MAX_BYTES: usize = 74_994;

/// `ESC ] 52 ; c ; <base64> BEL`: sets the clipboard ("c") to `text`.
pub fn osc52(text: &str) -> String {
    let bytes = text.as_bytes();
    let bytes = &bytes[..floor_char_boundary(text, MAX_BYTES.min(bytes.len()))];
    format!("\x1b]52;c;{}\x07", STANDARD.encode(bytes))
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A terminal backend the loop can hand clipboard text to.
pub trait Clipboard {
    fn set_clipboard(&mut self, text: &str) -> io::Result<()>;
}

impl<W: Write> Clipboard for CrosstermBackend<W> {
    fn set_clipboard(&mut self, text: &str) -> io::Result<()> {
        self.write_all(osc52(text).as_bytes())?;
        self.flush()
    }
}

/// Tests: nothing to set.
impl Clipboard for TestBackend {
    fn set_clipboard(&mut self, _text: &str) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_bytes() {
        assert_eq!(
            osc52("ada@example.com"),
            "\x1b]52;c;YWRhQGV4YW1wbGUuY29t\x07"
        );
        assert_eq!(osc52(""), "\x1b]52;c;\x07");
        // A cut never splits a character.
        let long = "ü".repeat(MAX_BYTES);
        assert!(osc52(&long).len() < MAX_BYTES * 2);
    }
}
