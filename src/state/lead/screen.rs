//! The lead screen's own state: which lead, which tab, what is selected, what is loading.

use crossterm::event::KeyEvent;
use uuid::Uuid;

use super::*;

/// The tabs, in order (number keys 1–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Overview,
    Timeline,
    Tasks,
    Deals,
    Documents,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Overview,
        Tab::Timeline,
        Tab::Tasks,
        Tab::Deals,
        Tab::Documents,
    ];

    pub fn index(self) -> usize {
        match self {
            Tab::Overview => 0,
            Tab::Timeline => 1,
            Tab::Tasks => 2,
            Tab::Deals => 3,
            Tab::Documents => 4,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Timeline => "Timeline",
            Tab::Tasks => "Tasks",
            Tab::Deals => "Deals",
            Tab::Documents => "Documents",
        }
    }

    /// The next (or previous) tab, wrapping around.
    pub(super) fn step(self, forward: bool) -> Tab {
        let n = Tab::ALL.len();
        let i = if forward { 1 } else { n - 1 };
        Tab::ALL[(self.index() + i) % n]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadStatus {
    Loading,
    Ready,
    Failed(String),
    /// Deleted, or no longer visible to this login.
    Gone,
}

/// What the lead screen shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadScreen {
    pub lead_id: Uuid,
    /// Known from the card until the lead loads.
    pub name: String,
    pub tab: Tab,
    /// The board column (stage) the rep came from: `[` / `]` walk it.
    pub origin: Option<Uuid>,
    /// Index in that column when opened (used if the lead has left the column since).
    pub origin_index: usize,
    pub status: LeadStatus,
    /// The last data loaded (kept on screen while a reload runs).
    pub data: Option<Box<LeadData>>,
    /// The load awaited.
    pub request: Option<RequestId>,
    /// Selected row per tab (Overview: first visible line).
    pub selected: [usize; 5],
    /// First visible row per list tab (kept so the selection moves before the list scrolls).
    pub offset: [usize; 5],
    /// Expanded timeline entry and how far its content is scrolled.
    pub expanded: Option<Uuid>,
    pub expanded_scroll: usize,
    pub filter: TimelineFilter,
    /// Times are shown in this offset (the rep's local time when the screen opened).
    pub tz: FixedOffset,
    /// Keys typed before the first load, replayed after it (`typeahead.rs`).
    pub typeahead: Vec<KeyEvent>,
}

impl LeadScreen {
    pub fn new(lead_id: Uuid, name: String) -> LeadScreen {
        LeadScreen {
            lead_id,
            name,
            tab: Tab::Overview,
            origin: None,
            origin_index: 0,
            status: LeadStatus::Loading,
            data: None,
            request: None,
            selected: [0; 5],
            offset: [0; 5],
            expanded: None,
            expanded_scroll: 0,
            filter: TimelineFilter::All,
            tz: Local::now().offset().fix(),
            typeahead: Vec::new(),
        }
    }

    /// Timeline entries the filter keeps, newest first.
    pub fn timeline(&self) -> Vec<&TimelineEntry> {
        self.data
            .as_ref()
            .map(|d| d.timeline.iter().filter(|e| self.filter.keeps(e)).collect())
            .unwrap_or_default()
    }

    /// Rows of the current tab's list (Overview: 0).
    pub fn rows(&self) -> usize {
        let Some(data) = &self.data else {
            return 0;
        };
        match self.tab {
            Tab::Overview => 0,
            Tab::Timeline => self.timeline().len(),
            Tab::Tasks => data.tasks.len(),
            Tab::Deals => data.deals.len(),
            Tab::Documents => data.documents.len(),
        }
    }

    pub fn selected(&self) -> usize {
        self.selected[self.tab.index()]
    }

    pub fn selected_task(&self) -> Option<&LeadTask> {
        self.data
            .as_ref()?
            .tasks
            .get(self.selected[Tab::Tasks.index()])
    }

    pub fn selected_deal(&self) -> Option<&Deal> {
        self.data
            .as_ref()?
            .deals
            .get(self.selected[Tab::Deals.index()])
    }

    pub fn selected_document(&self) -> Option<&LeadDocument> {
        self.data
            .as_ref()?
            .documents
            .get(self.selected[Tab::Documents.index()])
    }

    pub fn selected_entry(&self) -> Option<&TimelineEntry> {
        self.timeline()
            .get(self.selected[Tab::Timeline.index()])
            .copied()
    }

    pub fn detail(&self) -> Option<&LeadDetail> {
        self.data.as_ref().map(|d| &d.detail)
    }
}
