//! What the cluster needs from the machine: directories and their owners, the server user,
//! the server binaries, small private files, and error messages with the server log's tail.

use std::fs::{self, DirBuilder, File, OpenOptions, Permissions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, bail, eyre};
use rand::Rng;
use rand::distr::Alphanumeric;

use super::{BINARIES_NOT_FOUND, Binaries, LOCK_FILE, LOG_TAIL_LINES, LocalCluster, ServerUser};

/// Create `dir` (canonicalised) if needed.
pub(super) fn absolute_dir(dir: &Path) -> Result<PathBuf> {
    fs::create_dir_all(dir).wrap_err_with(|| format!("could not create {}", dir.display()))?;
    dir.canonicalize()
        .wrap_err_with(|| format!("could not resolve {}", dir.display()))
}

/// Serialise starts and restarts on one data dir (e.g. two `closer demo` at once).
pub(super) async fn lock_dir(data_dir: &Path) -> Result<File> {
    let path = data_dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .wrap_err_with(|| format!("could not open {}", path.display()))?;
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .wrap_err("lock task failed")?
        .wrap_err_with(|| format!("could not lock {}", path.display()))
}

pub(super) fn database_or_default(database: &str) -> &str {
    if database.is_empty() {
        "postgres"
    } else {
        database
    }
}

/// Percent-encode everything but RFC 3986 unreserved characters.
pub(super) fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

pub(super) fn random_alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// A stable (FNV-1a) hash of a path, for directory names that must not change between releases.
pub(super) fn path_hash(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let hash = path
        .as_os_str()
        .as_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{hash:016x}")
}

/// Create `dir` (its parent must exist) with `mode`, or accept an existing real directory owned
/// by `owner_uid`.
pub(super) fn ensure_dir(dir: &Path, mode: u32, owner_uid: u32) -> Result<()> {
    match DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => fs::set_permissions(dir, Permissions::from_mode(mode))
            .wrap_err_with(|| format!("could not set permissions on {}", dir.display())),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {
            let meta = fs::symlink_metadata(dir)
                .wrap_err_with(|| format!("could not inspect {}", dir.display()))?;
            if !meta.is_dir() {
                bail!("{} exists but is not a directory", dir.display());
            }
            // A fresh directory we create and then hand over, or one we already own, is fine.
            if meta.uid() != owner_uid && meta.uid() != effective_uid()? {
                bail!(
                    "{} belongs to uid {}, not {owner_uid}: remove it and try again",
                    dir.display(),
                    meta.uid()
                );
            }
            Ok(())
        }
        Err(error) => Err(error).wrap_err_with(|| format!("could not create {}", dir.display())),
    }
}

/// Root can keep its data anywhere, but the server runs as `postgres`, which cannot enter e.g.
/// /root (mode 0700). Such clusters live in a root-owned directory named after a hash of the data
/// dir: /var/lib/closer/<hash> (survives reboots), else /tmp/closer-<hash>.
pub(super) fn relocated_cluster_dir(hash: &str, user: &ServerUser) -> Result<PathBuf> {
    let var_lib = Path::new("/var/lib/closer");
    if ensure_dir(var_lib, 0o755, 0).is_ok() && traversable_by(var_lib, user) {
        let dir = var_lib.join(hash);
        ensure_dir(&dir, 0o755, 0)?;
        return Ok(dir);
    }
    let dir = PathBuf::from(format!("/tmp/closer-{hash}"));
    ensure_dir(&dir, 0o755, 0)?;
    if !traversable_by(&dir, user) {
        bail!(
            "user {} cannot reach {}, so it cannot host Closer's PostgreSQL cluster",
            user.name,
            dir.display()
        );
    }
    Ok(dir)
}

/// Whether `user` may search `dir` and all its ancestors (by mode bits; supplementary groups and
/// ACLs are ignored, which errs towards relocating).
pub(super) fn traversable_by(dir: &Path, user: &ServerUser) -> bool {
    dir.ancestors().all(|ancestor| {
        fs::metadata(ancestor).is_ok_and(|meta| {
            let mode = meta.mode();
            if meta.uid() == user.uid {
                mode & 0o100 != 0
            } else if meta.gid() == user.gid {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            }
        })
    })
}

pub(super) fn effective_uid() -> Result<u32> {
    // /proc/self/status has "Uid: <real> <effective> <saved> <fs>".
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        let uid = status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .and_then(|uid| uid.parse().ok());
        if let Some(uid) = uid {
            return Ok(uid);
        }
    }
    // No procfs (macOS, BSD): ask id(1).
    let output = std::process::Command::new("id")
        .arg("-u")
        .output()
        .wrap_err("could not run `id -u` to find the current user")?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .wrap_err("could not parse the output of `id -u`")
}

