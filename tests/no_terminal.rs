//! Issue 11: without a terminal `closer demo` says it needs one before starting a server, and
//! never shows an OS error number ("os error 6"). (`closer` / `closer inbox` first report what
//! is wrong with the connection — tests/db/cli.rs — and then the same sentence from the terminal
//! guard.)

use std::process::{Command, Stdio};

#[test]
fn the_demo_says_it_needs_a_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    for args in [&["demo"][..], &["demo", "--as", "demo_manager"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_closer"))
            .args(args)
            .env_remove("DATABASE_URL")
            .env("CLOSER_DATA_DIR", dir.path())
            .env("CLOSER_CONFIG", "/nonexistent/closer.toml")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("run closer");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains("needs a terminal"), "{args:?}: {err}");
        assert!(!err.contains("os error"), "{args:?}: {err}");
    }
    // Nothing was started for the demo.
    assert!(!dir.path().join("users").exists());
}
