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

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde_json::{Map, Value, json};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::DataError;
use super::models::{TaskPriority, TaskStatus};
use super::store::{PgStore, overdue_sql};

type Result<T> = std::result::Result<T, DataError>;

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
#[derive(Debug, Clone, PartialEq, Default)]
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
    pub version: Option<i32>,
}

/// The lead with its stage, owner, profile, project/property and tags: one round trip.
#[derive(Debug, Clone, PartialEq)]
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
    pub profile: LeadProfile,
    /// Ordered by tag.
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
#[derive(Debug, Clone, PartialEq)]
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

#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub property_id: Option<Uuid>,
    pub name: String,
    pub amount: f64,
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
    pub stage: Option<String>,
    pub probability: Option<i32>,
    pub status: Option<DealStatus>,
    /// `Some(None)` clears the date.
    pub expected_close_date: Option<Option<NaiveDate>>,
}

#[derive(Debug, Clone, PartialEq)]
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

// ---------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------

const LEAD_DETAIL_SQL: &str = "
    select l.id, l.name, l.email, l.phone, l.mobile, l.stage_id, s.name as stage_name, s.color as stage_color,
           l.assigned_to as owner_id, owner.full_name as owner_name, l.score, l.engagement_score,
           l.interest_level, l.purchase_readiness, l.total_calls,
           l.last_sentiment_score::float8 as last_sentiment_score, l.last_contacted_at, l.source,
           l.lead_source, l.lost_reason, l.metadata, l.project_id, pr.name as project_name,
           l.property_id, pt.name as property_name, l.created_at, l.updated_at, l.version,
           p.company, p.job_title, p.location, p.industry, p.lead_score, p.engagement_level,
           p.budget_range, p.timeline, p.min_budget::float8 as min_budget,
           p.max_budget::float8 as max_budget, p.property_type_interest,
           coalesce(p.preferences, '{}'::jsonb) as preferences,
           coalesce(p.custom_fields, '{}'::jsonb) as custom_fields, p.version as profile_version,
           coalesce((select jsonb_agg(jsonb_build_object('id', g.id, 'tag', g.tag, 'color', g.color)
                                      order by g.tag, g.id)
                     from lead_tags g
                     where g.organization_id = l.organization_id and g.lead_id = l.id), '[]'::jsonb) as tags
    from leads l
    join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
    left join profiles owner on owner.id = l.assigned_to
    left join lead_profiles p on p.organization_id = l.organization_id and p.lead_id = l.id
    left join projects pr on pr.organization_id = l.organization_id and pr.id = l.project_id
    left join properties pt on pt.organization_id = l.organization_id and pt.id = l.property_id
    where l.organization_id = $1 and l.id = $2";

/// Interactions and activities, each side index-ordered and limited, merged newest first.
/// `interaction_logged` activities are left out: the interaction itself is on the timeline.
const TIMELINE_SQL: &str = "
    select * from (
        (select 'interaction'::text as source, i.id, i.type::text as kind, i.direction, i.subject,
                i.content, i.outcome, i.duration, i.email_opened, i.email_clicked,
                who.full_name as who, i.occurred_at as at, null::jsonb as details
         from lead_interactions i
         left join profiles who on who.id = i.created_by
         where i.organization_id = $1 and i.lead_id = $2 and $3::bool
           and ($4::interaction_type is null or i.type = $4)
         order by i.occurred_at desc, i.id desc
         limit $6)
        union all
        (select 'activity'::text, a.id, a.type, null, null, null, null, null, false, false,
                who.full_name, a.created_at, a.content
         from lead_activities a
         left join profiles who on who.id = a.created_by
         where a.organization_id = $1 and a.lead_id = $2 and $5::bool and a.type <> 'interaction_logged'
         order by a.created_at desc, a.id desc
         limit $6)
    ) entries
    order by at desc, id desc
    limit $6";

/// One statement: the interaction, the lead's counters (calls, and any outbound contact but a
/// note, touch the lead), and the activity row. Driven by the visible lead.
const LOG_INTERACTION_SQL: &str = "
    with lead as (
        select id, version, total_calls, last_contacted_at from leads
        where organization_id = $1 and id = $2
    ), touched as (
        update leads l
        set total_calls = l.total_calls + case when $3 = 'call'::interaction_type then 1 else 0 end,
            last_contacted_at = now()
        where l.organization_id = $1 and l.id = (select id from lead)
          and ($3 = 'call'::interaction_type or ($4 = 'outbound'::interaction_direction and $3 <> 'note'::interaction_type))
        returning l.version, l.total_calls, l.last_contacted_at
    ), logged as (
        insert into lead_interactions (organization_id, lead_id, type, direction, subject, content, duration, outcome)
        select $1, lead.id, $3, $4, $5, $6, $7, $8 from lead
        returning id, type, direction
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, $2, 'interaction_logged',
               jsonb_build_object('interaction_id', logged.id, 'kind', logged.type, 'direction', logged.direction)
        from logged
    )
    select logged.id, coalesce(t.version, lead.version) as version,
           coalesce(t.total_calls, lead.total_calls) as total_calls,
           coalesce(t.last_contacted_at, lead.last_contacted_at) as last_contacted_at
    from logged cross join lead left join touched t on true";

const CREATE_LEAD_SQL: &str = "
    with stage as (
        select id, name from pipeline_stages where organization_id = $1 and id = $2
    ), lead as (
        insert into leads (organization_id, stage_id, name, email, phone, assigned_to)
        select $1, stage.id, $3, $4, $5, $6 from stage
        returning id, name, stage_id
    ), profile as (
        insert into lead_profiles (organization_id, lead_id, company)
        select $1, lead.id, $7 from lead
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, lead.id, 'lead_created',
               jsonb_build_object('name', lead.name, 'stage_id', lead.stage_id, 'stage', stage.name)
        from lead cross join stage
    )
    select id from lead";

/// The version-checked lead update, the profile upsert (creates a missing profile row) and the
/// activity, in one statement. `$4` holds the lead columns to set, `$5` the profile columns
/// (JSON objects keyed by column; a key that is absent leaves the column alone).
const UPDATE_LEAD_SQL: &str = "
    with updated as (
        update leads set
            name = case when $4 ? 'name' then $4->>'name' else name end,
            email = case when $4 ? 'email' then $4->>'email' else email end,
            phone = case when $4 ? 'phone' then $4->>'phone' else phone end,
            mobile = case when $4 ? 'mobile' then $4->>'mobile' else mobile end,
            source = case when $4 ? 'source' then $4->>'source' else source end,
            lead_source = case when $4 ? 'lead_source' then $4->>'lead_source' else lead_source end,
            score = case when $4 ? 'score' then ($4->>'score')::int else score end,
            engagement_score = case when $4 ? 'engagement_score' then ($4->>'engagement_score')::int else engagement_score end,
            interest_level = case when $4 ? 'interest_level' then ($4->>'interest_level')::int else interest_level end,
            purchase_readiness = case when $4 ? 'purchase_readiness' then ($4->>'purchase_readiness')::int else purchase_readiness end,
            assigned_to = case when $4 ? 'assigned_to' then ($4->>'assigned_to')::uuid else assigned_to end
        where organization_id = $1 and id = $2 and version = $3
        returning id, version
    ), profile as (
        insert into lead_profiles as p (organization_id, lead_id, company, job_title, location, industry,
                                        lead_score, engagement_level, budget_range, timeline,
                                        min_budget, max_budget, property_type_interest)
        select $1, updated.id, $5->>'company', $5->>'job_title', $5->>'location', $5->>'industry',
               ($5->>'lead_score')::int, $5->>'engagement_level', $5->>'budget_range', $5->>'timeline',
               ($5->>'min_budget')::numeric, ($5->>'max_budget')::numeric, $5->>'property_type_interest'
        from updated
        where $5 <> '{}'::jsonb
        on conflict (organization_id, lead_id) do update set
            company = case when $5 ? 'company' then excluded.company else p.company end,
            job_title = case when $5 ? 'job_title' then excluded.job_title else p.job_title end,
            location = case when $5 ? 'location' then excluded.location else p.location end,
            industry = case when $5 ? 'industry' then excluded.industry else p.industry end,
            lead_score = case when $5 ? 'lead_score' then excluded.lead_score else p.lead_score end,
            engagement_level = case when $5 ? 'engagement_level' then excluded.engagement_level else p.engagement_level end,
            budget_range = case when $5 ? 'budget_range' then excluded.budget_range else p.budget_range end,
            timeline = case when $5 ? 'timeline' then excluded.timeline else p.timeline end,
            min_budget = case when $5 ? 'min_budget' then excluded.min_budget else p.min_budget end,
            max_budget = case when $5 ? 'max_budget' then excluded.max_budget else p.max_budget end,
            property_type_interest = case when $5 ? 'property_type_interest' then excluded.property_type_interest else p.property_type_interest end
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, updated.id, 'lead_updated', jsonb_build_object('fields', $6::jsonb) from updated
    )
    select version from updated";

