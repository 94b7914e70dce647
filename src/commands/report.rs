//! `closer report [--pipeline P] [--period 2026-Q4] [--person LOGIN] [--json]`: the insights
//! screen's figures on standard output, for scripts and e-mails. Same data, same definitions
//! (`data::insights`), same rules: a rep gets their own numbers.

use chrono::Utc;
use color_eyre::eyre::{Result, bail, eyre};

use crate::config::Config;
use crate::data::connect;
use crate::data::insights::{InsightsQuery, Period};
use crate::data::store::Session;
use crate::state::insights::{RowKind, rows};
use crate::text::clean_line;

pub struct ReportArgs<'a> {
    pub database_url: Option<&'a str>,
    pub org: Option<&'a str>,
    pub pipeline: Option<&'a str>,
    pub period: Option<&'a str>,
    pub person: Option<&'a str>,
    pub json: bool,
}

pub async fn run(args: ReportArgs<'_>, config: Config) -> Result<()> {
    let env = |key: &str| std::env::var(key).ok();
    let resolved =
        connect::resolve(args.database_url, &config.connection, &env).map_err(|e| eyre!(e))?;
    let route = resolved.route(&config.connection);
    let session = Session::connect_via(
        resolved.options.clone(),
        config.connection.statement_timeout_ms,
        route,
    )
    .await?;
    let text = report(&session, &args).await?;
    println!("{text}");
    Ok(())
}

/// The report as text (or JSON) for an open session.
pub async fn report(session: &Session, args: &ReportArgs<'_>) -> Result<String> {
    let memberships = session.memberships();
    let membership = match args.org {
        Some(name) => memberships
            .iter()
            .find(|m| m.organization_name == name)
            .ok_or_else(|| {
                eyre!(
                    "you are not a member of an organization named {:?}",
                    clean_line(name)
                )
            })?,
        None if memberships.len() == 1 => &memberships[0],
        None => bail!("you belong to several organizations: pick one with --org NAME"),
    };
    let store = session.open(membership.organization_id)?;
    let pipelines = store.editor_pipelines().await?;
    let pipeline = match args.pipeline {
        Some(name) => pipelines
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<String> = pipelines
                    .iter()
                    .map(|p| clean_line(&p.name).into_owned())
                    .collect();
                eyre!(
                    "no pipeline named {:?}; there are: {}",
                    clean_line(name),
                    names.join(", ")
                )
            })?,
        None => pipelines
            .iter()
            .find(|p| p.is_default)
            .or_else(|| pipelines.first())
            .ok_or_else(|| eyre!("the organization has no pipeline"))?,
    };
    let period = match args.period {
        Some(text) => Period::parse(text).map_err(|e| eyre!(e))?,
        None => Period::quarter_of(Utc::now().date_naive()),
    };
    let person = match args.person {
        None => None,
        Some(login) => Some(person_id(&store, login).await?),
    };
    let insights = store
        .insights(&InsightsQuery {
            pipeline_id: pipeline.id,
            period,
            person,
        })
        .await?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&insights)?);
    }
    let mut out = format!(
        "Insights · {} · {} · {} ({} – {}) · {}\n",
        clean_line(&membership.organization_name),
        clean_line(&insights.pipeline),
        insights.period,
        insights.from,
        insights
            .to_exclusive
            .pred_opt()
            .unwrap_or(insights.to_exclusive),
        insights
            .person
            .as_deref()
            .map_or("whole team".into(), clean_line),
    );
    for row in rows(&insights) {
        let line = match row.kind {
            RowKind::Title => format!("\n{}", clean_line(&row.label)),
            RowKind::Note => format!("  {}", clean_line(&row.label)),
            RowKind::Figure => format!(
                "  {:<20} {}",
                clean_line(&row.label),
                clean_line(&row.value)
            ),
            RowKind::Blank => continue,
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out.trim_end().to_owned())
}

async fn person_id(store: &crate::data::PgStore, login: &str) -> Result<uuid::Uuid> {
    store.member_by_login(login).await?.ok_or_else(|| {
        eyre!(
            "no member of this organization logs in as {:?}",
            clean_line(login)
        )
    })
}
