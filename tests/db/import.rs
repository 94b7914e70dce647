//! `closer import leads` and `closer export` (issue 14) through the real binary as a rep, with
//! awkward files made here: BOM, semicolons, quoted newlines, Excel dates, duplicates, unknown
//! owners and stages, a 10 MB cell, invalid UTF-8; idempotence, all-or-nothing, --partial,
//! another organization, and export → import round trips.

use crate::common;
use crate::shell_util;

use common::TestDb;
use serde_json::Value;
use shell_util::Shell;

pub async fn setup<'a>(db: &'a TestDb, org: &str) -> Shell<'a> {
    db.org(org).await;
    let rep = db.user_with_prefix("importer", org, "rep").await;
    Shell::new(db, rep)
}

pub fn import(shell: &Shell, path: &str, extra: &[&str]) -> Value {
    let mut args = vec!["import", "leads", path];
    args.extend_from_slice(extra);
    shell.json(&args)
}

pub fn rejection(report: &Value, row: u64) -> (String, String) {
    let r = report["rejections"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["row"] == row))
        .unwrap_or_else(|| panic!("row {row} rejected in {report}"));
    (
        r["column"].as_str().unwrap_or_default().to_owned(),
        r["reason"].as_str().unwrap_or_default().to_owned(),
    )
}

