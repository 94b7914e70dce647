//! A [`Filter`] as a SQL predicate over `leads l`: the text is built only from fixed fragments
//! and `$n` placeholders; every value the rep typed travels as a bound parameter.
//!
//! Index use: a column page walks its sort index and checks each lead; exact totals read a
//! stage's leads index-only from `leads_filter_idx` (migration 0025: keyed by organization,
//! stage and owner, the compared values only INCLUDEd, so no new cross-organization probe,
//! SECURITY.md) for every term but free text. Subqueries are not correlated with `l` (RLS keeps
//! them inside the rep's organizations, and the outer query to one): a correlated `IN` runs
//! once per lead instead of once (a tag filter over 200k leads went past the statement
//! timeout), and a correlated `EXISTS` for overdue let the planner probe every lead once per
//! stage (0.9 s for the totals at 100k). The uncorrelated `IN` is a hash semi join for the
//! totals and a nested-loop probe of 0025's open-task index for a page.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Postgres;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use uuid::Uuid;

use crate::filter::{DateRange, Filter, Owner, Span, Term};

/// A value bound to one placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Uuid(Uuid),
    Text(String),
    Texts(Vec<String>),
    Int(i32),
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

/// Who is looking and when: `mine`, overdue tasks and relative days depend on it.
#[derive(Debug, Clone)]
pub struct FilterContext {
    pub me: Uuid,
    pub time_zone: String,
    pub now: DateTime<Utc>,
}

/// `sql` is a boolean expression over the alias `l` (leads); `params` fill `$first..`.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    pub sql: String,
    pub params: Vec<Param>,
}

struct Builder<'a> {
    ctx: &'a FilterContext,
    /// One column's page: the organization is `$1` and the stage `$2`.
    column: bool,
    /// That column is a won or lost stage.
    closed: bool,
    first: usize,
    params: Vec<Param>,
    now: Option<String>,
    zone: Option<String>,
}

impl<'a> Builder<'a> {
    fn new(ctx: &'a FilterContext, first: usize, column: bool) -> Self {
        Builder {
            ctx,
            column,
            closed: false,
            first,
            params: Vec::new(),
            now: None,
            zone: None,
        }
    }

    fn param(&mut self, p: Param) -> String {
        self.params.push(p);
        format!("${}", self.first + self.params.len() - 1)
    }

    fn now(&mut self) -> String {
        if let Some(n) = &self.now {
            return n.clone();
        }
        let n = format!("{}::timestamptz", self.param(Param::Instant(self.ctx.now)));
        self.now = Some(n.clone());
        n
    }

    fn zone(&mut self) -> String {
        if let Some(z) = &self.zone {
            return z.clone();
        }
        let z = format!(
            "{}::text",
            self.param(Param::Text(self.ctx.time_zone.clone()))
        );
        self.zone = Some(z.clone());
        z
    }

    /// The first instant of the local day `days` days before today.
    fn day_start_ago(&mut self, span: Span) -> String {
        let (now, zone) = (self.now(), self.zone());
        let days = span.days().clamp(0, 36_500) as i32;
        let days = self.param(Param::Int(days));
        format!(
            "((({now} at time zone {zone})::date - {days}::int)::timestamp at time zone {zone})"
        )
    }

    fn day_start(&mut self, day: NaiveDate) -> String {
        let zone = self.zone();
        let day = self.param(Param::Date(day));
        format!("({day}::date::timestamp at time zone {zone})")
    }

    fn dates(&mut self, column: &str, range: &DateRange) -> String {
        match range {
            DateRange::Within(span) => format!("{column} >= {}", self.day_start_ago(*span)),
            DateRange::OlderThan(span) => format!("{column} < {}", self.day_start_ago(*span)),
            DateRange::Between(from, to) => {
                let mut parts = vec![format!("{column} is not null")];
                if let Some(from) = from {
                    parts.push(format!("{column} >= {}", self.day_start(*from)));
                }
                if let Some(to) = to {
                    let next = to.succ_opt().unwrap_or(*to);
                    parts.push(format!("{column} < {}", self.day_start(next)));
                }
                parts.join(" and ")
            }
            DateRange::Never => format!("{column} is null"),
        }
    }

