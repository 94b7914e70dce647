//! Provisioning (`closer::db::admin`), connecting (`Session::connect`) and seeding
//! (`closer::db::seed`) against a private cluster.

use crate::common;

use std::sync::Arc;

use closer::data::DataError;
use closer::db::admin::{self, AddedUser, Created, DEFAULT_STAGES, NewUser};
use closer::db::cluster::TempCluster;
use common::{TestDb, unique_login};
use sqlx::postgres::PgPoolOptions;
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

/// `add_user` with a derived name and email.
async fn add(
    db: &TestDb,
    org: &str,
    login: &str,
    role: &str,
    password: Option<&str>,
) -> color_eyre::Result<AddedUser> {
    admin::add_user(
        &db.admin,
        NewUser {
            org,
            login,
            full_name: &format!("Person {login}"),
            email: &format!("{login}@example.com"),
            role: admin::parse_role(role)?,
            password: password.map(str::to_owned),
        },
    )
    .await
}

async fn role_exists(db: &TestDb, login: &str) -> bool {
    sqlx::query_scalar("select exists(select 1 from pg_roles where rolname = $1)")
        .bind(login)
        .fetch_one(&db.admin)
        .await
        .expect("read pg_roles")
}

async fn memberships(db: &TestDb, profile: Uuid) -> Vec<(String, String)> {
    sqlx::query_as(
        "select o.name, m.role::text from organization_members m
         join organizations o on o.id = m.organization_id
         where m.profile_id = $1 order by o.name",
    )
    .bind(profile)
    .fetch_all(&db.admin)
    .await
    .expect("read memberships")
}

/// A schema fingerprint: tables, columns, policies, functions, triggers and grants.
async fn schema_fingerprint(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "select md5(concat_ws('|',
            (select string_agg(concat_ws(',', c.oid::regclass, c.relacl, c.relrowsecurity, c.relforcerowsecurity, c.relnatts),
                               ';' order by c.oid::regclass::text)
             from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('public', 'closer')),
            (select string_agg(concat_ws(',', polname, polrelid::regclass), ';' order by polrelid::regclass::text, polname) from pg_policy),
            (select string_agg(concat_ws(',', p.oid::regprocedure, p.proacl), ';' order by p.oid::regprocedure::text)
             from pg_proc p where p.pronamespace in ('closer'::regnamespace, 'public'::regnamespace)),
            (select string_agg(concat_ws(',', tgname, tgrelid::regclass), ';' order by tgrelid::regclass::text, tgname)
             from pg_trigger where not tgisinternal),
            (select datacl::text from pg_database where datname = current_database()),
            (select string_agg(concat_ws(',', version, success, checksum), ';' order by version) from _sqlx_migrations)))",
    )
    .fetch_one(pool)
    .await
    .expect("fingerprint the schema")
}

// ---------------------------------------------------------------------------------------------
// Migrations
// ---------------------------------------------------------------------------------------------

/// On a brand-new cluster (no Closer roles yet) the migrations apply to an empty database, and
/// running them again changes nothing.
#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_are_idempotent() {
    let cluster = Arc::new(TempCluster::start().await.expect("a fresh cluster"));
    let db = TestDb::unmigrated_on(cluster).await;
    let roles: i64 = sqlx::query_scalar("select count(*) from pg_roles where rolname like 'closer\\_%' and rolname <> 'closer_admin'")
        .fetch_one(&db.admin)
        .await
        .expect("read roles");
    assert_eq!(roles, 0, "a fresh cluster has no Closer roles");
    assert!(!admin::is_migrated(&db.admin).await.expect("is_migrated"));

    db.migrate().await;
    assert!(admin::is_migrated(&db.admin).await.expect("is_migrated"));
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from unnest(array['organizations', 'profiles', 'organization_members', 'leads', 'deals',
                                           'stage_summaries', 'lead_activities']) t
         where to_regclass('public.' || t) is not null",
    )
    .fetch_one(&db.admin)
    .await
    .expect("look for tables");
    assert_eq!(tables, 7);
    let applied: i64 = sqlx::query_scalar("select count(*) from _sqlx_migrations where success")
        .fetch_one(&db.admin)
        .await
        .expect("read migrations");
    assert_eq!(applied, admin::MIGRATOR.iter().count() as i64);
    let groups: Vec<(String, bool)> = sqlx::query_as(
        "select rolname::text, rolcanlogin from pg_roles where rolname in ('closer_owner', 'closer_member') order by 1",
    )
    .fetch_all(&db.admin)
    .await
    .expect("read roles");
    assert_eq!(
        groups,
        [
            ("closer_member".to_owned(), false),
            ("closer_owner".to_owned(), false)
        ]
    );

    let before = schema_fingerprint(&db.admin).await;
    db.migrate().await;
    db.migrate().await;
    assert_eq!(
        before,
        schema_fingerprint(&db.admin).await,
        "migrating again changed the schema"
    );
    assert!(admin::is_migrated(&db.admin).await.expect("is_migrated"));
}