/// JSON Lines export → a CSV with the lost reason under HubSpot's header.
fn jsonl_to_csv(jsonl: &str) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let columns = [
        "name",
        "email",
        "phone",
        "mobile",
        "company",
        "job_title",
        "location",
        "industry",
        "pipeline",
        "stage",
        "owner",
        "source",
        "lead_source",
        "score",
        "tags",
        "last_contacted_at",
        "external_id",
        "lost_reason",
    ];
    let mut header = columns.to_vec();
    header[17] = "Closed lost reason";
    out.write_record(&header).expect("header");
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        let cell = |k: &str| match &v[k] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Array(tags) => tags
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(";"),
            other => other.to_string(),
        };
        out.write_record(columns.iter().map(|k| cell(k)))
            .expect("a row");
    }
    String::from_utf8(out.into_inner().expect("flush")).expect("UTF-8")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_files_import_with_a_report_per_row() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Import Org").await;
    let owner = format!("{}@example.com", shell.user.login);
    // BOM, semicolons, a quoted newline, an Excel serial date and a US date, tags in two cases.
    let file = format!(
        "\u{feff}First Name;Last Name;E-mail;Phone;Company;Lead Status;Owner;Labels;Last Activity Date;Notes\n\
         Ada;Lovelace;ada@example.com;+44 20 7946 0000;\"Engines\nLtd\";Contacted;{owner};VIP, math;45365;x\n\
         Grace;Hopper;grace@navy.test;;Navy;;;vip;3/14/2024 9:30;y\n"
    );
    let path = shell.file("bom.csv", file.as_bytes());
    let dry = import(&shell, &path, &["--dry-run"]);
    assert_eq!(
        (dry["created"].as_u64(), dry["written"].as_bool()),
        (Some(2), Some(false)),
        "{dry}"
    );
    assert_eq!(
        db.admin_count("leads", "true").await,
        0,
        "a dry run writes nothing"
    );
    assert_eq!(dry["ignored_columns"], serde_json::json!(["Notes"]));

    let report = import(&shell, &path, &[]);
    assert_eq!(report["created"], 2, "{report}");
    let leads = shell.json(&["leads", "list"]);
    let ada = &leads[0];
    assert_eq!(ada["name"], "Ada Lovelace");
    assert_eq!(ada["company"], "Engines\nLtd");
    assert_eq!(ada["stage"], "Contacted");
    assert_eq!(ada["phone"], "+44 20 7946 0000");
    assert_eq!(ada["last_contacted_at"], "2024-03-14T00:00:00Z");
    assert_eq!(leads[1]["last_contacted_at"], "2024-03-14T09:30:00Z");
    // One spelling per tag, whatever the case in the file.
    assert_eq!(ada["tags"], serde_json::json!(["VIP", "math"]));
    assert_eq!(leads[1]["tags"], serde_json::json!(["VIP"]));
    assert!(
        db.admin_count("lead_activities", "type = 'lead_created'")
            .await
            == 2
    );

    // Re-importing the same file changes nothing.
    let again = import(&shell, &path, &[]);
    assert_eq!(
        (again["created"].as_u64(), again["skipped"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
    let again = import(&shell, &path, &["--on-duplicate", "update"]);
    assert_eq!(
        (again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(2)),
        "{again}"
    );
    assert_eq!(db.admin_count("leads", "true").await, 2);

    // Duplicates inside the file and against the database (e-mail case, phone punctuation).
    let dups = shell.file(
        "dups.csv",
        b"Name,Email,Phone\nAda Again,ADA@example.com,\nNew One,new@x.test,+1 555 0100\nNew Two,other@x.test,(1) 555-0100\n",
    );
    let report = import(&shell, &dups, &[]);
    assert_eq!(report["created"], 1, "{report}");
    let skips = report["skips"].as_array().expect("skips");
    assert_eq!(skips[0]["row"], 2);
    assert!(skips[0]["lead_id"].is_string(), "matched the stored Ada");
    assert_eq!(skips[1]["row"], 4);
    assert_eq!(skips[1]["reason"], "same phone as row 3");
    // Update mode changes only what differs, once.
    let change = shell.file(
        "change.csv",
        b"Name,Email,Phone,Tags\nAda Lovelace,ada@example.com,+44 20 7946 0001,vip;New\n",
    );
    let report = import(&shell, &change, &["--on-duplicate", "update"]);
    assert_eq!(report["updated"], 1, "{report}");
    let report = import(&shell, &change, &["--on-duplicate", "update"]);
    assert_eq!(report["unchanged"], 1, "{report}");
    let ada = &shell.json(&["leads", "list", "--limit", "1"])[0];
    assert_eq!(ada["tags"], serde_json::json!(["New", "VIP", "math"]));
    assert_eq!(ada["phone"], "+44 20 7946 0001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_rejected_with_row_column_and_reason_and_nothing_is_half_written() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Strict Org").await;
    let big = "x".repeat(10 * 1024 * 1024);
    let mut file = b"Name,Email,Owner,Stage,Company\n".to_vec();
    file.extend_from_slice(b"Fine Person,fine@x.test,,,\n");
    file.extend_from_slice(b"No Owner,,Nobody Known,,\n");
    file.extend_from_slice(b"No Stage,,,Mars,\n");
    file.extend_from_slice(format!("Big Cell,,,,{big}\n").as_bytes());
    file.extend_from_slice(b"Bad \xff\xfe Bytes,,,,\n");
    file.extend_from_slice(b"Bad Mail,not-an-email,,,\n");
    file.extend_from_slice(b"03/04/2024,,,,\n");
    let path = shell.file("bad.csv", &file);

    let out = shell.run(&["import", "leads", &path, "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "all or nothing refuses");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["rejected"], 5, "{report}");
    assert_eq!(rejection(&report, 3).0, "Owner");
    assert!(rejection(&report, 3).1.contains("no member"));
    assert_eq!(rejection(&report, 4).0, "Stage");
    assert!(rejection(&report, 4).1.contains("Mars"));
    assert_eq!(rejection(&report, 5).0, "Company");
    assert!(
        rejection(&report, 5).1.contains("too long"),
        "{:?}",
        rejection(&report, 5)
    );
    assert_eq!(rejection(&report, 6).0, "Name");
    assert!(rejection(&report, 6).1.contains("UTF-8"));
    assert_eq!(rejection(&report, 7).0, "Email");
    assert_eq!(db.admin_count("leads", "true").await, 0, "nothing written");

    // An error in the very last row still rolls everything back.
    let mut rows = String::from("Name,Email\n");
    for n in 0..2000 {
        rows.push_str(&format!("Person {n},p{n}@x.test\n"));
    }
    rows.push_str("Broken,broken@\n");
    let last = shell.file("last.csv", rows.as_bytes());
    assert_eq!(
        shell.run(&["import", "leads", &last]).status.code(),
        Some(2)
    );
    assert_eq!(db.admin_count("leads", "true").await, 0);

    // --partial: the accepted rows, and a rejects file that imports once fixed.
    let rejects = shell.dir.path().join("rejects.csv");
    let rejects = rejects.to_str().expect("path");
    let report = import(&shell, &path, &["--partial", "--rejects", rejects]);
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(2), Some(5)),
        "{report}"
    );
    let text = std::fs::read_to_string(rejects).expect("a UTF-8 rejects file");
    assert!(
        text.starts_with("Name,Email,Owner,Stage,Company,closer_error\n"),
        "{}",
        &text[..80]
    );
    let fixed = text
        .replace("Nobody Known", "")
        .replace("Mars", "Won")
        .replace(&big, "Big Co")
        .replace("not-an-email", "bad@mail.test")
        .replace("03/04/2024", "Dated Person")
        .replace("Bad \u{fffd}\u{fffd} Bytes", "Bad Bytes");
    let fixed_path = shell.file("fixed.csv", fixed.as_bytes());
    let report = import(&shell, &fixed_path, &[]);
    assert_eq!(
        (report["created"].as_u64(), report["rejected"].as_u64()),
        (Some(5), Some(0)),
        "{report}"
    );
    assert_eq!(db.admin_count("leads", "true").await, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rep_cannot_import_into_another_organization() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Home Org").await;
    let away = db.org("Away Org").await;
    let path = shell.file("one.csv", b"Name\nIntruder\n");
    let (code, _) = shell.fails(&["--org", "Away Org", "import", "leads", &path]);
    assert_eq!(code, 4);
    // Straight at the function with the other organization's id: refused by the database.
    let pool = db.login(&shell.user).await;
    let stage = db.first_stage(away).await;
    let err = sqlx::query("select * from closer.import_leads($1, $2, $3, 'skip')")
        .bind(away)
        .bind(serde_json::json!([{"row_no": 2, "name": "Intruder"}]))
        .bind(stage)
        .fetch_all(&pool)
        .await
        .expect_err("refused");
    assert_eq!(common::sqlstate(&err).as_deref(), Some("42501"));
    assert_eq!(db.admin_count("leads", "name = 'Intruder'").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_streams_csv_and_json_lines_that_import_back_to_the_same_data() {
    let db = TestDb::new().await;
    let shell = setup(&db, "Source Org").await;
    // Won and lost leads too: a lost lead comes back only with its reason.
    let file = shell.file(
        "seed.csv",
        "Name,Email,Phone,Company,Tags,Stage,Score,Last Contacted,Lost reason\n\
         Zoë 张伟,zoe@x.test,+49 30 1234567,\"Comma, Inc\",a;b,Qualified,55,2024-01-02T03:04:05Z,\n\
         Line Break,,,\"two\nlines\",,,0,,\n\
         Big Win,win@x.test,,Winners,,Won,90,,\n\
         Lost Cause,lost@x.test,,Losers,vip,Lost,10,,\"Price; \"\"too high\"\"\"\n"
            .as_bytes(),
    );
    import(&shell, &file, &[]);
    let lid = shell.json(&["leads", "list"])[2]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    shell.ok(&["tasks", "add", &lid, "Follow up"]);
    shell.ok(&["log", &lid, "note", "-m", "said \"hi\""]);

    let csv = shell.ok(&["export", "leads"]);
    assert!(
        csv.lines()
            .next()
            .is_some_and(|h| h.ends_with(",lost_reason")),
        "{csv}"
    );
    let jsonl = shell.ok(&["export", "leads", "--format", "jsonl"]);
    assert_eq!(jsonl.lines().count(), 4);
    let lost: Vec<Value> = jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["stage"] == "Lost")
        .collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0]["lost_reason"], "Price; \"too high\"");
    let tasks = shell.ok(&["export", "tasks", "--format", "jsonl"]);
    assert!(tasks.contains("Follow up"));
    let interactions = shell.ok(&["export", "interactions"]);
    assert!(interactions.contains("said \"\"hi\"\""));

    // Import the export into a fresh organization: the same data comes back.
    db.org("Target Org").await;
    db.add_to_org(&shell.user, "Target Org", "rep").await;
    let exported = shell.file("export.csv", csv.as_bytes());
    let report = shell.json(&["--org", "Target Org", "import", "leads", &exported]);
    assert_eq!(report["created"], 4, "{report}");
    let strip = |text: &str| -> Vec<Value> {
        text.lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).expect("a JSON line");
                for k in ["id", "created_at", "updated_at", "version"] {
                    v[k] = Value::Null;
                }
                v
            })
            .collect()
    };
    let back = shell.ok(&[
        "--org",
        "Target Org",
        "export",
        "leads",
        "--format",
        "jsonl",
    ]);
    let mut a = strip(&jsonl);
    let mut b = strip(&back);
    a.sort_by_key(|v| v["name"].to_string());
    b.sort_by_key(|v| v["name"].to_string());
    assert_eq!(a, b);
    // The JSON Lines export imports back the same way (HubSpot's header for the reason too).
    db.org("Lines Org").await;
    db.add_to_org(&shell.user, "Lines Org", "rep").await;
    let lines = shell.file("export.jsonl.csv", jsonl_to_csv(&jsonl).as_bytes());
    let report = shell.json(&["--org", "Lines Org", "import", "leads", &lines]);
    assert_eq!(report["created"], 4, "{report}");
    let back = shell.ok(&["--org", "Lines Org", "export", "leads", "--format", "jsonl"]);
    let mut c = strip(&back);
    c.sort_by_key(|v| v["name"].to_string());
    assert_eq!(a, c);
    // And into the same organization: nothing changes (matched by id), in either mode.
    let report = shell.json(&["--org", "Source Org", "import", "leads", &exported]);
    assert_eq!(
        (report["created"].as_u64(), report["skipped"].as_u64()),
        (Some(0), Some(4))
    );
    let report = shell.json(&[
        "--org",
        "Source Org",
        "import",
        "leads",
        &exported,
        "--on-duplicate",
        "update",
    ]);
    assert_eq!(
        (report["updated"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(4)),
        "{report}"
    );
}

