//! Test helpers between the pool and the server: a TCP proxy that counts the frontend's protocol
//! messages, and a real PgBouncer in front of the private test cluster.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixStream};

/// What the clients sent through the proxy, by protocol message type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages by type byte ('P' Parse, 'B' Bind, 'E' Execute, 'S' Sync, 'Q' Query, ...).
    pub by_type: BTreeMap<char, u64>,
    /// Syncs that end a batch holding a statement (Parse/Bind/Execute...): one round trip each.
    pub statement_syncs: u64,
    /// Syncs sent alone: sqlx's `ping` (before acquire, after release).
    pub lone_syncs: u64,
}

impl Counts {
    pub fn of(&self, kind: char) -> u64 {
        self.by_type.get(&kind).copied().unwrap_or(0)
    }

    /// Round trips: every Sync and every simple Query waits for a ReadyForQuery.
    pub fn round_trips(&self) -> u64 {
        self.statement_syncs + self.lone_syncs + self.of('Q')
    }
}

/// Forwards 127.0.0.1:`port` to the cluster's Unix socket, counting frontend messages.
pub struct CountingProxy {
    pub port: u16,
    counts: Arc<Mutex<Counts>>,
}

impl CountingProxy {
    pub async fn start(socket: PathBuf) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let counts = Arc::new(Mutex::new(Counts::default()));
        let shared = counts.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let socket = socket.clone();
                let counts = shared.clone();
                tokio::spawn(async move {
                    if let Ok(server) = UnixStream::connect(&socket).await {
                        forward(client, server, counts).await;
                    }
                });
            }
        });
        CountingProxy { port, counts }
    }

    pub fn counts(&self) -> Counts {
        self.counts.lock().expect("counts").clone()
    }

    pub fn reset(&self) {
        *self.counts.lock().expect("counts") = Counts::default();
    }
}

async fn forward(client: TcpStream, server: UnixStream, counts: Arc<Mutex<Counts>>) {
    let (mut client_rx, mut client_tx) = client.into_split();
    let (mut server_rx, mut server_tx) = server.into_split();
    let upstream = async move {
        // The startup packet has no type byte: length, then the body.
        let mut len = [0u8; 4];
        if client_rx.read_exact(&mut len).await.is_err() {
            return;
        }
        let mut body = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
        if client_rx.read_exact(&mut body).await.is_err()
            || server_tx.write_all(&len).await.is_err()
            || server_tx.write_all(&body).await.is_err()
        {
            return;
        }
        let mut since_sync = 0u64;
        loop {
            let mut head = [0u8; 5];
            if client_rx.read_exact(&mut head).await.is_err() {
                return;
            }
            let kind = head[0] as char;
            let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
            let mut body = vec![0u8; len.saturating_sub(4)];
            if client_rx.read_exact(&mut body).await.is_err() {
                return;
            }
            {
                let mut counts = counts.lock().expect("counts");
                *counts.by_type.entry(kind).or_default() += 1;
                match kind {
                    'S' if since_sync == 0 => counts.lone_syncs += 1,
                    'S' => counts.statement_syncs += 1,
                    _ => {}
                }
            }
            since_sync = if kind == 'S' { 0 } else { since_sync + 1 };
            if server_tx.write_all(&head).await.is_err()
                || server_tx.write_all(&body).await.is_err()
            {
                return;
            }
        }
    };
    let downstream = async move {
        let _ = tokio::io::copy(&mut server_rx, &mut client_tx).await;
    };
    tokio::select! {
        _ = upstream => {},
        _ = downstream => {},
    }
}

/// A free TCP port on 127.0.0.1 (bound and released: good enough for a test).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// PgBouncer's first version with protocol-level prepared statements (`max_prepared_statements`),
/// which transaction mode needs for sqlx's named statements.
pub const PGBOUNCER_MIN: (u32, u32) = (1, 21);