/// A second database on the same cluster (the roles already exist) migrates the same way.
#[tokio::test]
async fn a_second_database_on_the_same_cluster_migrates_too() {
    let first = TestDb::new().await;
    let second = TestDb::unmigrated_on(first.cluster.clone()).await;
    second.migrate().await;
    assert_eq!(
        schema_fingerprint(&first.admin).await.len(),
        schema_fingerprint(&second.admin).await.len()
    );
    assert!(
        admin::is_migrated(&second.admin)
            .await
            .expect("is_migrated")
    );
    // Members of this database's connect group may connect to it, PUBLIC may not; nor may the
    // cluster-wide member group (issue 9: a login of database A cannot connect to database B).
    let group = admin::connect_group(&second.admin)
        .await
        .expect("the connect group");
    let connect: (bool, bool, bool) = sqlx::query_as(
        "select has_database_privilege($1, current_database(), 'CONNECT'),
                has_database_privilege('public', current_database(), 'CONNECT'),
                has_database_privilege('closer_member', current_database(), 'CONNECT')",
    )
    .bind(&group)
    .fetch_one(&second.admin)
    .await
    .expect("read database privileges");
    assert_eq!(connect, (true, false, false));
    let first_group = admin::connect_group(&first.admin)
        .await
        .expect("the connect group");
    assert_ne!(
        group, first_group,
        "each database has its own connect group"
    );
}

#[tokio::test]
async fn migrate_refuses_a_non_superuser() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    let pool = db.login(&rep).await;
    let error = admin::migrate(&pool)
        .await
        .expect_err("a rep cannot migrate");
    assert!(format!("{error:#}").contains("superuser"), "{error:#}");
}

// ---------------------------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_org_creates_the_default_pipeline_with_six_ordered_stages() {
    let db = TestDb::new().await;
    let Created::New(org) = admin::create_org(&db.admin, "Acme Realty")
        .await
        .expect("create_org")
    else {
        panic!("a new organization must be reported as new");
    };
    let pipelines: Vec<(Uuid, String, bool)> =
        sqlx::query_as("select id, name, is_default from pipelines where organization_id = $1")
            .bind(org)
            .fetch_all(&db.admin)
            .await
            .expect("read pipelines");
    assert_eq!(pipelines.len(), 1);
    assert_eq!(
        (pipelines[0].1.as_str(), pipelines[0].2),
        ("Sales Pipeline", true)
    );
    let stages: Vec<(String, String, bool, bool, i32, Uuid)> = sqlx::query_as(
        "select name, color, is_won, is_lost, order_index, pipeline_id from pipeline_stages
         where organization_id = $1 order by order_index",
    )
    .bind(org)
    .fetch_all(&db.admin)
    .await
    .expect("read stages");
    let expected: Vec<(String, String, bool, bool, i32, Uuid)> = DEFAULT_STAGES
        .iter()
        .zip(0..)
        .map(|((name, color, won, lost), index)| {
            (
                name.to_string(),
                color.to_string(),
                *won,
                *lost,
                index,
                pipelines[0].0,
            )
        })
        .collect();
    assert_eq!(stages, expected);
    let names: Vec<&str> = stages.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]
    );

    // Re-running (even with stray spaces) is a no-op.
    for name in ["Acme Realty", "  Acme Realty  "] {
        match admin::create_org(&db.admin, name)
            .await
            .expect("create_org again")
        {
            Created::Existing(id) => assert_eq!(id, org),
            Created::New(_) => panic!("{name:?} created a second organization"),
        }
    }
    assert_eq!(db.admin_count("organizations", "true").await, 1);
    assert_eq!(db.admin_count("pipelines", "true").await, 1);
    assert_eq!(db.admin_count("pipeline_stages", "true").await, 6);
    assert!(
        admin::create_org(&db.admin, "   ").await.is_err(),
        "an empty name is refused"
    );
}

