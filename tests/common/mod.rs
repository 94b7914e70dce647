//! Shared harness for the database integration tests.
//!
//! * One private PostgreSQL cluster ([`TempCluster`]) per test binary, shared by the tests that
//!   run at the same time: every [`TestDb`] holds an `Arc` to it and a process-wide `Weak` hands
//!   it to the next test. When the last `TestDb` is dropped the cluster is stopped and deleted,
//!   so nothing outlives the test binary (statics are never dropped, `Arc`s are). A test that
//!   starts after all others finished simply gets a fresh cluster.
//! * A fresh database per test, migrated with `closer::db::admin::migrate` (migrations are
//!   serialized: they create cluster-wide roles). Dropping the `TestDb` drops the database.
//! * Login roles are cluster-wide, so every login gets a random suffix.
//! * Pools are per test (each `#[tokio::test]` has its own runtime; a pool must not outlive it).
//!
//! Use it from a test file with `mod common;`.
#![allow(dead_code)]

use std::sync::{Arc, LazyLock, Weak};
use std::time::Duration;

use closer::data::DataError;
use closer::data::models::MemberRole;
use closer::data::store::Session;
use closer::db::admin::{self, Created, NewUser};
use closer::db::cluster::TempCluster;
use rand::Rng;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};
use uuid::Uuid;

/// The cluster currently shared by the running tests of this binary (if any).
static SHARED_CLUSTER: LazyLock<tokio::sync::Mutex<Weak<TempCluster>>> =
    LazyLock::new(|| tokio::sync::Mutex::new(Weak::new()));

/// `migrate` creates cluster-wide roles "if missing": two databases migrated at the same moment
/// would race on `CREATE ROLE`. Provisioning is serialized, as an admin would do it.
static MIGRATE_LOCK: LazyLock<tokio::sync::Mutex<()>> =
    LazyLock::new(|| tokio::sync::Mutex::new(()));

/// Held by a test that migrates a database itself (e.g. through `create_org_database`).
pub async fn migration_guard() -> tokio::sync::MutexGuard<'static, ()> {
    MIGRATE_LOCK.lock().await
}

/// The database every `TestDb::new` copies: migrating each test's database from scratch took
/// longer than most tests themselves, and the copy is a file copy.
const TEMPLATE: &str = "closer_template";

/// Creates and migrates the template once per cluster. Caller holds `MIGRATE_LOCK`.
async fn ensure_template(cluster: &TempCluster, conn: &mut PgConnection) {
    let exists: bool =
        sqlx::query_scalar("select exists (select from pg_database where datname = $1)")
            .bind(TEMPLATE)
            .fetch_one(&mut *conn)
            .await
            .expect("look for the template database");
    if exists {
        return;
    }
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {TEMPLATE}")))
        .execute(&mut *conn)
        .await
        .expect("create the template database");
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(cluster.superuser_options(TEMPLATE))
        .await
        .expect("connect to the template database");
    admin::migrate(&pool)
        .await
        .expect("closer::db::admin::migrate on the template");
    // A template with a connection open cannot be copied.
    pool.close().await;
}

/// Returns the cluster shared by the tests running right now, starting one if there is none.
pub async fn shared_cluster() -> Arc<TempCluster> {
    let mut slot = SHARED_CLUSTER.lock().await;
    if let Some(cluster) = slot.upgrade() {
        return cluster;
    }
    let cluster = Arc::new(
        TempCluster::start()
            .await
            .expect("start a private PostgreSQL cluster (TempCluster)"),
    );
    *slot = Arc::downgrade(&cluster);
    cluster
}

/// Lowercase letters and digits, safe in role and database names.
pub fn random_suffix(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A unique login name: `prefix` plus a random suffix (roles are cluster-wide).
pub fn unique_login(prefix: &str) -> String {
    format!("{prefix}_{}", random_suffix(8))
}

/// The SQLSTATE of a database error, if it is one.
pub fn sqlstate(error: &sqlx::Error) -> Option<String> {
    error
        .as_database_error()
        .and_then(|db| db.code().map(|code| code.into_owned()))
}

/// Code, message and detail of a database error, for comparing two errors.
pub fn error_parts(error: &sqlx::Error) -> (Option<String>, String, Option<String>) {
    match error.as_database_error() {
        Some(db) => {
            let detail = db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .and_then(|pg| pg.detail().map(str::to_owned));
            (
                db.code().map(|code| code.into_owned()),
                db.message().to_owned(),
                detail,
            )
        }
        None => (None, error.to_string(), None),
    }
}

/// A person with their own login, as created by `closer::db::admin::add_user`.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub login: String,
    pub password: String,
    pub profile_id: Uuid,
}

