//! End to end (issue 11): two `closer demo` on one data directory — the second as the demo
//! manager (`--as`). The second quits; the first keeps working (it moves a card and stays
//! connected) instead of going offline because the quitting one stopped the shared server.

#[path = "support/tmux.rs"]
mod tmux;

use std::time::Duration;

use tmux::{Tmux, sh_quote};

fn demo(data_dir: &std::path::Path, args: &str) -> String {
    format!(
        "env -u DATABASE_URL -u PGHOST -u PGPORT -u PGUSER -u PGPASSWORD -u PGDATABASE TZ=UTC \
         CLOSER_DATA_DIR={} CLOSER_CONFIG=/nonexistent/closer.toml {} demo {args}",
        sh_quote(&data_dir.display().to_string()),
        sh_quote(env!("CARGO_BIN_EXE_closer")),
    )
}

#[test]
fn quitting_one_demo_leaves_the_other_working() {
    let data_dir = tempfile::tempdir().expect("temp data dir");
    let first = Tmux::start(170, 32, &demo(data_dir.path(), ""));
    // The first start seeds the demo organization.
    first.wait_for("● connected", Duration::from_secs(240));
    first.wait_for("Riley Rep", Duration::from_secs(10));
    let second = Tmux::start(170, 32, &demo(data_dir.path(), "--as demo_manager"));
    second.wait_for("● connected", Duration::from_secs(60));
    second.wait_for("Morgan Manager", Duration::from_secs(10));
    second.keys(&["q"]);
    second.wait_for("CLOSER-EXITED-0", Duration::from_secs(30));

    // The first still reaches the database: a move is saved, and it stays connected.
    first.keys(&["L"]);
    std::thread::sleep(Duration::from_secs(2));
    first.keys(&["r"]);
    std::thread::sleep(Duration::from_secs(2));
    let screen = first.wait_for("● connected", Duration::from_secs(10));
    assert!(!screen.contains("offline"), "{screen}");
    assert!(!screen.contains("Cannot reach"), "{screen}");
    first.keys(&["q"]);
    first.wait_for("CLOSER-EXITED-0", Duration::from_secs(30));
    // The last one out stopped the server: --stop finds nothing running to stop but the setup.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(["demo", "--stop"])
        .env("CLOSER_DATA_DIR", data_dir.path())
        .env("CLOSER_CONFIG", "/nonexistent/closer.toml")
        .output()
        .expect("closer demo --stop");
    assert!(out.status.success());
}