const LEAD_TASKS_SQL: &str = "
    select t.id, t.lead_id, t.title, t.description, t.due_date, t.due_time, t.priority, t.status,
           t.assigned_to, who.full_name as assignee_name, t.completed_at, t.created_at, t.version,
           coalesce(t.status <> 'completed' and {overdue}, false) as overdue
    from lead_tasks t
    left join profiles who on who.id = t.assigned_to
    where t.organization_id = $1 and t.lead_id = $2
    order by overdue desc, t.status = 'completed', t.due_date nulls last, t.due_time nulls last,
             t.completed_at desc nulls first, t.created_at, t.id";

const ADD_TASK_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), task as (
        insert into lead_tasks (organization_id, lead_id, title, description, due_date, due_time,
                                priority, status, assigned_to)
        select $1, lead.id, $3, $4, t.due_date, t.due_time, $7,
               case when coalesce({overdue}, false) then 'overdue'::task_status else 'pending'::task_status end,
               $8
        from lead, (select $5::date as due_date, $6::time as due_time) t
        returning id, lead_id, title, due_date, due_time, priority, assigned_to
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, task.lead_id, 'task_added',
               jsonb_build_object('task_id', task.id, 'title', task.title, 'due_date', task.due_date,
                                  'due_time', task.due_time, 'priority', task.priority,
                                  'assigned_to', task.assigned_to)
        from task
    )
    select id from task";

const COMPLETE_TASK_SQL: &str = "
    with done as (
        update lead_tasks set status = 'completed', completed_at = coalesce(completed_at, now())
        where organization_id = $1 and id = $2 and version = $3
        returning id, lead_id, title, version
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, done.lead_id, 'task_completed', jsonb_build_object('task_id', done.id, 'title', done.title)
        from done
    )
    select version from done";

/// `t` is the new due date and time, so the overdue rule applies to them.
const RESCHEDULE_TASK_SQL: &str = "
    with before as (
        select due_date, due_time from lead_tasks where organization_id = $1 and id = $2
    ), moved as (
        update lead_tasks task set
            due_date = t.due_date,
            due_time = t.due_time,
            status = case when task.status = 'completed' then 'completed'::task_status
                          when coalesce({overdue}, false) then 'overdue'::task_status
                          else 'pending'::task_status end
        from (select $4::date as due_date, $5::time as due_time) t
        where task.organization_id = $1 and task.id = $2 and task.version = $3
        returning task.id, task.lead_id, task.title, task.version, task.due_date, task.due_time
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, moved.lead_id, 'task_rescheduled',
               jsonb_build_object('task_id', moved.id, 'title', moved.title,
                                  'from_date', (select due_date from before), 'from_time', (select due_time from before),
                                  'due_date', moved.due_date, 'due_time', moved.due_time)
        from moved
    )
    select version from moved";

const DEALS_SQL: &str = "
    select id, lead_id, property_id, name, amount::float8 as amount, stage, probability, status,
           expected_close_date, created_at, version
    from deals
    where organization_id = $1 and lead_id = $2
    order by status = 'open' desc, created_at desc, id";

const ADD_DEAL_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), deal as (
        insert into deals (organization_id, lead_id, name, amount, stage, probability, status, expected_close_date)
        select $1, lead.id, $3, $4::numeric, $5, $6, $7, $8 from lead
        returning id, lead_id, name, amount, stage, status
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, deal.lead_id, 'deal_added',
               jsonb_build_object('deal_id', deal.id, 'name', deal.name, 'amount', deal.amount,
                                  'stage', deal.stage, 'status', deal.status)
        from deal
    )
    select id from deal";

const UPDATE_DEAL_SQL: &str = "
    with changed as (
        update deals set
            name = coalesce($4, name),
            amount = coalesce($5::numeric, amount),
            stage = coalesce($6, stage),
            probability = coalesce($7, probability),
            status = coalesce($8, status),
            expected_close_date = case when $9 then $10 else expected_close_date end
        where organization_id = $1 and id = $2 and version = $3
        returning id, lead_id, name, amount, stage, status, version
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, changed.lead_id, 'deal_updated',
               jsonb_build_object('deal_id', changed.id, 'name', changed.name, 'fields', $11::jsonb,
                                  'amount', changed.amount, 'stage', changed.stage, 'status', changed.status)
        from changed
    )
    select version from changed";

const DOCUMENTS_SQL: &str = "
    select d.id, d.lead_id, d.file_name, d.file_url, d.file_type, d.file_size, d.document_type,
           d.uploaded_by, who.full_name as uploaded_by_name, d.created_at, d.version
    from lead_documents d
    left join profiles who on who.id = d.uploaded_by
    where d.organization_id = $1 and d.lead_id = $2
    order by d.created_at desc, d.id desc";

const ADD_DOCUMENT_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), document as (
        insert into lead_documents (organization_id, lead_id, file_name, file_url, file_type, file_size, document_type)
        select $1, lead.id, $3, $4, $5, $6, $7 from lead
        returning id, lead_id, file_name, document_type
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, document.lead_id, 'document_added',
               jsonb_build_object('document_id', document.id, 'file_name', document.file_name,
                                  'document_type', document.document_type)
        from document
    )
    select id from document";

/// Adding a tag the lead has already recolours it (`tag_updated`); the same colour records nothing.
const ADD_TAG_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), before as (
        select color from lead_tags where organization_id = $1 and lead_id = $2 and tag = $3
    ), tagged as (
        insert into lead_tags (organization_id, lead_id, tag, color)
        select $1, lead.id, $3, $4 from lead
        on conflict (organization_id, lead_id, tag) do update set color = excluded.color
        returning id, lead_id, tag, color
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, tagged.lead_id,
               case when exists (select 1 from before) then 'tag_updated' else 'tag_added' end,
               jsonb_build_object('tag', tagged.tag, 'color', tagged.color, 'from_color', (select color from before))
        from tagged
        where (select color from before) is distinct from tagged.color
    )
    select id, tag, color from tagged";