#[test]
fn completions_and_the_man_page_come_from_the_same_definitions() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_closer"))
            .args(args)
            .output()
            .expect("run closer");
        assert!(out.status.success());
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    for shell in ["bash", "zsh", "fish"] {
        let script = run(&["completions", shell]);
        assert!(
            script.contains("import") && script.contains("on-duplicate"),
            "{shell}"
        );
    }
    let man = run(&["man"]);
    assert!(
        man.contains(".TH closer") && man.contains("import"),
        "{}",
        &man[..200]
    );
}

/// Starts a live-update listener as `user`; changes arrive on the returned channel.
async fn listen_as(
    db: &TestDb,
    user: &common::TestUser,
    org: uuid::Uuid,
) -> tokio::sync::mpsc::UnboundedReceiver<closer::data::live::LiveEvent> {
    use closer::data::live;
    let pool = db.login(user).await;
    live::channel_of(&pool, org)
        .await
        .expect("a member reads the channel");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(live::listen(
        pool,
        live::OwnBackends::default(),
        org,
        move |event| tx.send(event).is_ok(),
    ));
    // LISTEN is issued asynchronously; give it a moment to be in place.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    rx
}

async fn changes_within(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<closer::data::live::LiveEvent>,
    window: std::time::Duration,
) -> usize {
    let deadline = tokio::time::Instant::now() + window;
    let mut changes = 0;
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        if matches!(event, closer::data::live::LiveEvent::Changed(_)) {
            changes += 1;
        }
    }
    changes
}

