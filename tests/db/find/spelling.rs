//! The spelling tier (migration 0062): a word one edit or one swap of neighbours away from a word
//! of the organization's names finds those names; the dictionary learns new and renamed leads,
//! holds each organization's words apart, and no member can read it.

use super::common::{TestDb, sqlstate};
use super::search::{lead, names};
use super::store_of;
use sqlx::AssertSqlSafe;

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

/// The dictionary probe computes the typed word's edits once per search, whatever plan the
/// session would cache (0065). Under a generic plan (PL/pgSQL's choice from a session's sixth
/// search on) `word = ANY (closer_find.one_edit(typed))` was a filter that computed every edit of
/// the typed word again for each word of the organization's dictionary. Counted by PostgreSQL:
/// `track_functions = all` for the rep (which also keeps the SQL function from being inlined).
#[tokio::test]
async fn a_search_computes_its_edits_once_even_where_generic_plans_are_forced() {
    let db = TestDb::new().await;
    let org = db.org("Wordy").await;
    let rep = db.user("Wordy", "rep").await;
    let stage = db.first_stage(org).await;
    // 400 distinct name words ("Lead 1a2b3c4d" …).
    sqlx::query(
        "insert into leads (organization_id, stage_id, name)
         select $1, $2, 'Lead ' || substr(md5(n::text), 1, 8) from generate_series(1, 400) n",
    )
    .bind(org)
    .bind(stage)
    .execute(&db.admin)
    .await
    .expect("leads with many name words");
    sqlx::query(AssertSqlSafe(format!(
        "alter role \"{}\" set track_functions = 'all'",
        rep.login
    )))
    .execute(&db.admin)
    .await
    .expect("count the rep's function calls");
    let one_edit: i64 =
        sqlx::query_scalar("select 'closer_find.one_edit(text)'::regprocedure::oid::bigint")
            .fetch_one(&db.admin)
            .await
            .expect("the edits function");
    assert!(
        crate::hot_rows::function_settings(&db, "closer.find_leads(uuid, text, integer)")
            .await
            .iter()
            .any(|c| c == "plan_cache_mode=force_custom_plan"),
        "find_leads plans each call for its values"
    );
    let pool = db.login(&rep).await;
    let mut tx = pool.begin().await.expect("a transaction");
    sqlx::query("set local plan_cache_mode = force_generic_plan")
        .execute(&mut *tx)
        .await
        .expect("generic plans for this session's statements");
    for _ in 0..3 {
        let hits: i64 =
            sqlx::query_scalar("select count(*) from closer.find_leads($1, 'qwertzu', 20)")
                .bind(org)
                .fetch_one(&mut *tx)
                .await
                .expect("a search");
        assert_eq!(hits, 0);
    }
    let calls: i64 =
        sqlx::query_scalar("select coalesce(pg_stat_get_xact_function_calls($1::oid), 0)")
            .bind(one_edit)
            .fetch_one(&mut *tx)
            .await
            .expect("this transaction's calls of one_edit");
    tx.rollback().await.expect("rollback");
    // Folded into the plan once per statement (or evaluated once per scan), never per word.
    assert!(
        calls <= 6,
        "{calls} computations of one word's edits for three searches (400 dictionary words)"
    );
}

/// A name's words are split inline (0067): `name_words_of` was STRICT, which kept PostgreSQL from
/// inlining it, so the dictionary trigger ran a function executor per imported lead. A null name
/// still has no words.
#[tokio::test]
async fn name_words_are_split_inline() {
    let db = TestDb::new().await;
    let plan: Vec<String> = sqlx::query_scalar(
        "explain select count(*) from unnest(array['Jürgen Müller', null, 'Ada Lovelace 4711']) n(name)
                 cross join lateral closer_find.name_words_of(n.name) w(w)",
    )
    .fetch_all(&db.admin)
    .await
    .expect("explain");
    let plan = plan.join("\n");
    assert!(!plan.contains("name_words_of"), "{plan}");
    assert!(plan.contains("regexp_split_to_table"), "{plan}");
    let words: Vec<String> = sqlx::query_scalar(
        "select w from unnest(array['Jürgen Müller', null, 'Ada Lovelace 4711']) with ordinality n(name, i)
                 cross join lateral closer_find.name_words_of(n.name) w(w) order by n.i, w",
    )
    .fetch_all(&db.admin)
    .await
    .expect("split");
    assert_eq!(words, ["jurgen", "muller", "ada", "lovelace"]);
}
