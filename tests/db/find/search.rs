//! Search: what people type finds what they mean, hostile text is just text, and nothing of
//! another organization is found or probeable through the new indexes.

use super::common::{TestDb, TestUser, sqlstate};
use super::store_of;
use closer::data::PgStore;
use uuid::Uuid;

struct Leads {
    db: TestDb,
    store: PgStore,
    rep: TestUser,
    org_b: Uuid,
}

pub(super) async fn lead(
    db: &TestDb,
    org: Uuid,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
) -> Uuid {
    let stage = db.first_stage(org).await;
    sqlx::query_scalar(
        "insert into leads (organization_id, stage_id, name, email, phone) values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(org)
    .bind(stage)
    .bind(name)
    .bind(email)
    .bind(phone)
    .fetch_one(&db.admin)
    .await
    .expect("insert a lead")
}

async fn exec(db: &TestDb, sql: &str, org: Uuid, lead: Uuid, text: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(org)
        .bind(lead)
        .bind(text)
        .execute(&db.admin)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn leads() -> Leads {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    let org_b = db.org("Globex").await;
    for i in 0..30 {
        lead(&db, org, &format!("Filler Person {i}"), None, None).await;
    }
    lead(&db, org, "Jürgen Müller", Some("jm@example.com"), None).await;
    lead(&db, org, "Olivia Reyes", None, Some("+49 (30) 1234-5678")).await;
    lead(&db, org, "Zoë García", Some("ana.obrien@example.com"), None).await;
    let company = lead(&db, org, "Hans Weber", None, None).await;
    exec(&db, "insert into lead_profiles (organization_id, lead_id, company) values ($1, $2, $3) on conflict (organization_id, lead_id) do update set company = excluded.company", org, company, "Müller & Söhne GmbH").await;
    let tagged = lead(&db, org, "Tina Tag", None, None).await;
    exec(
        &db,
        "insert into lead_tags (organization_id, lead_id, tag) values ($1, $2, $3)",
        org,
        tagged,
        "Stammkunde",
    )
    .await;
    let noted = lead(&db, org, "Nora Note", None, None).await;
    exec(&db, "insert into lead_interactions (organization_id, lead_id, type, subject, content) values ($1, $2, 'call', 'Visit', $3)",
        org, noted, "We discussed the rooftop terrace financing at length.").await;
    let tasked = lead(&db, org, "Theo Task", None, None).await;
    exec(&db, "insert into lead_tasks (organization_id, lead_id, title, description) values ($1, $2, 'Prepare', $3)",
        org, tasked, "Send the floor plans for the Kreuzberg loft").await;
    // Another organization with the same names and a secret.
    lead(&db, org_b, "Jürgen Müller of Globex", None, None).await;
    let secret = lead(&db, org_b, "Secretive Rooftop", None, None).await;
    exec(&db, "insert into lead_interactions (organization_id, lead_id, type, content) values ($1, $2, 'note', $3)",
        org_b, secret, "rooftop terrace merger codename bluebird").await;
    let store = store_of(&db, &rep, org).await;
    Leads {
        db,
        store,
        rep,
        org_b,
    }
}

pub(super) async fn names(store: &PgStore, query: &str) -> Vec<(String, String)> {
    store
        .find_leads(query, 20)
        .await
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
        .into_iter()
        .map(|h| {
            (
                h.name,
                format!("{}: {}", h.matched, h.snippet.unwrap_or_default()),
            )
        })
        .collect()
}

async fn finds(store: &PgStore, query: &str, name: &str) -> String {
    let hits = names(store, query).await;
    hits.iter()
        .find(|(n, _)| n == name)
        .map(|(_, w)| w.clone())
        .unwrap_or_else(|| panic!("{query:?} should find {name:?}, found {hits:?}"))
}

#[tokio::test]
async fn search_finds_what_people_type() {
    let l = leads().await;
    let s = &l.store;
    for (query, name) in [
        ("muller", "Jürgen Müller"),
        ("MÜLLER", "Jürgen Müller"),
        ("jurgen", "Jürgen Müller"),
        ("garcia", "Zoë García"),
        ("Zoe", "Zoë García"),
        ("reyes olivia", "Olivia Reyes"),
        ("olivia reyes", "Olivia Reyes"),
        ("olvia", "Olivia Reyes"),
        ("garsia", "Zoë García"),
        ("mueller", "Jürgen Müller"),
    ] {
        finds(s, query, name).await;
    }
    assert!(
        finds(s, "sohne", "Hans Weber")
            .await
            .starts_with("company: Müller & Söhne")
    );
    assert!(
        finds(s, "obrien@", "Zoë García")
            .await
            .starts_with("e-mail")
    );
    assert!(
        finds(s, "1234 5678", "Olivia Reyes")
            .await
            .starts_with("phone")
    );
    assert!(
        finds(s, "49301234", "Olivia Reyes")
            .await
            .starts_with("phone")
    );
    assert!(finds(s, "stammk", "Tina Tag").await.starts_with("tag"));
    let note = finds(s, "terrace rooftop", "Nora Note").await;
    assert!(
        note.starts_with("call:") && note.contains("«rooftop»"),
        "{note}"
    );
    assert!(
        finds(s, "floor plans", "Theo Task")
            .await
            .starts_with("task:")
    );
    // A name that starts with the query ranks before names and notes that merely contain it.
    let hits = names(s, "mul").await;
    assert_eq!(
        hits.first().map(|h| h.0.as_str()),
        Some("Jürgen Müller"),
        "{hits:?}"
    );
    // A one-typo name does not pull in unrelated leads.
    assert!(names(s, "xylophone").await.is_empty());
}

/// Words in another order are name prefixes too (migration 0033): a page full of them comes
/// in name order without the name-contains tier, and three words work in any order.
#[tokio::test]
async fn reordered_words_find_names_by_their_prefix() {
    let l = leads().await;
    let org = l.store.organization_id();
    for i in 0..25 {
        lead(&l.db, org, &format!("Ana Lopez {i:02}"), None, None).await;
    }
    lead(&l.db, org, "Zed Lopez Ana", None, None).await;
    let hits = names(&l.store, "lopez ana").await;
    let expected: Vec<String> = (0..20).map(|i| format!("Ana Lopez {i:02}")).collect();
    assert_eq!(
        hits.iter().map(|h| h.0.clone()).collect::<Vec<_>>(),
        expected,
        "{hits:?}"
    );
    let hits = names(&l.store, "07 lopez ana").await;
    assert_eq!(
        hits.first().map(|h| h.0.as_str()),
        Some("Ana Lopez 07"),
        "{hits:?}"
    );
    // With room left on the page, names merely containing the words still come.
    finds(&l.store, "olivia reyes", "Olivia Reyes").await;
    let hits = names(&l.store, "lopez zed").await;
    assert_eq!(
        hits.first().map(|h| h.0.as_str()),
        Some("Zed Lopez Ana"),
        "{hits:?}"
    );
}

#[tokio::test]
async fn hostile_text_is_just_text() {
    let l = leads().await;
    let long = "ü%_'\\\"".repeat(2_000);
    for query in [
        "%",
        "_",
        "%%",
        "'",
        "''",
        "\\",
        "\\%",
        "\"",
        "o'brien",
        "%muller%",
        "a_b",
        "'); drop table leads; --",
        "%s %1$s",
        long.as_str(),
        "\u{0}",
    ] {
        let hits = l
            .store
            .find_leads(query, 20)
            .await
            .unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert!(
            hits.iter().all(|h| !h.name.starts_with("Filler")),
            "{query:?} matched everything: {hits:?}"
        );
    }
    assert_eq!(
        l.db.admin_count("leads", "true").await,
        39,
        "nothing was dropped"
    );
}

#[tokio::test]
async fn search_stays_inside_the_organization_and_its_indexes_are_not_an_oracle() {
    let l = leads().await;
    let s = &l.store;
    for query in ["globex", "secretive", "bluebird", "codename", "merger"] {
        assert!(
            names(s, query).await.is_empty(),
            "{query:?} reached another organization"
        );
    }
    assert_eq!(
        names(s, "muller").await.len(),
        2,
        "Müller and the company, not Globex's"
    );
    // Naming the other organization is refused quietly.
    let mut conn = l.db.connect(&l.rep).await;
    let n: i64 = sqlx::query_scalar("select count(*) from closer.find_leads($1, 'muller', 20)")
        .bind(l.org_b)
        .fetch_one(&mut conn)
        .await
        .expect("call with another org");
    assert_eq!(n, 0);
    // The search indexes are on expressions a member cannot even name: no EXPLAIN probe.
    for probe in [
        "explain select 1 from leads where closer_find.fold(name) like 'secret%'",
        "explain select 1 from lead_interactions where closer_find.doc(subject, content) @@ 'bluebird'::tsquery",
        "select closer_find.unaccent('x')",
        "select closer_find.levenshtein('a', 'b')",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(probe))
            .execute(&mut conn)
            .await
            .expect_err(probe);
        assert_eq!(sqlstate(&err).as_deref(), Some("42501"), "{probe}: {err}");
    }
    // Nor do their statistics show folded values.
    let stats: i64 = sqlx::query_scalar(
        "select count(*) from pg_stats where tablename like '%find%' or schemaname = 'closer_find'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("pg_stats");
    assert_eq!(stats, 0);
}
