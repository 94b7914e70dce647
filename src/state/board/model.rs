//! The board's data: columns of lead cards, optimistic moves, paging. Plain data, no I/O.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::data::models::{
    BoardSort, ColumnCursor, ColumnPage, LeadCard, LeadHit, Pipeline, Stage, StageSummary,
};

use crate::state::RequestId;

/// Where a column's first page stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ColumnStatus {
    /// Not requested yet (off screen).
    #[default]
    Idle,
    /// First page requested, nothing to show yet.
    Loading,
    /// Cards are loaded (more may be in flight).
    Ready,
    /// The first page failed; the message is shown in the column.
    Failed(String),
}

/// One stage and the cards loaded for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub stage: Stage,
    pub cards: Vec<LeadCard>,
    /// Index of the selected card (meaningful when `cards` is not empty).
    pub selected: usize,
    /// First visible card.
    pub offset: usize,
    /// Keyset cursor of the next page; `None` when exhausted or not loaded.
    pub next_cursor: Option<ColumnCursor>,
    pub status: ColumnStatus,
    /// The page request in flight, if any.
    pub loading: Option<RequestId>,
    /// The cards shown are from before a refresh or sort change; the first page is reloaded
    /// when the column is visible.
    pub stale: bool,
}

impl Column {
    pub fn new(stage: Stage) -> Self {
        Column {
            stage,
            cards: Vec::new(),
            selected: 0,
            offset: 0,
            next_cursor: None,
            status: ColumnStatus::Idle,
            loading: None,
            stale: false,
        }
    }

    pub fn selected_card(&self) -> Option<&LeadCard> {
        self.cards.get(self.selected)
    }

    pub fn selected_id(&self) -> Option<Uuid> {
        self.selected_card().map(|c| c.id)
    }

    pub fn position(&self, lead_id: Uuid) -> Option<usize> {
        self.cards.iter().position(|c| c.id == lead_id)
    }

    /// Inserts a card, keeping the selection on the card it was on.
    pub fn insert_card(&mut self, index: usize, card: LeadCard) -> usize {
        let index = index.min(self.cards.len());
        let had_cards = !self.cards.is_empty();
        self.cards.insert(index, card);
        if had_cards && index <= self.selected {
            self.selected += 1;
        }
        self.clamp_selection();
        index
    }

    /// Removes a card, keeping the selection on the card it was on (or the next one).
    pub fn remove_card(&mut self, index: usize) -> Option<LeadCard> {
        if index >= self.cards.len() {
            return None;
        }
        let card = self.cards.remove(index);
        if index < self.selected {
            self.selected -= 1;
        }
        self.clamp_selection();
        Some(card)
    }

    pub fn clamp_selection(&mut self) {
        self.selected = self.selected.min(self.cards.len().saturating_sub(1));
    }

    /// True when every card of the stage is loaded.
    pub fn exhausted(&self) -> bool {
        self.status == ColumnStatus::Ready && self.next_cursor.is_none()
    }

    /// Where a card belongs by the sort order among the loaded cards; the top when it would land
    /// after the last loaded card of a column that has more pages.
    pub fn sort_position(&self, card: &LeadCard, sort: BoardSort) -> usize {
        let pos = self
            .cards
            .iter()
            .position(|c| sort_cmp(sort, card, c) == Ordering::Less)
            .unwrap_or(self.cards.len());
        if pos == self.cards.len() && self.next_cursor.is_some() {
            0
        } else {
            pos
        }
    }
}

/// The board order for each sort, as the store pages it: best score first; most recently
/// contacted first (never contacted last); newest first. Ties by id, descending.
/// Ascending sorts are the exact reverse (`S`).
pub fn sort_cmp(sort: BoardSort, a: &LeadCard, b: &LeadCard) -> Ordering {
    let primary = match sort.key() {
        BoardSort::LastContact => b.last_contacted_at.cmp(&a.last_contacted_at),
        BoardSort::Newest => b.created_at.cmp(&a.created_at),
        _ => b.score.cmp(&a.score),
    };
    let order = primary.then_with(|| b.id.cmp(&a.id));
    if sort.ascending() {
        order.reverse()
    } else {
        order
    }
}

