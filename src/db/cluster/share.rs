//! One private server shared by several Closer processes (two `closer demo` on one data
//! directory): each process holds an flock'd entry file under `users/` for as long as it runs;
//! the one that leaves last stops the server. A crashed process's lock is released by the
//! kernel, so its entry counts as gone (and is removed) the next time anyone looks.
//! `users.lock` serialises joining and leaving, so a start never races the last stop.

use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use super::{
    Durability, LocalCluster, PASSWORD_FILE, absolute_dir, random_alnum, write_private_file,
};

const USERS_DIR: &str = "users";
const USERS_LOCK: &str = "users.lock";

/// This process's place among the users of a shared server; [`LocalCluster::leave`] gives it
/// up (dropping it without leaving leaves the server running for the others).
#[derive(Debug)]
pub struct Membership {
    /// Held locked while this process runs.
    _entry: File,
    path: PathBuf,
}

/// The registry lock, held while joining or leaving.
async fn lock_users(data_dir: &Path) -> Result<File> {
    let path = data_dir.join(USERS_LOCK);
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

/// Entries of processes still running; entries of crashed ones are removed.
fn live_users(data_dir: &Path, except: Option<&Path>) -> usize {
    let Ok(dir) = fs::read_dir(data_dir.join(USERS_DIR)) else {
        return 0;
    };
    let mut live = 0;
    for entry in dir.flatten() {
        let path = entry.path();
        if Some(path.as_path()) == except {
            continue;
        }
        let Ok(file) = OpenOptions::new().write(true).open(&path) else {
            continue;
        };
        match file.try_lock() {
            // Nobody holds it: its process is gone without leaving.
            Ok(()) => {
                let _ = fs::remove_file(&path);
            }
            Err(TryLockError::WouldBlock) => live += 1,
            Err(TryLockError::Error(_)) => live += 1,
        }
    }
    live
}

impl LocalCluster {
    /// [`LocalCluster::start`], or joins the server another process already runs there, and
    /// counts this process as one of its users.
    pub async fn join(data_dir: &Path) -> Result<(LocalCluster, Membership)> {
        let data_dir = absolute_dir(data_dir)?;
        let _registry = lock_users(&data_dir).await?;
        let cluster = LocalCluster::start(&data_dir).await?;
        let users = data_dir.join(USERS_DIR);
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&users)
            .wrap_err_with(|| format!("could not create {}", users.display()))?;
        let path = users.join(format!("{}-{}", std::process::id(), random_alnum(8)));
        let entry = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&path)
            .wrap_err_with(|| format!("could not create {}", path.display()))?;
        entry
            .try_lock()
            .map_err(|e| color_eyre::eyre::eyre!("could not lock {}: {e:?}", path.display()))?;
        Ok((
            cluster,
            Membership {
                _entry: entry,
                path,
            },
        ))
    }

    /// Gives up this process's membership and stops the server if nobody else uses it.
    /// Returns how many other processes still use it.
    pub async fn leave(self, membership: Membership) -> Result<usize> {
        let _registry = lock_users(&self.data_dir).await?;
        let Membership { _entry, path } = membership;
        let _ = fs::remove_file(&path);
        drop(_entry);
        let others = live_users(&self.data_dir, Some(&path));
        if others == 0 {
            self.stop().await?;
        }
        Ok(others)
    }

    /// Stops the server under `data_dir` whoever uses it (`closer demo --stop`). Returns how
    /// many processes were still using it, `None` when no server was ever set up there.
    pub async fn stop_shared(data_dir: &Path) -> Result<Option<usize>> {
        let data_dir = absolute_dir(data_dir)?;
        if !data_dir.join(PASSWORD_FILE).exists() {
            return Ok(None);
        }
        let _registry = lock_users(&data_dir).await?;
        let users = live_users(&data_dir, None);
        let cluster = LocalCluster::prepare(&data_dir, Durability::Durable).await?;
        cluster.shutdown().await?;
        Ok(Some(users))
    }

    /// A password for `login` kept (0600) in the data directory, created on first use: every
    /// process logging in as `login` uses the same one, so a second start never locks the first
    /// out of new connections.
    pub fn login_secret(&self, login: &str) -> Result<String> {
        let safe: String = login
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let path = self.data_dir.join(format!("login-{safe}.password"));
        if let Ok(text) = fs::read_to_string(&path) {
            let text = text.trim().to_string();
            if text.len() >= 16 {
                return Ok(text);
            }
        }
        let secret = random_alnum(32);
        write_private_file(&path, &secret)?;
        Ok(secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crashed_entries_do_not_count() {
        let dir = tempfile::tempdir().expect("temp dir");
        let users = dir.path().join(USERS_DIR);
        fs::create_dir_all(&users).expect("users dir");
        // A live user: its entry stays locked.
        let live_path = users.join("1-live");
        let live = File::create(&live_path).expect("entry");
        live.try_lock().expect("lock");
        // A crashed user: its entry is there but nobody holds the lock.
        let crashed = users.join("2-crashed");
        File::create(&crashed).expect("entry");
        assert_eq!(live_users(dir.path(), None), 1);
        assert!(!crashed.exists(), "the crashed entry is removed");
        assert_eq!(live_users(dir.path(), Some(&live_path)), 0);
        drop(live);
        assert_eq!(live_users(dir.path(), None), 0);
    }
}
