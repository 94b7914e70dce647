//! The database a bench runs against, and the rep logins it runs as.
//!
//! * Default: Closer's private local cluster (the one `closer demo` and `closer admin` use), with
//!   superuser access: the bench organization is created and seeded on first use, and its bench
//!   logins get a fresh password every run (nothing to store, nothing printed).
//! * `--admin-url`: the same on any PostgreSQL, through an admin connection.
//! * `--database-url` alone: an existing rep login in an existing organization; measurements that
//!   need an admin (seeding, `bench load`'s extra logins) are refused, the bare-UPDATE baseline
//!   runs as the rep.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

use crate::commands::admin::{LOCAL_DATABASE, connect_admin_url, connect_local};
use crate::config::paths;
use crate::data::PgStore;
use crate::data::store::Session;
use crate::db::admin::{self, Created, NewUser};
use crate::db::cluster::LocalCluster;
use crate::db::seed;
use crate::text::clean_line;

/// The organization the bench creates when `--org` is not given.
pub const DEFAULT_ORG: &str = "Closer Bench";
/// Bench logins are `bench_rep_1`, `bench_rep_2`, …: ordinary reps, created by the admin code.
pub const LOGIN_PREFIX: &str = "bench_rep";

/// Where to connect and with which powers.
pub struct TargetArgs<'a> {
    pub database_url: Option<&'a str>,
    pub admin_url: Option<&'a str>,
    pub org: Option<&'a str>,
    /// Leads to seed when the organization is created here.
    pub leads: i64,
    pub statement_timeout_ms: u64,
}

pub struct Target {
    cluster: Option<LocalCluster>,
    /// Superuser or admin pool, when we have one.
    pub admin: Option<PgPool>,
    /// Connection options of the admin (for a bare connection), when we have one.
    pub admin_options: Option<PgConnectOptions>,
    /// Options that reach the database; bench logins swap in their name and password.
    base: PgConnectOptions,
    /// `--database-url`: the rep to measure as (instead of `bench_rep_1`).
    rep_url: Option<PgConnectOptions>,
    pub org_name: String,
    pub org_id: Uuid,
    /// The organization's leads when the bench started.
    pub leads: i64,
    statement_timeout_ms: u64,
    /// Bench logins' passwords of this run (never printed).
    passwords: tokio::sync::Mutex<HashMap<String, String>>,
}