// ---------------------------------------------------------------------------------------------
// People
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn add_user_to_an_unknown_org_fails_and_creates_nothing() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let login = unique_login("ghost");
    let error = add(&db, "Nobody Inc", &login, "rep", None)
        .await
        .err()
        .expect("an unknown organization is refused");
    assert!(
        format!("{error:#}").contains("no organization"),
        "{error:#}"
    );
    assert!(
        !role_exists(&db, &login).await,
        "a login was created anyway"
    );
    assert_eq!(db.admin_count("profiles", "true").await, 0);
}

#[tokio::test]
async fn adding_a_login_to_the_same_org_again_updates_the_role() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let login = unique_login("ada");
    let first = add(&db, "Acme", &login, "rep", None)
        .await
        .expect("add a rep");
    assert!(!first.login_existed);
    let password = first.password.clone().expect("a generated password");
    let again = add(&db, "Acme", &login, "manager", None)
        .await
        .expect("add again as manager");
    assert!(again.login_existed);
    assert_eq!(again.profile_id, first.profile_id);
    assert!(
        again.password.is_none(),
        "an existing login keeps its password"
    );
    assert_eq!(
        memberships(&db, first.profile_id).await,
        [("Acme".to_owned(), "manager".to_owned())]
    );
    assert_eq!(db.admin_count("profiles", "true").await, 1);
    let user = common::TestUser {
        login,
        password,
        profile_id: first.profile_id,
    };
    let session = db.session(&user).await;
    assert_eq!(session.memberships().len(), 1);
    assert_eq!(session.memberships()[0].role, common::role("manager"));
}

#[tokio::test]
async fn the_same_person_can_join_a_second_org() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    db.org("Globex").await;
    let user = db.user("Acme", "rep").await;
    let added = add(&db, "Globex", &user.login, "admin", None)
        .await
        .expect("join Globex");
    assert!(added.login_existed);
    assert_eq!(added.profile_id, user.profile_id);
    assert_eq!(
        memberships(&db, user.profile_id).await,
        [
            ("Acme".to_owned(), "rep".to_owned()),
            ("Globex".to_owned(), "admin".to_owned())
        ]
    );
    let session = db.session(&user).await;
    let roles: Vec<(String, &str)> = session
        .memberships()
        .iter()
        .map(|m| (m.organization_name.clone(), m.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        [("Acme".to_owned(), "rep"), ("Globex".to_owned(), "admin")]
    );
}

#[tokio::test]
async fn unknown_roles_are_rejected() {
    for bad in ["owner", "Admin", "", "rep ", "superuser", "closer_owner"] {
        assert!(
            admin::parse_role(bad).is_err(),
            "{bad:?} accepted as a role"
        );
    }
    for good in ["rep", "manager", "admin"] {
        assert_eq!(
            admin::parse_role(good).expect("a known role").as_str(),
            good
        );
    }
}

#[tokio::test]
async fn invalid_login_names_are_rejected_and_create_nothing() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let too_long = "a".repeat(64);
    for login in [
        "Robert'); DROP TABLE leads; --",
        "Robert'); DROP",
        "pg_x",
        "pg_signal_backend",
        "closer_owner",
        "closer_x",
        "",
        "1abc",
        "UPPER",
        "a-b",
        "a b",
        "évé",
        "x\"y",
        too_long.as_str(),
    ] {
        assert!(
            admin::validate_login(login).is_err(),
            "{login:?} accepted by validate_login"
        );
        let result = add(&db, "Acme", login, "rep", None).await;
        assert!(result.is_err(), "{login:?} accepted by add_user");
    }
    assert_eq!(db.admin_count("profiles", "true").await, 0);
    assert_eq!(
        db.admin_count("leads", "true").await,
        0,
        "the injection did nothing"
    );
    assert!(!role_exists(&db, "Robert'); DROP").await);
    assert!(admin::validate_login(&"a".repeat(63)).is_ok());
}

