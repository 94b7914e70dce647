//! Saved views under RLS: private views are the owner's alone, a manager's shared view is
//! visible to the organization and read-only for everyone else, nothing crosses organizations.

use super::common::{TestDb, sqlstate};
use super::store_of;
use closer::data::models::BoardSort;
use closer::filter;

#[tokio::test]
async fn private_views_are_private_and_shared_ones_read_only() {
    let db = TestDb::new().await;
    let org = db.org("Acme").await;
    db.org("Globex").await;
    let rep = db.user("Acme", "rep").await;
    let other_rep = db.user("Acme", "rep").await;
    let manager = db.user("Acme", "manager").await;
    let outsider = db.user("Globex", "manager").await;
    let (rep_s, other_s, mgr_s) = (
        store_of(&db, &rep, org).await,
        store_of(&db, &other_rep, org).await,
        store_of(&db, &manager, org).await,
    );
    let mine = filter::parse("mine rotting tag:vip").expect("parses");
    let private = rep_s
        .save_view("My rotting VIPs", &mine, BoardSort::LastContact, true, None)
        .await
        .expect("a rep saves a view");
    // Saving under the same name overwrites.
    let again = rep_s
        .save_view(
            "My rotting VIPs",
            &filter::parse("mine rotting").expect("parses"),
            BoardSort::Score,
            false,
            None,
        )
        .await
        .expect("save again");
    assert_eq!(private, again);
    let views = rep_s.saved_views().await.expect("read own views");
    assert_eq!(views.len(), 1);
    assert_eq!(
        (
            views[0].filter.as_str(),
            views[0].sort,
            views[0].descending,
            views[0].mine
        ),
        ("mine rotting", BoardSort::Score, false, true)
    );

    // Another rep of the same organization sees nothing of it and cannot touch it.
    assert!(other_s.saved_views().await.expect("read").is_empty());
    assert!(!other_s.rename_view(private, "Stolen").await.expect("call"));
    assert!(!other_s.delete_view(private).await.expect("call"));
    assert!(!other_s.set_default_view(Some(private)).await.expect("call"));

    // A rep cannot share; a manager shares their own view, read-only for the others.
    let err = rep_s
        .share_view(private, true)
        .await
        .expect_err("reps do not share");
    assert!(err.to_string().contains("not allowed"), "{err}");
    let team = mgr_s
        .save_view(
            "Team overdue",
            &filter::parse("overdue").expect("parses"),
            BoardSort::Score,
            true,
            None,
        )
        .await
        .expect("a manager saves a view");
    assert!(mgr_s.share_view(team, true).await.expect("share"));
    for store in [&rep_s, &other_s] {
        let seen = store.saved_views().await.expect("read");
        let shared = seen
            .iter()
            .find(|v| v.id == team)
            .expect("the shared view is visible");
        assert!(shared.shared && !shared.mine);
        assert!(!store.rename_view(team, "Mine now").await.expect("call"));
        assert!(!store.delete_view(team).await.expect("call"));
    }
    assert_eq!(
        db.admin_count(
            "saved_views",
            &format!("id = '{team}' and name = 'Team overdue'")
        )
        .await,
        1
    );

    // Plain SQL writes fail outright (members are SELECT-only).
    let mut conn = db.connect(&rep).await;
    for sql in [
        format!("update saved_views set name = 'x' where id = '{team}'"),
        format!("delete from saved_views where id = '{private}'"),
        format!(
            "insert into saved_views (organization_id, owner_id, name) values ('{org}', '{}', 'x')",
            rep.profile_id
        ),
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(&mut conn)
            .await
            .expect_err(&sql);
        assert_eq!(sqlstate(&err).as_deref(), Some("42501"), "{sql}: {err}");
    }

    // One default per person; renaming and deleting one's own view work.
    let second = rep_s
        .save_view(
            "Hot",
            &filter::parse("tag:hot").expect("parses"),
            BoardSort::Newest,
            true,
            None,
        )
        .await
        .expect("save");
    assert!(
        rep_s
            .set_default_view(Some(private))
            .await
            .expect("default")
    );
    assert!(rep_s.set_default_view(Some(second)).await.expect("default"));
    let defaults: Vec<_> = rep_s
        .saved_views()
        .await
        .expect("read")
        .into_iter()
        .filter(|v| v.is_default)
        .map(|v| v.id)
        .collect();
    assert_eq!(defaults, vec![second]);
    assert!(
        rep_s
            .rename_view(second, "Hot leads")
            .await
            .expect("rename")
    );
    assert!(rep_s.delete_view(private).await.expect("delete"));
    let names: Vec<String> = rep_s
        .saved_views()
        .await
        .expect("read")
        .into_iter()
        .map(|v| v.name)
        .collect();
    assert_eq!(
        names,
        vec!["Hot leads".to_string(), "Team overdue".to_string()]
    );

    // Another organization's manager sees none of it, and cannot write into Acme.
    let mut conn = db.connect(&outsider).await;
    let n: i64 = sqlx::query_scalar("select count(*) from saved_views")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(n, 0);
    let err = sqlx::query("select closer.save_view($1, 'x', '', 'score', true, null)")
        .bind(org)
        .execute(&mut conn)
        .await
        .expect_err("not a member of Acme");
    assert_eq!(sqlstate(&err).as_deref(), Some("42501"));
}