/// A fresh, migrated database on the shared cluster, with a superuser pool.
pub struct TestDb {
    /// Shared with the other tests running right now (see the module docs): a test that restarts
    /// or stops its server must start its own `TempCluster` (or use [`TestDb::unmigrated_on`]).
    pub cluster: Arc<TempCluster>,
    pub database: String,
    /// Superuser pool on `database` (bypasses RLS: use it to set up and to check).
    pub admin: PgPool,
}

impl TestDb {
    /// A new database with the Closer migrations applied: a copy of the cluster's template
    /// (migrated once), then `migrate` for what is per database (its connect group and grants;
    /// every migration is already recorded, so none runs again).
    pub async fn new() -> TestDb {
        let cluster = shared_cluster().await;
        let database = format!("closer_test_{}", random_suffix(10));
        {
            let _guard = MIGRATE_LOCK.lock().await;
            let mut conn = PgConnection::connect_with(&cluster.superuser_options("postgres"))
                .await
                .expect("connect to the test cluster as superuser");
            ensure_template(&cluster, &mut conn).await;
            sqlx::query(AssertSqlSafe(format!(
                "CREATE DATABASE {database} TEMPLATE {TEMPLATE}"
            )))
            .execute(&mut conn)
            .await
            .expect("copy the migrated template database");
            conn.close().await.expect("close the bootstrap connection");
        }
        let db = TestDb::on_existing(cluster, database).await;
        db.migrate().await;
        db
    }

    /// A new, empty database (no migrations; the cluster-wide Closer roles may exist already).
    pub async fn unmigrated() -> TestDb {
        TestDb::unmigrated_on(shared_cluster().await).await
    }

    /// A new, empty database on the given cluster.
    pub async fn unmigrated_on(cluster: Arc<TempCluster>) -> TestDb {
        let database = format!("closer_test_{}", random_suffix(10));
        let mut conn = PgConnection::connect_with(&cluster.superuser_options("postgres"))
            .await
            .expect("connect to the test cluster as superuser");
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {database}")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        conn.close().await.expect("close the bootstrap connection");
        TestDb::on_existing(cluster, database).await
    }

    async fn on_existing(cluster: Arc<TempCluster>, database: String) -> TestDb {
        let admin = PgPoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(cluster.superuser_options(&database))
            .await
            .expect("connect to the test database as superuser");
        TestDb {
            cluster,
            database,
            admin,
        }
    }

    /// Runs `closer::db::admin::migrate` (serialized across the tests of this binary).
    pub async fn migrate(&self) {
        let _guard = MIGRATE_LOCK.lock().await;
        admin::migrate(&self.admin)
            .await
            .expect("closer::db::admin::migrate");
    }

    /// Creates (or finds) an organization with its default pipeline.
    pub async fn org(&self, name: &str) -> Uuid {
        match admin::create_org(&self.admin, name)
            .await
            .expect("closer::db::admin::create_org")
        {
            Created::New(id) | Created::Existing(id) => id,
        }
    }

    /// A new person with a unique login (prefixed by `role`) and a generated password, member of
    /// `org_name` with `role` (`rep`, `manager` or `admin`).
    pub async fn user(&self, org_name: &str, role: &str) -> TestUser {
        self.user_named(&unique_login(role), org_name, role).await
    }

    /// Like [`TestDb::user`] with a chosen login prefix.
    pub async fn user_with_prefix(&self, prefix: &str, org_name: &str, role: &str) -> TestUser {
        self.user_named(&unique_login(prefix), org_name, role).await
    }

    async fn user_named(&self, login: &str, org_name: &str, role: &str) -> TestUser {
        let added = admin::add_user(
            &self.admin,
            NewUser {
                org: org_name,
                login,
                full_name: &format!("Person {login}"),
                email: &format!("{login}@example.com"),
                role: admin::parse_role(role).expect("a valid role"),
                password: None,
            },
        )
        .await
        .expect("closer::db::admin::add_user");
        TestUser {
            login: login.to_owned(),
            password: added
                .password
                .expect("a new login gets a generated password"),
            profile_id: added.profile_id,
        }
    }

    /// Adds an existing person to another organization (or changes their role in one).
    pub async fn add_to_org(&self, user: &TestUser, org_name: &str, role: &str) {
        let added = admin::add_user(
            &self.admin,
            NewUser {
                org: org_name,
                login: &user.login,
                full_name: &format!("Person {}", user.login),
                email: &format!("{}@example.com", user.login),
                role: admin::parse_role(role).expect("a valid role"),
                password: None,
            },
        )
        .await
        .expect("closer::db::admin::add_user for an existing person");
        assert_eq!(
            added.profile_id, user.profile_id,
            "same person, same profile"
        );
    }