    /// Any of `owners` as a predicate over the owner `column` (a lead's `assigned_to`, or a
    /// summary delta's `owner_id`): named teammates by full or first name.
    fn owners(&mut self, owners: &[Owner], column: &str) -> String {
        let mut any = Vec::new();
        let mut names = Vec::new();
        for owner in owners {
            match owner {
                Owner::Me => {
                    let me = self.param(Param::Uuid(self.ctx.me));
                    any.push(format!("{column} = {me}::uuid"));
                }
                Owner::Nobody => any.push(format!("{column} is null")),
                Owner::Named(n) => names.push(n.to_lowercase()),
            }
        }
        if !names.is_empty() {
            let names = self.param(Param::Texts(names));
            any.push(format!(
                "{column} in (select m.profile_id from organization_members m
                     join profiles p on p.id = m.profile_id
                     where (lower(p.full_name) = any({names}::text[])
                            or lower(split_part(p.full_name, ' ', 1)) = any({names}::text[])))"
            ));
        }
        format!("({})", any.join(" or "))
    }

    fn term(&mut self, term: &Term) -> String {
        match term {
            Term::Owners(owners) => self.owners(owners, "l.assigned_to"),
            Term::Tags(tags) => {
                let tags = self.param(Param::Texts(tags.clone()));
                format!(
                    "l.id in (select t.lead_id from lead_tags t where t.tag = any({tags}::text[]))"
                )
            }
            Term::Sources(sources) => {
                let lower = sources.iter().map(|s| s.to_lowercase()).collect();
                let sources = self.param(Param::Texts(lower));
                format!("lower(l.source) = any({sources}::text[])")
            }
            Term::Score { min, max } => {
                let (min, max) = (self.param(Param::Int(*min)), self.param(Param::Int(*max)));
                format!("l.score between {min}::int and {max}::int")
            }
            Term::Rotting if self.column => {
                // The stage's limit as an uncorrelated subquery: a column that never rots
                // (closed stages, no limit) is empty by a one-time filter instead of a walk down
                // all its leads (half a second per closed column at 1M).
                let now = self.now();
                let limit = "(select s.rotting_days from pipeline_stages s
                     where s.organization_id = $1::uuid and s.id = $2::uuid)";
                format!(
                    "{limit} is not null
                     and coalesce(l.last_contacted_at, l.created_at) < {now} - make_interval(days => {limit})"
                )
            }
            Term::Rotting => {
                let now = self.now();
                format!(
                    "exists (select 1 from pipeline_stages s
                         where s.organization_id = l.organization_id and s.id = l.stage_id
                           and s.rotting_days is not null
                           and coalesce(l.last_contacted_at, l.created_at) < {now} - make_interval(days => s.rotting_days))"
                )
            }
            Term::Overdue => {
                let (now, zone) = (self.now(), self.zone());
                let local = format!("({now} at time zone {zone})");
                let due = format!(
                    "(t.due_date < {local}::date
                      or (t.due_date = {local}::date and t.due_time is not null and t.due_time < {local}::time))"
                );
                if self.column && self.closed {
                    // A won or lost column: its overdue leads are among the few open tasks on
                    // closed leads (0046's index), read once as an array, so the page probes
                    // those leads by id and sorts them instead of walking the column (Won at 1M,
                    // 133k leads: 569 ms, 5 ms this way).
                    return format!(
                        "l.id = any (array(select t.lead_id from lead_tasks t
                             where t.organization_id = $1::uuid and t.lead_closed
                               and t.status in ('pending', 'overdue') and {due}))"
                    );
                }
                // Uncorrelated (see the top): the overdue tasks are read once and joined by
                // hash for the exact totals, not probed once per lead.
                format!(
                    "l.id in (select t.lead_id from lead_tasks t
                         where t.status in ('pending', 'overdue') and {due})"
                )
            }
            Term::NoNextStep => "not exists (select 1 from lead_tasks t
                     where t.organization_id = l.organization_id and t.lead_id = l.id and t.status in ('pending', 'overdue'))"
                .to_string(),
            Term::Created(range) => self.dates("l.created_at", range),
            Term::Contacted(range) => self.dates("l.last_contacted_at", range),
            Term::Text(text) => {
                let pattern = self.param(Param::Text(format!("%{}%", like_escape(text))));
                format!(
                    "(l.name ilike {pattern} or l.email ilike {pattern}
                      or exists (select 1 from lead_profiles p
                                 where p.organization_id = l.organization_id and p.lead_id = l.id
                                   and p.company ilike {pattern}))"
                )
            }
        }
    }
}

/// `%`, `_` and `\` match themselves (the default LIKE escape is the backslash).
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Compiles `filter` into a predicate whose placeholders start at `$first`.
pub fn compile(filter: &Filter, ctx: &FilterContext, first: usize) -> Predicate {
    build(filter, Builder::new(ctx, first, false))
}