const REMOVE_TAG_SQL: &str = "
    with lead as (
        select id from leads where organization_id = $1 and id = $2
    ), removed as (
        delete from lead_tags
        where organization_id = $1 and lead_id = (select id from lead) and tag = $3
        returning lead_id, tag, color
    ), activity as (
        insert into lead_activities (organization_id, lead_id, type, content)
        select $1, removed.lead_id, 'tag_removed', jsonb_build_object('tag', removed.tag, 'color', removed.color)
        from removed
    )
    select exists (select 1 from lead) as found, exists (select 1 from removed) as removed";

/// Longest text accepted for an interaction's content (the column's check).
pub const MAX_CONTENT_CHARS: usize = 2_000_000;
/// Largest amount `numeric(14, 2)` holds.
const MAX_AMOUNT: f64 = 999_999_999_999.99;

impl PgStore {
    // -- reads ---------------------------------------------------------------

    /// The lead with its stage, owner, profile, project, property and tags, in one round trip.
    /// `NotFound` when it is gone or invisible to this login.
    pub async fn lead_detail(&self, lead_id: Uuid) -> Result<LeadDetail> {
        retrying(|| async move {
            let row = sqlx::query(LEAD_DETAIL_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .fetch_optional(self.pool())
                .await?;
            match row {
                Some(row) => lead_detail_from(&row),
                None => Err(DataError::NotFound),
            }
        })
        .await
    }

    /// Interactions and activities merged newest first (one query), at most `limit` entries.
    pub async fn timeline(
        &self,
        lead_id: Uuid,
        filter: Option<TimelineKind>,
        limit: i64,
    ) -> Result<Vec<TimelineEntry>> {
        let (interactions, kind, activities) = match filter {
            None => (true, None, true),
            Some(TimelineKind::Interactions) => (true, None, false),
            Some(TimelineKind::Interaction(kind)) => (true, Some(kind), false),
            Some(TimelineKind::Activities) => (false, None, true),
        };
        let limit = limit.clamp(1, 10_000);
        retrying(|| async move {
            let rows = sqlx::query(TIMELINE_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .bind(interactions)
                .bind(kind)
                .bind(activities)
                .bind(limit)
                .fetch_all(self.pool())
                .await?;
            rows.iter().map(timeline_entry_from).collect()
        })
        .await
    }

    /// The lead's tasks: overdue first (derived now, in my time zone), then open ones by due
    /// date and time (undated last), then completed ones.
    pub async fn lead_tasks(&self, lead_id: Uuid) -> Result<Vec<LeadTask>> {
        let sql = LEAD_TASKS_SQL.replace("{overdue}", &overdue_sql(3, 4));
        retrying(|| {
            let sql = sql.clone();
            async move {
                let rows = sqlx::query(AssertSqlSafe(sql))
                    .bind(self.organization_id())
                    .bind(lead_id)
                    .bind(&self.me().time_zone)
                    .bind(Utc::now())
                    .fetch_all(self.pool())
                    .await?;
                rows.iter().map(task_from).collect()
            }
        })
        .await
    }

    /// Open deals first, newest first.
    pub async fn deals(&self, lead_id: Uuid) -> Result<Vec<Deal>> {
        retrying(|| async move {
            let rows = sqlx::query(DEALS_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .fetch_all(self.pool())
                .await?;
            rows.iter().map(deal_from).collect()
        })
        .await
    }

    /// Newest first.
    pub async fn documents(&self, lead_id: Uuid) -> Result<Vec<LeadDocument>> {
        retrying(|| async move {
            let rows = sqlx::query(DOCUMENTS_SQL)
                .bind(self.organization_id())
                .bind(lead_id)
                .fetch_all(self.pool())
                .await?;
            rows.iter().map(document_from).collect()
        })
        .await
    }

    // -- writes (each one statement; never retried: the outcome of a dropped write is unknown) --

    /// Logs a call, email, meeting, note, SMS or WhatsApp message in one statement: the
    /// interaction; for a call `total_calls + 1`; for a call or any outbound contact but a note
    /// `last_contacted_at = now()`; and an `interaction_logged` activity.
    pub async fn log_interaction(
        &self,
        lead_id: Uuid,
        interaction: NewInteraction,
    ) -> Result<LoggedInteraction> {
        let NewInteraction {
            kind,
            direction,
            subject,
            content,
            duration_secs,
            outcome,
        } = interaction;
        if kind == InteractionKind::Note && direction == Some(Direction::Inbound) {
            return Err(invalid("A note has no direction: log it without “inbound”"));
        }
        let subject = optional_text("The subject", subject, 1000)?;
        let content = optional_text("The text", content, MAX_CONTENT_CHARS)?;
        let outcome = optional_text("The outcome", outcome, 1000)?;
        if duration_secs.is_some_and(|d| d < 0) {
            return Err(invalid("A duration cannot be negative"));
        }
        let row = sqlx::query(LOG_INTERACTION_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(kind)
            .bind(direction)
            .bind(subject)
            .bind(content)
            .bind(duration_secs)
            .bind(outcome)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DataError::NotFound)?;
        Ok(LoggedInteraction {
            interaction_id: row.try_get("id")?,
            lead_version: row.try_get("version")?,
            total_calls: row.try_get("total_calls")?,
            last_contacted_at: row.try_get("last_contacted_at")?,
        })
    }

    /// Checks the input (helpful `Invalid` messages), then creates the lead (owned by me unless
    /// `assigned_to` says otherwise), an empty profile (with the company, if given) and a
    /// `lead_created` activity, in one statement. Returns the new lead's id.
    pub async fn create_lead(&self, lead: NewLead) -> Result<Uuid> {
        let name = valid_name(&lead.name)?;
        let email = valid_email(lead.email.as_deref())?;
        let phone = valid_phone("phone number", lead.phone.as_deref())?;
        let company = optional_text("The company", lead.company, 500)?;
        let owner = lead.assigned_to.unwrap_or(self.me().profile_id);
        let id: Option<Uuid> = sqlx::query_scalar(CREATE_LEAD_SQL)
            .bind(self.organization_id())
            .bind(lead.stage_id)
            .bind(name)
            .bind(email)
            .bind(phone)
            .bind(owner)
            .bind(company)
            .fetch_optional(self.pool())
            .await?;
        id.ok_or_else(|| invalid("That stage does not exist or is not visible to you"))
    }

    /// Saves the fields set in `edit` if the lead is still at `expected_version`, with a
    /// `lead_updated` activity listing them (one statement). Otherwise re-reads: gone or
    /// invisible is `Err(NotFound)`, changed meanwhile is [`UpdateOutcome::Conflict`].
    pub async fn update_lead(
        &self,
        lead_id: Uuid,
        expected_version: i32,
        edit: LeadEdit,
    ) -> Result<UpdateOutcome> {
        let changes = edit.changes()?;
        if changes.is_empty() {
            return Err(invalid("Nothing to save: no field was changed"));
        }
        let mut lead_columns = Map::new();
        let mut profile_columns = Map::new();
        for (field, value) in &changes {
            let target = if field.is_profile() {
                &mut profile_columns
            } else {
                &mut lead_columns
            };
            target.insert(field.column().to_owned(), value.clone());
        }
        let fields: Vec<&str> = changes.iter().map(|(f, _)| f.column()).collect();
        let version: Option<i32> = sqlx::query_scalar(UPDATE_LEAD_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(expected_version)
            .bind(Value::Object(lead_columns))
            .bind(Value::Object(profile_columns))
            .bind(json!(fields))
            .fetch_optional(self.pool())
            .await
            .map_err(profile_error)?;
        if let Some(version) = version {
            return Ok(UpdateOutcome::Saved { version });
        }
        // Zero rows: changed meanwhile, or gone/invisible. Re-read to tell which.
        let theirs = self.lead_detail(lead_id).await?;
        let differing = changes
            .iter()
            .filter_map(|(field, mine)| {
                let current = current_value(&theirs, *field);
                (current != *mine).then(|| FieldDiff {
                    field: *field,
                    mine: value_text(mine),
                    theirs: value_text(&current),
                })
            })
            .collect();
        Ok(UpdateOutcome::Conflict {
            theirs: Box::new(theirs),
            differing,
        })
    }

    /// Adds a task (assigned to me unless said otherwise; `overdue` if already past due in my
    /// time zone) with a `task_added` activity. Returns the task's id.
    pub async fn add_task(&self, lead_id: Uuid, task: NewTask) -> Result<Uuid> {
        let title = valid_title(&task.title)?;
        let description = optional_text("The description", task.description, MAX_CONTENT_CHARS)?;
        if task.due_time.is_some() && task.due_date.is_none() {
            return Err(invalid("A due time needs a due date"));
        }
        let assignee = task.assigned_to.unwrap_or(self.me().profile_id);
        let sql = ADD_TASK_SQL.replace("{overdue}", &overdue_sql(9, 10));
        let id: Option<Uuid> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(title)
            .bind(description)
            .bind(task.due_date)
            .bind(task.due_time)
            .bind(task.priority)
            .bind(assignee)
            .bind(&self.me().time_zone)
            .bind(Utc::now())
            .fetch_optional(self.pool())
            .await?;
        id.ok_or(DataError::NotFound)
    }

    /// Marks a task completed (keeps the first `completed_at`) with a `task_completed` activity.
    /// Returns the task's new version; `Conflict` if it changed meanwhile, `NotFound` if gone.
    pub async fn complete_task(&self, task_id: Uuid, version: i32) -> Result<i32> {
        let new_version: Option<i32> = sqlx::query_scalar(COMPLETE_TASK_SQL)
            .bind(self.organization_id())
            .bind(task_id)
            .bind(version)
            .fetch_optional(self.pool())
            .await?;
        match new_version {
            Some(v) => Ok(v),
            None => Err(self.conflict_or_gone(Table::Tasks, task_id).await),
        }
    }

    /// Moves a task's due date and time (`None` clears them); an open task becomes `overdue` or
    /// `pending` from the new date. Records `task_rescheduled`. Returns the new version.
    pub async fn reschedule_task(
        &self,
        task_id: Uuid,
        version: i32,
        due_date: Option<NaiveDate>,
        due_time: Option<NaiveTime>,
    ) -> Result<i32> {
        if due_time.is_some() && due_date.is_none() {
            return Err(invalid("A due time needs a due date"));
        }
        let sql = RESCHEDULE_TASK_SQL.replace("{overdue}", &overdue_sql(6, 7));
        let new_version: Option<i32> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(task_id)
            .bind(version)
            .bind(due_date)
            .bind(due_time)
            .bind(&self.me().time_zone)
            .bind(Utc::now())
            .fetch_optional(self.pool())
            .await?;
        match new_version {
            Some(v) => Ok(v),
            None => Err(self.conflict_or_gone(Table::Tasks, task_id).await),
        }
    }

    /// Adds a deal with a `deal_added` activity. Returns the deal's id.
    pub async fn add_deal(&self, lead_id: Uuid, deal: NewDeal) -> Result<Uuid> {
        let name = valid_deal_name(&deal.name)?;
        let amount = valid_amount(deal.amount)?;
        let stage = valid_deal_stage(&deal.stage)?;
        let probability = valid_percent("The probability", deal.probability)?;
        let id: Option<Uuid> = sqlx::query_scalar(ADD_DEAL_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(name)
            .bind(amount)
            .bind(stage)
            .bind(probability)
            .bind(deal.status)
            .bind(deal.expected_close_date)
            .fetch_optional(self.pool())
            .await?;
        id.ok_or(DataError::NotFound)
    }

    /// Changes the fields set in `changes` if the deal is still at `version`, with a
    /// `deal_updated` activity. Returns the new version; `Conflict` / `NotFound` otherwise.
    pub async fn update_deal(
        &self,
        deal_id: Uuid,
        version: i32,
        changes: DealChanges,
    ) -> Result<i32> {
        let mut fields = Vec::new();
        let name = match &changes.name {
            Some(name) => {
                fields.push("name");
                Some(valid_deal_name(name)?)
            }
            None => None,
        };
        let amount = match changes.amount {
            Some(amount) => {
                fields.push("amount");
                Some(valid_amount(amount)?)
            }
            None => None,
        };
        let stage = match &changes.stage {
            Some(stage) => {
                fields.push("stage");
                Some(valid_deal_stage(stage)?)
            }
            None => None,
        };
        let probability = match changes.probability {
            Some(p) => {
                fields.push("probability");
                Some(valid_percent("The probability", p)?)
            }
            None => None,
        };
        if changes.status.is_some() {
            fields.push("status");
        }
        if changes.expected_close_date.is_some() {
            fields.push("expected_close_date");
        }
        if fields.is_empty() {
            return Err(invalid("Nothing to save: no field was changed"));
        }
        let new_version: Option<i32> = sqlx::query_scalar(UPDATE_DEAL_SQL)
            .bind(self.organization_id())
            .bind(deal_id)
            .bind(version)
            .bind(name)
            .bind(amount)
            .bind(stage)
            .bind(probability)
            .bind(changes.status)
            .bind(changes.expected_close_date.is_some())
            .bind(changes.expected_close_date.flatten())
            .bind(json!(fields))
            .fetch_optional(self.pool())
            .await?;
        match new_version {
            Some(v) => Ok(v),
            None => Err(self.conflict_or_gone(Table::Deals, deal_id).await),
        }
    }

    /// Records a document's metadata (the file stays where it is) with a `document_added`
    /// activity. Returns the document's id.
    pub async fn add_document(&self, lead_id: Uuid, document: NewDocument) -> Result<Uuid> {
        let file_name = document.file_name.trim();
        if file_name.is_empty() {
            return Err(invalid("A document needs a file name"));
        }
        if file_name.chars().count() > 500 {
            return Err(invalid("A file name can be at most 500 characters"));
        }
        check_no_nul("The file name", file_name)?;
        let url = document.file_url.trim();
        if url.is_empty() {
            return Err(invalid("A document needs a link or a file path"));
        }
        if url.chars().count() > 4000 {
            return Err(invalid("A link can be at most 4000 characters"));
        }
        if let Some(c) = url.chars().find(|c| c.is_control()) {
            return Err(invalid(format!(
                "A link cannot contain control characters (found {})",
                show_char(c)
            )));
        }
        if document.file_size.is_some_and(|s| s < 0) {
            return Err(invalid("A file size cannot be negative"));
        }
        let file_type = optional_text("The file type", document.file_type, 200)?;
        let id: Option<Uuid> = sqlx::query_scalar(ADD_DOCUMENT_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(file_name)
            .bind(url)
            .bind(file_type)
            .bind(document.file_size)
            .bind(document.document_type)
            .fetch_optional(self.pool())
            .await?;
        id.ok_or(DataError::NotFound)
    }

    /// Tags the lead (trimmed tag, `#rrggbb` colour) with a `tag_added` activity; a tag the lead
    /// already has is recoloured (`tag_updated`, nothing recorded if the colour is the same).
    pub async fn add_tag(&self, lead_id: Uuid, tag: &str, color: &str) -> Result<LeadTag> {
        let tag = valid_tag(tag)?;
        let color = valid_color(color)?;
        let row = sqlx::query(ADD_TAG_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(tag)
            .bind(color)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DataError::NotFound)?;
        Ok(LeadTag {
            id: row.try_get("id")?,
            tag: row.try_get("tag")?,
            color: row.try_get("color")?,
        })
    }

    /// Removes a tag with a `tag_removed` activity. `Ok(false)` if the lead did not have it;
    /// `NotFound` if the lead is gone or invisible.
    pub async fn remove_tag(&self, lead_id: Uuid, tag: &str) -> Result<bool> {
        let row = sqlx::query(REMOVE_TAG_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .bind(tag.trim())
            .fetch_one(self.pool())
            .await?;
        if !row.try_get::<bool, _>("found")? {
            return Err(DataError::NotFound);
        }
        Ok(row.try_get("removed")?)
    }

    /// A version-checked write touched nothing: `Conflict` if the row is still there (so its
    /// version moved), `NotFound` if it is gone or invisible.
    async fn conflict_or_gone(&self, table: Table, id: Uuid) -> DataError {
        let sql = match table {
            Table::Tasks => {
                "select exists (select 1 from lead_tasks where organization_id = $1 and id = $2)"
            }
            Table::Deals => {
                "select exists (select 1 from deals where organization_id = $1 and id = $2)"
            }
        };
        match sqlx::query_scalar::<_, bool>(sql)
            .bind(self.organization_id())
            .bind(id)
            .fetch_one(self.pool())
            .await
        {
            Ok(true) => DataError::Conflict,
            Ok(false) => DataError::NotFound,
            Err(e) => e.into(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Table {
    Tasks,
    Deals,
}

/// Reads are idempotent, so a read that failed on a dropped connection is tried once more.
async fn retrying<T, F, Fut>(read: F) -> Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    match read().await {
        Err(err) if err.is_connection() => {
            tracing::info!("read failed on a dropped connection, retrying: {err}");
            tokio::time::sleep(Duration::from_millis(200)).await;
            read().await
        }
        other => other,
    }
}

// ---------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------

fn lead_detail_from(r: &PgRow) -> Result<LeadDetail> {
    let tags: sqlx::types::Json<Vec<LeadTag>> = r.try_get("tags")?;
    Ok(LeadDetail {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        mobile: r.try_get("mobile")?,
        stage_id: r.try_get("stage_id")?,
        stage_name: r.try_get("stage_name")?,
        stage_color: r.try_get("stage_color")?,
        owner_id: r.try_get("owner_id")?,
        owner_name: r.try_get("owner_name")?,
        score: r.try_get("score")?,
        engagement_score: r.try_get("engagement_score")?,
        interest_level: r.try_get("interest_level")?,
        purchase_readiness: r.try_get("purchase_readiness")?,
        total_calls: r.try_get("total_calls")?,
        last_sentiment_score: r.try_get("last_sentiment_score")?,
        last_contacted_at: r.try_get("last_contacted_at")?,
        source: r.try_get("source")?,
        lead_source: r.try_get("lead_source")?,
        lost_reason: r.try_get("lost_reason")?,
        metadata: r.try_get("metadata")?,
        project_id: r.try_get("project_id")?,
        project_name: r.try_get("project_name")?,
        property_id: r.try_get("property_id")?,
        property_name: r.try_get("property_name")?,
        profile: LeadProfile {
            company: r.try_get("company")?,
            job_title: r.try_get("job_title")?,
            location: r.try_get("location")?,
            industry: r.try_get("industry")?,
            lead_score: r.try_get("lead_score")?,
            engagement_level: r.try_get("engagement_level")?,
            budget_range: r.try_get("budget_range")?,
            timeline: r.try_get("timeline")?,
            min_budget: r.try_get("min_budget")?,
            max_budget: r.try_get("max_budget")?,
            property_type_interest: r.try_get("property_type_interest")?,
            preferences: r.try_get("preferences")?,
            custom_fields: r.try_get("custom_fields")?,
            version: r.try_get("profile_version")?,
        },
        tags: tags.0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
    })
}

fn timeline_entry_from(r: &PgRow) -> Result<TimelineEntry> {
    let source: String = r.try_get("source")?;
    let kind: String = r.try_get("kind")?;
    let details: Option<Value> = r.try_get("details")?;
    let (source, content) = if source == "activity" {
        let summary = activity_summary(&kind, details.as_ref().unwrap_or(&Value::Null));
        (TimelineSource::Activity, Some(summary))
    } else {
        (TimelineSource::Interaction, r.try_get("content")?)
    };
    Ok(TimelineEntry {
        id: r.try_get("id")?,
        source,
        kind,
        direction: r.try_get("direction")?,
        subject: r.try_get("subject")?,
        content,
        outcome: r.try_get("outcome")?,
        duration_secs: r.try_get("duration")?,
        email_opened: r.try_get("email_opened")?,
        email_clicked: r.try_get("email_clicked")?,
        who: r.try_get("who")?,
        at: r.try_get("at")?,
        details,
    })
}

fn task_from(r: &PgRow) -> Result<LeadTask> {
    Ok(LeadTask {
        id: r.try_get("id")?,
        lead_id: r.try_get("lead_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        due_date: r.try_get("due_date")?,
        due_time: r.try_get("due_time")?,
        priority: r.try_get("priority")?,
        status: r.try_get("status")?,
        overdue: r.try_get("overdue")?,
        assigned_to: r.try_get("assigned_to")?,
        assignee_name: r.try_get("assignee_name")?,
        completed_at: r.try_get("completed_at")?,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
    })
}

fn deal_from(r: &PgRow) -> Result<Deal> {
    Ok(Deal {
        id: r.try_get("id")?,
        lead_id: r.try_get("lead_id")?,
        property_id: r.try_get("property_id")?,
        name: r.try_get("name")?,
        amount: r.try_get("amount")?,
        stage: r.try_get("stage")?,
        probability: r.try_get("probability")?,
        status: r.try_get("status")?,
        expected_close_date: r.try_get("expected_close_date")?,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
    })
}

fn document_from(r: &PgRow) -> Result<LeadDocument> {
    Ok(LeadDocument {
        id: r.try_get("id")?,
        lead_id: r.try_get("lead_id")?,
        file_name: r.try_get("file_name")?,
        file_url: r.try_get("file_url")?,
        file_type: r.try_get("file_type")?,
        file_size: r.try_get("file_size")?,
        document_type: r.try_get("document_type")?,
        uploaded_by: r.try_get("uploaded_by")?,
        uploaded_by_name: r.try_get("uploaded_by_name")?,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
    })
}

// ---------------------------------------------------------------------------
// Activity summaries
// ---------------------------------------------------------------------------

/// A readable sentence for an activity, from its type and `content` (unknown types get their
/// type in words).
pub fn activity_summary(kind: &str, content: &Value) -> String {
    let text = |key: &str| {
        content
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match kind {
        "stage_change" => {
            let mut sentence = match (text("from"), text("to")) {
                (Some(from), Some(to)) => format!("Moved from {from} to {to}"),
                (None, Some(to)) => format!("Moved to {to}"),
                _ => "Moved to another stage".to_owned(),
            };
            if let Some(reason) = text("lost_reason") {
                sentence.push_str(&format!(" (lost: {reason})"));
            }
            sentence
        }
        "lead_created" => match text("stage") {
            Some(stage) => format!("Created the lead in {stage}"),
            None => "Created the lead".to_owned(),
        },
        "lead_updated" => {
            let fields: Vec<&str> = content
                .get("fields")
                .and_then(Value::as_array)
                .map(|fields| {
                    fields
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|c| LeadField::from_column(c).map_or(c, |f| f.label()))
                        .collect()
                })
                .unwrap_or_default();
            if fields.is_empty() {
                "Updated the lead".to_owned()
            } else {
                format!("Updated {}", fields.join(", "))
            }
        }
        "interaction_logged" => {
            let what = text("kind").unwrap_or_else(|| "interaction".to_owned());
            match text("direction") {
                Some(direction) => format!("Logged an {direction} {what}"),
                None => format!("Logged a {what}"),
            }
        }
        "task_added" => {
            let mut sentence = format!("Added task “{}”", text("title").unwrap_or_default());
            if let Some(due) = due_text(text("due_date"), text("due_time")) {
                sentence.push_str(&format!(", due {due}"));
            }
            sentence
        }
        "task_completed" => format!("Completed task “{}”", text("title").unwrap_or_default()),
        "task_rescheduled" => {
            let title = text("title").unwrap_or_default();
            match due_text(text("due_date"), text("due_time")) {
                Some(due) => format!("Rescheduled task “{title}” to {due}"),
                None => format!("Removed the due date of task “{title}”"),
            }
        }
        "deal_added" => {
            let name = text("name").unwrap_or_default();
            match content.get("amount").and_then(Value::as_f64) {
                Some(amount) => format!("Added deal “{name}” ({})", number_text(amount)),
                None => format!("Added deal “{name}”"),
            }
        }
        "deal_updated" => {
            let name = text("name").unwrap_or_default();
            match text("status").as_deref() {
                Some("won") => format!("Updated deal “{name}”: won"),
                Some("lost") => format!("Updated deal “{name}”: lost"),
                _ => format!("Updated deal “{name}”"),
            }
        }
        "document_added" => format!("Added document {}", text("file_name").unwrap_or_default()),
        "tag_added" => format!("Tagged {}", text("tag").unwrap_or_default()),
        "tag_updated" => format!("Recoloured tag {}", text("tag").unwrap_or_default()),
        "tag_removed" => format!("Removed tag {}", text("tag").unwrap_or_default()),
        other => {
            let words = other.replace('_', " ");
            let mut chars = words.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => "Activity".to_owned(),
            }
        }
    }
}

/// `2025-03-04` or `2025-03-04 14:30` from jsonb `date` / `time` text.
fn due_text(date: Option<String>, time: Option<String>) -> Option<String> {
    let date = date?;
    Some(match time {
        Some(time) => format!("{date} {}", time.get(..5).unwrap_or(&time)),
        None => date,
    })
}

/// `150000` rather than `150000.0`; `1234.5` as is.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

// ---------------------------------------------------------------------------
// Edits, conflicts
// ---------------------------------------------------------------------------

impl LeadEdit {
    /// The fields set, checked and normalised, in form order, as the JSON values the update
    /// statement reads (`null` clears).
    pub fn changes(&self) -> Result<Vec<(LeadField, Value)>> {
        let mut out = Vec::new();
        let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
        let int = |v: Option<i32>| v.map_or(Value::Null, |i| json!(i));
        if let Some(name) = &self.name {
            out.push((LeadField::Name, Value::String(valid_name(name)?)));
        }
        if let Some(email) = &self.email {
            out.push((LeadField::Email, text(valid_email(email.as_deref())?)));
        }
        if let Some(phone) = &self.phone {
            let phone = valid_phone("phone number", phone.as_deref())?;
            out.push((LeadField::Phone, text(phone)));
        }
        if let Some(mobile) = &self.mobile {
            let mobile = valid_phone("mobile number", mobile.as_deref())?;
            out.push((LeadField::Mobile, text(mobile)));
        }
        let plain = [
            (LeadField::Source, &self.source, "The source"),
            (LeadField::LeadSource, &self.lead_source, "The lead source"),
        ];
        for (field, value, label) in plain {
            if let Some(value) = value {
                out.push((field, text(optional_text(label, value.clone(), 1000)?)));
            }
        }
        let scores = [
            (LeadField::Score, self.score, "The score"),
            (
                LeadField::EngagementScore,
                self.engagement_score,
                "The engagement score",
            ),
            (
                LeadField::InterestLevel,
                self.interest_level,
                "The interest level",
            ),
            (
                LeadField::PurchaseReadiness,
                self.purchase_readiness,
                "The purchase readiness",
            ),
        ];
        for (field, value, label) in scores {
            if let Some(value) = value {
                out.push((field, json!(valid_percent(label, value)?)));
            }
        }
        if let Some(owner) = self.assigned_to {
            let owner = owner.map_or(Value::Null, |id| Value::String(id.to_string()));
            out.push((LeadField::AssignedTo, owner));
        }
        let profile_text = [
            (LeadField::Company, &self.company, "The company"),
            (LeadField::JobTitle, &self.job_title, "The job title"),
            (LeadField::Location, &self.location, "The location"),
            (LeadField::Industry, &self.industry, "The industry"),
        ];
        for (field, value, label) in profile_text {
            if let Some(value) = value {
                out.push((field, text(optional_text(label, value.clone(), 500)?)));
            }
        }
        if let Some(score) = self.lead_score {
            let score = score
                .map(|s| valid_percent("The lead score", s))
                .transpose()?;
            out.push((LeadField::LeadScore, int(score)));
        }
        if let Some(level) = &self.engagement_level {
            let level = optional_text("The engagement level", level.clone(), 10)?;
            if let Some(level) = &level
                && !matches!(level.as_str(), "low" | "medium" | "high")
            {
                return Err(invalid(
                    "The engagement level is low, medium or high (or empty)",
                ));
            }
            out.push((LeadField::EngagementLevel, text(level)));
        }
        let more_text = [
            (
                LeadField::BudgetRange,
                &self.budget_range,
                "The budget range",
            ),
            (LeadField::Timeline, &self.timeline, "The timeline"),
        ];
        for (field, value, label) in more_text {
            if let Some(value) = value {
                out.push((field, text(optional_text(label, value.clone(), 500)?)));
            }
        }
        let min = self.min_budget.map(|b| b.map(valid_budget).transpose());
        let max = self.max_budget.map(|b| b.map(valid_budget).transpose());
        let min = min.transpose()?;
        let max = max.transpose()?;
        if let (Some(Some(lo)), Some(Some(hi))) = (min, max)
            && lo > hi
        {
            return Err(invalid(format!(
                "The minimum budget ({}) is above the maximum ({})",
                number_text(lo),
                number_text(hi)
            )));
        }
        if let Some(min) = min {
            out.push((LeadField::MinBudget, min.map_or(Value::Null, |b| json!(b))));
        }
        if let Some(max) = max {
            out.push((LeadField::MaxBudget, max.map_or(Value::Null, |b| json!(b))));
        }
        if let Some(value) = &self.property_type_interest {
            let value = optional_text("The property type", value.clone(), 500)?;
            out.push((LeadField::PropertyTypeInterest, text(value)));
        }
        Ok(out)
    }
}

/// The stored value of `field` in the same JSON form [`LeadEdit::changes`] produces.
fn current_value(lead: &LeadDetail, field: LeadField) -> Value {
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    let p = &lead.profile;
    match field {
        LeadField::Name => Value::String(lead.name.clone()),
        LeadField::Email => text(&lead.email),
        LeadField::Phone => text(&lead.phone),
        LeadField::Mobile => text(&lead.mobile),
        LeadField::Source => text(&lead.source),
        LeadField::LeadSource => text(&lead.lead_source),
        LeadField::Score => json!(lead.score),
        LeadField::EngagementScore => json!(lead.engagement_score),
        LeadField::InterestLevel => json!(lead.interest_level),
        LeadField::PurchaseReadiness => json!(lead.purchase_readiness),
        LeadField::AssignedTo => lead
            .owner_id
            .map_or(Value::Null, |id| Value::String(id.to_string())),
        LeadField::Company => text(&p.company),
        LeadField::JobTitle => text(&p.job_title),
        LeadField::Location => text(&p.location),
        LeadField::Industry => text(&p.industry),
        LeadField::LeadScore => p.lead_score.map_or(Value::Null, |s| json!(s)),
        LeadField::EngagementLevel => text(&p.engagement_level),
        LeadField::BudgetRange => text(&p.budget_range),
        LeadField::Timeline => text(&p.timeline),
        LeadField::MinBudget => p.min_budget.map_or(Value::Null, |b| json!(b)),
        LeadField::MaxBudget => p.max_budget.map_or(Value::Null, |b| json!(b)),
        LeadField::PropertyTypeInterest => text(&p.property_type_interest),
    }
}

/// The profile's table-level check compares the two budgets, one of which may be the stored one.
fn profile_error(err: sqlx::Error) -> DataError {
    let budgets = err
        .as_database_error()
        .and_then(|db| db.constraint())
        .is_some_and(|c| c == "lead_profiles_check");
    if budgets {
        invalid("The minimum budget would be above the maximum budget")
    } else {
        err.into()
    }
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.as_f64().map_or_else(|| n.to_string(), number_text)),
        other => Some(other.to_string()),
    }
}

// ---------------------------------------------------------------------------
// Validation: helpful sentences before the database's checks
// ---------------------------------------------------------------------------

fn invalid(why: impl Into<String>) -> DataError {
    DataError::Invalid(why.into())
}

/// A character as shown in a message: control and bidi characters as `U+XXXX`.
fn show_char(c: char) -> String {
    if c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
        format!("U+{:04X}", c as u32)
    } else {
        format!("“{c}”")
    }
}

/// PostgreSQL text cannot hold NUL.
fn check_no_nul(what: &str, text: &str) -> Result<()> {
    if text.contains('\0') {
        return Err(invalid(format!(
            "{what} contains a NUL character (U+0000), which cannot be stored"
        )));
    }
    Ok(())
}

/// Free text: stored as typed; blank means none.
fn optional_text(what: &str, text: Option<String>, max_chars: usize) -> Result<Option<String>> {
    let Some(text) = text else { return Ok(None) };
    if text.trim().is_empty() {
        return Ok(None);
    }
    check_no_nul(what, &text)?;
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(invalid(format!(
            "{what} is too long: {chars} characters (at most {max_chars})"
        )));
    }
    Ok(Some(text))
}

fn valid_name(name: &str) -> Result<String> {
    if name.trim().is_empty() {
        return Err(invalid("A lead needs a name"));
    }
    check_no_nul("The name", name)?;
    let chars = name.chars().count();
    if chars > 200 {
        return Err(invalid(format!(
            "A name can be at most 200 characters (this one has {chars})"
        )));
    }
    Ok(name.to_owned())
}

/// The database's rule (`^[^@\s]+@[^@\s]+\.[^@\s]+$`) with a sentence for each way to break it.
fn valid_email(email: Option<&str>) -> Result<Option<String>> {
    let Some(email) = email.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    let shown = crate::text::clean_line(email);
    if let Some(c) = email.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(format!(
            "{shown} is not an email address: it contains {}",
            if c.is_whitespace() && !c.is_control() {
                "a space".to_owned()
            } else {
                show_char(c)
            }
        )));
    }
    let mut parts = email.split('@');
    let (local, domain) = match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None) => (local, domain),
        (_, None, _) => {
            return Err(invalid(format!(
                "{shown} is not an email address: it needs an @, like name@example.com"
            )));
        }
        _ => {
            return Err(invalid(format!(
                "{shown} is not an email address: it has more than one @"
            )));
        }
    };
    if local.is_empty() {
        return Err(invalid(format!(
            "{shown} is not an email address: nothing before the @"
        )));
    }
    let dotted = domain
        .char_indices()
        .any(|(i, c)| c == '.' && i > 0 && i + 1 < domain.len());
    if !dotted {
        return Err(invalid(format!(
            "{shown} is not an email address: the part after the @ needs a domain with a dot, like example.com"
        )));
    }
    if email.chars().count() > 320 {
        return Err(invalid("An email address can be at most 320 characters"));
    }
    Ok(Some(email.to_owned()))
}

/// The database's rule (`^\+?[0-9 ()./-]{5,30}$`), plus at least one digit.
fn valid_phone(what: &str, phone: Option<&str>) -> Result<Option<String>> {
    let Some(phone) = phone.map(str::trim).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let body = phone.strip_prefix('+').unwrap_or(phone);
    if let Some(c) = body
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '(' | ')' | '.' | '/' | '-')))
    {
        let hint = if c == '+' {
            " (a + only at the start)".to_owned()
        } else {
            String::new()
        };
        return Err(invalid(format!(
            "A {what} may contain only digits, spaces and + ( ) . / - (found {}{hint})",
            show_char(c)
        )));
    }
    if !body.chars().any(|c| c.is_ascii_digit()) {
        return Err(invalid(format!("A {what} needs digits")));
    }
    let len = body.chars().count();
    if !(5..=30).contains(&len) {
        return Err(invalid(format!(
            "A {what} has 5 to 30 digits and separators (this one has {len})"
        )));
    }
    Ok(Some(phone.to_owned()))
}