/// A PgBouncer >= 1.21: `CLOSER_PGBOUNCER` (set by `.ci/run`), the one `.ci/pgbouncer` builds
/// into `~/.cache/closer-ci`, then PATH and Debian's /usr/sbin/pgbouncer. Panics with how to get
/// one when only an older one (Debian 12's 1.18) or none is found.
pub fn pgbouncer_binary() -> PathBuf {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(path) = std::env::var_os("CLOSER_PGBOUNCER") {
        candidates.push(path.into());
    }
    let cache = std::env::var_os("CLOSER_CI_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|c| PathBuf::from(c).join("closer-ci")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/closer-ci")));
    if let Some(Ok(entries)) = cache.map(std::fs::read_dir) {
        let mut built: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join("bin/pgbouncer"))
            .filter(|p| p.is_file())
            .collect();
        built.sort();
        candidates.extend(built.into_iter().rev());
    }
    if let Some(paths) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&paths).map(|dir| dir.join("pgbouncer")));
    }
    candidates.push(PathBuf::from("/usr/sbin/pgbouncer"));
    let mut too_old = Vec::new();
    for candidate in candidates.into_iter().filter(|p| p.is_file()) {
        match pgbouncer_version(&candidate) {
            Some(version) if version >= PGBOUNCER_MIN => return candidate,
            Some((major, minor)) => {
                too_old.push(format!("{} ({major}.{minor})", candidate.display()))
            }
            None => too_old.push(format!("{} (no version)", candidate.display())),
        }
    }
    // A fresh machine: `cargo test` builds it the way .ci/run does (once; the cache keeps it).
    if let Some(built) = built_by_ci_script() {
        return built;
    }
    let found = if too_old.is_empty() {
        "no pgbouncer was found".to_string()
    } else {
        format!("only {} was found", too_old.join(", "))
    };
    panic!(
        "tests/pooler.rs needs PgBouncer 1.21 or newer (transaction mode with \
         max_prepared_statements), but {found}. Run `bash .ci/pgbouncer` (it builds 1.24.1 once \
         into ~/.cache/closer-ci) or install a newer pgbouncer and set CLOSER_PGBOUNCER to its path."
    );
}

/// (major, minor) from `pgbouncer --version` ("PgBouncer 1.24.1").
/// The PgBouncer `.ci/pgbouncer` prints, building 1.24.1 into the cache when none is new enough
/// (once per test binary: the tests of this binary ask at the same time).
fn built_by_ci_script() -> Option<PathBuf> {
    static BUILT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/pgbouncer");
            let out = std::process::Command::new("bash")
                .arg(script)
                .output()
                .ok()?;
            if !out.status.success() {
                eprintln!("{}", String::from_utf8_lossy(&out.stderr));
                return None;
            }
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            (pgbouncer_version(&path)? >= PGBOUNCER_MIN).then_some(path)
        })
        .clone()
}

fn pgbouncer_version(binary: &Path) -> Option<(u32, u32)> {
    let out = Command::new(binary).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let word = text.lines().next()?.split_whitespace().nth(1)?;
    let mut parts = word.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// A real PgBouncer on 127.0.0.1 in front of the test cluster's Unix socket, stopped on drop.
pub struct PgBouncer {
    pub port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl PgBouncer {
    /// `logins`: (login, password) pairs PgBouncer authenticates (SCRAM) and passes on;
    /// `pool_mode` "transaction" or "session"; `pool_size` server connections per login.
    /// Named statements are tracked and re-prepared per server connection
    /// (`max_prepared_statements`), which is what makes sqlx work in transaction mode.
    pub fn start(
        socket_dir: &Path,
        server_port: u16,
        pool_mode: &str,
        pool_size: u32,
        logins: &[(&str, &str)],
    ) -> PgBouncer {
        let dir = tempfile::tempdir().expect("tempdir for pgbouncer");
        let port = free_port();
        let auth: String = logins
            .iter()
            .map(|(login, password)| format!("\"{login}\" \"{password}\"\n"))
            .collect();
        let path = |name: &str| dir.path().join(name);
        let ini = format!(
            "[databases]\n\
             * = host={socket} port={server_port}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = scram-sha-256\n\
             auth_file = {auth}\n\
             pool_mode = {pool_mode}\n\
             default_pool_size = {pool_size}\n\
             max_prepared_statements = 200\n\
             server_idle_timeout = 1\n\
             max_client_conn = 200\n\
             ignore_startup_parameters = extra_float_digits\n\
             logfile = {log}\n\
             verbose = 2\n\
             pidfile = {pid}\n",
            socket = socket_dir.display(),
            auth = path("userlist.txt").display(),
            log = path("pgbouncer.log").display(),
            pid = path("pgbouncer.pid").display(),
        );
        std::fs::write(path("userlist.txt"), auth).expect("write auth_file");
        std::fs::write(path("pgbouncer.ini"), ini).expect("write pgbouncer.ini");
        let mut command = Command::new(pgbouncer_binary());
        // PgBouncer refuses to run as root: hand its files to the server's account and run as it.
        if is_root() {
            let (uid, gid) = account("postgres").expect("a 'postgres' account to run pgbouncer");
            for entry in ["", "userlist.txt", "pgbouncer.ini"] {
                std::os::unix::fs::chown(path(entry), Some(uid), Some(gid)).expect("chown");
            }
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
                .expect("chmod");
            command.arg("-u").arg("postgres");
        }
        let child = command
            .arg(path("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start pgbouncer (bash .ci/pgbouncer prints a usable one)");
        let bouncer = PgBouncer { port, child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "pgbouncer did not start: {}",
                bouncer.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        bouncer
    }

    pub fn log_path(&self) -> String {
        self.dir.path().join("pgbouncer.log").display().to_string()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// uid and gid of a local account, from /etc/passwd.
fn account(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&name))
            .then(|| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))?
    })
}