/// Migration 0019 runs the INSERT work of the lead triggers once per statement: a bulk import
/// (two batches, so the second one meets the first one's uncommitted rows) still leaves exactly
/// one creation activity, one open stage-history row and one summary count per lead, the tag on
/// every lead, and ONE live notification for the whole import.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_import_keeps_every_per_lead_record_and_notifies_once() {
    const ROWS: usize = 6_000;
    let db = TestDb::new().await;
    let shell = setup(&db, "Bulk Org").await;
    let org = db.org("Bulk Org").await;
    let watcher = db.user("Bulk Org", "rep").await;
    let mut csv = String::from("Name,Email,Stage,Tags\n");
    for n in 0..ROWS {
        let stage = if n % 3 == 0 { "Contacted" } else { "Qualified" };
        csv.push_str(&format!("Bulk {n},bulk{n}@example.com,{stage},vip\n"));
    }
    let path = shell.file("bulk.csv", csv.as_bytes());
    let mut rx = listen_as(&db, &watcher, org).await;

    let report = import(&shell, &path, &[]);
    assert_eq!(report["created"], ROWS, "{report}");
    assert_eq!(
        changes_within(&mut rx, std::time::Duration::from_secs(3)).await,
        1,
        "one notification for the whole import"
    );

    let per_lead = |table: &str, filter: &str| {
        format!(
            "select count(*) filter (where n <> 1) from leads l cross join lateral \
             (select count(*) n from {table} t where t.organization_id = l.organization_id \
              and t.lead_id = l.id and {filter}) c where l.organization_id = $1"
        )
    };
    for (table, filter) in [
        ("lead_activities", "t.type = 'lead_created'"),
        (
            "stage_history",
            "t.left_at is null and t.to_stage_id = l.stage_id",
        ),
        ("lead_tags", "t.tag = 'vip'"),
        ("lead_profiles", "true"),
    ] {
        let wrong: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(per_lead(table, filter)))
            .bind(org)
            .fetch_one(&db.admin)
            .await
            .expect("count per lead");
        assert_eq!(wrong, 0, "leads without exactly one {table} row ({filter})");
    }
    // The stage summary counts every new lead in its stage, no more, no less.
    let mismatched: i64 = sqlx::query_scalar(
        "select count(*) from (select stage_id, count(*) n from leads where organization_id = $1 group by 1) l
         full join (select stage_id, sum(lead_count) n from stage_summary_deltas where organization_id = $1
                    group by 1 having sum(lead_count) <> 0) s using (stage_id)
         where l.n is distinct from s.n",
    )
    .bind(org)
    .fetch_one(&db.admin)
    .await
    .expect("compare summaries");
    assert_eq!(mismatched, 0, "stage summary = lead count per stage");
    assert_eq!(
        db.admin_count("leads", "email like 'bulk%'").await,
        ROWS as i64
    );
}