fn valid_percent(what: &str, value: i32) -> Result<i32> {
    if !(0..=100).contains(&value) {
        return Err(invalid(format!(
            "{what} must be between 0 and 100 (not {value})"
        )));
    }
    Ok(value)
}

/// Rounded to cents, as `numeric(14, 2)` stores it.
fn valid_budget(value: f64) -> Result<f64> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid("A budget is a positive amount"));
    }
    if value > MAX_AMOUNT {
        return Err(invalid("A budget can be at most 999,999,999,999.99"));
    }
    Ok((value * 100.0).round() / 100.0)
}

fn valid_amount(value: f64) -> Result<f64> {
    if !value.is_finite() || value < 0.0 {
        return Err(invalid("A deal amount cannot be negative"));
    }
    if value > MAX_AMOUNT {
        return Err(invalid("A deal amount can be at most 999,999,999,999.99"));
    }
    Ok(value)
}

fn valid_title(title: &str) -> Result<String> {
    if title.trim().is_empty() {
        return Err(invalid("A task needs a title"));
    }
    check_no_nul("The title", title)?;
    let chars = title.chars().count();
    if chars > 500 {
        return Err(invalid(format!(
            "A task title can be at most 500 characters (this one has {chars})"
        )));
    }
    Ok(title.to_owned())
}