/// A move the database has not confirmed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingMove {
    pub request: RequestId,
    pub lead_id: Uuid,
    pub from_stage: Uuid,
    pub to_stage: Uuid,
    pub lost_reason: Option<String>,
    /// A move into/out of a closed stage with its choices, or the undo of one (issue 10).
    pub closing: Option<PendingClose>,
    /// False while it waits behind an earlier move of the same lead.
    pub sent: bool,
    /// Where the card was in the source column, to put it back on failure.
    pub restore_index: usize,
}

/// What a move does beyond the stage (migration 0006: `close_lead` / `undo_close`).
#[derive(Debug, Clone, PartialEq)]
pub enum PendingClose {
    Choose {
        deals: crate::data::closing::DealChoice,
        tasks: crate::data::closing::TaskChoice,
    },
    Undo(crate::data::closing::CloseUndo),
}

/// A jump-to-lead target being paged in.
#[derive(Debug, Clone, PartialEq)]
pub struct Seek {
    pub hit: LeadHit,
    pub pages_left: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BoardStatus {
    #[default]
    Loading,
    Ready,
    Failed(String),
}

/// Everything the board screen shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Board {
    pub pipelines: Vec<Pipeline>,
    pub pipeline_id: Option<Uuid>,
    pub columns: Vec<Column>,
    pub summaries: HashMap<Uuid, StageSummary>,
    /// The filter `summaries` were counted under. Headers show them only under that filter:
    /// after a filter change they wait for their own count instead of showing the last one's.
    pub summaries_under: Option<crate::filter::Filter>,
    pub sort: BoardSort,
    /// Selected column.
    pub selected: usize,
    /// First visible column.
    pub col_offset: usize,
    pub status: BoardStatus,
    pub load_request: Option<RequestId>,
    pub summaries_request: Option<RequestId>,
    /// A teammate's change arrived while filtered totals were being counted: count once more
    /// when they land (one count in flight at a time, however many teammates write).
    pub summaries_owed: bool,
    pub pending: Vec<PendingMove>,
    /// The period the won/lost headers count (`P`).
    pub period: crate::data::closing::Period,
    /// Won/lost totals of the closed stages in `period`.
    pub closed: HashMap<Uuid, crate::data::closing::ClosedTotals>,
    /// The filter and period `closed` were counted under (shown only under those, like
    /// `summaries_under`).
    pub closed_under: Option<(crate::filter::Filter, crate::data::closing::Period)>,
    pub closed_request: Option<RequestId>,
    /// The person logged in: their own cards are marked.
    pub me: Option<Uuid>,
    pub seek: Option<Seek>,
    /// The filter the columns and their totals show (empty: every lead).
    pub filter: crate::filter::Filter,
    /// What the filter bar completes; read when it first opens.
    pub filter_choices: Option<crate::filter::FilterChoices>,
    pub filter_choices_request: Option<RequestId>,
    /// Saved views (own and shared), read at start and when the picker opens.
    pub views: Vec<crate::data::views::SavedView>,
    pub views_request: Option<RequestId>,
    /// `G` is reading this stage's column to its end (`bottom.rs`).
    pub to_bottom: Option<Uuid>,
    /// Owner changes, deletes and copies in flight, the team and the login's role (issue 12).
    pub lifecycle: crate::state::lifecycle::Lifecycle,
    /// Marked cards (`space`, `V`): m / o / T / D act on all of them (`marks.rs`).
    pub marks: std::collections::BTreeSet<Uuid>,
    /// The range `V` is marking, while it follows the selection.
    pub range: Option<MarkRange>,
    /// The bulk write or undo awaited (one at a time).
    pub bulk_request: Option<RequestId>,
}

/// `V`: from the anchor card to the selected one in one column, added to the marks there were.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkRange {
    pub stage_id: Uuid,
    pub anchor: Uuid,
    pub base: std::collections::BTreeSet<Uuid>,
}

impl Board {
    pub fn pipeline(&self) -> Option<&Pipeline> {
        let id = self.pipeline_id?;
        self.pipelines.iter().find(|p| p.id == id)
    }

    pub fn column(&self) -> Option<&Column> {
        self.columns.get(self.selected)
    }

