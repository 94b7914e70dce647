//! `closer tasks list|add|done|snooze` and `closer log`.

use chrono::{Days, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use super::args::{LogArgs, TasksArgs, TasksCommand};
use super::output;
use super::{Fail, Result, io_error, parse_id};
use crate::data::PgStore;
use crate::data::inbox::Snooze;
use crate::data::lead::{Direction, InteractionKind, NewInteraction, NewTask};
use crate::data::models::TaskPriority;
use crate::data::script::TASK_FIELDS;
use crate::text::clean_line;

const TASK_TABLE_FIELDS: [&str; 7] = [
    "id", "due_date", "priority", "status", "title", "lead", "assignee",
];

pub async fn run(store: &PgStore, args: TasksArgs) -> Result<()> {
    let format = output::resolve(args.output.format);
    let mut out = std::io::stdout().lock();
    match args.command {
        TasksCommand::List { all, lead, limit } => {
            let lead = lead.map(|l| parse_id("lead", &l)).transpose()?;
            let rows = store.task_rows(!all && lead.is_none(), lead, limit).await?;
            output::write_rows(&mut out, format, &TASK_FIELDS, &TASK_TABLE_FIELDS, &rows)
                .map_err(io_error)
        }
        TasksCommand::Add {
            lead,
            title,
            due,
            priority,
            description,
        } => {
            let lead = parse_id("lead", &lead)?;
            let now = Utc::now();
            let today = store.local_today(now).await?;
            let due_date = due.map(|d| parse_day(&d, today)).transpose()?;
            let id = store
                .add_task(
                    lead,
                    NewTask {
                        title,
                        description,
                        due_date,
                        due_time: None,
                        priority: parse_priority(&priority)?,
                        assigned_to: None,
                    },
                    now,
                )
                .await?;
            output::write_one(
                &mut out,
                format,
                &["id", "lead_id"],
                &[json!(id), json!(lead)],
            )
            .map_err(io_error)
        }
        TasksCommand::Done { ids } => {
            let ids = parse_ids(&ids)?;
            let done = store.complete_tasks(&ids, Utc::now()).await?;
            if done.len() < ids.len() {
                return Err(crate::data::DataError::NotFound.into());
            }
            written(&mut out, format, &ids)
        }
        TasksCommand::Snooze { ids, days, until } => {
            let ids = parse_ids(&ids)?;
            let snooze = match until {
                Some(date) => Snooze::Until(parse_date(&date)?),
                None => Snooze::Days(days),
            };
            store.snooze_tasks(&ids, snooze, Utc::now()).await?;
            written(&mut out, format, &ids)
        }
    }
}

fn written(out: &mut dyn std::io::Write, format: super::args::Format, ids: &[Uuid]) -> Result<()> {
    let rows: Vec<_> = ids.iter().map(|id| vec![json!(id)]).collect();
    output::write_rows(out, format, &["id"], &["id"], &rows).map_err(io_error)
}

pub async fn log(store: &PgStore, args: LogArgs) -> Result<()> {
    let format = output::resolve(args.output.format);
    let lead = parse_id("lead", &args.lead)?;
    let kind = InteractionKind::parse(args.kind.trim()).ok_or_else(|| {
        Fail::bad_input(format!(
            "{:?} is not a kind of interaction: call, email, meeting, note, sms or whatsapp",
            clean_line(&args.kind)
        ))
    })?;
    let direction = match args.direction.as_deref().map(str::trim) {
        None if kind == InteractionKind::Note => None,
        None | Some("outbound") => Some(Direction::Outbound),
        Some("inbound") => Some(Direction::Inbound),
        Some(other) => {
            return Err(Fail::bad_input(format!(
                "the direction is inbound or outbound, not {:?}",
                clean_line(other)
            )));
        }
    };
    let duration_secs = args
        .minutes
        .map(|m| {
            m.checked_mul(60)
                .ok_or_else(|| Fail::bad_input("that duration is too long"))
        })
        .transpose()?;
    let logged = store
        .log_interaction(
            lead,
            NewInteraction {
                kind,
                direction,
                subject: args.subject,
                content: args.message,
                duration_secs,
                outcome: args.outcome,
            },
        )
        .await?;
    let mut out = std::io::stdout().lock();
    output::write_one(
        &mut out,
        format,
        &["id", "lead_id", "total_calls", "last_contacted_at"],
        &[
            json!(logged.interaction_id),
            json!(lead),
            json!(logged.total_calls),
            json!(logged.last_contacted_at),
        ],
    )
    .map_err(io_error)
}

fn parse_ids(ids: &[String]) -> Result<Vec<Uuid>> {
    ids.iter().map(|id| parse_id("task", id)).collect()
}

fn parse_priority(text: &str) -> Result<TaskPriority> {
    match text.trim().to_ascii_lowercase().as_str() {
        "low" => Ok(TaskPriority::Low),
        "medium" => Ok(TaskPriority::Medium),
        "high" => Ok(TaskPriority::High),
        _ => Err(Fail::bad_input(format!(
            "the priority is low, medium or high, not {:?}",
            clean_line(text)
        ))),
    }
}

fn parse_date(text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        Fail::bad_input(format!(
            "{:?} is not a date: write YYYY-MM-DD",
            clean_line(text)
        ))
    })
}

/// YYYY-MM-DD, "today", "tomorrow" or "+N" days from `today` (the rep's local date).
fn parse_day(text: &str, today: NaiveDate) -> Result<NaiveDate> {
    let t = text.trim().to_ascii_lowercase();
    let days = match t.as_str() {
        "today" => Some(0),
        "tomorrow" => Some(1),
        _ => t.strip_prefix('+').and_then(|n| n.parse::<u64>().ok()),
    };
    match days {
        Some(n) => today
            .checked_add_days(Days::new(n))
            .ok_or_else(|| Fail::bad_input("that date is too far away")),
        None => parse_date(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_days_are_relative_to_the_reps_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 31).expect("date");
        assert_eq!(
            parse_day("+2", today).ok(),
            NaiveDate::from_ymd_opt(2027, 1, 2)
        );
        assert_eq!(
            parse_day("tomorrow", today).ok(),
            NaiveDate::from_ymd_opt(2027, 1, 1)
        );
        assert_eq!(
            parse_day("2026-01-05", today).ok(),
            NaiveDate::from_ymd_opt(2026, 1, 5)
        );
        assert_eq!(parse_day("soon", today).map_err(|f| f.code), Err(2));
    }
}