#[tokio::test]
async fn generated_passwords_are_long_and_work() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let user = db.user("Acme", "rep").await;
    assert!(
        user.password.len() >= 20,
        "generated password of {} chars",
        user.password.len()
    );
    assert!(user.password.chars().all(|c| c.is_ascii_alphanumeric()));
    let other = db.user("Acme", "rep").await;
    assert_ne!(user.password, other.password);
    let session = db.session(&user).await;
    assert_eq!(session.me().profile_id, user.profile_id);
    assert_eq!(session.me().email, format!("{}@example.com", user.login));
    let stored: Option<String> =
        sqlx::query_scalar("select rolpassword from pg_authid where rolname = $1")
            .bind(&user.login)
            .fetch_one(&db.admin)
            .await
            .expect("read pg_authid");
    assert!(
        stored
            .as_deref()
            .is_some_and(|p| p.starts_with("SCRAM-SHA-256$")),
        "the password is stored as a SCRAM verifier"
    );
}

#[tokio::test]
async fn chosen_passwords_must_be_long_enough() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let login = unique_login("short");
    assert!(
        add(&db, "Acme", &login, "rep", Some("short"))
            .await
            .is_err()
    );
    assert!(!role_exists(&db, &login).await);
    let added = add(&db, "Acme", &login, "rep", Some("long enough pass"))
        .await
        .expect("add");
    assert_eq!(added.password.as_deref(), Some("long enough pass"));
}

/// A role that already exists outside Closer, or a superuser, never becomes a Closer user.
#[tokio::test]
async fn existing_foreign_roles_and_superusers_are_refused() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let legacy = unique_login("legacy");
    let root = unique_login("root");
    let bypass = unique_login("bypass");
    for (login, attributes) in [
        (&legacy, "LOGIN"),
        (&root, "LOGIN SUPERUSER"),
        (&bypass, "LOGIN BYPASSRLS"),
    ] {
        sqlx::query(AssertSqlSafe(format!(
            "CREATE ROLE {login} {attributes} PASSWORD 'some-password-1'"
        )))
        .execute(&db.admin)
        .await
        .expect("create a role by hand");
        assert!(
            add(&db, "Acme", login, "rep", None).await.is_err(),
            "{login} ({attributes}) was accepted"
        );
        // pg_has_role is always true for a superuser: look at the grants themselves.
        let member: bool = sqlx::query_scalar(
            "select exists(select 1 from pg_auth_members
                           where member = $1::regrole and roleid = 'closer_member'::regrole)",
        )
        .bind(login)
        .fetch_one(&db.admin)
        .await
        .expect("read membership");
        assert!(!member, "{login} was granted closer_member");
    }
    assert_eq!(db.admin_count("profiles", "true").await, 0);
}

#[tokio::test]
async fn remove_user_of_a_non_member_fails() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    db.org("Globex").await;
    let user = db.user("Acme", "rep").await;
    assert!(
        admin::remove_user(&db.admin, "Globex", &user.login)
            .await
            .is_err()
    );
    assert!(
        admin::remove_user(&db.admin, "Nobody Inc", &user.login)
            .await
            .is_err()
    );
    assert!(
        admin::remove_user(&db.admin, "Acme", "pg_monitor")
            .await
            .is_err()
    );
    assert!(
        db.try_session(&user).await.is_ok(),
        "the member still logs in"
    );
}

#[tokio::test]
async fn a_removed_person_added_again_logs_in_with_their_password() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let user = db.user("Acme", "rep").await;
    assert!(
        db.remove(&user, "Acme").await,
        "the last organization: login disabled"
    );
    assert!(matches!(
        db.try_session(&user).await,
        Err(DataError::Authentication)
    ));
    let again = add(&db, "Acme", &user.login, "rep", None)
        .await
        .expect("add again");
    assert!(again.login_existed);
    assert_eq!(again.profile_id, user.profile_id);
    let session = db.session(&user).await;
    assert_eq!(session.memberships().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Session::connect errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_wrong_password_is_an_authentication_error() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let mut user = db.user("Acme", "rep").await;
    user.password.push('x');
    let result = db.try_session(&user).await;
    assert!(
        matches!(result, Err(DataError::Authentication)),
        "{:?}",
        result.err()
    );
    let unknown = common::TestUser {
        login: unique_login("nobody"),
        password: "whatever-password".into(),
        profile_id: Uuid::nil(),
    };
    let result = db.try_session(&unknown).await;
    assert!(
        matches!(result, Err(DataError::Authentication)),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    let empty = tempfile::tempdir().expect("a socket directory without a server");
    let options = sqlx::postgres::PgConnectOptions::new_without_pgpass()
        .socket(empty.path())
        .port(5999)
        .username("rep")
        .password("secret-password")
        .database("closer");
    let started = std::time::Instant::now();
    let result = closer::data::store::Session::connect(options, 15_000).await;
    assert!(
        matches!(result, Err(DataError::Connection(_))),
        "{:?}",
        result.err()
    );
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
    let message = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        !message.contains("secret-password"),
        "the password leaked into {message:?}"
    );
}

