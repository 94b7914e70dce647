//! What the lead screen shows (the data layer's rows, re-exported) and the few screen-side
//! shapes around them: the editable fields as typed, the timeline filter, quick keys.

use crate::state::popup::form::FieldId;

pub use crate::data::lead::{
    DEAL_STAGES, Deal, DealChanges, DealStatus, Direction, DocumentType, InteractionKind,
    LeadDetail, LeadDocument, LeadEdit, LeadTag, LeadTask, NewDeal, NewInteraction, NewLead,
    NewTask, TimelineEntry, TimelineSource,
};
pub use crate::data::models::{TaskPriority, TaskStatus};

/// The fields `e` edits, as text (empty = none). Compared field by field on a conflict.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeadFields {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub mobile: String,
    pub source: String,
    pub company: String,
    pub job_title: String,
    pub location: String,
    pub industry: String,
    pub budget_range: String,
    pub min_budget: String,
    pub max_budget: String,
    pub timeline: String,
    pub property_type: String,
}

/// `250000` rather than `250000.0`; cents kept when there are some.
pub fn amount_text(amount: f64) -> String {
    if amount.fract() == 0.0 {
        format!("{amount:.0}")
    } else {
        format!("{amount:.2}")
    }
}

impl LeadFields {
    /// (field, label) in form order.
    pub const FIELDS: [(FieldId, &'static str); 14] = [
        (FieldId::Name, "Name"),
        (FieldId::Email, "Email"),
        (FieldId::Phone, "Phone"),
        (FieldId::Mobile, "Mobile"),
        (FieldId::Source, "Source"),
        (FieldId::Company, "Company"),
        (FieldId::JobTitle, "Job title"),
        (FieldId::Location, "Location"),
        (FieldId::Industry, "Industry"),
        (FieldId::BudgetRange, "Budget range"),
        (FieldId::MinBudget, "Budget min"),
        (FieldId::MaxBudget, "Budget max"),
        (FieldId::Timeline, "Timeline"),
        (FieldId::PropertyType, "Property type"),
    ];

    /// The fields of a lead as stored.
    pub fn of(d: &LeadDetail) -> LeadFields {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let p = &d.profile;
        LeadFields {
            name: d.name.clone(),
            email: text(&d.email),
            phone: text(&d.phone),
            mobile: text(&d.mobile),
            source: text(&d.source),
            company: text(&p.company),
            job_title: text(&p.job_title),
            location: text(&p.location),
            industry: text(&p.industry),
            budget_range: text(&p.budget_range),
            min_budget: p.min_budget.map(amount_text).unwrap_or_default(),
            max_budget: p.max_budget.map(amount_text).unwrap_or_default(),
            timeline: text(&p.timeline),
            property_type: text(&p.property_type_interest),
        }
    }

    pub fn get(&self, id: FieldId) -> &str {
        match id {
            FieldId::Name => &self.name,
            FieldId::Email => &self.email,
            FieldId::Phone => &self.phone,
            FieldId::Mobile => &self.mobile,
            FieldId::Source => &self.source,
            FieldId::Company => &self.company,
            FieldId::JobTitle => &self.job_title,
            FieldId::Location => &self.location,
            FieldId::Industry => &self.industry,
            FieldId::BudgetRange => &self.budget_range,
            FieldId::MinBudget => &self.min_budget,
            FieldId::MaxBudget => &self.max_budget,
            FieldId::Timeline => &self.timeline,
            FieldId::PropertyType => &self.property_type,
            _ => "",
        }
    }

    pub fn set(&mut self, id: FieldId, value: String) {
        let slot = match id {
            FieldId::Name => &mut self.name,
            FieldId::Email => &mut self.email,
            FieldId::Phone => &mut self.phone,
            FieldId::Mobile => &mut self.mobile,
            FieldId::Source => &mut self.source,
            FieldId::Company => &mut self.company,
            FieldId::JobTitle => &mut self.job_title,
            FieldId::Location => &mut self.location,
            FieldId::Industry => &mut self.industry,
            FieldId::BudgetRange => &mut self.budget_range,
            FieldId::MinBudget => &mut self.min_budget,
            FieldId::MaxBudget => &mut self.max_budget,
            FieldId::Timeline => &mut self.timeline,
            FieldId::PropertyType => &mut self.property_type,
            _ => return,
        };
        *slot = value;
    }

    /// The fields that differ from `base`, as an edit that leaves the others alone. Amounts are
    /// parsed like the form does (already checked there); blank clears a field.
    pub fn edit_from(&self, base: &LeadFields) -> LeadEdit {
        let changed = |id: FieldId| self.get(id) != base.get(id);
        let text = |id: FieldId| {
            changed(id).then(|| {
                let v = self.get(id).trim();
                (!v.is_empty()).then(|| v.to_string())
            })
        };
        let amount = |id: FieldId| {
            changed(id).then(|| {
                crate::state::popup::form::parse_amount(self.get(id))
                    .ok()
                    .flatten()
            })
        };
        LeadEdit {
            name: changed(FieldId::Name).then(|| self.name.trim().to_string()),
            email: text(FieldId::Email),
            phone: text(FieldId::Phone),
            mobile: text(FieldId::Mobile),
            source: text(FieldId::Source),
            company: text(FieldId::Company),
            job_title: text(FieldId::JobTitle),
            location: text(FieldId::Location),
            industry: text(FieldId::Industry),
            budget_range: text(FieldId::BudgetRange),
            min_budget: amount(FieldId::MinBudget),
            max_budget: amount(FieldId::MaxBudget),
            timeline: text(FieldId::Timeline),
            property_type_interest: text(FieldId::PropertyType),
            ..LeadEdit::default()
        }
    }
}

impl InteractionKind {
    /// The quick key in the capture form.
    pub fn key(self) -> char {
        match self {
            InteractionKind::Email => 'e',
            InteractionKind::Call => 'c',
            InteractionKind::Meeting => 'm',
            InteractionKind::Note => 'n',
            InteractionKind::Sms => 's',
            InteractionKind::Whatsapp => 'w',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InteractionKind::Email => "Email",
            InteractionKind::Call => "Call",
            InteractionKind::Meeting => "Meeting",
            InteractionKind::Note => "Note",
            InteractionKind::Sms => "SMS",
            InteractionKind::Whatsapp => "WhatsApp",
        }
    }
}

impl Direction {
    pub fn parse(text: &str) -> Option<Direction> {
        match text {
            "inbound" => Some(Direction::Inbound),
            "outbound" => Some(Direction::Outbound),
            _ => None,
        }
    }
}

impl DealStatus {
    pub const ALL: [DealStatus; 3] = [DealStatus::Open, DealStatus::Won, DealStatus::Lost];

