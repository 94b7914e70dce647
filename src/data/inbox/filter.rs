//! The filter language applied to the inbox (issue 12): a predicate over the task `t`. Terms
//! that name a person or a time mean the task (`owner:me` = assigned to me, `overdue` = this
//! task is past due); text matches the task's title or its lead (name, e-mail, company); every
//! other term (tags, source, score, rotting, dates, no-next-step) is about the task's lead.
//! Like the board's, typed values are bound parameters only (`data::filter_sql`).

use crate::data::filter_sql::{self, FilterContext, Param, Predicate};
use crate::filter::{Filter, Term};

/// `" and (…)"` to append to the inbox's task conditions (empty for an empty filter), with the
/// values for `$first…`. `$1` must be the organization.
pub fn task_predicate(filter: &Filter, ctx: &FilterContext, first: usize) -> Predicate {
    let mut params: Vec<Param> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    let mut lead_terms = Vec::new();
    for term in &filter.terms {
        let next = first + params.len();
        match term {
            Term::Owners(_) => {
                // The owner fragment names only `l.assigned_to` (fixed text): the task's column.
                let p = filter_sql::compile(&one(term), ctx, next);
                parts.push(p.sql.replace("l.assigned_to", "t.assigned_to"));
                params.extend(p.params);
            }
            Term::Overdue => {
                let (now, zone) = (next, next + 1);
                params.push(Param::Instant(ctx.now));
                params.push(Param::Text(ctx.time_zone.clone()));
                let local = format!("(${now}::timestamptz at time zone ${zone}::text)");
                parts.push(format!(
                    "t.status in ('pending', 'overdue') and (t.due_date < {local}::date
                       or (t.due_date = {local}::date and t.due_time is not null and t.due_time < {local}::time))"
                ));
            }
            Term::Text(text) => {
                let title = next;
                params.push(Param::Text(format!("%{}%", filter_sql::like_escape(text))));
                let lead = filter_sql::compile(&one(term), ctx, next + 1);
                parts.push(format!(
                    "t.title ilike ${title} or t.lead_id in (select l.id from leads l where l.organization_id = $1 and {})",
                    lead.sql
                ));
                params.extend(lead.params);
            }
            _ => lead_terms.push(term.clone()),
        }
    }
    if !lead_terms.is_empty() {
        let lead = filter_sql::compile(&Filter { terms: lead_terms }, ctx, first + params.len());
        parts.push(format!(
            "t.lead_id in (select l.id from leads l where l.organization_id = $1 and {})",
            lead.sql
        ));
        params.extend(lead.params);
    }
    let sql = parts
        .iter()
        .map(|p| format!(" and ({p})"))
        .collect::<String>();
    Predicate { sql, params }
}

fn one(term: &Term) -> Filter {
    Filter {
        terms: vec![term.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;
    use chrono::Utc;
    use uuid::Uuid;

    #[test]
    fn placeholders_follow_each_other_and_values_stay_out_of_the_text() {
        let ctx = FilterContext {
            me: Uuid::nil(),
            time_zone: "UTC".into(),
            now: Utc::now(),
        };
        let f = parse("owner:me overdue tag:vip \"o'brien; drop\"").expect("parses");
        let p = task_predicate(&f, &ctx, 8);
        assert!(
            !p.sql.contains("vip") && !p.sql.contains("brien"),
            "{}",
            p.sql
        );
        assert!(p.sql.contains("t.assigned_to"), "{}", p.sql);
        let last = 8 + p.params.len() - 1;
        assert!(p.sql.contains(&format!("${last}")), "{}", p.sql);
        assert!(!p.sql.contains(&format!("${}", last + 1)), "{}", p.sql);
        assert_eq!(task_predicate(&Filter::default(), &ctx, 8).sql, "");
    }
}
