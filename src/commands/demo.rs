//! `closer demo`: Closer's private PostgreSQL, a seeded demo organization, and the TUI logged in
//! as a demo rep through a real login (so RLS applies exactly as in production).

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use sqlx::PgPool;

use crate::config::{Config, paths};
use crate::data::store::Session;
use crate::db::admin::{self, Created, NewUser};
use crate::db::cluster::LocalCluster;
use crate::db::seed;

use super::admin::{LOCAL_DATABASE, connect_local};

pub const DEMO_ORG: &str = "Demo Realty";
pub const RIVAL_ORG: &str = "Rival Brokers";
pub const DEMO_LOGIN: &str = "demo_rep";
const DEMO_LEADS: i64 = 2_000;
const RIVAL_LEADS: i64 = 300;

/// (login, full name, email, role, organization)
const DEMO_PEOPLE: [(&str, &str, &str, &str, &str); 5] = [
    (
        DEMO_LOGIN,
        "Riley Rep",
        "riley@demo-realty.test",
        "rep",
        DEMO_ORG,
    ),
    (
        "demo_seller",
        "Sam Seller",
        "sam@demo-realty.test",
        "rep",
        DEMO_ORG,
    ),
    (
        "demo_closer",
        "Casey Closer",
        "casey@demo-realty.test",
        "rep",
        DEMO_ORG,
    ),
    (
        "demo_manager",
        "Morgan Manager",
        "morgan@demo-realty.test",
        "manager",
        DEMO_ORG,
    ),
    (
        "rival_rep",
        "Robin Rival",
        "robin@rival-brokers.test",
        "rep",
        RIVAL_ORG,
    ),
];

pub async fn run(reset: bool, config: Config, start_inbox: bool) -> Result<()> {
    run_as(reset, config, start_inbox, None).await
}

/// `closer demo [--as LOGIN]`: joins (or starts) the demo's private server, opens the TUI as
/// `login`, and leaves; the last Closer to leave stops the server.
pub async fn run_as(
    reset: bool,
    config: Config,
    start_inbox: bool,
    login: Option<&str>,
) -> Result<()> {
    // Before anything slow: the TUI needs a terminal.
    if !crate::errors::has_terminal() {
        bail!("{}", crate::errors::needs_terminal("closer demo"));
    }
    let person = person(login.unwrap_or(DEMO_LOGIN))?;
    let (cluster, membership) = LocalCluster::join(&paths::demo_cluster_dir()).await?;
    let outcome = prepare_and_open(&cluster, reset, config, start_inbox, person).await;
    // Leave whatever happened (stopping the server if nobody else uses it); report the first
    // error.
    let left = cluster.leave(membership).await;
    outcome.and(left.map(drop))
}

/// `closer demo --stop`.
pub async fn stop() -> Result<()> {
    match LocalCluster::stop_shared(&paths::demo_cluster_dir()).await? {
        None => println!("There is no demo server to stop."),
        Some(0) => println!("The demo server is stopped."),
        Some(n) => println!(
            "The demo server is stopped; {n} Closer window(s) still open on it are now offline."
        ),
    }
    Ok(())
}

/// The seeded person `login` names: (login, organization).
fn person(login: &str) -> Result<(&'static str, &'static str)> {
    DEMO_PEOPLE
        .iter()
        .find(|p| p.0 == login)
        .map(|p| (p.0, p.4))
        .ok_or_else(|| {
            let known: Vec<&str> = DEMO_PEOPLE.iter().map(|p| p.0).collect();
            eyre!(
                "There is no demo person `{login}`: use one of {}",
                known.join(", ")
            )
        })
}

async fn prepare_and_open(
    cluster: &LocalCluster,
    reset: bool,
    config: Config,
    start_inbox: bool,
    (login, org): (&str, &str),
) -> Result<()> {
    if reset {
        reset_demo(cluster).await?;
    }
    let pool = connect_local(cluster, LOCAL_DATABASE).await?;
    ensure_demo_data(&pool).await?;
    // One password per login kept privately in the data directory: a second Closer logging in
    // as the same person must not lock the first out of new connections.
    let password = cluster.login_secret(login)?;
    let set_password: String =
        sqlx::query_scalar("select format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)")
            .bind(login)
            .bind(&password)
            .fetch_one(&pool)
            .await?;
    sqlx::query(sqlx::AssertSqlSafe(set_password))
        .execute(&pool)
        .await?;
    pool.close().await;

    let options = cluster.login_options(LOCAL_DATABASE, login, &password);
    let session = Session::connect(options, config.connection.statement_timeout_ms).await?;
    super::open::open_session(session, Some(org), config, start_inbox).await
}

/// Seeds once: a second start finds the organization and goes straight to the board.
pub async fn ensure_demo_data(pool: &PgPool) -> Result<()> {
    admin::migrate(pool).await?;
    if admin::org_id(pool, DEMO_ORG).await?.is_some() {
        return Ok(());
    }
    eprintln!("Preparing the demo organization (first start only)…");
    let Created::New(demo_org) = admin::create_org(pool, DEMO_ORG).await? else {
        return Ok(());
    };
    let rival_org = match admin::create_org(pool, RIVAL_ORG).await? {
        Created::New(id) | Created::Existing(id) => id,
    };
    for (login, name, email, role, org) in DEMO_PEOPLE {
        admin::add_user(
            pool,
            NewUser {
                org,
                login,
                full_name: name,
                email,
                role: admin::parse_role(role)?,
                password: None,
            },
        )
        .await
        .wrap_err_with(|| format!("could not create the demo login {login}"))?;
    }
    let mut tx = pool.begin().await?;
    admin::create_pipeline(
        &mut tx,
        demo_org,
        "Rental Pipeline",
        false,
        &[
            ("Inquiry", "#4aa3df", false, false),
            ("Viewing", "#9b59b6", false, false),
            ("Application", "#f39c12", false, false),
            ("Leased", "#27ae60", true, false),
            ("Withdrawn", "#c0392b", false, true),
        ],
    )
    .await?;
    tx.commit().await?;
    seed::seed(pool, demo_org, DEMO_LEADS, 42).await?;
    seed::seed(pool, rival_org, RIVAL_LEADS, 7).await?;
    // Give the rental pipeline some leads so switching pipelines shows something.
    let mut conn = pool.acquire().await?;
    sqlx::query(
        "update leads l set stage_id = r.id
         from (select s.id, s.order_index from pipeline_stages s join pipelines p on p.id = s.pipeline_id
               where p.organization_id = $1 and p.name = 'Rental Pipeline') r
         where l.organization_id = $1 and l.score % 25 = 0 and r.order_index = (hashtext(l.id::text) & 3)",
    )
    .bind(demo_org)
    .execute(&mut *conn)
    .await?;
    seed::recompute_stage_summaries(&mut conn, demo_org).await?;
    Ok(())
}

async fn reset_demo(cluster: &LocalCluster) -> Result<()> {
    let maintenance = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(cluster.superuser_options("postgres"))
        .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        admin::quote_ident(LOCAL_DATABASE)
    )))
    .execute(&maintenance)
    .await?;
    for (login, ..) in DEMO_PEOPLE {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP ROLE IF EXISTS {}",
            admin::quote_ident(login)
        )))
        .execute(&maintenance)
        .await?;
    }
    maintenance.close().await;
    Ok(())
}
