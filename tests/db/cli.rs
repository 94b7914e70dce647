//! The real binary's non-TUI paths: admin commands and startup errors are one clear sentence,
//! never a backtrace, never a password, and never raw escape sequences from the data.

use crate::common;

use std::process::{Command, Output};

use common::TestDb;

fn closer(args: &[&str], envs: &[(&str, &str)], data_dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("CLOSER_ADMIN_URL")
        .env("CLOSER_DATA_DIR", data_dir)
        .env("CLOSER_CONFIG", "/nonexistent/closer.toml")
        .envs(envs.iter().copied())
        .output()
        .expect("run closer")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_commands_provision_an_organization_and_clean_hostile_names() {
    let db = TestDb::new().await;
    let url = db.cluster.superuser_url(&db.database);
    let dir = tempfile::tempdir().expect("dir");
    let admin = |args: &[&str]| {
        let mut all = vec!["admin", "--admin-url", url.as_str()];
        all.extend_from_slice(args);
        closer(&all, &[], dir.path())
    };

    let out = admin(&["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    let hostile = "Evil\u{1b}]0;pwned\u{7}\u{1b}[2J Org";
    let out = admin(&["create-org", "--name", hostile]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains('\u{1b}'),
        "escape sequences must not reach the terminal: {:?}",
        text(&out)
    );
    let out = admin(&["create-org", "--name", hostile]);
    assert!(
        out.status.success() && text(&out).contains("already exists"),
        "re-running is safe"
    );

    let out = admin(&[
        "add-user",
        "--org",
        hostile,
        "--login",
        "cli_ada",
        "--name",
        "Ada",
        "--email",
        "ada@x.test",
        "--role",
        "rep",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    let password = printed
        .lines()
        .find_map(|l| l.split("securely): ").nth(1))
        .expect("the generated password is shown once")
        .trim()
        .to_string();
    assert!(password.len() >= 20);

    let out = admin(&[
        "add-user", "--org", "Nope", "--login", "cli_bob", "--name", "Bob", "--email", "b@x.test",
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no organization named"),
        "{}",
        text(&out)
    );
    let out = admin(&[
        "add-user", "--org", hostile, "--login", "cli_bob", "--name", "Bob", "--email", "b@x.test",
        "--role", "boss",
    ]);
    assert!(
        !out.status.success() && text(&out).contains("unknown role"),
        "{}",
        text(&out)
    );
    let out = admin(&[
        "add-user",
        "--org",
        hostile,
        "--login",
        "Robert'); DROP",
        "--name",
        "Bob",
        "--email",
        "b@x.test",
    ]);
    assert!(
        !out.status.success() && text(&out).contains("invalid login"),
        "{}",
        text(&out)
    );

    // The rep logs in with the printed password; a wrong one is a sentence without the password.
    let socket = db.cluster.socket_dir().display().to_string();
    let port = db.cluster.port().to_string();
    let env = |password: &'static str| {
        vec![
            ("PGHOST", socket.clone()),
            ("PGPORT", port.clone()),
            ("PGUSER", "cli_ada".to_string()),
            ("PGDATABASE", db.database.clone()),
            ("PGPASSWORD", password.to_string()),
        ]
    };
    let wrong = env("definitely-wrong-pw");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = closer(&[], &wrong, dir.path());
    assert!(!out.status.success());
    assert!(text(&out).contains("refused the login"), "{}", text(&out));
    assert!(!text(&out).contains("definitely-wrong-pw"));
    assert!(
        !text(&out).contains("panicked") && !text(&out).contains("backtrace"),
        "{}",
        text(&out)
    );

    let out = admin(&["remove-user", "--org", hostile, "--login", "cli_ada"]);
    assert!(
        out.status.success() && text(&out).contains("no longer has access"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmigrated_database_says_which_command_to_run() {
    let db = TestDb::unmigrated().await;
    sqlx::query("create role cli_unmigrated login password 'unmigrated-pw-1'")
        .execute(&db.admin)
        .await
        .expect("role");
    let dir = tempfile::tempdir().expect("dir");
    let socket = db.cluster.socket_dir().display().to_string();
    let port = db.cluster.port().to_string();
    let out = closer(
        &[],
        &[
            ("PGHOST", &socket),
            ("PGPORT", &port),
            ("PGUSER", "cli_unmigrated"),
            ("PGPASSWORD", "unmigrated-pw-1"),
            ("PGDATABASE", &db.database),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("closer admin migrate"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_malformed_config_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[ui]\nstale_after_days = 14\n[keys]\nmove_next_stage = [\"L\", \"shft-right\"]\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(["--config", &config.display().to_string()])
        .env("CLOSER_DATA_DIR", dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let printed = text(&out);
    assert!(
        printed.contains("config.toml:4:"),
        "file and line: {printed}"
    );
    assert!(printed.contains("shft-right"), "{printed}");

    std::fs::write(&config, "[connection]\npassword = \"hunter2\"\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_closer"))
        .args(["--config", &config.display().to_string()])
        .env("CLOSER_DATA_DIR", dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(!text(&out).contains("hunter2"), "never echo a password");
    assert!(text(&out).contains("PGPASSWORD"), "{}", text(&out));
}

#[test]
fn an_unreachable_server_is_one_sentence() {
    let dir = tempfile::tempdir().expect("dir");
    let out = closer(
        &[],
        &[
            ("PGHOST", "/nonexistent/socket/dir"),
            ("PGUSER", "nobody"),
            ("PGPASSWORD", "x"),
            ("PGDATABASE", "x"),
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let printed = text(&out);
    assert!(printed.contains("Cannot reach the database"), "{printed}");
    assert_eq!(printed.trim().lines().count(), 1, "one sentence: {printed}");
}
