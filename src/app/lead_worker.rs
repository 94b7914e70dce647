//! Runs the lead screen's effects: data work against the store (the result comes back as an
//! action), the system opener for documents (detached), and `$EDITOR` for long notes (run by
//! the loop, which owns the terminal).

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use ratatui::Terminal;
use ratatui::backend::Backend;

use uuid::Uuid;

use super::worker::failure;
use crate::data::lead::NewDocument;
use crate::data::{self, DataError, PgStore};
use crate::state::lead::{LeadAction, LeadData, LeadEffect, LeadFields, Saved, UpdateOutcome};
use crate::state::popup::form::FieldId;
use crate::state::{Action, Failure, RequestId};

/// Entries the timeline loads (newest first); older ones are rarely looked at from here.
pub const TIMELINE_LIMIT: i64 = 500;

pub async fn run(store: &PgStore, effect: LeadEffect) -> Option<Action> {
    let action =
        match effect {
            LeadEffect::Load { request, lead_id } => LeadAction::Loaded {
                request,
                result: load(store, lead_id).await,
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
            } => saved(request, store.add_task(lead_id, task).await, |_| {
                Saved::Task
            }),
            LeadEffect::CompleteTask {
                request,
                task_id,
                version,
            } => saved(request, store.complete_task(task_id, version).await, |_| {
                Saved::TaskCompleted
            }),
            LeadEffect::RescheduleTask {
                request,
                task_id,
                version,
                due_date,
                due_time,
            } => saved(
                request,
                store
                    .reschedule_task(task_id, version, due_date, due_time)
                    .await,
                |_| Saved::Rescheduled,
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
                |_| Saved::Deal,
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
            LeadEffect::Open { target } => LeadAction::Opened(open_detached(&target).await),
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
async fn load(store: &PgStore, lead_id: Uuid) -> Result<Option<Box<LeadData>>, Failure> {
    let (detail, timeline, tasks, deals, documents) = tokio::join!(
        store.lead_detail(lead_id),
        store.timeline(lead_id, None, TIMELINE_LIMIT),
        store.lead_tasks(lead_id),
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
) -> Result<UpdateOutcome, Failure> {
    match store
        .update_lead(lead_id, version, fields.edit_from(base))
        .await
    {
        Ok(data::lead::UpdateOutcome::Saved { version }) => Ok(UpdateOutcome::Saved { version }),
        Ok(data::lead::UpdateOutcome::Conflict { theirs, .. }) => Ok(UpdateOutcome::Conflict {
            version: theirs.version,
            theirs: Box::new(LeadFields::of(&theirs)),
        }),
        Err(DataError::NotFound) => Ok(UpdateOutcome::Gone),
        Err(e) => Err(failure(e)),
    }
}

// ---------------------------------------------------------------------------
// The system opener
// ---------------------------------------------------------------------------

/// Starts `xdg-open` (Linux) or `open` (macOS) on a checked file or URL, detached: its output
/// never reaches the TUI and the loop never waits for the application it starts.
async fn open_detached(target: &str) -> Result<String, String> {
    crate::state::lead::openable(target)?;
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let path = target
        .strip_prefix("~/")
        .and_then(|rest| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(rest)));
    let arg = path.map_or_else(|| target.into(), |p| p.into_os_string());
    let child = tokio::process::Command::new(opener)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(false)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            return Err(format!(
                "Could not start {opener}: {e} (install it, or open the link yourself)"
            ));
        }
    };
    // xdg-open hands over to the application and exits; a quick failure is worth reporting.
    match tokio::time::timeout(std::time::Duration::from_secs(5), child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(crate::text::clean_line(target).into_owned()),
        Ok(Ok(status)) => Err(format!(
            "{opener} could not open {} ({status})",
            crate::text::clean_line(target)
        )),
        Ok(Err(e)) => Err(format!("{opener} failed: {e}")),
        // Still running: it opened something that keeps it alive; leave it be.
        Err(_) => Ok(crate::text::clean_line(target).into_owned()),
    }
}

// ---------------------------------------------------------------------------
// $EDITOR
// ---------------------------------------------------------------------------

/// Edits `text` in `$VISUAL` / `$EDITOR` (else `vi`): leaves the alternate screen and raw mode,
/// waits for the editor, restores the terminal and forces a full redraw. The loop calls this
/// instead of polling input, so the editor gets every key.
pub async fn external_edit<B: Backend>(
    terminal: &mut Terminal<B>,
    field: FieldId,
    text: String,
) -> Action {
    let result = edit_in_editor(&text).await;
    resume_terminal();
    let _ = terminal.clear();
    let size = terminal.size().ok().map(|s| (s.width, s.height));
    Action::Lead(LeadAction::Edited {
        field,
        result,
        size,
    })
}

fn resume_terminal() {
    use crossterm::event::EnableMouseCapture;
    use crossterm::execute;
    use crossterm::terminal::{EnterAlternateScreen, enable_raw_mode};
    let _ = enable_raw_mode();
    let _ = execute!(std::io::stdout(), EnterAlternateScreen, EnableMouseCapture);
}

/// The editor command: program and arguments (split on whitespace, e.g. `code --wait`).
fn editor_command() -> (String, Vec<String>) {
    let configured = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string());
    let mut words = configured.split_whitespace().map(str::to_string);
    let program = words.next().unwrap_or_else(|| "vi".to_string());
    (program, words.collect())
}

async fn edit_in_editor(text: &str) -> Result<String, String> {
    let path = temp_file(text).map_err(|e| format!("Could not write a temporary file: {e}"))?;
    let (program, args) = editor_command();
    crate::tui::restore();
    let status = tokio::process::Command::new(&program)
        .args(&args)
        .arg(&path)
        .status()
        .await;
    let result = match status {
        Ok(s) if s.success() => tokio::fs::read(&path)
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| format!("Could not read the edited text back: {e}")),
        Ok(s) => Err(format!("{program} exited with {s}: the text is unchanged")),
        Err(e) => Err(format!(
            "Could not start {program}: {e} (set $EDITOR): the text is unchanged"
        )),
    };
    let _ = tokio::fs::remove_file(&path).await;
    result
}

/// A new private file (0600, never an existing one) holding `text`.
fn temp_file(text: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir();
    for attempt in 0..16u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(
            "closer-note-{}-{nanos}-{attempt}.md",
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}
