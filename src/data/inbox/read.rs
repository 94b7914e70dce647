//! The inbox's reads: each group one bounded query, the rep's clock, teammates, triage facts.

use super::*;

// ---------------------------------------------------------------------------
// SQL
// ---------------------------------------------------------------------------

/// The rep's local date at `$4` in zone `$3`.
const TODAY: &str = "($4::timestamptz at time zone $3::text)::date";

const PRIORITIES: [&str; 3] = ["high", "medium", "low"];

/// The rep's local wall-clock time at `$4` in zone `$3` (see `TODAY`).
const LOCAL_TIME: &str = "($4::timestamptz at time zone $3::text)::time";

/// The inbox: each group one bounded read in display order off a partial index
/// (`lead_tasks_live_*_idx`, `lead_tasks_done_*_idx` as migration 0026 left them: the open
/// groups' keys and counts are index-only scans), at most `$6` rows, counted up to
/// `$7`; leads, stages and people are joined only for the rows shown. Open groups read each
/// priority's range of the index (high first), each stopping after `$7` keys whatever the rep
/// owns. Mine and team views are separate statements (no `OR` on a parameter).
/// The steps are materialized so a join can never re-run a read (under RLS the planner guesses
/// one stage and looped the reads, then the lead lookups, once per stage), and the rows shown are
/// fetched one by one (`lateral … limit 1`: never flattened into a hash join over every task).
/// Parameters: `$1` org, `$2` me, `$3` zone, `$4` now, `$5` completed since, `$6` limit, `$7` cap.
pub fn inbox_sql(scope: InboxScope) -> String {
    inbox_sql_with(scope, false)
}

/// [`inbox_sql`], with the tasks of won/lost leads too when `include_closed` (inbox `O`).
pub fn inbox_sql_with(scope: InboxScope, include_closed: bool) -> String {
    inbox_sql_where(scope, include_closed, "")
}

/// [`inbox_sql_with`] keeping only the tasks `filter` (`" and (…)"` over `t`, placeholders from
/// `$8`: `data::inbox::filter`) keeps, in the groups and in their exact totals.
fn inbox_sql_where(scope: InboxScope, include_closed: bool, filter: &str) -> String {
    let closed = if include_closed {
        ""
    } else {
        crate::data::closing::OPEN_LEAD_SQL
    };
    let whose = match scope {
        InboxScope::Mine => format!("t.organization_id = $1 and t.assigned_to = $2{filter}"),
        InboxScope::Team => format!("t.organization_id = $1{filter}"),
    };
    let columns = "t.id, t.lead_id, t.title, t.description, t.due_date, t.due_time, t.priority, \
                   t.status, t.assigned_to, t.completed_at, t.version";
    // One branch per priority (a literal, so an index condition), high first. Each branch reads
    // up to the cap of index keys (an index-only scan); the same keys give the capped count and
    // the rows shown, so the statement plans one scan per priority, not two.
    let open_group = |code: i32, when: String| {
        let open = format!("{whose} and t.status in ('pending', 'overdue') and {when}{closed}");
        let keys = PRIORITIES
            .iter()
            .enumerate()
            .map(|(n, p)| {
                format!(
                    "(select {n}::bigint as n, t.id, t.due_date, t.due_time, t.title from lead_tasks t
                      where {open} and t.priority = '{p}'
                      order by t.due_date, t.due_time, t.title, t.id
                      limit $7)"
                )
            })
            .collect::<Vec<_>>();
        // `limit $6` repeats what `position <= $6` says so the planner expects $6 lookups, not
        // one per key read (that estimate starts JIT: 300 ms).
        format!(
            "select {code} as grp, g.n, {columns}, g.position, g.group_total
             from (select * from (select k.*,
                          row_number() over (order by k.n, k.due_date, k.due_time, k.title, k.id)
                              as position,
                          least(count(*) over (), $7) as group_total
                   from ({keys}) k) w
                   where w.position <= $6 limit $6) g
             cross join lateral (select * from lead_tasks t
                                 where t.organization_id = $1 and t.id = g.id limit 1) t",
            keys = keys.join(" union all "),
        )
    };
    let groups = [
        open_group(0, format!("(t.due_date, t.due_time) < ({TODAY}, {LOCAL_TIME})")),
        open_group(
            1,
            format!("t.due_date = {TODAY} and (t.due_time is null or t.due_time >= {LOCAL_TIME})"),
        ),
        open_group(2, format!("t.due_date > {TODAY}")),
        open_group(3, "t.due_date is null".to_owned()),
        format!(
            "select 4 as grp, g.*,
                    row_number() over (order by g.completed_at desc, g.priority desc, g.due_date,
                                                g.due_time, g.title, g.id) as position,
                    (select count(*) from (
                         select 1 from lead_tasks t
                         where {whose} and t.status = 'completed' and t.completed_at >= $5
                         limit $7) capped) as group_total
             from (select 0::bigint as n, {columns} from lead_tasks t
                   where {whose} and t.status = 'completed' and t.completed_at >= $5
                   order by t.completed_at desc, t.priority desc, t.due_date, t.due_time, t.title, t.id
                   limit $6) g"
        ),
    ];
    format!(
        "with shown as materialized ({}),
         with_lead as materialized (
             select s.*, l.name as lead_name, l.stage_id as lead_stage_id
             from shown s cross join lateral (
                 select l.name, l.stage_id from leads l
                 where l.organization_id = $1 and l.id = s.lead_id limit 1) l)
         select w.*, st.name as stage_name, st.color as stage_color, who.full_name as assignee_name
         from with_lead w
         join pipeline_stages st on st.organization_id = $1 and st.id = w.lead_stage_id
         left join profiles who on who.id = w.assigned_to
         order by w.grp, w.position",
        groups.join(" union all ")
    )
}

