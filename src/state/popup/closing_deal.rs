//! Marking a deal won or lost on the lead screen's Deals tab is half of closing the lead: the
//! closing popup offers to move the lead to the pipeline's won (lost) stage as well. Accepting
//! runs the board's closing move (`closer.close_lead`: the move, the lead's open deals, the
//! tasks, the reason in one round trip; `u` on the board undoes it exactly); unticking the move
//! saves only the deal, as before; cancel goes back to the form.

use uuid::Uuid;

use super::closing::{CloseKind, CloseRow, ClosingDialog};
use super::{Form, Popup};
use crate::state::lead::{DealChanges, DealStatus, FormKind, LeadEffect};
use crate::state::{Effect, Screen, State};

/// The deal save the popup holds back while the rep decides.
#[derive(Debug, Clone, PartialEq)]
pub struct DealOrigin {
    /// The form, shown again (saving) when only the deal is saved, or as typed on cancel.
    pub form: Form<FormKind>,
    /// The plain deal update (today's behaviour).
    pub save: LeadEffect,
    /// Move the lead too (the popup's first row).
    pub move_lead: bool,
    /// The lead's open deals, the marked one included (all are closed by the move).
    pub open_deals: usize,
}

/// Called with a valid deal save: opens the offer when the save only marks an open deal won or
/// lost, the lead sits in an open stage of the board's pipeline and the board holds its card
/// (the move runs through it). Otherwise the save is handed back untouched (`Some`).
pub(crate) fn offer(
    state: &mut State,
    form: Form<FormKind>,
    save: LeadEffect,
) -> Option<(Form<FormKind>, LeadEffect)> {
    let status = match (&form.kind, &save) {
        (
            FormKind::Deal {
                existing: Some(old),
                ..
            },
            LeadEffect::UpdateDeal { changes, .. },
        ) if old.status == DealStatus::Open => match changes.status {
            Some(s @ (DealStatus::Won | DealStatus::Lost))
                if *changes
                    == (DealChanges {
                        status: Some(s),
                        ..DealChanges::default()
                    }) =>
            {
                s
            }
            _ => return Some((form, save)),
        },
        _ => return Some((form, save)),
    };
    let Screen::Lead(screen) = &state.screen else {
        return Some((form, save));
    };
    let Some(data) = screen.data.as_deref() else {
        return Some((form, save));
    };
    let lead_id = data.detail.id;
    let from_stage = data.detail.stage_id;
    let board = &state.board;
    let from_open = board
        .column_index(from_stage)
        .and_then(|i| board.columns.get(i))
        .is_some_and(|c| !c.stage.is_won && !c.stage.is_lost);
    let target = board.columns.iter().find(|c| {
        if status == DealStatus::Won {
            c.stage.is_won
        } else {
            c.stage.is_lost
        }
    });
    let (Some(target), true, Some(_)) = (target, from_open, board.find_card(lead_id)) else {
        return Some((form, save));
    };
    let name = data.detail.name.clone();
    let open_tasks = data.tasks.iter().filter(|t| !t.is_done()).count();
    let open_deals = data
        .deals
        .iter()
        .filter(|d| d.status == DealStatus::Open)
        .count();
    let kind = if status == DealStatus::Won {
        CloseKind::Won
    } else {
        CloseKind::Lost
    };
    let title = format!(
        "Deal marked {}: close {name} as well?",
        if kind == CloseKind::Won {
            "won"
        } else {
            "lost"
        }
    );
    let dialog = ClosingDialog {
        lead_id,
        from_stage,
        to_stage: target.stage.id,
        kind,
        title,
        warning: None,
        reason: String::new(),
        close_deals: true,
        tasks: crate::data::closing::TaskChoice::Complete,
        open_tasks: i64::try_from(open_tasks).unwrap_or(0),
        focus: CloseRow::Move,
        hint: None,
        recent: Vec::new(),
        deal: Some(Box::new(DealOrigin {
            form,
            save,
            move_lead: true,
            open_deals: open_deals.max(1),
        })),
    };
    state.popup = Some(Popup::Closing(dialog));
    None
}

/// The sentence of the move row.
pub fn move_label(dialog: &ClosingDialog, origin: &DealOrigin, stage: &str) -> String {
    let n = origin.open_deals;
    let deals = if n == 1 {
        "the deal".to_string()
    } else {
        format!("all {n} open deals")
    };
    match dialog.kind {
        CloseKind::Lost => format!("Move the lead to {stage} and mark {deals} lost"),
        _ => format!("Move the lead to {stage} and mark {deals} won (probability 100)"),
    }
}

/// Cancel: back to the form as typed.
pub(super) fn cancel(state: &mut State, origin: DealOrigin) -> Vec<Effect> {
    state.info("Deal not saved yet");
    super::show(state, Popup::Form(origin.form))
}

/// Only the deal is saved: exactly the form's save of before.
pub(super) fn save_deal_only(state: &mut State, origin: DealOrigin) -> Vec<Effect> {
    let DealOrigin { mut form, save, .. } = origin;
    if let LeadEffect::UpdateDeal { request, .. } = &save {
        form.saving = Some(*request);
    }
    let mut fx = super::show(state, Popup::Form(form));
    fx.push(Effect::Lead(save));
    fx
}

/// After a closing move (or its undo) settled: the lead screen showing that lead re-reads.
pub(crate) fn refresh_lead(state: &mut State, lead_id: Uuid) -> Vec<Effect> {
    match &state.screen {
        Screen::Lead(s) if s.lead_id == lead_id => {
            <crate::state::lead::Reducer as crate::state::screen::Contract>::reload(state)
        }
        _ => Vec::new(),
    }
}