    pub fn column_mut(&mut self) -> Option<&mut Column> {
        self.columns.get_mut(self.selected)
    }

    pub fn column_index(&self, stage_id: Uuid) -> Option<usize> {
        self.columns.iter().position(|c| c.stage.id == stage_id)
    }

    pub fn selected_card(&self) -> Option<&LeadCard> {
        self.column().and_then(Column::selected_card)
    }

    pub fn summary(&self, stage_id: Uuid) -> StageSummary {
        self.summaries.get(&stage_id).copied().unwrap_or_default()
    }

    /// The organization's currency, as the totals read it (USD before they arrive).
    pub fn currency(&self) -> crate::currency::Code {
        self.summaries
            .values()
            .map(|s| s.currency)
            .chain(self.closed.values().map(|c| c.currency))
            .next()
            .unwrap_or_default()
    }

    /// Open deals in other currencies than the organization's, over the open stages (left out
    /// of the forecast): the largest stage amount and how many currencies at most one stage has.
    pub fn other_currencies(&self) -> crate::currency::Others {
        let mut out = crate::currency::Others::default();
        for c in self
            .columns
            .iter()
            .filter(|c| !(c.stage.is_won || c.stage.is_lost))
        {
            let others = self.summary(c.stage.id).others;
            if let Some((code, amount)) = others.largest {
                // Stages with different currencies make several, whatever each counts.
                let differs = out.largest.is_some_and(|(c, _)| c != code);
                out.currencies =
                    out.currencies
                        .max(others.currencies)
                        .max(if differs { 2 } else { 1 });
                if out.largest.is_none_or(|(_, a)| amount > a) {
                    out.largest = Some((code, amount));
                }
            }
        }
        out
    }

    /// The pipeline's open forecast: weighted open amounts of its open stages.
    pub fn forecast(&self) -> f64 {
        self.columns
            .iter()
            .filter(|c| !(c.stage.is_won || c.stage.is_lost))
            .map(|c| self.summary(c.stage.id).weighted_deal_amount)
            // Not `sum()`: an empty f64 sum is -0.0, shown as "$-0".
            .fold(0.0, |total, amount| total + amount)
    }

    /// Whether the open totals (`summaries`) are the current filter's.
    pub fn totals_shown(&self) -> bool {
        self.summaries_under.as_ref() == Some(&self.filter)
    }

    /// Whether the won/lost totals (`closed`) are the current filter's and period's.
    pub fn closed_shown(&self) -> bool {
        self.closed_under
            .as_ref()
            .is_some_and(|(filter, period)| *filter == self.filter && *period == self.period)
    }

    pub fn is_pending(&self, lead_id: Uuid) -> bool {
        self.pending.iter().any(|p| p.lead_id == lead_id)
    }

    /// Finds a loaded card anywhere on the board: (column, index).
    pub fn find_card(&self, lead_id: Uuid) -> Option<(usize, usize)> {
        self.columns
            .iter()
            .enumerate()
            .find_map(|(ci, col)| col.position(lead_id).map(|i| (ci, i)))
    }

    pub fn adjust_count(&mut self, stage_id: Uuid, delta: i64) {
        let s = self.summaries.entry(stage_id).or_default();
        s.lead_count = (s.lead_count + delta).max(0);
    }

    /// Takes a card out of its column and puts it into `to_col` at its sort position, counts
    /// adjusted. Returns the new index.
    pub fn relocate(
        &mut self,
        from: (usize, usize),
        to_col: usize,
        at: Option<usize>,
    ) -> Option<usize> {
        let sort = self.sort;
        let mut card = self.columns.get_mut(from.0)?.remove_card(from.1)?;
        let from_stage = card.stage_id;
        let Some(target) = self.columns.get_mut(to_col) else {
            // Put it back: the target vanished.
            if let Some(col) = self.columns.get_mut(from.0) {
                col.insert_card(from.1, card);
            }
            return None;
        };
        card.stage_id = target.stage.id;
        let to_stage = target.stage.id;
        let index = at.unwrap_or_else(|| target.sort_position(&card, sort));
        let index = target.insert_card(index, card);
        self.adjust_count(from_stage, -1);
        self.adjust_count(to_stage, 1);
        Some(index)
    }

