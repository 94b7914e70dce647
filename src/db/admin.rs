//! Provisioning with an admin connection: migrations, organizations, people.

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use rand::Rng;
use sqlx::AssertSqlSafe;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

use crate::data::models::MemberRole;

/// Roles every Closer database relies on. Cluster-wide, so created only if missing.
const OWNER_ROLE: &str = "closer_owner";
const MEMBER_ROLE: &str = "closer_member";
/// Owns only `closer.search_leads` (see the migration for why it bypasses RLS). Never logs in.
const SEARCH_ROLE: &str = "closer_search";
/// Owns only `closer.end_sessions` and `closer.revoke_connect` (offboarding, migration 0004):
/// may signal backends and revoke group membership. Never logs in.
const OFFBOARD_ROLE: &str = "closer_offboard";

/// The group whose members may connect to the current database (and no other Closer database):
/// group roles are cluster-wide, so each database gets its own. Same rule as
/// `closer.connect_group()` in migration 0004.
pub async fn connect_group(executor: impl sqlx::PgExecutor<'_>) -> Result<String> {
    Ok(
        sqlx::query_scalar("select 'closer_connect_' || left(md5(current_database()), 16)")
            .fetch_one(executor)
            .await?,
    )
}

/// The default pipeline every new organization starts with: (name, colour, won, lost).
pub const DEFAULT_STAGES: [(&str, &str, bool, bool); 6] = [
    ("New", "#5b8def", false, false),
    ("Contacted", "#8e6cef", false, false),
    ("Qualified", "#e0a526", false, false),
    ("Proposal", "#e0702a", false, false),
    ("Won", "#2fb36b", true, false),
    ("Lost", "#b0463c", false, true),
];

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Creates the owner/member roles and database-level grants, then applies the migrations.
pub async fn migrate(pool: &PgPool) -> Result<()> {
    migrate_to(pool, None).await
}

/// Fails with a sentence unless the admin connection is a superuser, as `closer admin {command}`
/// needs (`why`).
pub async fn require_superuser(pool: &PgPool, command: &str, why: &str) -> Result<()> {
    let is_superuser: bool =
        sqlx::query_scalar("select rolsuper from pg_roles where rolname = current_user")
            .fetch_one(pool)
            .await
            .wrap_err("could not read the admin connection's role")?;
    if !is_superuser {
        bail!("`closer admin {command}` needs a superuser admin connection ({why})");
    }
    Ok(())
}

