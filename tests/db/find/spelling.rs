//! The spelling tier (migration 0062): a word one edit or one swap of neighbours away from a word
//! of the organization's names finds those names; the dictionary learns new and renamed leads,
//! holds each organization's words apart, and no member can read it.

use super::common::{TestDb, sqlstate};
use super::search::{lead, names};
use super::store_of;

/// (name, where it matched) of every hit that came through the spelling tier.
fn spelled(hits: &[(String, String)]) -> Vec<&str> {
    hits.iter()
        .filter(|(_, matched)| matched.starts_with("name (spelling)"))
        .map(|(name, _)| name.as_str())
        .collect()
}

#[tokio::test]
async fn one_typo_or_swap_finds_the_organizations_names_and_only_those() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    let other = db.org("Globex").await;
    lead(&db, org, "Jürgen Müller", None, None).await;
    lead(&db, org, "Amara Okafor", None, None).await;
    let renamed = lead(&db, org, "Placeholder Person", None, None).await;
    lead(&db, other, "Zebediah Quackenbush", None, None).await;
    let store = store_of(&db, &rep, org).await;

    for (query, name) in [
        ("mulelr", "Jürgen Müller"),  // two neighbours swapped
        ("muler", "Jürgen Müller"),   // a letter left out
        ("mueller", "Jürgen Müller"), // one letter too many
        ("okafro", "Amara Okafor"),
        ("amarra okafro", "Amara Okafor"), // every word may carry its own typo
        ("jurgen mulelr", "Jürgen Müller"),
    ] {
        let hits = names(&store, query).await;
        assert_eq!(spelled(&hits), vec![name], "{query:?}: {hits:?}");
    }
    // Two edits away, or a word no lead has: nothing.
    for query in ["mullerxx", "xylophone", "okaforre"] {
        let hits = names(&store, query).await;
        assert!(hits.is_empty(), "{query:?}: {hits:?}");
    }

    // A rename and a new lead are learnt at once.
    sqlx::query("update leads set name = 'Quentin Blackwood' where id = $1")
        .bind(renamed)
        .execute(&db.admin)
        .await
        .expect("rename");
    lead(&db, org, "Ingrid Sørensen 4711", None, None).await;
    let hits = names(&store, "blackwod").await;
    assert_eq!(spelled(&hits), vec!["Quentin Blackwood"], "{hits:?}");
    let hits = names(&store, "sorensne").await;
    assert_eq!(spelled(&hits), vec!["Ingrid Sørensen 4711"], "{hits:?}");

    // Another organization's words correct nothing here, and are not in this one's dictionary.
    assert!(names(&store, "quackenbsh").await.is_empty());
    let words: Vec<String> = sqlx::query_scalar(
        "select word from closer_find.name_words where organization_id = $1 order by word",
    )
    .bind(org)
    .fetch_all(&db.admin)
    .await
    .expect("read the dictionary");
    assert!(words.contains(&"blackwood".to_string()), "{words:?}");
    assert!(words.contains(&"muller".to_string()), "{words:?}");
    assert!(!words.contains(&"quackenbush".to_string()), "{words:?}");
    // Numbers are no name words (an import's "Ada Lovelace 4711" would add one per row).
    assert!(!words.contains(&"4711".to_string()), "{words:?}");

    // The inbox's lead picker asks for 8 hits: the same answers.
    let hits = store.find_leads("okafro", 8).await.expect("8 hits");
    assert_eq!(
        hits.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        vec!["Amara Okafor"]
    );
}

#[tokio::test]
async fn members_cannot_read_or_probe_the_dictionary() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    let rep = db.user("Acme", "rep").await;
    lead(&db, org, "Jürgen Müller", None, None).await;
    let mut conn = db.connect(&rep).await;
    for probe in [
        "select word from closer_find.name_words",
        "select closer_find.one_edit('muller')",
        "select closer_find.name_words_of('Jürgen Müller')",
        "explain select 1 from closer_find.name_words where word = 'muller'",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(probe))
            .execute(&mut conn)
            .await
            .expect_err(probe);
        assert_eq!(sqlstate(&err).as_deref(), Some("42501"), "{probe}: {err}");
    }
}

#[tokio::test]
async fn a_seeded_organization_has_its_names_words() {
    let db = TestDb::new().await;
    let org = db.org("Seeded").await;
    closer::db::seed::seed(&db.admin, org, 300, 7)
        .await
        .expect("seed");
    // Every word of every seeded name, as the insert trigger would have written them.
    let missing: i64 = sqlx::query_scalar(
        "select count(*) from (select distinct w.w from leads l
                                 cross join lateral closer_find.name_words_of(l.name) w(w)
                               where l.organization_id = $1) n
         where not exists (select 1 from closer_find.name_words x where x.organization_id = $1 and x.word = n.w)",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("compare");
    let words: i64 = sqlx::query_scalar(
        "select count(*) from closer_find.name_words where organization_id = $1",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("count");
    assert_eq!(missing, 0);
    assert!(words > 10, "{words} words");
}