/// Look a user up in /etc/passwd.
pub(super) fn system_user(name: &str) -> Result<Option<ServerUser>> {
    let passwd = fs::read_to_string("/etc/passwd").wrap_err("could not read /etc/passwd")?;
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if let [user, _, uid, gid, _, home, ..] = fields.as_slice()
            && *user == name
        {
            return Ok(Some(ServerUser {
                name: name.to_owned(),
                uid: uid.parse().wrap_err("bad uid in /etc/passwd")?,
                gid: gid.parse().wrap_err("bad gid in /etc/passwd")?,
                home: PathBuf::from(home),
            }));
        }
    }
    Ok(None)
}

/// initdb and pg_ctl from PATH, else from `pg_config --bindir`, else from the newest
/// /usr/lib/postgresql/<version>/bin (Debian installs them there, off PATH).
pub(super) fn find_server_binaries() -> Result<Binaries> {
    let has_both =
        |dir: &Path| is_executable(&dir.join("initdb")) && is_executable(&dir.join("pg_ctl"));
    let from_dir = |dir: &Path| Binaries {
        initdb: dir.join("initdb"),
        pg_ctl: dir.join("pg_ctl"),
    };

    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    if let Some(dir) = path_dirs.iter().find(|dir| has_both(dir)) {
        return Ok(from_dir(dir));
    }

    let pg_config = path_dirs
        .iter()
        .map(|dir| dir.join("pg_config"))
        .find(|path| is_executable(path));
    if let Some(pg_config) = pg_config
        && let Ok(output) = std::process::Command::new(pg_config)
            .arg("--bindir")
            .output()
        && output.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if has_both(&dir) {
            return Ok(from_dir(&dir));
        }
    }

    let mut versions: Vec<(Vec<u32>, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u32>>>()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.last() {
        Some((_, bin)) => Ok(from_dir(bin)),
        None => bail!("{BINARIES_NOT_FOUND}"),
    }
}

pub(super) fn is_executable(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.mode() & 0o111 != 0)
}

/// Write `contents` to `path` with mode 0600.
pub(super) fn write_private_file(path: &Path, contents: &str) -> Result<()> {
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .wrap_err_with(|| format!("could not create {}", path.display()))?;
    // `mode` only applies to new files.
    file.set_permissions(Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(contents.as_bytes()))
        .wrap_err_with(|| format!("could not write {}", path.display()))
}

/// Read one of the small files (password, port) kept next to an existing cluster.
pub(super) fn read_state_file(cluster: &LocalCluster, name: &str) -> Result<String> {
    let path = cluster.data_dir.join(name);
    let text = fs::read_to_string(&path).wrap_err_with(|| {
        format!(
            "the PostgreSQL cluster in {} exists but {} cannot be read; delete {} to re-create \
             the cluster",
            cluster.pgdata.display(),
            path.display(),
            cluster.pgdata.display()
        )
    })?;
    Ok(text.trim().to_owned())
}

/// Errors worth retrying while the server comes up: no socket yet, or "starting up" (57P03).
pub(super) fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().as_deref() == Some("57P03"),
        _ => false,
    }
}

pub(super) fn command_failure(
    what: &str,
    output: &Output,
    log: Option<&Path>,
) -> color_eyre::Report {
    let mut message = format!("{what} failed ({})", output.status);
    for stream in [&output.stderr, &output.stdout] {
        let text = String::from_utf8_lossy(stream);
        if !text.trim().is_empty() {
            message.push('\n');
            message.push_str(text.trim());
        }
    }
    if let Some(log) = log {
        message.push_str(&log_tail_section(log));
    }
    eyre!(message)
}

/// The last lines of the server log, formatted for an error message (empty if unreadable).
pub(super) fn log_tail_section(log: &Path) -> String {
    let tail = log_tail(log, LOG_TAIL_LINES);
    if tail.is_empty() {
        String::new()
    } else {
        format!("\n--- last lines of {} ---\n{tail}", log.display())
    }
}

pub(super) fn log_tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    // The log only grows; its end is all we need.
    let len = file.metadata().map(|meta| meta.len()).unwrap_or(0);
    let mut bytes = Vec::new();
    if file
        .seek(SeekFrom::Start(len.saturating_sub(16 * 1024)))
        .is_err()
        || file.read_to_end(&mut bytes).is_err()
    {
        return String::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_unreserved_characters() {
        assert_eq!(percent_encode("/tmp/a b"), "%2Ftmp%2Fa%20b");
        assert_eq!(percent_encode("Ab9-._~"), "Ab9-._~");
    }

    #[test]
    fn path_hash_is_stable() {
        // Relocated clusters are found by this hash; it must never change.
        assert_eq!(path_hash(Path::new("")), "cbf29ce484222325");
        assert_eq!(path_hash(Path::new("/root")), path_hash(Path::new("/root")));
        assert_ne!(path_hash(Path::new("/a")), path_hash(Path::new("/b")));
    }

    #[test]
    fn default_database_is_postgres() {
        assert_eq!(database_or_default(""), "postgres");
        assert_eq!(database_or_default("crm"), "crm");
    }
}
