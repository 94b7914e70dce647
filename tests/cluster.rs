//! Real-server tests for Closer's private PostgreSQL cluster (`closer::db::cluster`).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use closer::db::cluster::{LocalCluster, TempCluster};
use color_eyre::Result;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

async fn connect(options: &PgConnectOptions) -> Result<PgConnection> {
    Ok(PgConnection::connect_with(options).await?)
}

async fn postmaster_start_time(cluster: &LocalCluster) -> Result<String> {
    let mut conn = connect(&cluster.superuser_options("postgres")).await?;
    let started: String = sqlx::query_scalar("select pg_postmaster_start_time()::text")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(started)
}

/// Stops a persistent (non-temp) cluster even if the test panics.
struct StopOnDrop<'a>(&'a LocalCluster);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.stop_immediately_blocking();
    }
}

#[tokio::test]
async fn superuser_connects_over_the_socket_only() -> Result<()> {
    let started = Instant::now();
    let cluster = TempCluster::start().await?;
    eprintln!("TempCluster::start took {:?}", started.elapsed());

    let mut conn = connect(&cluster.superuser_options("postgres")).await?;
    let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut conn).await?;
    assert_eq!(one, 1);

    let listen: String = sqlx::query_scalar("show listen_addresses")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(listen, "", "the cluster must not listen on TCP");
    let port: String = sqlx::query_scalar("show port").fetch_one(&mut conn).await?;
    assert_eq!(port, cluster.port().to_string());
    // Closer's own settings are in force (closer.conf, written before every start).
    let naptime: String = sqlx::query_scalar("show autovacuum_naptime")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(naptime, "10s", "the churning deltas are vacuumed often");
    // A Unix-socket connection has no server address.
    let addr: Option<String> = sqlx::query_scalar("select inet_server_addr()::text")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(addr, None);
    let superuser: bool =
        sqlx::query_scalar("select rolsuper from pg_roles where rolname = current_user")
            .fetch_one(&mut conn)
            .await?;
    assert!(superuser);
    conn.close().await?;

    assert!(
        cluster
            .socket_dir()
            .join(format!(".s.PGSQL.{}", cluster.port()))
            .exists()
    );
    Ok(())
}

#[tokio::test]
async fn superuser_url_connects() -> Result<()> {
    let cluster = TempCluster::start().await?;
    let url = cluster.superuser_url("template1");
    assert!(url.starts_with("postgres://closer_admin:"));
    assert!(
        url.contains("host=%2F"),
        "socket dir must be a query param: {url}"
    );

    let mut conn = connect(&PgConnectOptions::from_str(&url)?).await?;
    let database: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&mut conn)
        .await?;
    assert_eq!(database, "template1");
    conn.close().await?;
    Ok(())
}