fn valid_deal_name(name: &str) -> Result<String> {
    if name.trim().is_empty() {
        return Err(invalid("A deal needs a name"));
    }
    check_no_nul("The deal name", name)?;
    if name.chars().count() > 200 {
        return Err(invalid("A deal name can be at most 200 characters"));
    }
    Ok(name.to_owned())
}

fn valid_deal_stage(stage: &str) -> Result<String> {
    let stage = stage.trim().to_lowercase();
    if DEAL_STAGES.contains(&stage.as_str()) {
        Ok(stage)
    } else {
        Err(invalid(format!(
            "A deal stage is one of {}",
            DEAL_STAGES.join(", ")
        )))
    }
}

fn valid_tag(tag: &str) -> Result<String> {
    let tag = tag.trim();
    if tag.is_empty() {
        return Err(invalid("A tag cannot be empty"));
    }
    check_no_nul("The tag", tag)?;
    if tag.chars().count() > 50 {
        return Err(invalid("A tag can be at most 50 characters"));
    }
    Ok(tag.to_owned())
}

fn valid_color(color: &str) -> Result<String> {
    let color = color.trim();
    let hex = color.strip_prefix('#').unwrap_or("");
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(color.to_owned())
    } else {
        Err(invalid("A colour looks like #1a2b3c"))
    }
}

