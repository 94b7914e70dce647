//! Plain rows the screens show. No I/O here.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

/// The membership role a person has in one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "member_role", rename_all = "lowercase")]
pub enum MemberRole {
    Admin,
    Manager,
    Rep,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Admin => "admin",
            MemberRole::Manager => "manager",
            MemberRole::Rep => "rep",
        }
    }

    /// The role from its text (`as_str`), `None` for anything else.
    pub fn parse(text: &str) -> Option<MemberRole> {
        [MemberRole::Admin, MemberRole::Manager, MemberRole::Rep]
            .into_iter()
            .find(|role| role.as_str() == text)
    }
}

/// Who is logged in, as the database sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Me {
    pub profile_id: Uuid,
    pub full_name: String,
    pub email: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub organization_id: Uuid,
    pub organization_name: String,
    pub role: MemberRole,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Pipeline {
    pub id: Uuid,
    pub name: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Stage {
    pub id: Uuid,
    pub pipeline_id: Uuid,
    pub name: String,
    pub order_index: i32,
    /// `#rrggbb` as stored.
    pub color: String,
    pub is_won: bool,
    pub is_lost: bool,
    /// Cards rot after this many days without contact (`None`: never, e.g. closed stages).
    pub rotting_days: Option<i32>,
}

/// Per-stage totals, maintained by triggers so a column header never counts rows.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StageSummary {
    pub lead_count: i64,
    /// Open and weighted amounts in the organization's `currency` only (issue 11).
    pub open_deal_amount: f64,
    pub weighted_deal_amount: f64,
    pub currency: crate::currency::Code,
    /// Open deals in other currencies, not in the amounts above.
    pub others: crate::currency::Others,
}

/// How a board column is ordered; each has a keyset cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoardSort {
    #[default]
    Score,
    LastContact,
    Newest,
    /// The same keys the other way round (`S`): lowest score, least recently contacted
    /// (never contacted first), oldest first. Ties by id, ascending.
    ScoreAsc,
    LastContactAsc,
    Oldest,
}

impl BoardSort {
    /// The next sort key, in the same direction.
    pub fn next(self) -> Self {
        match self {
            BoardSort::Score => BoardSort::LastContact,
            BoardSort::LastContact => BoardSort::Newest,
            BoardSort::Newest => BoardSort::Score,
            BoardSort::ScoreAsc => BoardSort::LastContactAsc,
            BoardSort::LastContactAsc => BoardSort::Oldest,
            BoardSort::Oldest => BoardSort::ScoreAsc,
        }
    }

    /// The same key, the other direction.
    pub fn flip(self) -> Self {
        match self {
            BoardSort::Score => BoardSort::ScoreAsc,
            BoardSort::LastContact => BoardSort::LastContactAsc,
            BoardSort::Newest => BoardSort::Oldest,
            BoardSort::ScoreAsc => BoardSort::Score,
            BoardSort::LastContactAsc => BoardSort::LastContact,
            BoardSort::Oldest => BoardSort::Newest,
        }
    }

    pub fn ascending(self) -> bool {
        matches!(
            self,
            BoardSort::ScoreAsc | BoardSort::LastContactAsc | BoardSort::Oldest
        )
    }

    /// The descending sort of the same key.
    pub fn key(self) -> Self {
        if self.ascending() { self.flip() } else { self }
    }

    /// The key's name (saved views store it with a separate direction).
    pub fn key_name(self) -> &'static str {
        match self.key() {
            BoardSort::LastContact => "last contact",
            BoardSort::Newest => "newest",
            _ => "score",
        }
    }

    /// As the status bar shows it.
    pub fn label(self) -> &'static str {
        match self {
            BoardSort::Score => "score",
            BoardSort::LastContact => "last contact",
            BoardSort::Newest => "newest",
            BoardSort::ScoreAsc => "score ↑",
            BoardSort::LastContactAsc => "last contact ↑",
            BoardSort::Oldest => "oldest",
        }
    }
}