const CLOCK_SQL: &str = "
    select wall::date as today, wall::time as local_time,
           extract(epoch from wall - ($1::timestamptz at time zone 'UTC'))::int as utc_offset
    from (select $1::timestamptz at time zone $2::text as wall) clock";

const TEAMMATES_SQL: &str = "
    select p.id, p.full_name, m.role
    from organization_members m
    join profiles p on p.id = m.profile_id
    where m.organization_id = $1
    order by lower(p.full_name), p.id";

const TRIAGE_FACTS_SQL: &str = "
    select l.id, l.name, lp.company, s.name as stage_name, s.color as stage_color, l.phone, l.mobile,
           l.email, l.score, owner.full_name as owner_name, l.last_contacted_at,
           i.type::text as last_kind, i.direction::text as last_direction, i.subject as last_subject,
           i.outcome as last_outcome, left(i.content, 300) as last_excerpt, i.occurred_at as last_at,
           coalesce(d.amount, 0)::float8 as open_deal_amount, coalesce(d.deals, 0) as open_deals,
           d.currency as open_deal_currency
    from leads l
    join pipeline_stages s on s.organization_id = l.organization_id and s.id = l.stage_id
    left join lead_profiles lp on lp.organization_id = l.organization_id and lp.lead_id = l.id
    left join profiles owner on owner.id = l.assigned_to
    left join lateral (
        select type, direction, subject, outcome, content, occurred_at
        from lead_interactions
        where organization_id = l.organization_id and lead_id = l.id
        order by occurred_at desc, created_at desc, id desc
        limit 1
    ) i on true
    left join lateral (
        select sum(amount) as amount, count(*) as deals,
               case when count(distinct currency) = 1 then min(currency) end as currency
        from deals
        where organization_id = l.organization_id and lead_id = l.id and status = 'open'
    ) d on true
    where l.organization_id = $1 and l.id = $2";

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

impl PgStore {
    /// The rep's local date, time and UTC offset at `now`.
    pub async fn rep_clock(&self, now: DateTime<Utc>) -> Result<RepClock> {
        retrying(|| self.rep_clock_once(now)).await
    }

