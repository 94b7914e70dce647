//! Closer's private local PostgreSQL cluster.
//!
//! The demo, and the test-suite when no admin URL is given, run their own server instead of relying
//! on whatever listens on 127.0.0.1:5432. The cluster listens on a Unix socket only, in a directory
//! Closer owns, and the superuser (`closer_admin`) authenticates with a random password kept in
//! `<data_dir>/superuser.password` (mode 0600).
//!
//! Layout under `data_dir` (the "cluster dir", see [`LocalCluster::cluster_dir`]):
//! `pgdata/` (the cluster), `sock/` (the socket), `postgres.log` (server log). The password, the
//! chosen port and a lock file always stay in `data_dir` itself.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};
use rand::Rng;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};

mod share;
mod system;
mod temp;

pub use share::Membership;
use system::{
    absolute_dir, command_failure, database_or_default, effective_uid, ensure_dir,
    find_server_binaries, is_transient, lock_dir, log_tail_section, path_hash, percent_encode,
    random_alnum, read_state_file, relocated_cluster_dir, system_user, traversable_by,
    write_private_file,
};
pub use temp::TempCluster;

/// Name of the cluster's superuser role.
pub const SUPERUSER: &str = "closer_admin";

const PASSWORD_FILE: &str = "superuser.password";
const PORT_FILE: &str = "postgres.port";
const LOCK_FILE: &str = "cluster.lock";
const LOG_FILE: &str = "postgres.log";
const PGDATA_DIR: &str = "pgdata";
const SOCKET_DIR: &str = "sock";
/// Included from postgresql.conf and rewritten before every start, so socket dir and port
/// always match where Closer looks for them.
const CONF_FILE: &str = "closer.conf";
/// Server start (pg_ctl -t) and first-connection timeout.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// Unix socket paths are limited to 107 bytes and PostgreSQL appends `/.s.PGSQL.<port>.lock`
/// (up to 20 bytes), so longer socket directories are moved to /tmp.
const MAX_SOCKET_DIR_LEN: usize = 80;
const LOG_TAIL_LINES: usize = 20;
/// Environment variables that would make the server tools act on another cluster.
const FOREIGN_PG_ENV: [&str; 9] = [
    "PGDATA",
    "PGPORT",
    "PGHOST",
    "PGHOSTADDR",
    "PGOPTIONS",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
];

const BINARIES_NOT_FOUND: &str = "PostgreSQL server binaries (initdb, pg_ctl) were not found: \
     install them with `sudo apt install postgresql` (Debian/Ubuntu), `brew install postgresql@16` \
     (macOS) or your distribution's postgresql-server package";

/// Whether the cluster must survive a crash (the demo) or may trade that for speed (tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Durability {
    Durable,
    Ephemeral,
}

/// The unprivileged account the server runs as when Closer itself runs as root.
#[derive(Clone, Debug)]
struct ServerUser {
    name: String,
    uid: u32,
    gid: u32,
    home: PathBuf,
}

#[derive(Clone, Debug)]
struct Binaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
}

/// A PostgreSQL cluster private to Closer, reachable over a Unix socket only.
///
/// Dropping a `LocalCluster` leaves the server running (a later [`LocalCluster::start`] on the
/// same directory reuses it); call [`LocalCluster::stop`] to shut it down.
pub struct LocalCluster {
    data_dir: PathBuf,
    cluster_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log_path: PathBuf,
    port: u16,
    password: String,
    binaries: Binaries,
    /// `Some` when Closer runs as root and the server runs as `postgres`.
    run_as: Option<ServerUser>,
    /// The uid that owns the server's files (ours, or `run_as`'s).
    server_uid: u32,
    durability: Durability,
}

