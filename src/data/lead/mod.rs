//! The lead detail screen's data: the lead with its profile and tags, the merged timeline, tasks,
//! deals, documents, and every write the screen makes.
//!
//! Same rules as `store.rs`: everything goes through the rep's own login (RLS applies), every
//! query also filters `organization_id` explicitly, and every write together with its
//! `lead_activities` row is ONE statement (data-modifying CTEs: one round trip, one transaction).
//! Writes on a lead are driven by a `select … from leads` (or the version-checked `update`), so a
//! lead the rep cannot see writes nothing and answers [`DataError::NotFound`].
//!
//! Optimistic locking (SECURITY.md): rows carry a `version` bumped by a trigger on every update;
//! writes say `… where id = $ and version = $expected`, and zero rows is re-read to tell
//! "someone changed it" ([`DataError::Conflict`] / [`UpdateOutcome::Conflict`]) from "gone or
//! invisible" ([`DataError::NotFound`]). The lead's version covers its profile too:
//! [`PgStore::update_lead`] always updates the lead row, so profile edits bump it.
//!
//! The family, one file each: the types (here), `read` (queries and row mapping), `write` (the
//! lead's writes), `edit` (the field diff behind `update_lead`), `document` (documents from a
//! path or a link), `summary` (activity sentences); input checks live in `data::validate`.

mod document;
mod edit;
mod read;
mod summary;
mod tags;
mod write;

pub use summary::activity_summary;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::models::{TaskPriority, TaskStatus};
#[cfg(doc)]
use super::{DataError, PgStore};

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

/// `interaction_type` in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "interaction_type", rename_all = "lowercase")]
pub enum InteractionKind {
    Email,
    Call,
    Meeting,
    Note,
    Sms,
    Whatsapp,
}

impl InteractionKind {
    pub const ALL: [InteractionKind; 6] = [
        InteractionKind::Email,
        InteractionKind::Call,
        InteractionKind::Meeting,
        InteractionKind::Note,
        InteractionKind::Sms,
        InteractionKind::Whatsapp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InteractionKind::Email => "email",
            InteractionKind::Call => "call",
            InteractionKind::Meeting => "meeting",
            InteractionKind::Note => "note",
            InteractionKind::Sms => "sms",
            InteractionKind::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(text: &str) -> Option<InteractionKind> {
        InteractionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// `interaction_direction` in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "interaction_direction", rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// `document_type` in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "document_type", rename_all = "lowercase")]
pub enum DocumentType {
    Proposal,
    Contract,
    Brochure,
    Presentation,
    Other,
}

impl DocumentType {
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentType::Proposal => "proposal",
            DocumentType::Contract => "contract",
            DocumentType::Brochure => "brochure",
            DocumentType::Presentation => "presentation",
            DocumentType::Other => "other",
        }
    }
}

/// `deal_status` in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "deal_status", rename_all = "lowercase")]
pub enum DealStatus {
    Open,
    Won,
    Lost,
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }
}

/// The deal stages the database allows (`deals.stage` check).
pub const DEAL_STAGES: [&str; 5] = [
    "qualification",
    "proposal",
    "negotiation",
    "closing",
    "closed",
];

/// One tag on a lead.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct LeadTag {
    pub id: Uuid,
    pub tag: String,
    /// `#rrggbb`.
    pub color: String,
}

/// The lead's `lead_profiles` row (all `None` / `{}` when the lead has none yet).
#[derive(Debug, Clone, PartialEq, Default, sqlx::FromRow)]
pub struct LeadProfile {
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub location: Option<String>,
    pub industry: Option<String>,
    pub lead_score: Option<i32>,
    /// `low`, `medium` or `high`.
    pub engagement_level: Option<String>,
    pub budget_range: Option<String>,
    pub timeline: Option<String>,
    /// `numeric(14, 2)` read as `float8` (exact for every value the column can hold to 2 places).
    pub min_budget: Option<f64>,
    pub max_budget: Option<f64>,
    pub property_type_interest: Option<String>,
    pub preferences: Value,
    pub custom_fields: Value,
    /// `None` when the lead has no profile row (the first profile edit creates it).
    #[sqlx(rename = "profile_version")]
    pub version: Option<i32>,
}

/// The lead with its stage, owner, profile, project/property and tags: one round trip.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LeadDetail {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub mobile: Option<String>,
    pub stage_id: Uuid,
    pub stage_name: String,
    pub stage_color: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub score: i32,
    pub engagement_score: i32,
    pub interest_level: i32,
    pub purchase_readiness: i32,
    pub total_calls: i32,
    pub last_sentiment_score: Option<f64>,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub source: Option<String>,
    pub lead_source: Option<String>,
    pub lost_reason: Option<String>,
    pub metadata: Value,
    pub project_id: Option<Uuid>,
    pub project_name: Option<String>,
    pub property_id: Option<Uuid>,
    pub property_name: Option<String>,
    #[sqlx(flatten)]
    pub profile: LeadProfile,
    /// Ordered by tag.
    #[sqlx(json)]
    pub tags: Vec<LeadTag>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The lead's version: pass it to [`PgStore::update_lead`].
    pub version: i32,
}

