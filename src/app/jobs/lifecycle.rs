//! Runs the owner and lifecycle effects (issue 12) against the store.

use crate::data::PgStore;
use crate::state::Action;
use crate::state::inbox::Assignee;
use crate::state::lifecycle::{LifecycleAction, LifecycleEffect};

use super::failure::failure;

pub async fn run(store: &PgStore, effect: LifecycleEffect) -> Action {
    let action = match effect {
        LifecycleEffect::LoadMembers { request } => {
            let me = store.me().profile_id;
            LifecycleAction::MembersLoaded {
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
        LifecycleEffect::ChangeOwner {
            request,
            lead_id,
            version,
            to,
        } => LifecycleAction::OwnerChanged {
            request,
            result: store
                .change_owner(lead_id, version, to)
                .await
                .map_err(failure),
        },
        LifecycleEffect::DeleteLead {
            request,
            lead_id,
            name,
        } => {
            let result = store.delete_lead(lead_id).await;
            // `closer.delete_lead` leaves no activity behind (the lead's rows go with it): this
            // log line is the audit.
            match &result {
                Ok(()) => tracing::info!(
                    lead = %lead_id,
                    name = %name,
                    by = %store.me().profile_id,
                    organization = %store.organization_id(),
                    "lead deleted"
                ),
                Err(err) => tracing::warn!(lead = %lead_id, "lead not deleted: {err}"),
            }
            LifecycleAction::LeadDeleted {
                request,
                result: result.map_err(failure),
            }
        }
        LifecycleEffect::LoadContact { request, lead_id } => LifecycleAction::ContactLoaded {
            request,
            result: store.lead_contact(lead_id).await.map_err(failure),
        },
        LifecycleEffect::Bulk {
            request,
            leads,
            write,
            label,
        } => {
            let result = store.bulk_write(&leads, &write, label.clone()).await;
            // A bulk delete leaves nothing behind in the database: this log line is the audit.
            if write == crate::data::bulk::BulkWrite::Delete
                && let Ok(done) = &result
            {
                tracing::info!(
                    leads = ?leads.iter().map(|m| m.id).collect::<Vec<_>>(),
                    deleted = done.changed,
                    by = %store.me().profile_id,
                    organization = %store.organization_id(),
                    "marked leads deleted"
                );
            }
            LifecycleAction::BulkDone {
                request,
                label,
                result: result.map_err(failure),
            }
        }
        LifecycleEffect::BulkUndo { request, undo } => LifecycleAction::BulkUndone {
            request,
            result: store.bulk_undo(&undo).await.map_err(failure),
            undo,
        },
    };
    Action::Lifecycle(action)
}