// ---------------------------------------------------------------------------
// Documents from a path or a link
// ---------------------------------------------------------------------------

impl NewDocument {
    /// Document metadata from what a rep typed: a link (`scheme://…`) is kept as is; a local path
    /// (`~/` expanded, relative to the current directory) must be an existing file and becomes a
    /// `file://` URL with its size read from disk. The file type is guessed from the extension.
    pub async fn from_location(location: &str, document_type: DocumentType) -> Result<NewDocument> {
        let location = location.trim();
        if location.is_empty() {
            return Err(invalid("A document needs a link or a file path"));
        }
        if is_url(location) {
            let path = location.split(['?', '#']).next().unwrap_or(location);
            let after_scheme = path.split_once("://").map_or(path, |(_, rest)| rest);
            let file_name = after_scheme
                .rsplit('/')
                .find(|segment| !segment.is_empty())
                .unwrap_or(after_scheme)
                .to_owned();
            return Ok(NewDocument {
                file_type: guess_file_type(&file_name),
                file_name,
                file_url: location.to_owned(),
                file_size: None,
                document_type,
            });
        }
        let shown = crate::text::clean_line(location).into_owned();
        let mut path = match location.strip_prefix("~/") {
            Some(rest) => match std::env::var_os("HOME") {
                Some(home) => std::path::PathBuf::from(home).join(rest),
                None => return Err(invalid("Cannot expand ~: HOME is not set")),
            },
            None => std::path::PathBuf::from(location),
        };
        if path.is_relative() {
            let here = std::env::current_dir()
                .map_err(|e| invalid(format!("Cannot resolve {shown}: {e}")))?;
            path = here.join(path);
        }
        let path = tokio::fs::canonicalize(&path)
            .await
            .map_err(|e| invalid(format!("No file at {shown} ({e})")))?;
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| invalid(format!("Cannot read {shown} ({e})")))?;
        if !meta.is_file() {
            return Err(invalid(format!("{shown} is not a file")));
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        Ok(NewDocument {
            file_type: guess_file_type(&file_name),
            file_name,
            file_url: file_url(&path),
            file_size: i64::try_from(meta.len()).ok(),
            document_type,
        })
    }
}