impl fmt::Debug for LocalCluster {
    // Hand-written so the password never ends up in a log line or panic message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCluster")
            .field("data_dir", &self.data_dir)
            .field("cluster_dir", &self.cluster_dir)
            .field("socket_dir", &self.socket_dir)
            .field("port", &self.port)
            .field("run_as", &self.run_as.as_ref().map(|user| &user.name))
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl LocalCluster {
    /// Initialise (if `data_dir/pgdata` is missing) and start a cluster under `data_dir`, or reuse
    /// it if it is already running there (e.g. a second `closer demo`). Returns once the server
    /// accepts connections.
    pub async fn start(data_dir: &Path) -> Result<LocalCluster> {
        let data_dir = absolute_dir(data_dir)?;
        let _lock = lock_dir(&data_dir).await?;
        let cluster = LocalCluster::prepare(&data_dir, Durability::Durable).await?;
        cluster.launch().await?;
        Ok(cluster)
    }

    /// Superuser connection options over the socket (database `postgres` if `database` is empty).
    pub fn superuser_options(&self, database: &str) -> PgConnectOptions {
        self.login_options(database, SUPERUSER, &self.password)
    }

    /// Connection options for an ordinary login with a password over the socket (database
    /// `postgres` if `database` is empty).
    pub fn login_options(&self, database: &str, login: &str, password: &str) -> PgConnectOptions {
        PgConnectOptions::new_without_pgpass()
            .socket(&self.socket_dir)
            .port(self.port)
            .ssl_mode(PgSslMode::Disable)
            .username(login)
            .password(password)
            .database(database_or_default(database))
    }

    /// A `postgres://` URL for the superuser, with the socket directory as the `host` query
    /// parameter (understood by sqlx and libpq alike). It contains the password.
    pub fn superuser_url(&self, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@localhost:{port}/{database}?host={host}&sslmode=disable",
            user = percent_encode(SUPERUSER),
            password = percent_encode(&self.password),
            port = self.port,
            database = percent_encode(database_or_default(database)),
            host = percent_encode(&self.socket_dir.to_string_lossy()),
        )
    }

    /// Directory holding the server's Unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The directory given to [`LocalCluster::start`] (canonicalised).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where `pgdata/`, the log and (usually) the socket live: `data_dir` itself, or a directory
    /// under /var/lib/closer or /tmp when running as root (see `relocated_cluster_dir`).
    pub fn cluster_dir(&self) -> &Path {
        &self.cluster_dir
    }

    /// The PostgreSQL data directory.
    pub fn pgdata(&self) -> &Path {
        &self.pgdata
    }

    /// The server log.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Stop the server (`pg_ctl stop -m fast`) and wait until it is gone.
    pub async fn stop(self) -> Result<()> {
        self.shutdown().await
    }

    /// Restart the server (stop, then start), e.g. to inject a fault in tests.
    pub async fn restart(&mut self) -> Result<()> {
        let _lock = lock_dir(&self.data_dir).await?;
        self.shutdown().await?;
        self.launch().await
    }

    /// Stop the server at once (`pg_ctl stop -m immediate`), synchronously: for `Drop` impls and
    /// panic paths. The next start runs crash recovery.
    pub fn stop_immediately_blocking(&self) -> Result<()> {
        let output = self
            .server_command(&self.binaries.pg_ctl)
            .arg("stop")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", "immediate", "-w", "-t", "30"])
            .output()
            .wrap_err("could not run pg_ctl stop")?;
        // pg_ctl fails when no server runs; that is the state we want anyway.
        if output.status.success() || !self.pgdata.join("postmaster.pid").exists() {
            Ok(())
        } else {
            Err(command_failure("pg_ctl stop", &output, None))
        }
    }

    /// Create the directories and, if needed, the cluster itself; does not start the server.
    async fn prepare(data_dir: &Path, durability: Durability) -> Result<LocalCluster> {
        let binaries = find_server_binaries()?;
        let euid = effective_uid()?;
        let run_as = if euid == 0 {
            Some(system_user("postgres")?.ok_or_else(|| {
                eyre!(
                    "Closer is running as root, which PostgreSQL refuses, and there is no \
                     `postgres` system user to run the server as: install the postgresql package \
                     (it creates that user) or run Closer as an ordinary user"
                )
            })?)
        } else {
            None
        };
        let server_uid = run_as.as_ref().map_or(euid, |user| user.uid);

        let hash = path_hash(data_dir);
        let cluster_dir = match &run_as {
            Some(user)
                if !data_dir.join(PGDATA_DIR).exists() && !traversable_by(data_dir, user) =>
            {
                relocated_cluster_dir(&hash, user)?
            }
            _ => data_dir.to_path_buf(),
        };
        let mut socket_dir = cluster_dir.join(SOCKET_DIR);
        if socket_dir.as_os_str().len() > MAX_SOCKET_DIR_LEN {
            socket_dir = PathBuf::from(format!("/tmp/closer-sock-{hash}"));
        }

        let mut cluster = LocalCluster {
            data_dir: data_dir.to_path_buf(),
            pgdata: cluster_dir.join(PGDATA_DIR),
            log_path: cluster_dir.join(LOG_FILE),
            cluster_dir,
            socket_dir,
            port: 0,
            password: String::new(),
            binaries,
            run_as,
            server_uid,
            durability,
        };
        cluster.ensure_server_dir(&cluster.pgdata)?;

        if cluster.pgdata.join("PG_VERSION").exists() {
            cluster.password = read_state_file(&cluster, PASSWORD_FILE)?;
            cluster.port = read_state_file(&cluster, PORT_FILE)?
                .parse()
                .wrap_err_with(|| format!("{} is corrupt", data_dir.join(PORT_FILE).display()))?;
        } else {
            cluster.password = random_alnum(32);
            cluster.port = 5433 + rand::rng().random_range(0..1000);
            write_private_file(&data_dir.join(PASSWORD_FILE), &cluster.password)?;
            write_private_file(&data_dir.join(PORT_FILE), &cluster.port.to_string())?;
            cluster.initdb().await?;
        }
        Ok(cluster)
    }

