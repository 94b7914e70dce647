//! `closer admin …`: provisioning over an admin connection (or the private local cluster).

use std::io::Read;
use std::str::FromStr;

use color_eyre::eyre::{Result, WrapErr, bail};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::cli::{AdminArgs, AdminCommand};
use crate::config::paths;
use crate::db::admin::{self, Created, NewUser};
use crate::db::cluster::LocalCluster;
use crate::db::seed;
use crate::text::clean_line;

/// The database the private cluster keeps Closer's data in.
pub const LOCAL_DATABASE: &str = "closer";

pub async fn run(args: AdminArgs) -> Result<()> {
    let (pool, cluster) = match &args.admin_url {
        Some(url) => (connect_admin_url(url).await?, None),
        None => {
            let cluster = LocalCluster::start(&paths::demo_cluster_dir()).await?;
            let pool = connect_local(&cluster, LOCAL_DATABASE).await?;
            (pool, Some(cluster))
        }
    };
    let outcome = match args.command {
        AdminCommand::CreateOrg {
            name,
            database: Some(database),
        } => {
            let options = match (&args.admin_url, &cluster) {
                (Some(url), _) => PgConnectOptions::from_str(url).map_err(|_| {
                    color_eyre::eyre::eyre!("the admin URL is not a valid postgres:// URL")
                })?,
                (None, Some(cluster)) => cluster.superuser_options(&database),
                (None, None) => bail!("no admin connection"),
            };
            create_org_database(&pool, options, &database, &name).await
        }
        command => execute(&pool, command).await,
    };
    pool.close().await;
    if let Some(cluster) = cluster {
        cluster.stop().await?;
    }
    outcome
}

pub async fn connect_admin_url(url: &str) -> Result<PgPool> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|_| color_eyre::eyre::eyre!("the admin URL is not a valid postgres:// URL"))?;
    PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .map_err(|e| {
            color_eyre::eyre::eyre!(
                "cannot connect with the admin URL: {}",
                crate::data::DataError::from(e)
            )
        })
}

/// Connects as superuser to a database of the private cluster, creating it on first use.
pub async fn connect_local(cluster: &LocalCluster, database: &str) -> Result<PgPool> {
    let maintenance = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(cluster.superuser_options("postgres"))
        .await
        .wrap_err("cannot connect to Closer's local PostgreSQL")?;
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(database)
            .fetch_one(&maintenance)
            .await?;
    if !exists {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {}",
            admin::quote_ident(database)
        )))
        .execute(&maintenance)
        .await?;
    }
    maintenance.close().await;
    Ok(PgPoolOptions::new()
        .max_connections(2)
        .connect_with(cluster.superuser_options(database))
        .await?)
}

pub async fn execute(pool: &PgPool, command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::Migrate => {
            admin::migrate(pool).await?;
            println!("Migrations applied.");
        }
        AdminCommand::CreateOrg {
            name,
            database: None,
        } => match admin::create_org(pool, &name).await? {
            Created::New(_) => println!(
                "Created organization {} with the Sales Pipeline.",
                clean_line(&name)
            ),
            Created::Existing(_) => println!(
                "Organization {} already exists; nothing to do.",
                clean_line(&name)
            ),
        },
        AdminCommand::CreateOrg {
            database: Some(database),
            ..
        } => {
            // Needs connection options for the new database: handled by `run`.
            bail!(
                "create-org --database {} needs `closer admin` to connect itself",
                clean_line(&database)
            )
        }
        AdminCommand::AddUser {
            org,
            login,
            name,
            email,
            role,
            password_stdin,
        } => {
            let role = admin::parse_role(&role)?;
            let password = if password_stdin {
                Some(read_password_stdin()?)
            } else {
                None
            };
            let added = admin::add_user(
                pool,
                NewUser {
                    org: &org,
                    login: &login,
                    full_name: &name,
                    email: &email,
                    role,
                    password,
                },
            )
            .await?;
            println!(
                "{} is now a {} of {}.",
                clean_line(&login),
                role.as_str(),
                clean_line(&org)
            );
            match (&added.password, password_stdin) {
                (Some(generated), false) => {
                    println!("Password (shown once; hand it over securely): {generated}");
                }
                (None, _) if added.login_existed => {
                    println!("The login already existed; its password is unchanged.")
                }
                _ => {}
            }
        }
        AdminCommand::RemoveUser { org, login } => {
            let disabled = admin::remove_user(pool, &org, &login).await?;
            println!(
                "{} no longer has access to {}.",
                clean_line(&login),
                clean_line(&org)
            );
            if disabled {
                println!(
                    "They belong to no organization now: the login is disabled and open sessions were ended."
                );
            }
        }
        AdminCommand::Compact => {
            for done in crate::db::compact::compact(pool, std::time::Duration::from_secs(2)).await?
            {
                println!(
                    "{}: {:.1} MB → {:.1} MB",
                    done.table,
                    done.bytes_before as f64 / 1_048_576.0,
                    done.bytes_after as f64 / 1_048_576.0
                );
            }
        }
        AdminCommand::Seed {
            org,
            leads,
            seed: seed_value,
        } => {
            let Some(org_id) = admin::org_id(pool, &org).await? else {
                bail!("no organization named {:?}", clean_line(&org));
            };
            let report = seed::seed(pool, org_id, leads, seed_value).await?;
            println!(
                "Seeded {} leads, {} interactions, {} activities, {} tasks, {} tags, {} documents, {} deals in {:.1?}.",
                report.leads,
                report.interactions,
                report.activities,
                report.tasks,
                report.tags,
                report.documents,
                report.deals,
                report.elapsed
            );
        }
    }
    Ok(())
}

async fn create_org_database(
    server: &PgPool,
    options: PgConnectOptions,
    database: &str,
    name: &str,
) -> Result<()> {
    match admin::create_org_database(server, options, database, name).await? {
        Created::New(_) => println!(
            "Created organization {} in its own database {}; its people connect to that database \
             (add them with `closer admin --admin-url …/{} add-user …`).",
            clean_line(name),
            clean_line(database),
            clean_line(database)
        ),
        Created::Existing(_) => println!(
            "Organization {} already exists in database {}; nothing to do.",
            clean_line(name),
            clean_line(database)
        ),
    }
    Ok(())
}

fn read_password_stdin() -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .wrap_err("could not read the password from standard input")?;
    let password = text.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}