/// `scheme://…` with a plausible scheme.
fn is_url(text: &str) -> bool {
    match text.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

/// `file://` + the absolute path, percent-encoded byte by byte (unreserved characters and `/`
/// are kept).
fn file_url(path: &std::path::Path) -> String {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    let mut url = String::from("file://");
    if bytes.first() != Some(&b'/') {
        url.push('/');
    }
    for b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

fn guess_file_type(file_name: &str) -> Option<String> {
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    let mime = match ext.as_str() {
        "pdf" => "application/pdf",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "odp" => "application/vnd.oasis.opendocument.presentation",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        _ => return None,
    };
    Some(mime.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(DataError::Invalid(why)) => why,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn emails_follow_the_database_rule_with_sentences() {
        assert_eq!(
            valid_email(Some(" ann@example.com ")).ok().flatten(),
            Some("ann@example.com".to_owned())
        );
        assert_eq!(valid_email(Some("  ")).ok().flatten(), None);
        assert!(message(valid_email(Some("ann"))).contains("needs an @"));
        assert!(message(valid_email(Some("ann@example"))).contains("dot"));
        assert!(message(valid_email(Some("ann@.com"))).contains("dot"));
        assert!(message(valid_email(Some("@example.com"))).contains("before the @"));
        assert!(message(valid_email(Some("a@b@c.com"))).contains("more than one @"));
        assert!(message(valid_email(Some("a b@c.com"))).contains("space"));
        let escaped = message(valid_email(Some("a\u{1b}[2J@c.com")));
        assert!(!escaped.contains('\u{1b}'), "{escaped:?}");
    }

    #[test]
    fn phones_follow_the_database_rule_with_sentences() {
        assert_eq!(
            valid_phone("phone number", Some("+44 (20) 7946-0958"))
                .ok()
                .flatten(),
            Some("+44 (20) 7946-0958".to_owned())
        );
        assert!(message(valid_phone("phone number", Some("555-CALL-NOW"))).contains("“C”"));
        assert!(message(valid_phone("phone number", Some("12+34567"))).contains("start"));
        assert!(message(valid_phone("phone number", Some("123"))).contains("5 to 30"));
        assert!(message(valid_phone("phone number", Some("-----"))).contains("digits"));
    }

    #[test]
    fn activity_summaries_read_well() {
        let moved = json!({"from": "New", "to": "Contacted"});
        assert_eq!(
            activity_summary("stage_change", &moved),
            "Moved from New to Contacted"
        );
        let updated = json!({"fields": ["company", "min_budget"]});
        assert_eq!(
            activity_summary("lead_updated", &updated),
            "Updated company, minimum budget"
        );
        let task = json!({"title": "Call back", "due_date": "2025-03-04", "due_time": "14:30:00"});
        assert_eq!(
            activity_summary("task_added", &task),
            "Added task “Call back”, due 2025-03-04 14:30"
        );
        assert_eq!(
            activity_summary("deal_added", &json!({"name": "Flat", "amount": 250000.0})),
            "Added deal “Flat” (250000)"
        );
        assert_eq!(
            activity_summary("owner_changed", &Value::Null),
            "Owner changed"
        );
    }

    #[test]
    fn local_paths_become_file_urls() {
        assert_eq!(
            file_url(std::path::Path::new("/tmp/Q3 offer #2 – ü.pdf")),
            "file:///tmp/Q3%20offer%20%232%20%E2%80%93%20%C3%BC.pdf"
        );
        assert!(is_url("https://example.com/a.pdf"));
        assert!(!is_url("/home/ann/a.pdf"));
        assert!(!is_url("://x"));
    }

    #[test]
    fn budgets_are_checked_together() {
        let edit = LeadEdit {
            min_budget: Some(Some(500.0)),
            max_budget: Some(Some(100.0)),
            ..LeadEdit::default()
        };
        assert!(message(edit.changes()).contains("above the maximum"));
        let edit = LeadEdit {
            min_budget: Some(Some(100.004)),
            max_budget: Some(None),
            ..LeadEdit::default()
        };
        assert_eq!(
            edit.changes().ok(),
            Some(vec![
                (LeadField::MinBudget, json!(100.0)),
                (LeadField::MaxBudget, Value::Null)
            ])
        );
    }
}
