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
    first: usize,
    params: Vec<Param>,
    now: Option<String>,
    zone: Option<String>,
}

impl Builder<'_> {
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

    fn term(&mut self, term: &Term) -> String {
        match term {
            Term::Owners(owners) => {
                let mut any = Vec::new();
                let mut names = Vec::new();
                for owner in owners {
                    match owner {
                        Owner::Me => {
                            let me = self.param(Param::Uuid(self.ctx.me));
                            any.push(format!("l.assigned_to = {me}::uuid"));
                        }
                        Owner::Nobody => any.push("l.assigned_to is null".into()),
                        Owner::Named(n) => names.push(n.to_lowercase()),
                    }
                }
                if !names.is_empty() {
                    let names = self.param(Param::Texts(names));
                    any.push(format!(
                        "l.assigned_to in (select m.profile_id from organization_members m
                             join profiles p on p.id = m.profile_id
                             where (lower(p.full_name) = any({names}::text[])
                                    or lower(split_part(p.full_name, ' ', 1)) = any({names}::text[])))"
                    ));
                }
                format!("({})", any.join(" or "))
            }
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
                // Uncorrelated (see the top): the overdue tasks are read once and joined by
                // hash for the exact totals, not probed once per lead.
                format!(
                    "l.id in (select t.lead_id from lead_tasks t
                         where t.status in ('pending', 'overdue')
                           and (t.due_date < {local}::date
                                or (t.due_date = {local}::date and t.due_time is not null and t.due_time < {local}::time)))"
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
    let mut b = Builder {
        ctx,
        first,
        params: Vec::new(),
        now: None,
        zone: None,
    };
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
    fn empty_filter_is_true() {
        assert_eq!(compile(&Filter::default(), &ctx(), 1).sql, "true");
    }
}
