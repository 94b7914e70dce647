//! Issue 11: the demo's private server is shared. Two Closers join it; the first to quit leaves
//! it running for the other (which keeps working), the last one stops it; `--stop` stops it.

use std::time::Duration;

use closer::db::cluster::LocalCluster;
use color_eyre::Result;
use sqlx::Connection;
use sqlx::postgres::PgConnection;

async fn works(cluster: &LocalCluster) -> bool {
    let attempt = tokio::time::timeout(
        Duration::from_secs(10),
        PgConnection::connect_with(&cluster.superuser_options("postgres")),
    )
    .await;
    match attempt {
        Ok(Ok(mut conn)) => {
            let one: Result<i32, _> = sqlx::query_scalar("select 1").fetch_one(&mut conn).await;
            let _ = conn.close().await;
            one.is_ok()
        }
        _ => false,
    }
}

#[tokio::test]
async fn quitting_one_demo_leaves_the_server_to_the_other() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (first, first_member) = LocalCluster::join(dir.path()).await?;
    let (second, second_member) = LocalCluster::join(dir.path()).await?;
    assert!(works(&first).await && works(&second).await);

    // The second quits: before issue 11 it stopped the server under the first.
    let others = second.leave(second_member).await?;
    assert_eq!(others, 1, "the first still uses it");
    assert!(works(&first).await, "the first keeps working");

    // A crashed third (its entry left behind, its lock gone) does not keep the server alive.
    let (third, third_member) = LocalCluster::join(dir.path()).await?;
    drop(third_member);
    drop(third);

    // The last one to quit stops it.
    let probe = LocalCluster::join(dir.path()).await?;
    let (probe_cluster, probe_member) = probe;
    assert_eq!(
        first.leave(first_member).await?,
        1,
        "the probe still uses it"
    );
    let options = probe_cluster.superuser_options("postgres");
    assert_eq!(probe_cluster.leave(probe_member).await?, 0);
    assert!(
        PgConnection::connect_with(&options).await.is_err(),
        "the last one out stopped the server"
    );
    let (again, again_member) = LocalCluster::join(dir.path()).await?;
    assert!(works(&again).await, "a later start brings it back");
    // --stop stops it whoever uses it.
    assert_eq!(LocalCluster::stop_shared(dir.path()).await?, Some(1));
    assert!(!works(&again).await, "stopped");
    drop(again_member);
    assert_eq!(
        LocalCluster::stop_shared(tempfile::tempdir()?.path()).await?,
        None,
        "nothing to stop in an empty directory"
    );
    Ok(())
}