    /// The rep's local date at `now`.
    pub async fn local_today(&self, now: DateTime<Utc>) -> Result<NaiveDate> {
        Ok(self.rep_clock(now).await?.today)
    }

    async fn rep_clock_once(&self, now: DateTime<Utc>) -> Result<RepClock> {
        let row = sqlx::query(CLOCK_SQL)
            .bind(now)
            .bind(&self.me().time_zone)
            .fetch_one(self.pool())
            .await?;
        let seconds: i32 = row.try_get("utc_offset")?;
        Ok(RepClock {
            now,
            today: row.try_get("today")?,
            local_time: row.try_get("local_time")?,
            utc_offset: FixedOffset::east_opt(seconds).ok_or_else(|| {
                DataError::Other(format!("a UTC offset of {seconds} seconds is out of range"))
            })?,
        })
    }

    /// The inbox at `now` (`scope`: [`InboxScope`], or `true` for the team view), with the
    /// tasks completed in the last [`COMPLETED_VISIBLE_DAYS`] days.
    pub async fn inbox(&self, now: DateTime<Utc>, scope: impl Into<InboxScope>) -> Result<Inbox> {
        self.inbox_since(now, scope, None).await
    }

    /// The inbox at `now`, with the tasks completed since `completed_since` (`None`: the last
    /// [`COMPLETED_VISIBLE_DAYS`] days).
    pub async fn inbox_since(
        &self,
        now: DateTime<Utc>,
        scope: impl Into<InboxScope>,
        completed_since: Option<DateTime<Utc>>,
    ) -> Result<Inbox> {
        self.inbox_filtered(now, scope, completed_since, false)
            .await
    }

    /// The inbox with the tasks of won/lost leads too when `include_closed` (issue 10: left out
    /// by default, like the status bar's overdue count).
    pub async fn inbox_filtered(
        &self,
        now: DateTime<Utc>,
        scope: impl Into<InboxScope>,
        completed_since: Option<DateTime<Utc>>,
        include_closed: bool,
    ) -> Result<Inbox> {
        self.inbox_where(
            now,
            scope,
            completed_since,
            include_closed,
            &crate::filter::Filter::default(),
        )
        .await
    }

    /// [`PgStore::inbox_filtered`] keeping only the tasks `filter` keeps (issue 12: the inbox
    /// filter; `data::inbox::filter` says what each term means for a task).
    pub async fn inbox_where(
        &self,
        now: DateTime<Utc>,
        scope: impl Into<InboxScope>,
        completed_since: Option<DateTime<Utc>>,
        include_closed: bool,
        filter: &crate::filter::Filter,
    ) -> Result<Inbox> {
        let scope = scope.into();
        let since = completed_since
            .unwrap_or_else(|| now - chrono::Duration::days(i64::from(COMPLETED_VISIBLE_DAYS)));
        retrying(|| self.inbox_once(now, scope, since, include_closed, filter)).await
    }