/// The view picker's changes (`PgStore::write_view`) under RLS: a person renames, defaults and
/// deletes their own view; a teammate's shared view is untouched (`false`); a rep's share is
/// refused by the database.
#[tokio::test]
async fn the_pickers_changes_touch_only_ones_own_views() {
    use closer::data::views::ViewOp;
    let db = TestDb::new().await;
    let org = db.org("Picker Co").await;
    let rep = db.user("Picker Co", "rep").await;
    let manager = db.user("Picker Co", "manager").await;
    let (rep_s, mgr_s) = (
        store_of(&db, &rep, org).await,
        store_of(&db, &manager, org).await,
    );
    let f = filter::parse("rotting").expect("parses");
    let mine = rep_s
        .save_view("Rotting", &f, BoardSort::Score, true, None)
        .await
        .expect("saved");
    let team = mgr_s
        .save_view("Team rotting", &f, BoardSort::Score, true, None)
        .await
        .expect("saved");
    assert!(
        mgr_s
            .write_view(&ViewOp::Share {
                view: team,
                share: true
            })
            .await
            .expect("a manager shares")
    );

    let rename = ViewOp::Rename {
        view: mine,
        name: "Mine rotting".into(),
    };
    assert!(rep_s.write_view(&rename).await.expect("renamed"));
    let default = ViewOp::Default { view: Some(mine) };
    assert!(rep_s.write_view(&default).await.expect("default"));
    let views = rep_s.saved_views().await.expect("read");
    let own = views.iter().find(|v| v.id == mine).expect("own view");
    assert_eq!((own.name.as_str(), own.is_default), ("Mine rotting", true));

    // The team view: read-only for the rep, whatever the change.
    for op in [
        ViewOp::Rename {
            view: team,
            name: "Hijacked".into(),
        },
        ViewOp::Delete { view: team },
        ViewOp::Default { view: Some(team) },
    ] {
        assert!(!rep_s.write_view(&op).await.expect("no error, no change"));
    }
    let refused = rep_s
        .write_view(&ViewOp::Share {
            view: mine,
            share: true,
        })
        .await;
    assert!(refused.is_err(), "a rep does not share: {refused:?}");
    let seen = rep_s.saved_views().await.expect("read");
    let shared = seen.iter().find(|v| v.id == team).expect("team view");
    assert_eq!((shared.name.as_str(), shared.mine), ("Team rotting", false));
    assert!(
        !seen.iter().find(|v| v.id == mine).expect("own").shared,
        "the rep's view stays private"
    );

    assert!(
        rep_s
            .write_view(&ViewOp::Delete { view: mine })
            .await
            .expect("deleted")
    );
    assert_eq!(rep_s.saved_views().await.expect("read").len(), 1);
}