/// One lead as a board card.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadCard {
    pub id: Uuid,
    pub stage_id: Uuid,
    pub name: String,
    pub company: Option<String>,
    pub owner_name: Option<String>,
    pub score: i32,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub overdue_tasks: i64,
    pub open_tasks: i64,
    pub version: i32,
    /// The owner (the rep's own leads are marked).
    pub assigned_to: Option<Uuid>,
    /// Won/lost deals of the lead: the latest close day and their amount (closed cards show them).
    pub closed_on: Option<NaiveDate>,
    pub closed_amount: f64,
    /// The closed deals' currency; `None` when they are in several (no sum is shown then).
    pub closed_currency: Option<crate::currency::Code>,
}

/// A page of one column, fetched with a keyset cursor.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPage {
    pub stage_id: Uuid,
    pub cards: Vec<LeadCard>,
    /// Pass back to fetch the next page; `None` when the column is exhausted.
    pub next_cursor: Option<ColumnCursor>,
}

/// Where the last page ended: the sort key of the last card and its id (ties).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnCursor {
    pub sort: BoardSort,
    pub score: i32,
    pub last_contacted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

/// The result of moving a card: the lead's new version.
#[derive(Debug, Clone, PartialEq)]
pub struct MovedLead {
    pub lead_id: Uuid,
    pub stage_id: Uuid,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct LeadHit {
    pub id: Uuid,
    pub name: String,
    pub company: Option<String>,
    pub stage_id: Uuid,
    /// Where the search matched when not the name ("note: …the «müller» offer…").
    pub matched: Option<String>,
}

/// One hit of `PgStore::find_leads`: the lead and where it matched (`name`, `company`,
/// `e-mail`, `phone`, `tag`, an interaction type, `task`, `name (spelling)`) with a snippet.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SearchHit {
    pub id: Uuid,
    pub name: String,
    pub company: Option<String>,
    pub stage_id: Uuid,
    pub matched: String,
    pub snippet: Option<String>,
}

impl From<SearchHit> for LeadHit {
    fn from(hit: SearchHit) -> LeadHit {
        let matched = match (hit.matched.as_str(), hit.snippet) {
            ("name", _) => None,
            (place, Some(snippet)) => {
                let flat = crate::text::clean_line(&snippet);
                Some(format!(
                    "{place}: {}",
                    flat.split_whitespace().collect::<Vec<_>>().join(" ")
                ))
            }
            (place, None) => Some(place.to_string()),
        };
        LeadHit {
            id: hit.id,
            name: hit.name,
            company: hit.company,
            stage_id: hit.stage_id,
            matched,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "task_priority", rename_all = "lowercase")]
pub enum TaskPriority {
    Low,
    Medium,
    High,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "task_status", rename_all = "lowercase")]
pub enum TaskStatus {
    Pending,
    Completed,
    Overdue,
    /// Closed without being done (migration 0016: closing a lead can cancel its open tasks).
    Cancelled,
}

impl TaskStatus {
    /// Pending or overdue: what the inbox, counters and "next step" count (SQL:
    /// `status in ('pending', 'overdue')`).
    pub fn is_open(self) -> bool {
        matches!(self, TaskStatus::Pending | TaskStatus::Overdue)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub lead_name: String,
    pub stage_name: String,
    pub title: String,
    pub description: Option<String>,
    pub due_date: Option<NaiveDate>,
    pub due_time: Option<NaiveTime>,
    pub priority: TaskPriority,
    pub status: TaskStatus,
    pub assigned_to: Option<Uuid>,
    pub assignee_name: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl From<crate::config::BoardSort> for BoardSort {
    fn from(sort: crate::config::BoardSort) -> Self {
        match sort {
            crate::config::BoardSort::Score => BoardSort::Score,
            crate::config::BoardSort::LastContact => BoardSort::LastContact,
            crate::config::BoardSort::Newest => BoardSort::Newest,
        }
    }
}