    /// Removes a person from an organization; `true` if their login was disabled.
    pub async fn remove(&self, user: &TestUser, org_name: &str) -> bool {
        admin::remove_user(&self.admin, org_name, &user.login)
            .await
            .expect("closer::db::admin::remove_user")
    }

    /// Connection options for a person's login on this database.
    pub fn options(&self, user: &TestUser) -> PgConnectOptions {
        self.cluster
            .login_options(&self.database, &user.login, &user.password)
    }

    /// A pool connecting as that person (RLS applies).
    pub async fn login(&self, user: &TestUser) -> PgPool {
        PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(self.options(user))
            .await
            .expect("log in as a test user")
    }

    /// One connection as that person (for session state: SET, transactions, removal).
    pub async fn connect(&self, user: &TestUser) -> PgConnection {
        PgConnection::connect_with(&self.options(user))
            .await
            .expect("connect as a test user")
    }

    /// What the TUI does: `Session::connect` with a 15 s statement timeout.
    pub async fn session(&self, user: &TestUser) -> Session {
        self.try_session(user)
            .await
            .expect("Session::connect as a test user")
    }

    pub async fn try_session(&self, user: &TestUser) -> Result<Session, DataError> {
        Session::connect(self.options(user), 15_000).await
    }

    /// The default pipeline of an organization.
    pub async fn default_pipeline(&self, org: Uuid) -> Uuid {
        sqlx::query_scalar("select id from pipelines where organization_id = $1 and is_default")
            .bind(org)
            .fetch_one(&self.admin)
            .await
            .expect("the organization has a default pipeline")
    }

    /// Stages of the default pipeline in board order: (id, name).
    pub async fn stages(&self, org: Uuid) -> Vec<(Uuid, String)> {
        sqlx::query_as(
            "select s.id, s.name from pipeline_stages s
             join pipelines p on p.organization_id = s.organization_id and p.id = s.pipeline_id
             where s.organization_id = $1 and p.is_default
             order by s.order_index",
        )
        .bind(org)
        .fetch_all(&self.admin)
        .await
        .expect("read the stages")
    }

    /// The id of the stage called `name` in the default pipeline.
    pub async fn stage(&self, org: Uuid, name: &str) -> Uuid {
        self.stages(org)
            .await
            .into_iter()
            .find(|(_, stage)| stage == name)
            .map(|(id, _)| id)
            .unwrap_or_else(|| panic!("no stage named {name:?}"))
    }

    /// The first stage ("New") of the default pipeline.
    pub async fn first_stage(&self, org: Uuid) -> Uuid {
        self.stages(org)
            .await
            .first()
            .map(|(id, _)| *id)
            .expect("the default pipeline has stages")
    }

    /// Inserts a lead as the superuser into the first stage; returns its id.
    pub async fn lead(&self, org: Uuid, name: &str) -> Uuid {
        let stage = self.first_stage(org).await;
        insert_lead(&self.admin, org, stage, name)
            .await
            .expect("insert a lead as admin")
    }

    /// Number of rows of `table` (superuser view, ignores RLS) matching `filter`.
    pub async fn admin_count(&self, table: &str, filter: &str) -> i64 {
        sqlx::query_scalar(AssertSqlSafe(format!(
            "select count(*) from {table} where {filter}"
        )))
        .fetch_one(&self.admin)
        .await
        .unwrap_or_else(|e| panic!("count {table} where {filter}: {e}"))
    }
}

impl Drop for TestDb {
    /// Drops the test database (the cluster may serve other tests for a while). Skipped when this
    /// is the last user of the cluster: the whole cluster is deleted right after.
    fn drop(&mut self) {
        if Arc::strong_count(&self.cluster) <= 1 {
            return;
        }
        let options = self.cluster.superuser_options("postgres");
        let database = std::mem::take(&mut self.database);
        // A fresh runtime on its own thread: Drop may run inside (or outside) a test's runtime.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async move {
                let mut conn = PgConnection::connect_with(&options).await.ok()?;
                let result = sqlx::query(AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {database} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
                let _ = conn.close().await;
                result.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("note: could not drop a test database (the cluster deletes it later)");
        }
    }
}

/// Inserts a lead through any pool or connection (admin or a person's login, so RLS applies).
pub async fn insert_lead<'e, E>(
    executor: E,
    org: Uuid,
    stage: Uuid,
    name: &str,
) -> Result<Uuid, sqlx::Error>
where
    E: sqlx::PgExecutor<'e>,
{
    sqlx::query_scalar(
        "insert into leads (organization_id, stage_id, name) values ($1, $2, $3) returning id",
    )
    .bind(org)
    .bind(stage)
    .bind(name)
    .fetch_one(executor)
    .await
}

/// Parses a member role name.
pub fn role(name: &str) -> MemberRole {
    admin::parse_role(name).expect("a valid role")
}
