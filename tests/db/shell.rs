//! `closer leads|tasks|log|pipelines` (issue 14) through the real binary as a rep: output
//! snapshots (table, JSON, CSV), hostile text, writes through the `closer.*` functions, exit
//! codes, and another organization out of reach.

use crate::common;
use crate::shell_util;

use common::TestDb;
use shell_util::Shell;
use uuid::Uuid;

/// Two leads with fixed ids and times (snapshots), one with a hostile name.
async fn fixed_leads(db: &TestDb, org: Uuid, owner: Uuid) -> (Uuid, Uuid) {
    let stage = db.first_stage(org).await;
    let ada = Uuid::from_u128(0xada);
    let evil = Uuid::from_u128(0xe71);
    for (id, name, email, score) in [
        (ada, "Ada Lovelace", Some("ada@example.com"), 90),
        (
            evil,
            "Evil\u{1b}]0;pwned\u{7}\u{1b}[2J\nCorp \"quoted\", comma",
            None,
            10,
        ),
    ] {
        sqlx::query(
            "insert into leads (id, organization_id, stage_id, name, email, assigned_to, score, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, '2026-01-02T03:04:05Z', '2026-01-02T03:04:05Z')",
        )
        .bind(id)
        .bind(org)
        .bind(stage)
        .bind(name)
        .bind(email)
        .bind(owner)
        .bind(score)
        .execute(&db.admin)
        .await
        .expect("insert a lead");
    }
    sqlx::query(
        "insert into lead_profiles (organization_id, lead_id, company) values ($1, $2, 'Analytical Engines')",
    )
    .bind(org)
    .bind(ada)
    .execute(&db.admin)
    .await
    .expect("profile");
    sqlx::query("insert into lead_tags (organization_id, lead_id, tag) values ($1, $2, 'vip'), ($1, $2, 'math')")
        .bind(org)
        .bind(ada)
        .execute(&db.admin)
        .await
        .expect("tags");
    (ada, evil)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_print_table_json_and_csv_and_hostile_text_is_inert_in_tables() {
    let db = TestDb::new().await;
    let org = db.org("Shell Org").await;
    let rep = db.user_with_prefix("shellrep", "Shell Org", "rep").await;
    let (ada, _evil) = fixed_leads(&db, org, rep.profile_id).await;
    let shell = Shell::new(&db, rep.clone());
    let redact = |text: String| text.replace(&rep.login, "REP");

    let json = shell.ok(&["leads", "list", "--format", "json"]);
    insta::assert_snapshot!("leads_list_json", redact(json.clone()));
    // JSON is exact: the escape sequences are still there, escaped by JSON, not stripped.
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let names: Vec<&str> = parsed
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    assert!(names.iter().any(|n| n.contains('\u{1b}')), "{names:?}");

    let csv = shell.ok(&["leads", "list", "--format", "csv"]);
    insta::assert_snapshot!("leads_list_csv", redact(csv));

    let table = shell.ok(&["leads", "list", "--format", "table"]);
    insta::assert_snapshot!("leads_list_table", redact(table.clone()));
    assert!(
        !table.chars().any(|c| c.is_control() && c != '\n'),
        "no control character reaches a terminal: {table:?}"
    );
    assert_eq!(
        table.lines().count(),
        3,
        "one line per lead, newline in a name included"
    );

    // Not a terminal and no --format: JSON.
    let default = shell.json(&["leads", "show", &ada.to_string()]);
    assert_eq!(default["name"], "Ada Lovelace");
    assert_eq!(default["tags"], serde_json::json!(["math", "vip"]));
    let shown = shell.ok(&["leads", "show", &ada.to_string(), "--format", "table"]);
    insta::assert_snapshot!("leads_show_table", redact(shown));

    let pipelines = shell.ok(&["pipelines", "--format", "csv"]);
    assert!(pipelines.starts_with("pipeline_id,pipeline,is_default,stage_id,stage,position"));

    // Filters: stage, owner, mine, limit.
    let first_stage = db.stages(org).await[0].1.clone();
    let by_stage = shell.json(&["leads", "list", "--stage", &first_stage]);
    assert_eq!(by_stage.as_array().map(Vec::len), Some(2));
    let second_stage = db.stages(org).await[1].1.clone();
    let none = shell.json(&["leads", "list", "--stage", &second_stage]);
    assert_eq!(none, serde_json::json!([]));
    let mine = shell.json(&["leads", "list", "--mine", "--limit", "1"]);
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let (code, err) = shell.fails(&["leads", "list", "--stage", "Nowhere"]);
    assert_eq!(code, 2, "{err}");

    // --filter speaks the board's filter language: Ada (score 90, tagged vip) only.
    let filtered = shell.json(&["leads", "list", "--filter", "tag:vip score:>50"]);
    let ids: Vec<&str> = filtered
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, vec![ada.to_string().as_str()]);
    let low = shell.json(&["leads", "list", "--filter", "score:<50"]);
    assert_eq!(low.as_array().map(Vec::len), Some(1));
    let (code, err) = shell.fails(&["leads", "list", "--filter", "score:lots"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("lots"), "the error names the word: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_go_through_the_data_layer_with_exit_codes() {
    let db = TestDb::new().await;
    let org = db.org("Write Org").await;
    let rep = db.user_with_prefix("writer", "Write Org", "rep").await;
    let manager = db.user_with_prefix("boss", "Write Org", "manager").await;
    let shell = Shell::new(&db, rep.clone());
    let boss = Shell::new(&db, manager.clone());

    let created = shell.json(&[
        "leads",
        "create",
        "--name",
        "Grace Hopper",
        "--email",
        "grace@navy.test",
        "--company",
        "Navy",
        "--score",
        "70",
    ]);
    let id = created["id"].as_str().expect("an id").to_owned();
    assert_eq!(created["company"], "Navy");
    assert_eq!(created["score"], 70);
    assert_eq!(created["owner"], format!("{}@example.com", rep.login));

    let updated = shell.json(&["leads", "update", &id, "--phone", "+1 555 0100"]);
    assert_eq!(updated["phone"], "+1 555 0100");
    let stages = db.stages(org).await;
    let moved = shell.json(&["leads", "move", &id, &stages[1].1.to_lowercase()]);
    assert_eq!(moved["stage"], stages[1].1.as_str());
    let assigned = shell.json(&[
        "leads",
        "assign",
        &id,
        &format!("{}@example.com", manager.login),
    ]);
    assert_eq!(assigned["owner_name"], format!("Person {}", manager.login));

    let task = shell.json(&[
        "tasks",
        "add",
        &id,
        "Call back",
        "--due",
        "+1",
        "--priority",
        "high",
    ]);
    let task_id = task["id"].as_str().expect("task id").to_owned();
    let listed = shell.json(&["tasks", "list"]);
    assert_eq!(listed[0]["title"], "Call back");
    assert_eq!(listed[0]["priority"], "high");
    shell.ok(&["tasks", "snooze", &task_id, "--days", "2"]);
    shell.ok(&["tasks", "done", &task_id]);
    assert_eq!(shell.json(&["tasks", "list"]), serde_json::json!([]));
    let logged = shell.json(&[
        "log",
        &id,
        "call",
        "-m",
        "Talked about COBOL",
        "--minutes",
        "5",
    ]);
    assert_eq!(logged["total_calls"], 1);
    // Every write left its activity row, stamped with the rep.
    let activities = db
        .admin_count(
            "lead_activities",
            &format!("lead_id = '{id}' and created_by = '{}'", rep.profile_id),
        )
        .await;
    assert!(activities >= 6, "{activities} activities");

    // Exit codes: bad input 2, not found 3, refused 4, connection failed 5.
    assert_eq!(shell.fails(&["leads", "show", "not-an-id"]).0, 2);
    assert_eq!(
        shell.fails(&["leads", "update", &id, "--email", "nope"]).0,
        2
    );
    assert_eq!(shell.fails(&["log", &id, "telepathy"]).0, 2);
    assert_eq!(
        shell
            .fails(&["leads", "show", &Uuid::from_u128(7).to_string()])
            .0,
        3
    );
    assert_eq!(
        shell
            .fails(&["tasks", "done", &Uuid::from_u128(8).to_string()])
            .0,
        3
    );
    let (code, err) = shell.fails(&["leads", "delete", &id]);
    assert_eq!(code, 4, "a rep may not delete: {err}");
    assert!(!err.contains('\u{1b}'));
    let mut broken = Shell::new(&db, rep.clone());
    broken.user.password = "wrong".into();
    assert_eq!(broken.fails(&["leads", "list"]).0, 5);
    boss.ok(&["leads", "delete", &id]);
    assert_eq!(boss.fails(&["leads", "show", &id]).0, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_cannot_reach_another_organization() {
    let db = TestDb::new().await;
    db.org("Mine").await;
    let theirs = db.org("Theirs").await;
    let rep = db.user_with_prefix("mine", "Mine", "rep").await;
    let other = db.lead(theirs, "Their Lead").await;
    let shell = Shell::new(&db, rep);
    let other = other.to_string();
    assert_eq!(shell.fails(&["leads", "show", &other]).0, 3);
    assert_eq!(
        shell
            .fails(&["leads", "update", &other, "--name", "Mine now"])
            .0,
        3
    );
    assert_eq!(shell.fails(&["log", &other, "note", "-m", "hi"]).0, 3);
    assert_eq!(shell.fails(&["tasks", "add", &other, "Steal"]).0, 3);
    let (code, err) = shell.fails(&["--org", "Theirs", "leads", "list"]);
    assert_eq!(code, 4, "{err}");
    assert_eq!(shell.json(&["leads", "list"]), serde_json::json!([]));
    assert_eq!(db.admin_count("leads", "name = 'Their Lead'").await, 1);
}

/// `closer views` (issue 14): the rep's views and the organization's shared ones, in table, JSON
/// and CSV; `--view NAME` lists the leads a view keeps; an unknown view is "not found" (3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_list_and_leads_through_a_view() {
    let db = TestDb::new().await;
    let org = db.org("Views Org").await;
    let rep = db.user_with_prefix("viewrep", "Views Org", "rep").await;
    let manager = db
        .user_with_prefix("viewboss", "Views Org", "manager")
        .await;
    let (ada, _evil) = fixed_leads(&db, org, rep.profile_id).await;
    for (id, owner, name, filter, shared, default) in [
        (0xa1_u128, rep.profile_id, "My VIPs", "tag:vip", false, true),
        (0xa2, rep.profile_id, "Cold", "score:<50", false, false),
        (0xa3, manager.profile_id, "Team mine", "mine", true, false),
        (
            0xa4,
            manager.profile_id,
            "Boss private",
            "rotting",
            false,
            false,
        ),
    ] {
        sqlx::query(
            "insert into saved_views (id, organization_id, owner_id, name, filter, sort, descending, shared, is_default)
             values ($1, $2, $3, $4, $5, 'score', true, $6, $7)",
        )
        .bind(Uuid::from_u128(id))
        .bind(org)
        .bind(owner)
        .bind(name)
        .bind(filter)
        .bind(shared)
        .bind(default)
        .execute(&db.admin)
        .await
        .expect("insert a view");
    }
    let shell = Shell::new(&db, rep.clone());

    let table = shell.ok(&["views", "--format", "table"]);
    insta::assert_snapshot!("views_table", table);
    let csv = shell.ok(&["views", "--format", "csv"]);
    insta::assert_snapshot!("views_csv", csv);
    let json = shell.json(&["views", "--format", "json"]);
    let names: Vec<&str> = json
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(
        names,
        vec!["Cold", "My VIPs", "Team mine"],
        "never the boss's private view"
    );
    assert_eq!(json[2]["owner"], "team");

    let through = shell.json(&["leads", "list", "--view", "my vips"]);
    let ids: Vec<&str> = through
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, vec![ada.to_string().as_str()]);
    let (code, err) = shell.fails(&["leads", "list", "--view", "Boss private"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("closer views"), "{err}");
}