#[tokio::test]
async fn password_is_private_and_never_debug_printed() -> Result<()> {
    let cluster = TempCluster::start().await?;
    let file = cluster.data_dir().join("superuser.password");
    let mode = std::fs::metadata(&file)?.permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let password = std::fs::read_to_string(&file)?;
    assert_eq!(password.trim().len(), 32);
    assert!(password.trim().chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(!format!("{:?}", *cluster).contains(password.trim()));
    Ok(())
}

#[tokio::test]
async fn restart_keeps_the_cluster_usable() -> Result<()> {
    let mut cluster = TempCluster::start().await?;
    let before = postmaster_start_time(&cluster).await?;
    let port = cluster.port();

    cluster.restart().await?;

    assert_eq!(cluster.port(), port);
    let after = postmaster_start_time(&cluster).await?;
    assert_ne!(before, after, "restart must start a new postmaster");
    Ok(())
}

#[tokio::test]
async fn login_role_connects_with_its_password_only() -> Result<()> {
    let cluster = TempCluster::start().await?;
    let mut admin = connect(&cluster.superuser_options("postgres")).await?;
    sqlx::query("create role alice login password 'correct horse'")
        .execute(&mut admin)
        .await?;
    admin.close().await?;

    let mut alice = connect(&cluster.login_options("postgres", "alice", "correct horse")).await?;
    let user: String = sqlx::query_scalar("select current_user::text")
        .fetch_one(&mut alice)
        .await?;
    assert_eq!(user, "alice");
    alice.close().await?;

    let error = PgConnection::connect_with(&cluster.login_options("postgres", "alice", "wrong"))
        .await
        .err()
        .ok_or_else(|| color_eyre::eyre::eyre!("a wrong password must be rejected"))?;
    let code = error
        .as_database_error()
        .and_then(|db| db.code().map(|code| code.into_owned()));
    assert_eq!(code.as_deref(), Some("28P01"), "unexpected error: {error}");
    Ok(())
}

#[tokio::test]
async fn second_start_on_the_same_dir_reuses_the_running_server() -> Result<()> {
    let cluster = TempCluster::start().await?;
    let started = postmaster_start_time(&cluster).await?;

    let again = LocalCluster::start(cluster.data_dir()).await?;

    assert_eq!(again.port(), cluster.port());
    assert_eq!(again.socket_dir(), cluster.socket_dir());
    assert_eq!(postmaster_start_time(&again).await?, started);
    Ok(())
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn dropping_a_temp_cluster_leaves_no_server_behind() -> Result<()> {
    let cluster = TempCluster::start().await?;
    let pid_file = std::fs::read_to_string(cluster.pgdata().join("postmaster.pid"))?;
    let pid: u32 = pid_file.lines().next().unwrap_or_default().trim().parse()?;
    let pgdata = cluster.pgdata().to_path_buf();
    let dir = cluster.data_dir().to_path_buf();
    assert!(process_alive(pid));

    drop(cluster);

    // pg_ctl -w returns once the pid file is gone; the process exits right after.
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!process_alive(pid), "postmaster {pid} survived the drop");
    assert!(
        !running_with_pgdata(&pgdata),
        "a postgres process still uses {}",
        pgdata.display()
    );
    assert!(!dir.exists(), "{} was not deleted", dir.display());
    Ok(())
}

#[cfg(target_os = "linux")]
fn process_alive(pid: u32) -> bool {
    // Zombies waiting to be reaped count as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z")
    })
}

#[cfg(target_os = "linux")]
fn running_with_pgdata(pgdata: &Path) -> bool {
    let needle = pgdata.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            std::fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(&needle))
        })
}

/// A data dir too long for a Unix socket path gets its socket in a short /tmp directory.
#[tokio::test]
async fn long_data_dir_gets_a_short_socket_dir() -> Result<()> {
    let base = tempfile::tempdir()?;
    // Traversable, so that as root the cluster stays here instead of being relocated.
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755))?;
    let data_dir = base.path().join("a-rather-long-directory-name-".repeat(4));
    assert!(data_dir.as_os_str().len() > 110);

    let cluster = LocalCluster::start(&data_dir).await?;
    let guard = StopOnDrop(&cluster);
    assert!(cluster.socket_dir().as_os_str().len() <= 80);
    assert!(cluster.pgdata().starts_with(&data_dir));
    let mut conn = connect(&cluster.superuser_options("")).await?;
    let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut conn).await?;
    assert_eq!(one, 1);
    conn.close().await?;

    std::mem::forget(guard);
    let socket_dir = cluster.socket_dir().to_path_buf();
    cluster.stop().await?;
    std::fs::remove_dir_all(socket_dir)?;
    Ok(())
}

/// As root, a data dir the `postgres` user cannot reach (like /root/...) is relocated; as an
/// ordinary user it stays in place. Either way the cluster works and the password stays with us.
#[tokio::test]
async fn unreachable_data_dir_is_relocated_when_root() -> Result<()> {
    let base = tempfile::tempdir()?;
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o700))?;
    let data_dir = base.path().join("closer");

    let cluster = LocalCluster::start(&data_dir).await?;
    let guard = StopOnDrop(&cluster);
    let data_dir = data_dir.canonicalize()?;
    let relocated = !cluster.pgdata().starts_with(&data_dir);
    assert_eq!(relocated, running_as_root()?);
    assert!(data_dir.join("superuser.password").exists());
    let mut conn = connect(&cluster.superuser_options("postgres")).await?;
    let one: i32 = sqlx::query_scalar("select 1").fetch_one(&mut conn).await?;
    assert_eq!(one, 1);
    conn.close().await?;

    std::mem::forget(guard);
    let cluster_dir = cluster.cluster_dir().to_path_buf();
    cluster.stop().await?;
    if relocated {
        std::fs::remove_dir_all(cluster_dir)?;
    }
    Ok(())
}

fn running_as_root() -> Result<bool> {
    let output = std::process::Command::new("id").arg("-u").output()?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}
