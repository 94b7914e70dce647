//! Runs the inbox's effects against the store; the result comes back as an action.

use chrono::{DateTime, FixedOffset, Offset, Utc};

use crate::data::PgStore;
use crate::data::inbox::{InboxRows, Snooze, TaskGroup, TriageFacts};
use crate::state::inbox::{
    Assignee, Facts, GroupKind, InboxAction, InboxData, InboxEffect, SnoozeChoice, UndoToken,
};
use crate::state::{Action, Failure};

use super::failure::failure;

/// Lead hits offered by the new-task form.
const LEAD_HITS: i64 = 8;

pub async fn run(store: &PgStore, effect: InboxEffect) -> Option<Action> {
    let action = match effect {
        InboxEffect::Load {
            request,
            view,
            now,
            include_closed,
            filter,
        } => {
            let team = view == crate::state::inbox::View::Team;
            InboxAction::Loaded {
                request,
                result: store
                    .inbox_where(now, team, None, include_closed, &filter)
                    .await
                    .map(inbox_data)
                    .map_err(failure),
            }
        }
        InboxEffect::Complete { request, ids, now } => InboxAction::Written {
            request,
            result: store
                .complete_tasks(&ids, now)
                .await
                .map(|previous| Some(UndoToken(previous)))
                .map_err(failure),
        },
        InboxEffect::Restore { request, undo, now } => written(
            request,
            store.restore_tasks(&undo, now).await.map_err(failure),
        ),
        InboxEffect::Undo { request, undo, now } => written(
            request,
            store.reopen_tasks(&undo.0, now).await.map_err(failure),
        ),
        InboxEffect::Snooze {
            request,
            ids,
            choice,
            now,
        } => {
            let snooze = match choice {
                SnoozeChoice::Days(n) => Snooze::Days(n),
                SnoozeChoice::NextMonday => Snooze::NextMonday,
                SnoozeChoice::Until(date) => Snooze::Until(date),
            };
            written(
                request,
                store.snooze_tasks(&ids, snooze, now).await.map_err(failure),
            )
        }
        InboxEffect::Reschedule {
            request,
            id,
            due,
            now,
        } => written(
            request,
            store
                .set_due(id, due.map(|d| d.date), due.and_then(|d| d.time), now)
                .await
                .map_err(failure),
        ),
        InboxEffect::SetPriority {
            request,
            ids,
            priority,
        } => written(
            request,
            store
                .set_tasks_priority(&ids, priority)
                .await
                .map_err(failure),
        ),
        InboxEffect::Reassign { request, ids, to } => written(
            request,
            store.reassign_tasks(&ids, to).await.map_err(failure),
        ),
        InboxEffect::Edit {
            request,
            id,
            title,
            description,
        } => written(
            request,
            store
                .edit_task(id, &title, description.as_deref())
                .await
                .map_err(failure),
        ),
        InboxEffect::AddTask {
            request,
            lead_id,
            title,
            due,
            priority,
            now,
        } => written(
            request,
            store
                .create_task(
                    lead_id,
                    &crate::data::lead::NewTask {
                        title,
                        description: None,
                        due_date: due.map(|d| d.date),
                        due_time: due.and_then(|d| d.time),
                        priority,
                        assigned_to: None,
                    },
                    now,
                )
                .await
                .map(drop)
                .map_err(failure),
        ),
        InboxEffect::LoadTeammates { request } => {
            let me = store.me().profile_id;
            InboxAction::TeammatesLoaded {
                request,
                result: store
                    .teammates()
                    .await
                    .map(|list| {
                        list.into_iter()
                            .map(|t| Assignee {
                                me: t.profile_id == me,
                                id: t.profile_id,
                                name: t.full_name,
                            })
                            .collect()
                    })
                    .map_err(failure),
            }
        }
        InboxEffect::LoadFacts { request, lead_id } => InboxAction::FactsLoaded {
            request,
            lead_id,
            result: store
                .triage_facts(lead_id)
                .await
                .map(|f| facts(f, Utc::now()))
                .map_err(failure),
        },
        InboxEffect::SearchLeads { request, query } => InboxAction::LeadsFound {
            request,
            result: store.search_leads(query, LEAD_HITS).await.map_err(failure),
        },
    };
    Some(Action::Inbox(action))
}

fn written(request: u64, result: Result<(), Failure>) -> InboxAction {
    InboxAction::Written {
        request,
        result: result.map(|()| None),
    }
}

fn inbox_data(rows: InboxRows) -> InboxData {
    let offset = FixedOffset::east_opt(rows.utc_offset_seconds).unwrap_or_else(|| Utc.fix());
    let mut groups: Vec<(GroupKind, Vec<_>)> = GroupKind::ALL
        .iter()
        .map(|&kind| (kind, Vec::new()))
        .collect();
    for (group, task) in rows.tasks {
        let kind = match group {
            TaskGroup::Overdue => GroupKind::Overdue,
            TaskGroup::Today => GroupKind::Today,
            TaskGroup::Upcoming => GroupKind::Upcoming,
            TaskGroup::NoDate => GroupKind::NoDate,
            TaskGroup::Completed => GroupKind::Completed,
        };
        if let Some((_, tasks)) = groups.iter_mut().find(|(k, _)| *k == kind) {
            tasks.push(task);
        }
    }
    InboxData::new(groups, offset)
}

/// The lead's key facts as label/value rows.
fn facts(f: TriageFacts, now: DateTime<Utc>) -> Facts {
    let mut rows = vec![("Stage".to_string(), f.stage)];
    if let Some(company) = f.company.filter(|c| !c.trim().is_empty()) {
        rows.push(("Company".to_string(), company));
    }
    if let Some(phone) = f.phone.filter(|p| !p.trim().is_empty()) {
        rows.push(("Phone".to_string(), phone));
    }
    if let Some(email) = f.email.filter(|e| !e.trim().is_empty()) {
        rows.push(("Email".to_string(), email));
    }
    rows.push(("Score".to_string(), f.score.to_string()));
    let contact = match f.last_contacted_at {
        Some(at) => {
            let days = (now - at).num_days();
            match days {
                d if d <= 0 => "today".to_string(),
                1 => "yesterday".to_string(),
                d => format!("{d} days ago"),
            }
        }
        None => "never".to_string(),
    };
    rows.push(("Last contact".to_string(), contact));
    if let Some(last) = f.last_interaction.filter(|l| !l.trim().is_empty()) {
        rows.push(("Last touch".to_string(), last));
    }
    if f.open_deal_amount > 0.0 {
        rows.push((
            "Open deals".to_string(),
            match &f.open_deal_currency {
                Some(code) => crate::currency::compact(f.open_deal_amount, code),
                None => format!("{} in several currencies", f.open_deals),
            },
        ));
    }
    Facts {
        lead_name: f.name,
        rows,
    }
}