    /// Applies a freshly fetched page to its column. Returns true when it was current.
    pub fn apply_page(&mut self, request: RequestId, page: ColumnPage, append: bool) -> bool {
        let Some(ci) = self.column_index(page.stage_id) else {
            return false;
        };
        let pending = self.pending.clone();
        let all_pending_cards: HashMap<Uuid, LeadCard> = pending
            .iter()
            .filter_map(|p| {
                self.find_card(p.lead_id)
                    .and_then(|(c, i)| self.columns.get(c)?.cards.get(i).cloned())
                    .map(|card| (p.lead_id, card))
            })
            .collect();
        let sort = self.sort;
        let Some(col) = self.columns.get_mut(ci) else {
            return false;
        };
        if col.loading != Some(request) {
            return false;
        }
        col.loading = None;
        col.next_cursor = page.next_cursor;
        col.status = ColumnStatus::Ready;
        if append {
            for card in page.cards {
                if col.position(card.id).is_none() && !pending.iter().any(|p| p.lead_id == card.id)
                {
                    col.cards.push(card);
                }
            }
        } else {
            let keep = col.selected_id();
            let old_index = col.selected;
            // Cards being moved belong where the optimistic move put them, not where the
            // server still has them.
            let stage_id = col.stage.id;
            col.cards = page
                .cards
                .into_iter()
                .filter(|c| !pending.iter().any(|p| p.lead_id == c.id))
                .collect();
            for (lead_id, card) in &all_pending_cards {
                if card.stage_id == stage_id && col.position(*lead_id).is_none() {
                    let at = col.sort_position(card, sort);
                    col.cards.insert(at.min(col.cards.len()), card.clone());
                }
            }
            col.selected = keep.and_then(|id| col.position(id)).unwrap_or(old_index);
            col.clamp_selection();
        }
        true
    }
}

/// Whole days since `t` ("3d"), or "—" when never.
pub fn days_since(now: DateTime<Utc>, t: Option<DateTime<Utc>>) -> String {
    match t {
        Some(t) => format!("{}d", (now - t).num_days().max(0)),
        None => "—".to_string(),
    }
}

/// Stale: last contact longer ago than `stale_after_days`, or never contacted and created that
/// long ago.
/// Days since the last contact (or creation) when that is longer than the stage allows
/// (`rotting_days`, migration 0005); `None` while fresh or in a stage that never rots.
pub fn rotting_age(now: DateTime<Utc>, card: &LeadCard, rotting_days: Option<i32>) -> Option<i64> {
    let limit = i64::from(rotting_days?);
    let since = card.last_contacted_at.unwrap_or(card.created_at);
    let days = (now - since).num_days();
    (days > limit).then_some(days)
}

pub fn is_stale(now: DateTime<Utc>, card: &LeadCard, stale_after_days: i64) -> bool {
    let since = card.last_contacted_at.unwrap_or(card.created_at);
    (now - since).num_days() > stale_after_days
}

/// "Ada Lovelace" → "AL"; "cher" → "C".
pub fn initials(name: &str) -> String {
    // Drawn for every card of every frame: the first and last word, without collecting them.
    let mut words = name.split_whitespace();
    let (first, last) = (words.next(), words.next_back());
    let mut out = String::new();
    for word in [first, last].into_iter().flatten() {
        if let Some(c) = word.chars().find(|c| c.is_alphabetic()) {
            out.extend(c.to_uppercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_compact() {
        use crate::currency::compact;
        assert_eq!(compact(0.0, "USD"), "$0");
        assert_eq!(compact(950.0, "USD"), "$950");
        assert_eq!(compact(4300.0, "USD"), "$4.3k");
        assert_eq!(compact(430_000.0, "USD"), "$430k");
        assert_eq!(compact(1_200_000.0, "USD"), "$1.2M");
        assert_eq!(compact(2_000_000.0, "USD"), "$2M");
        assert_eq!(compact(f64::NAN, "USD"), "$0");
    }

    #[test]
    fn initials_work() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("cher"), "C");
        assert_eq!(initials("  "), "");
        assert_eq!(initials("Jean de la Fontaine"), "JF");
    }
}