/// What the timeline shows: `None` = everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineKind {
    /// Every interaction, no activities.
    Interactions,
    /// Interactions of one type.
    Interaction(InteractionKind),
    /// Activities only (stage changes, tasks, edits, …).
    Activities,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineSource {
    Interaction,
    Activity,
}

/// One timeline row: an interaction or an activity.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub id: Uuid,
    pub source: TimelineSource,
    /// The interaction type (`call`, `email`, …) or the activity type (`stage_change`, …).
    pub kind: String,
    pub direction: Option<Direction>,
    pub subject: Option<String>,
    /// The interaction's text; for an activity a readable sentence ([`activity_summary`]).
    pub content: Option<String>,
    pub outcome: Option<String>,
    pub duration_secs: Option<i32>,
    pub email_opened: bool,
    pub email_clicked: bool,
    /// Full name of who logged it (`None` if that person is gone or not visible).
    pub who: Option<String>,
    /// `occurred_at` of an interaction, `created_at` of an activity.
    pub at: DateTime<Utc>,
    /// An activity's raw `content`.
    pub details: Option<Value>,
}

impl TimelineEntry {
    /// The interaction type, for interactions.
    pub fn interaction_kind(&self) -> Option<InteractionKind> {
        match self.source {
            TimelineSource::Interaction => InteractionKind::parse(&self.kind),
            TimelineSource::Activity => None,
        }
    }
}

/// A task of the lead.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LeadTask {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub due_time: Option<NaiveTime>,
    pub priority: TaskPriority,
    /// As stored (set from the due date at write time).
    pub status: TaskStatus,
    /// Derived now, in the rep's time zone (the same rule as the board and the inbox).
    pub overdue: bool,
    pub assigned_to: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
    pub due_date: Option<NaiveDate>,
    /// Needs a `due_date`.
    pub due_time: Option<NaiveTime>,
    pub priority: TaskPriority,
    /// `None`: me.
    pub assigned_to: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Deal {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub property_id: Option<Uuid>,
    pub name: String,
    pub amount: f64,
    /// ISO 4217 code (migration 0022).
    pub currency: String,
    pub stage: String,
    pub probability: i32,
    pub status: DealStatus,
    pub expected_close_date: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDeal {
    pub name: String,
    pub amount: f64,
    /// ISO 4217 code; `None`: the organization's.
    pub currency: Option<String>,
    /// One of [`DEAL_STAGES`].
    pub stage: String,
    pub probability: i32,
    pub status: DealStatus,
    pub expected_close_date: Option<NaiveDate>,
}

/// A version-checked deal edit: `None` leaves a field alone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DealChanges {
    pub name: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub stage: Option<String>,
    pub probability: Option<i32>,
    pub status: Option<DealStatus>,
    /// `Some(None)` clears the date.
    pub expected_close_date: Option<Option<NaiveDate>>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LeadDocument {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub file_name: String,
    pub file_url: String,
    pub file_type: Option<String>,
    pub file_size: Option<i64>,
    pub document_type: DocumentType,
    pub uploaded_by: Option<Uuid>,
    pub uploaded_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

/// Document metadata (the file itself stays where it is). See [`NewDocument::from_location`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewDocument {
    pub file_name: String,
    pub file_url: String,
    pub file_type: Option<String>,
    pub file_size: Option<i64>,
    pub document_type: DocumentType,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    pub kind: InteractionKind,
    /// A note has none (or outbound).
    pub direction: Option<Direction>,
    pub subject: Option<String>,
    pub content: Option<String>,
    pub duration_secs: Option<i32>,
    pub outcome: Option<String>,
}

/// What [`PgStore::log_interaction`] changed.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedInteraction {
    pub interaction_id: Uuid,
    /// The lead's version afterwards (unchanged when the interaction does not touch the lead:
    /// inbound non-calls and notes).
    pub lead_version: i32,
    pub total_calls: i32,
    pub last_contacted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewLead {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Goes into the new `lead_profiles` row.
    pub company: Option<String>,
    pub stage_id: Uuid,
    /// `None`: me.
    pub assigned_to: Option<Uuid>,
}

/// A field [`LeadEdit`] can change (lead or profile column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeadField {
    Name,
    Email,
    Phone,
    Mobile,
    Source,
    LeadSource,
    Score,
    EngagementScore,
    InterestLevel,
    PurchaseReadiness,
    AssignedTo,
    Company,
    JobTitle,
    Location,
    Industry,
    LeadScore,
    EngagementLevel,
    BudgetRange,
    Timeline,
    MinBudget,
    MaxBudget,
    PropertyTypeInterest,
}

impl LeadField {
    /// In form order.
    pub const ALL: [LeadField; 22] = [
        LeadField::Name,
        LeadField::Email,
        LeadField::Phone,
        LeadField::Mobile,
        LeadField::Source,
        LeadField::LeadSource,
        LeadField::Score,
        LeadField::EngagementScore,
        LeadField::InterestLevel,
        LeadField::PurchaseReadiness,
        LeadField::AssignedTo,
        LeadField::Company,
        LeadField::JobTitle,
        LeadField::Location,
        LeadField::Industry,
        LeadField::LeadScore,
        LeadField::EngagementLevel,
        LeadField::BudgetRange,
        LeadField::Timeline,
        LeadField::MinBudget,
        LeadField::MaxBudget,
        LeadField::PropertyTypeInterest,
    ];