impl Target {
    pub async fn open(args: TargetArgs<'_>) -> Result<Target> {
        let rep_url = args
            .database_url
            .map(|url| {
                PgConnectOptions::from_str(url)
                    .map_err(|_| eyre!("the database URL is not a valid postgres:// URL"))
            })
            .transpose()?;
        let mut cluster = None;
        let (admin, admin_options) = match (args.admin_url, &rep_url) {
            (Some(url), _) => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|_| eyre!("the admin URL is not a valid postgres:// URL"))?;
                (Some(connect_admin_url(url).await?), Some(options))
            }
            // A rep URL without an admin: measure as that rep only.
            (None, Some(_)) => (None, None),
            (None, None) => {
                let local = LocalCluster::start(&paths::demo_cluster_dir()).await?;
                let pool = connect_local(&local, LOCAL_DATABASE).await?;
                let options = local.superuser_options(LOCAL_DATABASE);
                cluster = Some(local);
                (Some(pool), Some(options))
            }
        };
        let base = match (&rep_url, &admin_options) {
            (Some(rep), _) => rep.clone(),
            (None, Some(admin)) => admin.clone(),
            (None, None) => bail!("no database to bench"),
        };
        let mut target = Target {
            cluster,
            admin,
            admin_options,
            base,
            rep_url,
            org_name: args.org.unwrap_or(DEFAULT_ORG).to_string(),
            org_id: Uuid::nil(),
            leads: 0,
            statement_timeout_ms: args.statement_timeout_ms,
            passwords: tokio::sync::Mutex::new(HashMap::new()),
        };
        let prepared = target.prepare(args.org, args.leads).await;
        if let Err(err) = prepared {
            target.close().await?;
            return Err(err);
        }
        Ok(target)
    }

    /// Migrates, creates and seeds the organization (first use only), or finds the rep's one.
    async fn prepare(&mut self, org: Option<&str>, leads: i64) -> Result<()> {
        if let Some(pool) = self.admin.clone() {
            admin::migrate(&pool).await?;
            match admin::create_org(&pool, &self.org_name).await? {
                Created::Existing(id) => {
                    self.org_id = id;
                    if self.rep_url.is_none() {
                        self.ensure_logins(1).await?;
                    }
                }
                Created::New(id) => {
                    self.org_id = id;
                    // One rep before seeding: it owns every seeded lead and task, the inbox's
                    // worst case (a rep owning most of a large organization's open tasks).
                    self.ensure_logins(1).await?;
                    eprintln!(
                        "Seeding {leads} leads into {} (first run only)…",
                        clean_line(&self.org_name)
                    );
                    seed::seed(&pool, id, leads, 1).await?;
                }
            }
        } else {
            // Only the rep's own view: find the organization among its memberships.
            let session = self.rep_session(None).await?;
            let chosen = match org {
                Some(name) => session
                    .memberships()
                    .iter()
                    .find(|m| m.organization_name == name),
                None if session.memberships().len() == 1 => session.memberships().first(),
                None => bail!("you belong to several organizations: pick one with --org NAME"),
            }
            .ok_or_else(|| {
                eyre!(
                    "the login is not a member of an organization named {:?}",
                    clean_line(&self.org_name)
                )
            })?;
            self.org_id = chosen.organization_id;
            self.org_name = chosen.organization_name.clone();
            session.pool().close().await;
        }
        let store = self.rep_store(1).await?;
        self.leads = lead_count(&store).await?;
        store.pool().close().await;
        Ok(())
    }

    /// Makes sure `bench_rep_1..=n` exist as reps of the organization (needs an admin).
    pub async fn ensure_logins(&self, n: usize) -> Result<()> {
        let Some(pool) = &self.admin else {
            if n > 1 {
                bail!(
                    "`closer bench load` creates one login per rep: give an admin connection with --admin-url (or run it on the local cluster without --database-url)"
                );
            }
            return Ok(());
        };
        for i in 1..=n {
            let login = format!("{LOGIN_PREFIX}_{i}");
            admin::add_user(
                pool,
                NewUser {
                    org: &self.org_name,
                    login: &login,
                    full_name: &format!("Bench Rep {i}"),
                    email: &format!("{login}@bench.invalid"),
                    role: admin::parse_role("rep")?,
                    password: None,
                },
            )
            .await
            .wrap_err_with(|| format!("could not create the bench login {login}"))?;
        }
        Ok(())
    }

    /// A logged-in session of bench rep `i` (1-based), or of the `--database-url` rep.
    async fn rep_session(&self, i: Option<usize>) -> Result<Session> {
        Ok(self.timed_session(i).await?.0)
    }

    /// Same, with how long `Session::connect` took (password setup excluded).
    async fn timed_session(&self, i: Option<usize>) -> Result<(Session, Duration)> {
        let options = match i {
            Some(i) => self.rep_options(i).await?,
            None => self
                .rep_url
                .clone()
                .ok_or_else(|| eyre!("no rep login to measure as"))?,
        };
        let started = Instant::now();
        let session = Session::connect(options, self.statement_timeout_ms)
            .await
            .wrap_err("could not log in as the bench rep")?;
        Ok((session, started.elapsed()))
    }

    /// Connection options of rep `i` (1-based): the `--database-url` rep for 1 when given,
    /// else bench login `i` with a password set once per run (open pools keep working).
    pub async fn rep_options(&self, i: usize) -> Result<PgConnectOptions> {
        if let (1, Some(rep)) = (i, &self.rep_url) {
            return Ok(rep.clone());
        }
        let login = format!("{LOGIN_PREFIX}_{i}");
        let known = self.passwords.lock().await.get(&login).cloned();
        let password = match known {
            Some(password) => password,
            None => {
                let password = self.reset_password(&login).await?;
                self.passwords
                    .lock()
                    .await
                    .insert(login.clone(), password.clone());
                password
            }
        };
        Ok(self.base.clone().username(&login).password(&password))
    }

    /// Whether the server runs on this machine (its private cluster, a Unix socket or a loopback
    /// host), so `bench load` can read its CPU time.
    pub fn server_is_local(&self) -> bool {
        self.cluster.is_some()
            || self.base.get_socket().is_some()
            || matches!(self.base.get_host(), "localhost" | "127.0.0.1" | "::1")
    }

    pub fn statement_timeout_ms(&self) -> u64 {
        self.statement_timeout_ms
    }

    /// The store of rep `i` (1-based) in the bench organization, through the TUI's own
    /// `Session::connect` (same pool settings, same statement timeout).
    pub async fn rep_store(&self, i: usize) -> Result<PgStore> {
        Ok(self.timed_rep_store(i).await?.0)
    }

    /// Same, with the time from connecting to an open store (what the TUI waits for at start).
    pub async fn timed_rep_store(&self, i: usize) -> Result<(PgStore, Duration)> {
        let (session, connect) = self.timed_session(Some(i)).await?;
        let started = Instant::now();
        let store = session.open(self.org_id)?;
        Ok((store, connect + started.elapsed()))
    }

    /// The store of `bench_manager`, a manager of the bench organization (team-wide figures:
    /// insights), created on first use; needs the admin connection.
    pub async fn manager_store(&self) -> Result<PgStore> {
        let Some(pool) = &self.admin else {
            bail!("the team-wide insights figure needs an admin connection (--admin-url)");
        };
        let login = "bench_manager";
        admin::add_user(
            pool,
            NewUser {
                org: &self.org_name,
                login,
                full_name: "Bench Manager",
                email: "bench_manager@bench.invalid",
                role: admin::parse_role("manager")?,
                password: None,
            },
        )
        .await
        .wrap_err("could not create the bench manager login")?;
        let password = self.reset_password(login).await?;
        let options = self.base.clone().username(login).password(&password);
        let session = Session::connect(options, self.statement_timeout_ms)
            .await
            .wrap_err("could not log in as the bench manager")?;
        Ok(session.open(self.org_id)?)
    }

    /// A fresh random password each run, set by the admin (the server quotes it).
    async fn reset_password(&self, login: &str) -> Result<String> {
        let Some(pool) = &self.admin else {
            bail!("bench logins need an admin connection (--admin-url)");
        };
        let password = admin::generate_password();
        let statement: String =
            sqlx::query_scalar("select format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)")
                .bind(login)
                .bind(&password)
                .fetch_one(pool)
                .await?;
        sqlx::query(AssertSqlSafe(statement)).execute(pool).await?;
        Ok(password)
    }

    /// Connection options of the rep given with `--database-url`, if any.
    pub fn rep_url_options(&self) -> Option<&PgConnectOptions> {
        self.rep_url.as_ref()
    }

    /// Closes the admin pool and stops the private cluster if this run started it.
    pub async fn close(self) -> Result<()> {
        if let Some(pool) = self.admin {
            pool.close().await;
        }
        if let Some(cluster) = self.cluster {
            cluster.stop().await?;
        }
        Ok(())
    }
}

/// Leads the rep sees, from the board's own column totals (no count over the table).
pub async fn lead_count(store: &PgStore) -> Result<i64> {
    let mut total = 0;
    for pipeline in store.pipelines().await? {
        total += store
            .stage_summaries(pipeline.id)
            .await?
            .values()
            .map(|s| s.lead_count)
            .sum::<i64>();
    }
    Ok(total)
}