#[tokio::test]
async fn a_database_without_migrations_is_reported_as_not_migrated() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let user = db.user("Acme", "rep").await;
    let empty = TestDb::unmigrated_on(db.cluster.clone()).await;
    let options = db
        .cluster
        .login_options(&empty.database, &user.login, &user.password);
    let result = closer::data::store::Session::connect(options, 15_000).await;
    assert!(
        matches!(result, Err(DataError::NotMigrated)),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn a_login_without_membership_is_reported_as_such() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    // A profile whose memberships were deleted behind Closer's back (the login still works).
    let user = db.user("Acme", "rep").await;
    sqlx::query("delete from organization_members where profile_id = $1")
        .bind(user.profile_id)
        .execute(&db.admin)
        .await
        .expect("delete the membership");
    let result = db.try_session(&user).await;
    assert!(
        matches!(result, Err(DataError::NoMembership)),
        "{:?}",
        result.err()
    );
    // A login in the member group without any profile.
    let ghost = common::TestUser {
        login: unique_login("ghost"),
        password: admin::generate_password(),
        profile_id: Uuid::nil(),
    };
    sqlx::query(AssertSqlSafe(format!(
        "CREATE ROLE {} LOGIN PASSWORD '{}' IN ROLE closer_member",
        ghost.login, ghost.password
    )))
    .execute(&db.admin)
    .await
    .expect("create a bare login");
    let result = db.try_session(&ghost).await;
    assert!(
        matches!(result, Err(DataError::NoMembership)),
        "{:?}",
        result.err()
    );
}

#[tokio::test]
async fn sessions_set_server_side_timeouts() {
    let db = TestDb::new().await;
    db.org("Acme").await;
    let user = db.user("Acme", "rep").await;
    let session = db.session(&user).await;
    let settings: (String, String, String, String) = sqlx::query_as(
        "select current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout'),
                current_setting('application_name'), current_setting('jit')",
    )
    .fetch_one(session.pool())
    .await
    .expect("read settings");
    assert_eq!((settings.0.as_str(), settings.1.as_str()), ("15s", "30s"));
    // No JIT whatever the server's default: a generic plan of a column page at 1M leads is
    // costed for a tenth of the stage, passed `jit_above_cost` and compiled for 0.6 s a page.
    assert_eq!(settings.3, "off");
    assert!(
        settings.2.starts_with("closer"),
        "application_name {:?}",
        settings.2
    );
}

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

/// Stages whose summary differs from a recount.
async fn summary_mismatches(db: &TestDb, org: Uuid) -> Vec<String> {
    sqlx::query_scalar(
        "with expected as (
             select s.id, s.name,
                    (select count(*) from leads l where l.organization_id = s.organization_id and l.stage_id = s.id) as leads,
                    coalesce((select sum(d.amount) from deals d join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
                              where l.organization_id = s.organization_id and l.stage_id = s.id and d.status = 'open'
                                and d.currency = (select o.currency from organizations o where o.id = s.organization_id)), 0)::numeric(18, 2) as amount
             from pipeline_stages s where s.organization_id = $1
         )
         select format('%s: %s leads (summary %s), %s open (summary %s)', e.name, e.leads, coalesce(ss.lead_count, 0),
                       e.amount, coalesce(ss.open_deal_amount, 0))
         from expected e left join stage_summaries ss on ss.organization_id = $1 and ss.stage_id = e.id
         where e.leads <> coalesce(ss.lead_count, 0) or e.amount <> coalesce(ss.open_deal_amount, 0)",
    )
    .bind(org)
    .fetch_all(&db.admin)
    .await
    .expect("recount the board")
}