/// As [`compile`], for a page of one column whose query binds the organization as `$1` and
/// the stage as `$2` (terms that depend on the stage alone read it once). `closed`: the stage is
/// won or lost (only `overdue` reads it).
pub fn compile_for_column(
    filter: &Filter,
    ctx: &FilterContext,
    first: usize,
    closed: bool,
) -> Predicate {
    let mut b = Builder::new(ctx, first, true);
    b.closed = closed;
    build(filter, b)
}

fn build(filter: &Filter, mut b: Builder) -> Predicate {
    let parts: Vec<String> = filter.terms.iter().map(|t| b.term(t)).collect();
    let sql = if parts.is_empty() {
        "true".to_string()
    } else {
        parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    Predicate {
        sql,
        params: b.params,
    }
}

/// The rows of `stage_filter_deltas d` (migration 0033) whose sums are exactly the totals of
/// `filter`, when there are such rows: owner terms only (`mine`, `owner:me,none,Ana`: the lead
/// rows of those owners), one tag (`tag:vip`: its facet), one score range (`score:>70`: one
/// facet per score, each lead in exactly one), `no-next-step` (0049's `next:none`), or one
/// source term (`source:referral,website`: 0051's facets, each lead in exactly one). `None`
/// for anything else (or an empty filter): those totals count the kept leads.
fn compile_summary_rows(filter: &Filter, ctx: &FilterContext, first: usize) -> Option<Predicate> {
    let mut b = Builder::new(ctx, first, false);
    let facets = match filter.terms.as_slice() {
        [Term::Tags(tags)] if tags.len() == 1 => tags.iter().map(|t| format!("tag:{t}")).collect(),
        [Term::NoNextStep] => vec!["next:none".to_string()],
        [Term::Score { min, max }] => ((*min).max(0)..=(*max).min(100))
            .map(|n| format!("score:{n}"))
            .collect(),
        _ => Vec::new(),
    };
    if !facets.is_empty() {
        let facets = b.param(Param::Texts(facets));
        return Some(Predicate {
            sql: format!("d.facet = any({facets}::text[])"),
            params: b.params,
        });
    }
    if let [Term::Sources(sources)] = filter.terms.as_slice() {
        // The database names a source's facet (0051: lowered, or hashed when long).
        let sources = b.param(Param::Texts(sources.clone()));
        return Some(Predicate {
            sql: format!(
                "d.facet = any(array(select closer.source_facet(x) from unnest({sources}::text[]) x))"
            ),
            params: b.params,
        });
    }
    let mut parts = vec!["d.facet is null".to_string()];
    for term in &filter.terms {
        match term {
            Term::Owners(owners) => parts.push(b.owners(owners, "d.owner_id")),
            _ => return None,
        }
    }
    if parts.len() == 1 {
        return None;
    }
    Some(Predicate {
        sql: parts.join(" and "),
        params: b.params,
    })
}

/// Rows `(stage_id, currency, lead_count, open_deal_amount, weighted_deal_amount)` (a null
/// currency is the organization's) whose sums per stage are exactly a filter's totals, read
/// without counting every lead it keeps. `ctes` go before them in the statement's `WITH`; the
/// organization is `$1`, the pipeline `$2`, and `params` fill `$first..`.
#[derive(Debug, Clone, PartialEq)]
pub struct TotalRows {
    pub ctes: String,
    pub rows: String,
    pub params: Vec<Param>,
}

/// The delta rows of the pipeline's stages (`d`) that `condition` keeps: one read of the
/// organization's rows (the stages as an array; as a join, one read per stage).
fn delta_rows(condition: &str) -> String {
    format!(
        "select d.stage_id, d.currency, d.lead_count, d.open_deal_amount, d.weighted_deal_amount
         from stage_filter_deltas d
         where d.organization_id = $1
           and d.stage_id = any (array(select s.id from pipeline_stages s
                                       where s.organization_id = $1 and s.pipeline_id = $2))
           and ({condition})"
    )
}

/// One count and the open deals of each lead of `leads` (a CTE of `id, stage_id`: a few
/// thousand leads at most, so each probes its deals; `offset 0` keeps the planner from turning
/// the probe into a join that reads all the organization's open deals).
fn lead_rows(leads: &str) -> String {
    format!(
        "select f.stage_id, null::text, 1, 0, 0 from {leads} f
         union all
         select f.stage_id, x.currency, 0, x.amount, x.amount * x.probability / 100.0
         from {leads} f cross join lateral (
             select x.currency, x.amount, x.probability from deals x
             where x.organization_id = $1 and x.lead_id = f.id and x.status = 'open'
             offset 0
         ) x"
    )
}

/// [`TotalRows`] for `filter` when it has them: terms with delta rows of their own
/// ([`compile_summary_rows`]), `overdue` alone (the `next:` facets of migration 0049 dated
/// before today, plus the leads whose first task is due today and already past its time), or
/// `rotting` alone (the `touch:` facets of migration 0050, [`rotting_rows`]).
pub fn compile_total_rows(filter: &Filter, ctx: &FilterContext, first: usize) -> Option<TotalRows> {
    if let Some(p) = compile_summary_rows(filter, ctx, first) {
        return Some(TotalRows {
            ctes: String::new(),
            rows: delta_rows(&p.sql),
            params: p.params,
        });
    }
    match filter.terms.as_slice() {
        [Term::Overdue] => Some(overdue_rows(ctx, first)),
        [Term::Rotting] => Some(rotting_rows(ctx, first)),
        _ => None,
    }
}

/// Per stage with a limit: the `touch:` rows (migration 0050) of days before the UTC day of the
/// cutoff (now minus the limit), plus the leads touched on that day before the cutoff.
fn rotting_rows(ctx: &FilterContext, first: usize) -> TotalRows {
    let mut b = Builder::new(ctx, first, false);
    let now = b.now();
    // The cutoff's day from `closer.rotting_edge` (0050), which can range over the contact
    // index where a member's query cannot.
    let ctes = format!(
        "cut as materialized (
             select s.id, 'touch:' || to_char(({now} - make_interval(days => s.rotting_days)) at time zone 'UTC',
                                               'YYYY-MM-DD') as first_fresh_day
             from pipeline_stages s
             where s.organization_id = $1 and s.pipeline_id = $2 and s.rotting_days is not null
         ), edge as materialized (
             select e.stage_id, e.id from closer.rotting_edge($1, $2, {now}) e
         ),"
    );
    // Day facets sort by their text in the C collation (0050 keeps them `touch:YYYY-MM-DD`);
    // each stage's bound is computed once in `cut`, not once per delta row.
    let rows = format!(
        "select d.stage_id, d.currency, d.lead_count, d.open_deal_amount, d.weighted_deal_amount
         from stage_filter_deltas d join cut c on c.id = d.stage_id
         where d.organization_id = $1
           and d.facet collate \"C\" >= 'touch:0'
           and d.facet collate \"C\" < c.first_fresh_day collate \"C\"
         union all {}",
        lead_rows("edge")
    );
    TotalRows {
        ctes,
        rows,
        params: b.params,
    }
}

