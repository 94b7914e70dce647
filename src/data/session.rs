//! `Session`: a person's login — the pools (queries and the live listener), who they are and
//! their organizations — from which a [`PgStore`] is opened per organization.

use std::time::Duration;

use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use super::DataError;
use super::connect::Route;
use super::live::OwnBackends;
use super::models::*;
use super::store::{IDLE_IN_TRANSACTION_TIMEOUT_MS, POOL_SIZE, PgStore};

type Result<T> = std::result::Result<T, DataError>;

/// Tags this process's connections so `cancel_running` touches only its own queries.
pub fn application_name() -> String {
    format!("closer:{}", std::process::id())
}

/// A logged-in person before an organization is chosen.
#[derive(Clone, Debug)]
pub struct Session {
    pool: PgPool,
    /// The one listening connection's pool: the same as `pool` when connected directly, a
    /// direct (or session-mode) pool when queries go through a transaction-mode pooler.
    listen_pool: PgPool,
    own_backends: OwnBackends,
    me: Me,
    memberships: Vec<Membership>,
}

impl Session {
    /// Connects, checks the schema is migrated, and loads who the login is.
    /// `statement_timeout_ms` of 0 disables the server-side timeout.
    pub async fn connect(options: PgConnectOptions, statement_timeout_ms: u64) -> Result<Session> {
        Session::connect_via(options, statement_timeout_ms, Route::Direct).await
    }

    /// Like [`Session::connect`], with queries sent through `route` (README: Behind PgBouncer).
    ///
    /// One round trip per action: no ping before a connection is handed out (a dead one shows
    /// up as a connection error, which the reads retry and the writes report after re-reading).
    /// sqlx 0.9 still sends one Sync when a connection goes back to the pool (hard-coded in
    /// `PoolConnection::return_to_pool`), after the caller has its result.
    pub async fn connect_via(
        options: PgConnectOptions,
        statement_timeout_ms: u64,
        route: Route,
    ) -> Result<Session> {
        // No JIT: every query here reads a page or a few index ranges. A generic plan of a column
        // page at 1M leads is costed for a tenth of the stage, passes `jit_above_cost`, and
        // compiled ~65 functions for 0.6 s a page (README: plans that cannot flip).
        let settings = [
            ("statement_timeout", statement_timeout_ms.to_string()),
            (
                "idle_in_transaction_session_timeout",
                IDLE_IN_TRANSACTION_TIMEOUT_MS.to_string(),
            ),
            ("jit", "off".to_string()),
        ];
        let own_backends = OwnBackends::default();
        let (pool, listen_pool) = match route {
            Route::Direct => {
                let options = options
                    .application_name(&application_name())
                    .options(settings);
                let pool = PgPoolOptions::new()
                    .max_connections(POOL_SIZE)
                    .min_connections(0)
                    .idle_timeout(IDLE_TIMEOUT)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .after_connect(record_backend(own_backends.clone()))
                    .connect_with(options)
                    .await?;
                (pool.clone(), pool)
            }
            Route::Pooled { listen } => {
                // PgBouncer 1.18 refuses startup parameters it does not track (`options`,
                // `extra_float_digits`): the limits are set once per connection instead (one
                // simple query, one round trip). Its server connections are shared with the
                // login's other clients, so their pids say nothing about echoes: none recorded.
                let options = options
                    .application_name(&application_name())
                    .extra_float_digits(None);
                // The same settings as the direct route's startup options, as SET statements.
                let set_limits = settings
                    .iter()
                    .map(|(name, value)| format!("set {name} = {value}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                let pool = PgPoolOptions::new()
                    // One client connection: what one TUI holds on the server stays at its
                    // listener plus one query connection (README: Behind PgBouncer).
                    .max_connections(1)
                    .min_connections(0)
                    .idle_timeout(IDLE_TIMEOUT)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| {
                        let set_limits = set_limits.clone();
                        Box::pin(async move {
                            sqlx::raw_sql(AssertSqlSafe(set_limits))
                                .execute(&mut *conn)
                                .await
                                .map(drop)
                        })
                    })
                    .connect_with(options)
                    .await?;
                let listen = (*listen)
                    .application_name(&application_name())
                    .options(settings);
                let listen_pool = PgPoolOptions::new()
                    .max_connections(1)
                    .min_connections(0)
                    .acquire_timeout(Duration::from_secs(10))
                    .test_before_acquire(false)
                    .connect_lazy_with(listen);
                (pool, listen_pool)
            }
        };
        // The start-up reads share one connection: a query sent while the previous one's
        // connection was still being handed back (sqlx's Sync) made the pool open a second one,
        // a login (fork + SCRAM) more before a script's first line or the TUI's first frame.
        let mut conn = pool.acquire().await?;
        let migrated: bool = sqlx::query_scalar(
            "select to_regclass('public.leads') is not null and to_regprocedure('closer.user_org_ids()') is not null",
        )
        .fetch_one(&mut *conn)
        .await?;
        if !migrated {
            return Err(DataError::NotMigrated);
        }
        let me = sqlx::query(
            "select id, full_name, email, time_zone from profiles where db_role = session_user",
        )
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(DataError::NoMembership)?;
        let me = Me {
            profile_id: me.try_get("id")?,
            full_name: me.try_get("full_name")?,
            email: me.try_get("email")?,
            time_zone: me.try_get("time_zone")?,
        };
        // The role as text: decoding the enum itself costs a type lookup on every new connection.
        let memberships = sqlx::query(
            "select o.id, o.name, m.role::text as role from organization_members m
             join organizations o on o.id = m.organization_id
             where m.profile_id = $1 order by o.name",
        )
        .bind(me.profile_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| {
            Ok(Membership {
                organization_id: r.try_get("id")?,
                organization_name: r.try_get("name")?,
                role: MemberRole::parse(r.try_get("role")?)
                    .ok_or_else(|| DataError::Other("an unknown member role".into()))?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        // Back in the pool before the next query asks for one (dropping it would hand it back
        // in a spawned task, and the next query would open a second login meanwhile).
        conn.return_to_pool().await;
        if memberships.is_empty() {
            return Err(DataError::NoMembership);
        }
        Ok(Session {
            pool,
            listen_pool,
            own_backends,
            me,
            memberships,
        })
    }

    pub fn me(&self) -> &Me {
        &self.me
    }

    pub fn memberships(&self) -> &[Membership] {
        &self.memberships
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Works inside one organization the person belongs to.
    pub fn open(&self, organization_id: Uuid) -> Result<PgStore> {
        let membership = self
            .memberships
            .iter()
            .find(|m| m.organization_id == organization_id)
            .ok_or(DataError::NoMembership)?;
        Ok(PgStore {
            pool: self.pool.clone(),
            listen_pool: self.listen_pool.clone(),
            own_backends: self.own_backends.clone(),
            me: self.me.clone(),
            membership: membership.clone(),
        })
    }
}

/// Idle connections close after this: an idle TUI holds only its listening connection.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// Remembers each new connection's backend pid (one statement per connection, not per action).
fn record_backend(
    own: OwnBackends,
) -> impl Fn(
    &mut sqlx::PgConnection,
    sqlx::pool::PoolConnectionMetadata,
) -> futures::future::BoxFuture<'_, std::result::Result<(), sqlx::Error>>
+ Send
+ Sync
+ 'static {
    move |conn, _| {
        let own = own.clone();
        Box::pin(async move {
            let pid: i32 = sqlx::query_scalar("select pg_backend_pid()")
                .fetch_one(&mut *conn)
                .await?;
            own.record(pid.unsigned_abs());
            Ok(())
        })
    }
}
