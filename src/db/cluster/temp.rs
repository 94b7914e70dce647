//! The throwaway test cluster: a fresh temporary directory, fsync off, removed on drop.

use std::fs::{self, DirBuilder, Permissions};
use std::ops::{Deref, DerefMut};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::PathBuf;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;

use super::system::{absolute_dir, random_alnum};
use super::{Durability, LocalCluster};

/// A throwaway cluster in a fresh temporary directory, for tests. It trades crash safety for
/// speed (fsync off) and is stopped and deleted on drop, even when a test panics.
#[derive(Debug)]
pub struct TempCluster {
    cluster: LocalCluster,
    dir: PathBuf,
}

impl TempCluster {
    pub async fn start() -> Result<TempCluster> {
        let dir = std::env::temp_dir().join(format!(
            "closer-test-{}",
            random_alnum(12).to_ascii_lowercase()
        ));
        // 0755: when we are root the server user must be able to reach pgdata inside.
        DirBuilder::new()
            .mode(0o755)
            .create(&dir)
            .wrap_err_with(|| format!("could not create {}", dir.display()))?;
        fs::set_permissions(&dir, Permissions::from_mode(0o755))
            .wrap_err_with(|| format!("could not set permissions on {}", dir.display()))?;
        let dir = absolute_dir(&dir)?;

        let cluster = match LocalCluster::prepare(&dir, Durability::Ephemeral).await {
            Ok(cluster) => cluster,
            Err(error) => {
                let _ = fs::remove_dir_all(&dir);
                return Err(error);
            }
        };
        // From here on, Drop cleans up whatever launch leaves behind.
        let temp = TempCluster { cluster, dir };
        temp.cluster.launch().await?;
        Ok(temp)
    }
}

impl Deref for TempCluster {
    type Target = LocalCluster;

    fn deref(&self) -> &LocalCluster {
        &self.cluster
    }
}

impl DerefMut for TempCluster {
    fn deref_mut(&mut self) -> &mut LocalCluster {
        &mut self.cluster
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        if let Err(error) = self.cluster.stop_immediately_blocking() {
            tracing::warn!(
                pgdata = %self.cluster.pgdata.display(),
                "could not stop test cluster: {error:#}"
            );
        }
        let _ = fs::remove_dir_all(&self.dir);
        // Relocated cluster or socket directories live outside the temp dir.
        for extra in [&self.cluster.cluster_dir, &self.cluster.socket_dir] {
            if !extra.starts_with(&self.dir) {
                let _ = fs::remove_dir_all(extra);
            }
        }
    }
}