/// `overdue` from the `next:` facets (migrations 0049, 0061): the rows dated before today and
/// those of today's hours before the current one, plus the leads of the current hour whose first
/// timed task today is already past.
fn overdue_rows(ctx: &FilterContext, first: usize) -> TotalRows {
    let mut b = Builder::new(ctx, first, false);
    let (now, zone) = (b.now(), b.zone());
    let local = format!("({now} at time zone {zone})");
    let hour = format!("date_trunc('hour', {local})::time");
    // The open-task indexes are one per priority (0026): one range each, read once (the stages
    // are an array, not a join the planner can put outside the ranges). Only the current hour's
    // tasks: earlier hours are delta rows.
    let due_now = ["high", "medium", "low"]
        .iter()
        .map(|p| {
            format!(
                "select t.lead_id from lead_tasks t
                 where t.organization_id = $1 and t.status <> 'completed' and t.priority = '{p}'
                   and t.due_date = {local}::date and t.due_time >= {hour} and t.due_time < {local}::time"
            )
        })
        .collect::<Vec<_>>()
        .join(" union all ");
    let ctes = format!(
        "due_now as materialized (
             select distinct l.id, l.stage_id
             from ({due_now}) x join leads l on l.organization_id = $1 and l.id = x.lead_id
             where l.stage_id = any (array(select s.id from pipeline_stages s
                                           where s.organization_id = $1 and s.pipeline_id = $2))
               and not exists (select 1 from lead_tasks e
                               where e.organization_id = $1 and e.lead_id = l.id
                                 and e.status in ('pending', 'overdue')
                                 and (e.due_date < {local}::date
                                      or (e.due_date = {local}::date and e.due_time < {hour})))
         ), bounds as materialized (
             select 'next:' || to_char({local}, 'YYYY-MM-DD') as today,
                    'next:' || to_char({local}, 'YYYY-MM-DD\"T\"HH24') as this_hour
         ),"
    );
    // Dated facets sort by their text in the C collation (`next:YYYY-MM-DD`, then that day's
    // hours `next:YYYY-MM-DDTHH`); the bounds are computed once, not once per delta row.
    let before_now = "(d.facet collate \"C\" >= 'next:0'
          and d.facet collate \"C\" < (select b.today from bounds b) collate \"C\")
         or (d.facet collate \"C\" > (select b.today || 'T' from bounds b) collate \"C\"
          and d.facet collate \"C\" < (select b.this_hour from bounds b) collate \"C\")";
    TotalRows {
        ctes,
        rows: format!(
            "{} union all {}",
            delta_rows(&format!("({before_now})")),
            lead_rows("due_now")
        ),
        params: b.params,
    }
}