    async fn initdb(&self) -> Result<()> {
        tracing::info!(pgdata = %self.pgdata.display(), "initialising local PostgreSQL cluster");
        // The server user must read the password file, and may not reach data_dir: use a
        // short-lived copy next to pgdata.
        let pwfile = self.cluster_dir.join(".initdb-password");
        write_private_file(&pwfile, &self.password)?;
        self.give_to_server_user(&pwfile)?;

        let mut command = self.server_command(&self.binaries.initdb);
        command
            .arg("-D")
            .arg(&self.pgdata)
            .args([
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .arg(format!("--pwfile={}", pwfile.display()));
        if self.durability == Durability::Ephemeral {
            command.arg("--no-sync");
        }
        let output = tokio::process::Command::from(command).output().await;
        // Remove the copy whatever happened.
        let _ = fs::remove_file(&pwfile);
        let output = output.wrap_err("could not run initdb")?;
        if !output.status.success() {
            return Err(command_failure("initdb", &output, None));
        }

        let conf = self.pgdata.join("postgresql.conf");
        let mut file = OpenOptions::new()
            .append(true)
            .open(&conf)
            .wrap_err_with(|| format!("could not open {}", conf.display()))?;
        // `include` (not include_if_exists): without closer.conf the server would listen on TCP.
        writeln!(
            file,
            "\n# Socket, port and memory settings, rewritten by Closer at every start.\n\
             include '{CONF_FILE}'"
        )
        .wrap_err_with(|| format!("could not write {}", conf.display()))?;
        Ok(())
    }

    /// Start the server unless it already runs, then wait until it accepts connections.
    async fn launch(&self) -> Result<()> {
        if self.is_running().await? {
            tracing::info!(pgdata = %self.pgdata.display(), "reusing running PostgreSQL cluster");
        } else {
            self.write_conf()?;
            self.ensure_server_dir(&self.socket_dir)?;
            self.prepare_log_file()?;
            tracing::info!(pgdata = %self.pgdata.display(), "starting local PostgreSQL cluster");
            let mut command = self.server_command(&self.binaries.pg_ctl);
            command
                .arg("start")
                .arg("-D")
                .arg(&self.pgdata)
                .arg("-l")
                .arg(&self.log_path)
                .args(["-w", "-t"])
                .arg(START_TIMEOUT.as_secs().to_string());
            let output = tokio::process::Command::from(command)
                .output()
                .await
                .wrap_err("could not run pg_ctl start")?;
            if !output.status.success() {
                return Err(command_failure(
                    "pg_ctl start",
                    &output,
                    Some(&self.log_path),
                ));
            }
        }
        self.wait_until_ready().await
    }

    async fn shutdown(&self) -> Result<()> {
        if !self.is_running().await? {
            return Ok(());
        }
        let mut command = self.server_command(&self.binaries.pg_ctl);
        command
            .arg("stop")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-m", "fast", "-w", "-t"])
            .arg(START_TIMEOUT.as_secs().to_string());
        let output = tokio::process::Command::from(command)
            .output()
            .await
            .wrap_err("could not run pg_ctl stop")?;
        if !output.status.success() {
            return Err(command_failure(
                "pg_ctl stop",
                &output,
                Some(&self.log_path),
            ));
        }
        Ok(())
    }

    async fn is_running(&self) -> Result<bool> {
        let mut command = self.server_command(&self.binaries.pg_ctl);
        command.arg("status").arg("-D").arg(&self.pgdata);
        let output = tokio::process::Command::from(command)
            .output()
            .await
            .wrap_err("could not run pg_ctl status")?;
        // pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
        match output.status.code() {
            Some(0) => Ok(true),
            Some(3) => Ok(false),
            _ => Err(command_failure("pg_ctl status", &output, None)),
        }
    }

    /// pg_ctl -w only knows the postmaster is up; make sure we can really log in.
    async fn wait_until_ready(&self) -> Result<()> {
        let options = self.superuser_options("postgres");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let attempt =
                tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&options))
                    .await;
            let last_error = match attempt {
                Ok(Ok(connection)) => {
                    let _ = connection.close().await;
                    return Ok(());
                }
                Ok(Err(error)) if is_transient(&error) => error.to_string(),
                Ok(Err(error)) => {
                    return Err(error).wrap_err_with(|| {
                        format!(
                            "could not connect to the local PostgreSQL cluster in {}",
                            self.pgdata.display()
                        )
                    });
                }
                Err(_) => "connection attempt timed out".to_owned(),
            };
            if Instant::now() >= deadline {
                bail!(
                    "the local PostgreSQL cluster in {} did not accept connections within {}s \
                     (last error: {last_error}){}",
                    self.pgdata.display(),
                    START_TIMEOUT.as_secs(),
                    log_tail_section(&self.log_path),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn write_conf(&self) -> Result<()> {
        let socket_dir = self.socket_dir.to_str().ok_or_else(|| {
            eyre!(
                "the socket directory {} is not valid UTF-8",
                self.socket_dir.display()
            )
        })?;
        if socket_dir.contains(['"', '\'', '\\', '\n']) {
            bail!(
                "the socket directory {socket_dir} contains quotes, backslashes or newlines, \
                 which postgresql.conf cannot express"
            );
        }
        // Double quotes inside: unix_socket_directories is a list, and the path may hold commas.
        let mut conf = format!(
            "# Written by Closer before every start: edits are lost.\n\
             listen_addresses = ''\n\
             unix_socket_directories = '\"{socket_dir}\"'\n\
             port = {port}\n\
             # A sales floor: fifty reps, each a listener plus a query connection or two.\n\
             max_connections = 200\n\
             shared_buffers = 256MB\n\
             # Bulk seeding (a million leads) writes a lot of WAL: no replicas, so keep it minimal\n\
             # and let checkpoints space out.\n\
             wal_level = minimal\n\
             max_wal_senders = 0\n\
             max_wal_size = 4GB\n\
             checkpoint_timeout = 15min\n\
             # The header and filter deltas churn (rows inserted by every write, folded away):\n\
             # vacuumed every minute, a floor left them 3x larger, spread thin over their pages.\n\
             autovacuum_naptime = 10s\n",
            port = self.port,
        );
        if self.durability == Durability::Ephemeral {
            conf.push_str(
                "# Throwaway test cluster: speed over crash safety.\n\
                 fsync = off\n\
                 synchronous_commit = off\n\
                 full_page_writes = off\n",
            );
        }
        let path = self.pgdata.join(CONF_FILE);
        write_private_file(&path, &conf)?;
        self.give_to_server_user(&path)
    }

    /// pg_ctl opens the log as the server user, so it must exist and belong to that user.
    fn prepare_log_file(&self) -> Result<()> {
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.log_path)
            .wrap_err_with(|| format!("could not create {}", self.log_path.display()))?;
        self.give_to_server_user(&self.log_path)
    }

    /// Create `dir` (mode 0700) owned by the server user, or check that an existing one is a real
    /// directory owned by that user, so that a directory planted in /tmp by someone else is never
    /// used.
    fn ensure_server_dir(&self, dir: &Path) -> Result<()> {
        ensure_dir(dir, 0o700, self.server_uid)?;
        self.give_to_server_user(dir)
    }

    fn give_to_server_user(&self, path: &Path) -> Result<()> {
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).wrap_err_with(|| {
                format!("could not give {} to user {}", path.display(), user.name)
            })?;
        }
        Ok(())
    }

    /// A command for a server tool, run as the server user when we are root.
    fn server_command(&self, program: &Path) -> std::process::Command {
        let mut command = std::process::Command::new(program);
        // The server user may not be able to enter our working directory (e.g. /root).
        command.current_dir("/").stdin(Stdio::null());
        for var in FOREIGN_PG_ENV {
            command.env_remove(var);
        }
        if let Some(user) = &self.run_as {
            command
                .uid(user.uid)
                .gid(user.gid)
                .env("HOME", &user.home)
                .env("USER", &user.name)
                .env("LOGNAME", &user.name);
        }
        command
    }
}