/// [`migrate`], stopping after migration `last` when given (tests upgrade a database that has
/// rows from an older version).
pub async fn migrate_to(pool: &PgPool, last: Option<i64>) -> Result<()> {
    require_superuser(
        pool,
        "migrate",
        "it creates roles and the pg_trgm extension",
    )
    .await?;
    let database: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await?;
    let connect = connect_group(pool).await?;
    let bootstrap = [
        format!(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
                 CREATE ROLE {OWNER_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
               END IF;
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SEARCH_ROLE}') THEN
                 CREATE ROLE {SEARCH_ROLE} NOLOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE;
               END IF;
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{MEMBER_ROLE}') THEN
                 CREATE ROLE {MEMBER_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
               END IF;
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OFFBOARD_ROLE}') THEN
                 CREATE ROLE {OFFBOARD_ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB CREATEROLE;
               END IF;
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{connect}') THEN
                 CREATE ROLE {connect} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
               END IF;
             END $$"
        ),
        format!("GRANT pg_signal_backend TO {OFFBOARD_ROLE}"),
        format!("GRANT {connect} TO {OFFBOARD_ROLE} WITH ADMIN OPTION"),
        "CREATE EXTENSION IF NOT EXISTS pg_trgm".to_string(),
        format!(
            "REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC",
            quote_ident(&database)
        ),
        // Only this database's group may connect: no login of another Closer database can.
        format!(
            "REVOKE CONNECT ON DATABASE {} FROM {MEMBER_ROLE}",
            quote_ident(&database)
        ),
        format!(
            "GRANT CONNECT ON DATABASE {} TO {connect}",
            quote_ident(&database)
        ),
        format!(
            "GRANT CREATE ON DATABASE {} TO {OWNER_ROLE}",
            quote_ident(&database)
        ),
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC".to_string(),
        format!("GRANT CREATE, USAGE ON SCHEMA public TO {OWNER_ROLE}"),
        format!("GRANT USAGE ON SCHEMA public TO {MEMBER_ROLE}"),
    ];
    for statement in &bootstrap {
        sqlx::query(AssertSqlSafe(statement.as_str()))
            .execute(pool)
            .await
            .wrap_err_with(|| format!("preparing roles failed on: {}", first_line(statement)))?;
    }
    super::upgrade::merge_tag_spellings_before_0007(pool).await?;
    match last {
        Some(version) => MIGRATOR.run_to(version, pool).await,
        None => MIGRATOR.run(pool).await,
    }
    .wrap_err("applying migrations failed")?;
    // Lets a rep's client tell "not migrated" from other failures.
    sqlx::query(AssertSqlSafe(format!(
        "GRANT SELECT ON _sqlx_migrations TO {MEMBER_ROLE}"
    )))
    .execute(pool)
    .await?;
    // People added before this database had its own connect group keep their access.
    let logins: Vec<String> = sqlx::query_scalar(
        "select distinct p.db_role::text from profiles p
         join organization_members m on m.profile_id = p.id
         join pg_roles r on r.rolname = p.db_role
         where not pg_has_role(p.db_role, $1, 'MEMBER')",
    )
    .bind(&connect)
    .fetch_all(pool)
    .await?;
    for login in logins {
        sqlx::query(AssertSqlSafe(format!(
            "GRANT {connect} TO {}",
            quote_ident(&login)
        )))
        .execute(pool)
        .await?;
    }
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or_default()
}

/// Quotes an SQL identifier (for the few statements that cannot take parameters).
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Whether the database has every migration this build knows about.
pub async fn is_migrated(pool: &PgPool) -> Result<bool> {
    let table_exists: bool =
        sqlx::query_scalar("select to_regclass('public._sqlx_migrations') is not null")
            .fetch_one(pool)
            .await?;
    if !table_exists {
        return Ok(false);
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("select version from _sqlx_migrations where success")
            .fetch_all(pool)
            .await?;
    Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
}

pub enum Created {
    New(Uuid),
    Existing(Uuid),
}

/// Creates an organization with the default "Sales Pipeline". Re-running with the same name is a no-op.
pub async fn create_org(pool: &PgPool, name: &str) -> Result<Created> {
    let name = name.trim();
    if name.is_empty() {
        bail!("the organization name must not be empty");
    }
    if let Some(id) = org_id(pool, name).await? {
        return Ok(Created::Existing(id));
    }
    let mut tx = pool.begin().await?;
    let org: Uuid = sqlx::query_scalar("insert into organizations (name) values ($1) returning id")
        .bind(name)
        .fetch_one(&mut *tx)
        .await
        .wrap_err("could not create the organization")?;
    create_pipeline(&mut tx, org, "Sales Pipeline", true, &DEFAULT_STAGES).await?;
    tx.commit().await?;
    Ok(Created::New(org))
}

/// Puts an organization in a database of its own on the same server (SECURITY.md: "An
/// organization in its own database"): creates `database` if missing through `server` (any
/// superuser connection), applies the same migrations there through `options` (superuser options
/// for that database) and creates the organization. Its logins get that database's own connect
/// group, so they cannot connect to any other Closer database. Re-running is a no-op.
pub async fn create_org_database(
    server: &PgPool,
    options: PgConnectOptions,
    database: &str,
    name: &str,
) -> Result<Created> {
    let valid = !database.is_empty()
        && database.len() <= 63
        && database.starts_with(|c: char| c.is_ascii_lowercase())
        && database
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        bail!(
            "the database name must be 1 to 63 lowercase letters, digits or _, starting with a letter"
        );
    }
    let exists: bool =
        sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
            .bind(database)
            .fetch_one(server)
            .await?;
    if !exists {
        sqlx::query(AssertSqlSafe(format!(
            "CREATE DATABASE {}",
            quote_ident(database)
        )))
        .execute(server)
        .await
        .wrap_err("could not create the organization's database")?;
    }
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options.database(database))
        .await
        .wrap_err("could not connect to the organization's database")?;
    let created = async {
        migrate(&pool).await?;
        create_org(&pool, name).await
    }
    .await;
    pool.close().await;
    created
}