    async fn inbox_once(
        &self,
        now: DateTime<Utc>,
        scope: InboxScope,
        since: DateTime<Utc>,
        include_closed: bool,
        filter: &crate::filter::Filter,
    ) -> Result<Inbox> {
        let clock = self.rep_clock_once(now).await?;
        let ctx = crate::data::filter_sql::FilterContext {
            me: self.me().profile_id,
            time_zone: self.me().time_zone.clone(),
            now,
        };
        let predicate = super::filter::task_predicate(filter, &ctx, 8);
        let sql = inbox_sql_where(scope, include_closed, &predicate.sql);
        let query = sqlx::query(AssertSqlSafe(sql))
            .bind(self.organization_id())
            .bind(self.me().profile_id)
            .bind(&self.me().time_zone)
            .bind(now)
            .bind(since)
            .bind(GROUP_LIMIT)
            .bind(TOTAL_CAP);
        let rows = crate::data::filter_sql::bind_params(query, &predicate.params)
            .fetch_all(self.pool())
            .await?;
        let mut inbox = Inbox {
            scope,
            tasks: Vec::with_capacity(rows.len()),
            stage_colors: HashMap::new(),
            totals: HashMap::new(),
            now,
            today: clock.today,
            local_time: clock.local_time,
            utc_offset_seconds: clock.utc_offset.local_minus_utc(),
            completed_since: since,
        };
        for row in rows {
            let code: i32 = row.try_get("grp")?;
            let group = TaskGroup::from_code(code)
                .ok_or_else(|| DataError::Other(format!("unknown inbox group {code}")))?;
            let task = task_row(&row)?;
            inbox.totals.insert(group, row.try_get("group_total")?);
            inbox
                .stage_colors
                .insert(task.lead_id, row.try_get("stage_color")?);
            inbox.tasks.push((group, task));
        }
        Ok(inbox)
    }

    /// How many of the rep's open tasks are overdue at `now` — the inbox's Overdue rule, counted
    /// up to [`super::store::OVERDUE_COUNT_CAP`] like the status bar.
    pub async fn overdue_count(&self, now: DateTime<Utc>) -> Result<i64> {
        self.overdue_task_count_at(now).await
    }

    /// The organization's members, by name, for the reassign picker.
    pub async fn teammates(&self) -> Result<Vec<Teammate>> {
        retrying(|| self.teammates_once()).await
    }

    async fn teammates_once(&self) -> Result<Vec<Teammate>> {
        let rows = sqlx::query(TEAMMATES_SQL)
            .bind(self.organization_id())
            .fetch_all(self.pool())
            .await?;
        rows.into_iter()
            .map(|row| {
                let profile_id: Uuid = row.try_get("id")?;
                Ok(Teammate {
                    profile_id,
                    full_name: row.try_get("full_name")?,
                    role: row.try_get("role")?,
                    me: profile_id == self.me().profile_id,
                })
            })
            .collect()
    }

    /// The lead's key facts for triage. `NotFound` if the lead is gone or invisible.
    pub async fn triage_facts(&self, lead_id: Uuid) -> Result<TriageFacts> {
        retrying(|| self.triage_facts_once(lead_id)).await
    }

    async fn triage_facts_once(&self, lead_id: Uuid) -> Result<TriageFacts> {
        let row = sqlx::query(TRIAGE_FACTS_SQL)
            .bind(self.organization_id())
            .bind(lead_id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(DataError::NotFound)?;
        let last_kind: Option<String> = row.try_get("last_kind")?;
        let last_direction: Option<String> = row.try_get("last_direction")?;
        let last_subject: Option<String> = row.try_get("last_subject")?;
        let last_excerpt: Option<String> = row.try_get("last_excerpt")?;
        let last_outcome: Option<String> = row.try_get("last_outcome")?;
        Ok(TriageFacts {
            lead_id: row.try_get("id")?,
            name: row.try_get("name")?,
            company: row.try_get("company")?,
            stage: row.try_get("stage_name")?,
            stage_color: row.try_get("stage_color")?,
            phone: row.try_get("phone")?,
            mobile: row.try_get("mobile")?,
            email: row.try_get("email")?,
            score: row.try_get("score")?,
            owner_name: row.try_get("owner_name")?,
            last_contacted_at: row.try_get("last_contacted_at")?,
            last_interaction: last_kind.map(|kind| {
                interaction_line(
                    &kind,
                    last_direction.as_deref(),
                    last_subject.as_deref(),
                    last_excerpt.as_deref(),
                    last_outcome.as_deref(),
                )
            }),
            last_interaction_at: row.try_get("last_at")?,
            open_deal_amount: row.try_get("open_deal_amount")?,
            open_deals: row.try_get("open_deals")?,
            open_deal_currency: row.try_get("open_deal_currency")?,
        })
    }
}