/// Binds the predicate's values in order.
pub fn bind_params<'q>(
    mut query: Query<'q, Postgres, PgArguments>,
    params: &[Param],
) -> Query<'q, Postgres, PgArguments> {
    for p in params {
        query = match p.clone() {
            Param::Uuid(v) => query.bind(v),
            Param::Text(v) => query.bind(v),
            Param::Texts(v) => query.bind(v),
            Param::Int(v) => query.bind(v),
            Param::Date(v) => query.bind(v),
            Param::Instant(v) => query.bind(v),
        };
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;

    fn ctx() -> FilterContext {
        FilterContext {
            me: Uuid::nil(),
            time_zone: "Europe/Berlin".into(),
            now: DateTime::<Utc>::MIN_UTC,
        }
    }

    #[test]
    fn typed_values_never_reach_the_sql_text() {
        let f =
            parse("tag:\"x'; drop table leads;--\" source:'' owner:\"Robert'); --\" o'brien 100%")
                .expect("parses");
        let p = compile(&f, &ctx(), 3);
        for bad in ["drop", "'';", "robert", "o'brien", "100"] {
            assert!(!p.sql.to_lowercase().contains(bad), "{bad} in {}", p.sql);
        }
        assert_eq!(p.params.len(), 5);
        assert!(p.sql.contains("$3") && p.sql.contains("$7") && !p.sql.contains("$8"));
        assert!(p.params.contains(&Param::Text("%o'brien%".into())));
        assert!(p.params.contains(&Param::Text("%100\\%%".into())));
    }

    #[test]
    fn clock_and_zone_are_bound_once() {
        let f = parse("rotting overdue created:<7d").expect("parses");
        let p = compile(&f, &ctx(), 1);
        let instants = p
            .params
            .iter()
            .filter(|p| matches!(p, Param::Instant(_)))
            .count();
        let texts = p
            .params
            .iter()
            .filter(|p| matches!(p, Param::Text(_)))
            .count();
        assert_eq!((instants, texts), (1, 1));
    }

    #[test]
    fn summary_rows_only_where_their_sums_are_exact() {
        let rows = |text: &str| compile_summary_rows(&parse(text).expect("parses"), &ctx(), 3);
        for text in [
            "mine",
            "owner:me,none",
            "owner:ana mine",
            "tag:vip",
            "score:>70",
            "score:40..60",
        ] {
            assert!(rows(text).is_some(), "{text}");
        }
        // A lead with two of the tags, or in two facets at once, would count twice; the rest
        // are not in the deltas at all.
        for text in [
            "",
            "tag:vip,hot",
            "tag:vip tag:hot",
            "tag:vip score:>70",
            "mine tag:vip",
            "rotting",
            "mine rotting",
        ] {
            assert!(rows(text).is_none(), "{text}");
        }
        let score = rows("score:>97").expect("a range");
        assert_eq!(
            score.params,
            vec![Param::Texts(vec![
                "score:98".into(),
                "score:99".into(),
                "score:100".into()
            ])]
        );
        assert!(score.sql.contains("$3") && !score.sql.contains("null"));
        let mine = rows("mine").expect("owners");
        assert!(mine.sql.starts_with("d.facet is null and "), "{}", mine.sql);
        assert_eq!(mine.params, vec![Param::Uuid(Uuid::nil())]);
    }

    #[test]
    fn empty_filter_is_true() {
        assert_eq!(compile(&Filter::default(), &ctx(), 1).sql, "true");
    }
}