/// Inserts a pipeline with its stages inside the caller's transaction.
pub async fn create_pipeline(
    tx: &mut sqlx::PgConnection,
    org: Uuid,
    name: &str,
    is_default: bool,
    stages: &[(&str, &str, bool, bool)],
) -> Result<Uuid> {
    let pipeline: Uuid = sqlx::query_scalar(
        "insert into pipelines (organization_id, name, is_default) values ($1, $2, $3) returning id",
    )
    .bind(org)
    .bind(name)
    .bind(is_default)
    .fetch_one(&mut *tx)
    .await
    .wrap_err("could not create the pipeline")?;
    for (index, (stage, color, won, lost)) in stages.iter().enumerate() {
        sqlx::query(
            // Same defaults as migration 0005 gave existing stages: early stages rot sooner.
            "insert into pipeline_stages (organization_id, pipeline_id, name, order_index, color, is_won, is_lost,
                                          rotting_days, default_probability)
             values ($1, $2, $3, $4, $5, $6, $7,
                     case when $6 or $7 then null when $4 <= 1 then 7 else 14 end,
                     case when $6 then 100 when $7 then 0 else least(90, 10 + 20 * $4) end)",
        )
        .bind(org)
        .bind(pipeline)
        .bind(stage)
        .bind(index as i32)
        .bind(color)
        .bind(won)
        .bind(lost)
        .execute(&mut *tx)
        .await?;
    }
    Ok(pipeline)
}

pub async fn org_id(pool: &PgPool, name: &str) -> Result<Option<Uuid>> {
    Ok(
        sqlx::query_scalar("select id from organizations where name = $1")
            .bind(name.trim())
            .fetch_optional(pool)
            .await?,
    )
}

async fn require_org(pool: &PgPool, name: &str) -> Result<Uuid> {
    org_id(pool, name).await?.ok_or_else(|| {
        eyre!(
            "no organization named {:?} (create it with `closer admin create-org --name …`)",
            crate::text::clean_line(name)
        )
    })
}

pub fn parse_role(role: &str) -> Result<MemberRole> {
    match role {
        "admin" => Ok(MemberRole::Admin),
        "manager" => Ok(MemberRole::Manager),
        "rep" => Ok(MemberRole::Rep),
        other => bail!(
            "unknown role {:?}: use rep, manager or admin",
            crate::text::clean_line(other)
        ),
    }
}

/// Login names are plain so they are safe everywhere (pgpass, URLs, logs).
pub fn validate_login(login: &str) -> Result<()> {
    let ok = !login.is_empty()
        && login.len() <= 63
        && login
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && login
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        bail!(
            "invalid login {:?}: use 1–63 lowercase letters, digits or _, starting with a letter",
            crate::text::clean_line(login)
        );
    }
    if login.starts_with("pg_") || login.starts_with("closer_") {
        bail!("the login {login:?} is reserved");
    }
    Ok(())
}

/// Server-side limits every login gets (a hostile rep does not use Closer's client, so its own
/// settings protect nobody). A rep can lower the timeouts for their own session but not raise
/// `temp_file_limit` (superuser-only) or the connection limit.
pub const CONNECTION_LIMIT: i32 = 10;
pub const LOGIN_SETTINGS: [(&str, &str); 4] = [
    ("statement_timeout", "30s"),
    ("lock_timeout", "5s"),
    ("idle_in_transaction_session_timeout", "60s"),
    ("temp_file_limit", "256MB"),
];

fn login_limits(login: &str) -> Vec<String> {
    let role = quote_ident(login);
    let mut statements = vec![format!(
        "ALTER ROLE {role} CONNECTION LIMIT {CONNECTION_LIMIT}"
    )];
    for (name, value) in LOGIN_SETTINGS {
        statements.push(format!("ALTER ROLE {role} SET {name} = '{value}'"));
    }
    statements
}

pub struct NewUser<'a> {
    pub org: &'a str,
    pub login: &'a str,
    pub full_name: &'a str,
    pub email: &'a str,
    pub role: MemberRole,
    /// `None` generates one (returned so it can be shown once).
    pub password: Option<String>,
}

pub struct AddedUser {
    pub profile_id: Uuid,
    /// The password that was set, when a new login was created.
    pub password: Option<String>,
    pub login_existed: bool,
}

pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Creates (or reuses) a person's login and profile and makes them a member of the organization.
pub async fn add_user(pool: &PgPool, user: NewUser<'_>) -> Result<AddedUser> {
    validate_login(user.login)?;
    if user.full_name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    if !user.email.contains('@') || user.email.chars().any(char::is_whitespace) {
        bail!("invalid email {:?}", crate::text::clean_line(user.email));
    }
    let org = require_org(pool, user.org).await?;
    let mut tx = pool.begin().await?;
    let existing: Option<(bool, bool)> =
        sqlx::query_as("select rolsuper, rolbypassrls from pg_roles where rolname = $1")
            .bind(user.login)
            .fetch_optional(&mut *tx)
            .await?;
    let login_existed = existing.is_some();
    if let Some((superuser, bypass)) = existing
        && (superuser || bypass)
    {
        bail!(
            "the login {:?} is a superuser or bypasses RLS and cannot be a Closer user",
            user.login
        );
    }
    let profile_exists: bool =
        sqlx::query_scalar("select exists(select 1 from profiles where db_role = $1)")
            .bind(user.login)
            .fetch_one(&mut *tx)
            .await?;
    if login_existed && !profile_exists {
        bail!(
            "a database role named {:?} already exists and is not a Closer user; pick another login",
            user.login
        );
    }
    let mut password_set = None;
    if !login_existed {
        let password = user.password.clone().unwrap_or_else(generate_password);
        if password.len() < 8 {
            bail!("the password must be at least 8 characters");
        }
        // Role names and passwords cannot be bound as parameters; let the server quote them.
        // The password goes as a SCRAM verifier computed here, never in clear text.
        let create: String = sqlx::query_scalar(
            "select format('CREATE ROLE %I LOGIN PASSWORD %L NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT', $1::text, $2::text)",
        )
        .bind(user.login)
        .bind(super::scram::verifier(&password))
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(AssertSqlSafe(create))
            .execute(&mut *tx)
            .await
            .wrap_err("could not create the login")?;
        password_set = Some(password);
    } else {
        // A removed person coming back gets their login re-enabled.
        sqlx::query(AssertSqlSafe(format!(
            "ALTER ROLE {} LOGIN",
            quote_ident(user.login)
        )))
        .execute(&mut *tx)
        .await?;
        if let Some(password) = &user.password {
            let alter: String = sqlx::query_scalar(
                "select format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)",
            )
            .bind(user.login)
            .bind(super::scram::verifier(password))
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(AssertSqlSafe(alter)).execute(&mut *tx).await?;
        }
    }
    let connect = connect_group(&mut *tx).await?;
    sqlx::query(AssertSqlSafe(format!(
        "GRANT {MEMBER_ROLE}, {connect} TO {}",
        quote_ident(user.login)
    )))
    .execute(&mut *tx)
    .await?;
    for statement in login_limits(user.login) {
        sqlx::query(AssertSqlSafe(statement))
            .execute(&mut *tx)
            .await
            .wrap_err("could not set the login's limits")?;
    }
    let profile_id: Uuid = sqlx::query_scalar(
        "insert into profiles (db_role, full_name, email) values ($1, $2, $3)
         on conflict (db_role) do update set full_name = excluded.full_name, email = excluded.email
         returning id",
    )
    .bind(user.login)
    .bind(user.full_name.trim())
    .bind(user.email.trim())
    .fetch_one(&mut *tx)
    .await
    .wrap_err("could not save the profile")?;
    sqlx::query(
        "insert into organization_members (organization_id, profile_id, role) values ($1, $2, $3)
         on conflict (organization_id, profile_id) do update set role = excluded.role",
    )
    .bind(org)
    .bind(profile_id)
    .bind(user.role)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(AddedUser {
        profile_id,
        password: password_set,
        login_existed,
    })
}

/// Removes a person from an organization. Access ends at once: policies check membership on
/// every statement; a person left with no organization also loses the login and open sessions.
pub async fn remove_user(pool: &PgPool, org_name: &str, login: &str) -> Result<bool> {
    validate_login(login)?;
    let org = require_org(pool, org_name).await?;
    let mut tx = pool.begin().await?;
    let removed = sqlx::query(
        "delete from organization_members m using profiles p
         where m.profile_id = p.id and p.db_role = $1 and m.organization_id = $2",
    )
    .bind(login)
    .bind(org)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if removed == 0 {
        bail!(
            "{login:?} is not a member of {:?}",
            crate::text::clean_line(org_name)
        );
    }
    let remaining: i64 = sqlx::query_scalar(
        "select count(*) from organization_members m join profiles p on p.id = m.profile_id where p.db_role = $1",
    )
    .bind(login)
    .fetch_one(&mut *tx)
    .await?;
    // The database rotates the channel and ends the person's sessions on this database itself
    // (trigger on organization_members, migration 0004), however a membership ends.
    let disabled = remaining == 0;
    if disabled {
        sqlx::query(AssertSqlSafe(format!(
            "REVOKE {MEMBER_ROLE} FROM {}",
            quote_ident(login)
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(AssertSqlSafe(format!(
            "ALTER ROLE {} NOLOGIN",
            quote_ident(login)
        )))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    // Always end open sessions: a transaction opened before the removal keeps its snapshot, in
    // which the membership still exists. Closer reconnects on its own if other orgs remain.
    sqlx::query(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where usename = $1 and datname = current_database()",
    )
    .bind(login)
    .execute(pool)
    .await?;
    Ok(disabled)
}
