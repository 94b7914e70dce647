//! Runs the lead screen's effects: data work against the store (the result comes back as an
//! action), the system opener for documents (detached), and `$EDITOR` for long notes (run by
//! the loop, which owns the terminal).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::failure::failure;
use crate::data::lead::NewDocument;
use crate::data::{self, DataError, PgStore};
use crate::state::lead::{LeadAction, LeadData, LeadEffect, LeadFields, Saved, UpdateReply};
use crate::state::{Action, Failure, RequestId};

/// Entries the timeline loads (newest first); older ones are rarely looked at from here.
pub const TIMELINE_LIMIT: i64 = 500;

pub async fn run(store: &PgStore, effect: LeadEffect) -> Option<Action> {
    let action =
        match effect {
            LeadEffect::Load {
                request,
                lead_id,
                now,
            } => LeadAction::Loaded {
                request,
                result: load(store, lead_id, now).await,
            },
            LeadEffect::UpdateLead {
                request,
                lead_id,
                version,
                fields,
                base,
            } => LeadAction::Updated {
                request,
                result: update_lead(store, lead_id, version, &fields, &base).await,
            },
            LeadEffect::LogInteraction {
                request,
                lead_id,
                interaction,
            } => {
                let kind = interaction.kind;
                saved(
                    request,
                    store.log_interaction(lead_id, interaction).await,
                    |_| Saved::Interaction { kind },
                )
            }
            LeadEffect::AddTask {
                request,
                lead_id,
                task,
                now,
            } => saved(request, store.add_task(lead_id, task, now).await, |_| {
                Saved::Task
            }),
            LeadEffect::CompleteTask {
                request,
                task_id,
                version,
            } => saved(request, store.complete_task(task_id, version).await, |_| {
                Saved::TaskCompleted { task_id }
            }),
            LeadEffect::ReopenTask {
                request,
                task_id,
                previous,
                now,
            } => saved(
                request,
                store.undo_complete(&[(task_id, previous)], now).await,
                |_| Saved::TaskReopened,
            ),
            LeadEffect::RescheduleTask {
                request,
                task_id,
                version,
                due_date,
                due_time,
                now,
            } => saved(
                request,
                store
                    .reschedule_task(task_id, version, due_date, due_time, now)
                    .await,
                |version| Saved::Rescheduled { version },
            ),
            LeadEffect::AddDeal {
                request,
                lead_id,
                deal,
            } => saved(request, store.add_deal(lead_id, deal).await, |_| {
                Saved::Deal
            }),
            LeadEffect::UpdateDeal {
                request,
                deal_id,
                version,
                changes,
            } => saved(
                request,
                store.update_deal(deal_id, version, changes).await,
                |version| Saved::DealEdited { version },
            ),
            LeadEffect::AddDocument {
                request,
                lead_id,
                document,
            } => {
                let result =
                    match NewDocument::from_location(&document.location, document.document_type)
                        .await
                    {
                        Ok(mut doc) => {
                            if let Some(name) = document.file_name {
                                doc.file_name = name;
                            }
                            store.add_document(lead_id, doc).await
                        }
                        Err(e) => Err(e),
                    };
                saved(request, result, |_| Saved::Document)
            }
            LeadEffect::CreateLead { request, lead } => {
                let (name, stage_id) = (lead.name.trim().to_string(), lead.stage_id);
                saved(request, store.create_lead(lead).await, |id| Saved::Lead {
                    id,
                    name,
                    stage_id,
                })
            }
            LeadEffect::AddTag {
                request,
                lead_id,
                tag,
                color,
            } => saved(
                request,
                store.add_tag(lead_id, &tag, &color).await,
                Saved::Tag,
            ),
            LeadEffect::RemoveTag {
                request,
                lead_id,
                tag_id,
                tag,
            } => saved(request, store.remove_tag(lead_id, &tag).await, |_| {
                Saved::TagRemoved(tag_id)
            }),
            LeadEffect::Open { target } => LeadAction::Opened(open(&target).await),
            LeadEffect::LoadOrgTags { request } => {
                LeadAction::OrgTags(request, store.organization_tags().await.map_err(failure))
            }
            // Run by the loop (it owns the terminal), never here.
            LeadEffect::ExternalEdit { .. } => return None,
        };
    Some(Action::Lead(action))
}

fn saved<T>(
    request: RequestId,
    result: Result<T, DataError>,
    what: impl FnOnce(T) -> Saved,
) -> LeadAction {
    LeadAction::Saved {
        request,
        result: result.map(what).map_err(failure),
    }
}

/// Everything the screen shows, read concurrently. `Ok(None)`: the lead is gone or invisible.
async fn load(
    store: &PgStore,
    lead_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<Box<LeadData>>, Failure> {
    let (detail, timeline, tasks, deals, documents) = tokio::join!(
        store.lead_detail(lead_id),
        store.timeline(lead_id, None, TIMELINE_LIMIT),
        store.lead_tasks(lead_id, now),
        store.deals(lead_id),
        store.documents(lead_id),
    );
    let detail = match detail {
        Ok(detail) => detail,
        Err(DataError::NotFound) => return Ok(None),
        Err(e) => return Err(failure(e)),
    };
    Ok(Some(Box::new(LeadData {
        detail,
        timeline: timeline.map_err(failure)?,
        tasks: tasks.map_err(failure)?,
        deals: deals.map_err(failure)?,
        documents: documents.map_err(failure)?,
    })))
}

/// Saves what differs from `base`; a conflict comes back with their values to compare.
async fn update_lead(
    store: &PgStore,
    lead_id: Uuid,
    version: i32,
    fields: &LeadFields,
    base: &LeadFields,
) -> Result<UpdateReply, Failure> {
    match store
        .update_lead(lead_id, version, fields.edit_from(base))
        .await
    {
        Ok(data::lead::UpdateOutcome::Saved { version }) => Ok(UpdateReply::Saved { version }),
        Ok(data::lead::UpdateOutcome::Conflict { theirs, .. }) => Ok(UpdateReply::Conflict {
            version: theirs.version,
            theirs: Box::new(LeadFields::of(&theirs)),
        }),
        Err(DataError::NotFound) => Ok(UpdateReply::Gone),
        Err(e) => Err(failure(e)),
    }
}

/// A checked file or URL, handed to the system opener.
async fn open(target: &str) -> Result<String, String> {
    crate::state::lead::openable(target)?;
    crate::tui::opener::open_detached(target).await
}