    pub fn parse(text: &str) -> Option<DealStatus> {
        DealStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl DocumentType {
    pub const ALL: [DocumentType; 5] = [
        DocumentType::Proposal,
        DocumentType::Contract,
        DocumentType::Brochure,
        DocumentType::Presentation,
        DocumentType::Other,
    ];

    pub fn parse(text: &str) -> Option<DocumentType> {
        DocumentType::ALL.into_iter().find(|d| d.as_str() == text)
    }

    pub fn key(self) -> char {
        match self {
            DocumentType::Proposal => 'p',
            DocumentType::Contract => 'c',
            DocumentType::Brochure => 'b',
            DocumentType::Presentation => 's',
            DocumentType::Other => 'o',
        }
    }
}

impl TaskPriority {
    pub const ALL: [TaskPriority; 3] =
        [TaskPriority::Low, TaskPriority::Medium, TaskPriority::High];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskPriority::Low => "low",
            TaskPriority::Medium => "medium",
            TaskPriority::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<TaskPriority> {
        TaskPriority::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

impl LeadTask {
    /// Completed or cancelled: no longer open.
    pub fn is_done(&self) -> bool {
        !self.status.is_open()
    }
}

/// The quick key of a deal stage.
pub fn deal_stage_key(stage: &str) -> char {
    match stage {
        "closed" => 'd',
        s => s.chars().next().unwrap_or('?'),
    }
}

/// What the timeline filter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimelineFilter {
    #[default]
    All,
    Kind(InteractionKind),
    Activities,
}

impl TimelineFilter {
    pub fn keeps(self, entry: &TimelineEntry) -> bool {
        match self {
            TimelineFilter::All => true,
            TimelineFilter::Kind(k) => entry.interaction_kind() == Some(k),
            TimelineFilter::Activities => entry.source == TimelineSource::Activity,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TimelineFilter::All => "all",
            TimelineFilter::Kind(k) => k.label(),
            TimelineFilter::Activities => "activities",
        }
    }
}

/// What the document form saves (metadata only; the worker reads a local file's size and type).
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentInput {
    /// A local path or a URL as typed.
    pub location: String,
    /// Overrides the name taken from the path or URL.
    pub file_name: Option<String>,
    pub document_type: DocumentType,
}

/// Everything the lead screen shows, loaded together.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadData {
    pub detail: LeadDetail,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
    /// Overdue first, then by due date, done last (the store's order).
    pub tasks: Vec<LeadTask>,
    pub deals: Vec<Deal>,
    pub documents: Vec<LeadDocument>,
}