async fn scalar(db: &TestDb, sql: &'static str, org: Uuid) -> i64 {
    sqlx::query_scalar(sql)
        .bind(org)
        .fetch_one(&db.admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn seed_produces_a_complete_consistent_organization() {
    let db = TestDb::new().await;
    let org = db.org("Seeded").await;
    let rep = db.user("Seeded", "rep").await;
    db.user("Seeded", "manager").await;
    let report = closer::db::seed::seed(&db.admin, org, 500, 7)
        .await
        .expect("seed");
    assert_eq!(report.leads, 500);
    assert_eq!(
        scalar(
            &db,
            "select count(*) from leads where organization_id = $1",
            org
        )
        .await,
        500
    );
    assert_eq!(
        scalar(
            &db,
            "select count(*) from leads l where organization_id = $1
             and not exists (select 1 from lead_profiles p where p.organization_id = l.organization_id and p.lead_id = l.id)",
            org
        )
        .await,
        0,
        "every lead has a profile"
    );
    for (what, sql) in [
        (
            "interactions",
            "select count(*) from lead_interactions where organization_id = $1",
        ),
        (
            "tasks",
            "select count(*) from lead_tasks where organization_id = $1",
        ),
        (
            "overdue tasks",
            "select count(*) from lead_tasks where organization_id = $1 and status <> 'completed' and due_date < current_date",
        ),
        (
            "tasks due today",
            "select count(*) from lead_tasks where organization_id = $1 and status <> 'completed' and due_date = current_date",
        ),
        (
            "tags",
            "select count(*) from lead_tags where organization_id = $1",
        ),
        (
            "documents",
            "select count(*) from lead_documents where organization_id = $1",
        ),
        (
            "deals",
            "select count(*) from deals where organization_id = $1",
        ),
        (
            "open deals",
            "select count(*) from deals where organization_id = $1 and status = 'open'",
        ),
        (
            "activities",
            "select count(*) from lead_activities where organization_id = $1",
        ),
    ] {
        let n = scalar(&db, sql, org).await;
        assert!(n > 0, "the seed made no {what}");
    }
    assert_eq!(
        scalar(
            &db,
            "select count(*) from leads where organization_id = $1 and assigned_to is null",
            org
        )
        .await,
        0,
        "every lead is assigned to a member"
    );
    assert_eq!(
        scalar(&db, "select coalesce(sum(lead_count), 0)::bigint from stage_summaries where organization_id = $1", org).await,
        500
    );
    let mismatches = summary_mismatches(&db, org).await;
    assert!(
        mismatches.is_empty(),
        "summaries disagree with the rows: {mismatches:?}"
    );
    // The seeded rows are readable through a rep's session.
    let session = db.session(&rep).await;
    let store = session.open(org).expect("member of Seeded");
    let pipeline = db.default_pipeline(org).await;
    let columns = store
        .stage_summaries(pipeline)
        .await
        .expect("read summaries as the rep");
    assert_eq!(columns.values().map(|s| s.lead_count).sum::<i64>(), 500);
    let overdue = store.overdue_task_count().await.expect("overdue tasks");
    assert!(overdue >= 0);
}

#[tokio::test]
async fn seeding_is_deterministic_and_applies_once_per_org() {
    let db = TestDb::new().await;
    let first = db.org("First").await;
    let second = db.org("Second").await;
    db.user("First", "rep").await;
    db.user("Second", "rep").await;
    closer::db::seed::seed(&db.admin, first, 200, 7)
        .await
        .expect("seed First");
    closer::db::seed::seed(&db.admin, second, 200, 7)
        .await
        .expect("seed Second");
    let names = |org: Uuid| {
        let pool = db.admin.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "select name from leads where organization_id = $1 order by external_lead_id",
            )
            .bind(org)
            .fetch_all(&pool)
            .await
            .expect("read lead names")
        }
    };
    let (a, b) = (names(first).await, names(second).await);
    assert_eq!(a.len(), 200);
    assert_eq!(a, b, "the same seed gives the same names in the same order");
    assert!(
        closer::db::seed::seed(&db.admin, first, 10, 7)
            .await
            .is_err(),
        "the same seed twice in one organization is refused"
    );
    let other_seed = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(db.cluster.superuser_options(&db.database))
        .await
        .expect("a second admin pool");
    closer::db::seed::seed(&other_seed, first, 50, 8)
        .await
        .expect("another seed adds leads");
    assert_eq!(
        scalar(
            &db,
            "select count(*) from leads where organization_id = $1",
            first
        )
        .await,
        250
    );
}