    /// The column name (also the name recorded in the `lead_updated` activity).
    pub fn column(self) -> &'static str {
        match self {
            LeadField::Name => "name",
            LeadField::Email => "email",
            LeadField::Phone => "phone",
            LeadField::Mobile => "mobile",
            LeadField::Source => "source",
            LeadField::LeadSource => "lead_source",
            LeadField::Score => "score",
            LeadField::EngagementScore => "engagement_score",
            LeadField::InterestLevel => "interest_level",
            LeadField::PurchaseReadiness => "purchase_readiness",
            LeadField::AssignedTo => "assigned_to",
            LeadField::Company => "company",
            LeadField::JobTitle => "job_title",
            LeadField::Location => "location",
            LeadField::Industry => "industry",
            LeadField::LeadScore => "lead_score",
            LeadField::EngagementLevel => "engagement_level",
            LeadField::BudgetRange => "budget_range",
            LeadField::Timeline => "timeline",
            LeadField::MinBudget => "min_budget",
            LeadField::MaxBudget => "max_budget",
            LeadField::PropertyTypeInterest => "property_type_interest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LeadField::Name => "name",
            LeadField::Email => "email",
            LeadField::Phone => "phone",
            LeadField::Mobile => "mobile",
            LeadField::Source => "source",
            LeadField::LeadSource => "lead source",
            LeadField::Score => "score",
            LeadField::EngagementScore => "engagement score",
            LeadField::InterestLevel => "interest level",
            LeadField::PurchaseReadiness => "purchase readiness",
            LeadField::AssignedTo => "owner",
            LeadField::Company => "company",
            LeadField::JobTitle => "job title",
            LeadField::Location => "location",
            LeadField::Industry => "industry",
            LeadField::LeadScore => "lead score",
            LeadField::EngagementLevel => "engagement level",
            LeadField::BudgetRange => "budget range",
            LeadField::Timeline => "timeline",
            LeadField::MinBudget => "minimum budget",
            LeadField::MaxBudget => "maximum budget",
            LeadField::PropertyTypeInterest => "property type",
        }
    }

    pub fn from_column(column: &str) -> Option<LeadField> {
        LeadField::ALL.into_iter().find(|f| f.column() == column)
    }

    /// A `lead_profiles` column (else a `leads` column).
    pub fn is_profile(self) -> bool {
        matches!(
            self,
            LeadField::Company
                | LeadField::JobTitle
                | LeadField::Location
                | LeadField::Industry
                | LeadField::LeadScore
                | LeadField::EngagementLevel
                | LeadField::BudgetRange
                | LeadField::Timeline
                | LeadField::MinBudget
                | LeadField::MaxBudget
                | LeadField::PropertyTypeInterest
        )
    }
}

/// A version-checked edit of a lead and its profile. `None` leaves a field alone; for a nullable
/// field `Some(None)` (or `Some(Some(""))`) clears it. Text is stored as typed, except that
/// email and phone numbers are trimmed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LeadEdit {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub mobile: Option<Option<String>>,
    pub source: Option<Option<String>>,
    pub lead_source: Option<Option<String>>,
    pub score: Option<i32>,
    pub engagement_score: Option<i32>,
    pub interest_level: Option<i32>,
    pub purchase_readiness: Option<i32>,
    pub assigned_to: Option<Option<Uuid>>,
    pub company: Option<Option<String>>,
    pub job_title: Option<Option<String>>,
    pub location: Option<Option<String>>,
    pub industry: Option<Option<String>>,
    pub lead_score: Option<Option<i32>>,
    pub engagement_level: Option<Option<String>>,
    pub budget_range: Option<Option<String>>,
    pub timeline: Option<Option<String>>,
    pub min_budget: Option<Option<f64>>,
    pub max_budget: Option<Option<f64>>,
    pub property_type_interest: Option<Option<String>>,
}

/// One field both reps changed differently: what I tried to save and what is stored now.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDiff {
    pub field: LeadField,
    /// As text (`None` = empty); numbers without trailing `.0`, the owner as a profile id.
    pub mine: Option<String>,
    pub theirs: Option<String>,
}

/// The answer to [`PgStore::update_lead`]. A lead that is gone or invisible is
/// `Err(DataError::NotFound)`.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateOutcome {
    /// Saved; the lead's new version.
    Saved { version: i32 },
    /// Someone saved first. `theirs` is the lead as it is now (its `version` is the one to save
    /// against); `differing` lists the fields I changed whose stored value differs from mine
    /// (empty when they saved the same values).
    Conflict {
        theirs: Box<LeadDetail>,
        differing: Vec<FieldDiff>,
    },
}

/// Longest text accepted for an interaction's content (the column's check).
pub const MAX_CONTENT_CHARS: usize = 2_000_000;
