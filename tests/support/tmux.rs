//! Drives the real `closer` binary in a private tmux server, as a person would.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    /// Starts `command` (run by `sh -c`) in a detached COLS×ROWS terminal on a private tmux server.
    pub fn start(cols: u16, rows: u16, command: &str) -> Tmux {
        let socket = format!("closer-e2e-{}", std::process::id()) + &format!("-{}", rand_suffix());
        let tmux = Tmux {
            socket,
            session: "e2e".into(),
        };
        // The pane stays open after exit so a failure can still be read.
        let status = Command::new("tmux")
            .args([
                "-L",
                &tmux.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                &tmux.session,
            ])
            .args(["-x", &cols.to_string(), "-y", &rows.to_string()])
            .arg(format!("{command}; echo CLOSER-EXITED-$?; sleep 60"))
            .status()
            .expect("tmux must be installed for the end-to-end tests (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "capture-pane",
                "-p",
                "-t",
                &self.session,
            ])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", &self.session, key])
                .status()
                .expect("tmux send-keys");
            assert!(status.success(), "send-keys {key}");
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Pastes `text` as a terminal would (bracketed, when the application asked for it).
    pub fn paste(&self, text: &str) {
        let buffer = "e2e-paste";
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "set-buffer", "-b", buffer, "--", text])
            .status()
            .expect("tmux set-buffer");
        assert!(status.success(), "set-buffer");
        let status = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "paste-buffer",
                "-p",
                "-d",
                "-b",
                buffer,
                "-t",
                &self.session,
            ])
            .status()
            .expect("tmux paste-buffer");
        assert!(status.success(), "paste-buffer");
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Waits until `needle` is on screen; panics with the screen if it never appears.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            if started.elapsed() > timeout {
                panic!("{needle:?} did not appear within {timeout:?}; the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now()) as u32
}

/// A shell-quoted word.
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