/// Type-ahead search runs as `closer_search` (so trigram indexes apply under RLS) and still
/// returns only the caller's organization.
#[tokio::test]
async fn search_is_owned_by_the_search_role_and_stays_inside_the_org() {
    let db = TestDb::new().await;
    let org_a = db.org("Search A").await;
    let org_b = db.org("Search B").await;
    let rep = db.user("Search A", "rep").await;
    db.lead(org_a, "Zanzibar Quill").await;
    db.lead(org_b, "Zanzibar Secret").await;
    let owner: String = sqlx::query_scalar(
        "select pg_get_userbyid(proowner)::text from pg_proc where proname = 'search_leads'",
    )
    .fetch_one(&db.admin)
    .await
    .expect("function");
    assert_eq!(owner, "closer_search");
    let store = db.session(&rep).await.open(org_a).expect("member");
    let hits = store.search_leads("zanz".into(), 20).await.expect("search");
    assert_eq!(
        hits.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        ["Zanzibar Quill"]
    );
    let pool = db.login(&rep).await;
    let leaked: i64 =
        sqlx::query_scalar("select count(*) from closer.search_leads($1, 'zanz', 20)")
            .bind(org_b)
            .fetch_one(&pool)
            .await
            .expect("call with another org's id");
    assert_eq!(leaked, 0, "another organization's id returns nothing");
}

#[tokio::test]
async fn an_organization_can_live_in_a_database_of_its_own() {
    let shared = TestDb::new().await;
    shared.org("Shared Co").await;
    let database = format!("closer_own_{}", common::random_suffix(10));
    let created = {
        let _guard = common::migration_guard().await;
        admin::create_org_database(
            &shared.admin,
            shared.cluster.superuser_options("postgres"),
            &database,
            "Own Co",
        )
        .await
        .expect("create_org_database")
    };
    assert!(matches!(created, Created::New(_)));
    let own = TestDb {
        cluster: shared.cluster.clone(),
        database: database.clone(),
        admin: PgPoolOptions::new()
            .max_connections(2)
            .connect_with(shared.cluster.superuser_options(&database))
            .await
            .expect("connect to the organization's database"),
    };
    assert!(admin::is_migrated(&own.admin).await.expect("is_migrated"));
    assert_eq!(
        schema_fingerprint(&own.admin).await.len(),
        schema_fingerprint(&shared.admin).await.len(),
        "the same migrations"
    );
    let shared_orgs: Vec<String> = sqlx::query_scalar("select name from organizations")
        .fetch_all(&shared.admin)
        .await
        .expect("read organizations");
    assert!(!shared_orgs.contains(&"Own Co".to_owned()));

    // A rep of the own database works there through the TUI's data layer…
    let rep = own.user("Own Co", "rep").await;
    let session = own.session(&rep).await;
    let names: Vec<&str> = session
        .memberships()
        .iter()
        .map(|m| m.organization_name.as_str())
        .collect();
    assert_eq!(names, ["Own Co"]);
    // …and cannot even connect to the shared database (nor the shared rep to the own one).
    assert!(shared.try_session(&rep).await.is_err());
    let shared_rep = shared.user("Shared Co", "rep").await;
    assert!(own.try_session(&shared_rep).await.is_err());

    // Running it again changes nothing.
    let again = {
        let _guard = common::migration_guard().await;
        admin::create_org_database(
            &shared.admin,
            shared.cluster.superuser_options("postgres"),
            &database,
            "Own Co",
        )
        .await
        .expect("create_org_database again")
    };
    assert!(matches!(again, Created::Existing(_)));
    // Names a shell or SQL could misread are refused before anything is created.
    for bad in ["", "Own", "own-db", "1own", "own;drop"] {
        assert!(
            admin::create_org_database(
                &shared.admin,
                shared.cluster.superuser_options("postgres"),
                bad,
                "X"
            )
            .await
            .is_err(),
            "{bad:?} must be refused"
        );
    }
}
