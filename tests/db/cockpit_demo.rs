//! The demo organization's insights (issue 13's closing note): the screen a manager sees for
//! the current quarter, drawn as text, and two of its numbers re-derived with plain SQL.
//! `cargo test --test db cockpit_demo:: -- --nocapture` prints the capture and the SQL.

use crate::common;

use chrono::Utc;
use closer::config::keymap::Keymap;
use closer::config::theme::Theme;
use closer::data::insights::{InsightsQuery, Period};
use closer::state::insights::InsightsScreen;
use closer::state::{Action, Options, Screen, State, Viewer, update};
use common::{TestDb, TestUser};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use uuid::Uuid;

const WON_SQL: &str = "select count(*), coalesce(sum(d.amount), 0)::float8
from deals d
join leads l on l.organization_id = d.organization_id and l.id = d.lead_id
join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
join pipelines p on p.organization_id = s.organization_id and p.id = s.pipeline_id
join organizations o on o.id = p.organization_id
where o.name = 'Demo Realty' and p.is_default and d.status = 'won' and d.currency = o.currency
  and d.closed_on >= $1 and d.closed_on < $2";

const ENTERED_NEW_SQL: &str = "select count(distinct h.lead_id)
from stage_history h
join pipeline_stages s on s.organization_id = h.organization_id and s.id = h.to_stage_id
join pipelines p on p.organization_id = s.organization_id and p.id = s.pipeline_id
join organizations o on o.id = p.organization_id
where o.name = 'Demo Realty' and p.is_default and s.name = 'New'
  and h.entered_at >= $1::date::timestamp at time zone 'UTC'
  and h.entered_at < $2::date::timestamp at time zone 'UTC'";

fn text(terminal: &Terminal<TestBackend>) -> String {
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[tokio::test]
async fn the_demo_organizations_insights_match_plain_sql() {
    let db = TestDb::new().await;
    closer::commands::demo::ensure_demo_data(&db.admin)
        .await
        .expect("the demo data");
    let password = closer::db::admin::generate_password();
    let statement: String =
        sqlx::query_scalar("select format('ALTER ROLE demo_manager PASSWORD %L', $1::text)")
            .bind(&password)
            .fetch_one(&db.admin)
            .await
            .expect("quote the password");
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .execute(&db.admin)
        .await
        .expect("set the manager's password");
    let profile_id: Uuid =
        sqlx::query_scalar("select id from profiles where db_role = 'demo_manager'")
            .fetch_one(&db.admin)
            .await
            .expect("the manager");
    let manager = TestUser {
        login: "demo_manager".into(),
        password,
        profile_id,
    };
    let session = db.session(&manager).await;
    let org = session
        .memberships()
        .first()
        .map(|m| m.organization_id)
        .expect("a membership");
    let store = session.open(org).expect("open Demo Realty");
    let pipeline = store
        .pipelines()
        .await
        .expect("pipelines")
        .into_iter()
        .find(|p| p.is_default)
        .expect("the default pipeline");
    let now = Utc::now();
    let period = Period::quarter_of(now.date_naive());
    let insights = store
        .insights(&InsightsQuery {
            pipeline_id: pipeline.id,
            period,
            person: None,
        })
        .await
        .expect("insights");

    // The screen as the manager sees it.
    let (width, height) = (110, 62);
    let mut state = State::new(
        Viewer {
            organization: "Demo Realty".into(),
            person: "Morgan Manager".into(),
        },
        Keymap::default(),
        Options::default(),
        now,
    );
    update(&mut state, Action::Resize { width, height });
    let mut screen = InsightsScreen::new(now);
    screen.data = Some(insights.clone());
    state.screen = Screen::Insights(screen);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("backend");
    terminal
        .draw(|frame| closer::ui::draw(frame, &state, &Theme::plain()))
        .expect("draw");
    println!("{}", text(&terminal));

    // Two numbers, re-derived with plain SQL as the superuser.
    let (from, to) = (period.from(), period.to_exclusive());
    let (won_count, won_amount): (i64, f64) = sqlx::query_as(WON_SQL)
        .bind(from)
        .bind(to)
        .fetch_one(&db.admin)
        .await
        .expect("won by SQL");
    println!("{WON_SQL}\n-- with $1 = {from}, $2 = {to}: count {won_count}, sum {won_amount}\n");
    assert_eq!(
        (won_count, won_amount),
        (insights.won_count, insights.won_amount)
    );
    let entered: i64 = sqlx::query_scalar(ENTERED_NEW_SQL)
        .bind(from)
        .bind(to)
        .fetch_one(&db.admin)
        .await
        .expect("entered by SQL");
    println!("{ENTERED_NEW_SQL}\n-- with $1 = {from}, $2 = {to}: {entered}\n");
    let new = insights
        .funnel
        .iter()
        .find(|s| s.name == "New")
        .expect("a New stage");
    assert_eq!(entered, new.entered);
    assert!(
        won_count > 0 && entered > 0,
        "the demo has history in the current quarter"
    );
}
