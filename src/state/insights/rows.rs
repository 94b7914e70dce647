//! The insights document: every panel as rows of label, bar and numbers. The numbers are always
//! text (the bar is decoration), so a narrow terminal, NO_COLOR or a screen reader loses nothing.

use chrono::{Datelike, NaiveDate};

use crate::data::insights::{Insights, MonthAmount};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A panel's title.
    Title,
    /// A figure with an optional bar.
    Figure,
    /// A sentence (totals, "nothing in this period").
    Note,
    Blank,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub kind: RowKind,
    pub label: String,
    /// 0.0 ..= 1.0 of the panel's largest value.
    pub bar: Option<f64>,
    pub value: String,
}

fn title(text: &str) -> Row {
    Row {
        kind: RowKind::Title,
        label: text.to_owned(),
        bar: None,
        value: String::new(),
    }
}

fn note(text: String) -> Row {
    Row {
        kind: RowKind::Note,
        label: text,
        bar: None,
        value: String::new(),
    }
}

fn blank() -> Row {
    Row {
        kind: RowKind::Blank,
        label: String::new(),
        bar: None,
        value: String::new(),
    }
}

fn figure(label: impl Into<String>, part: f64, max: f64, value: String) -> Row {
    Row {
        kind: RowKind::Figure,
        label: label.into(),
        bar: Some(if max > 0.0 {
            (part / max).clamp(0.0, 1.0)
        } else {
            0.0
        }),
        value,
    }
}

/// `1234567.8` → `1,234,568`.
pub fn amount(value: f64) -> String {
    let rounded = value.round();
    let out = crate::currency::group_digits(rounded.abs());
    if rounded < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

fn month(day: NaiveDate) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let name = NAMES.get(day.month0() as usize).copied().unwrap_or("?");
    format!("{name} {}", day.year())
}

fn max_of(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, f64::max)
}

fn days(value: Option<f64>) -> String {
    value.map_or("–".to_owned(), |d| format!("{d:.1} d"))
}

/// A whole amount in the organization's currency, with its symbol: `$1,234,568`.
fn cash(d: &Insights, value: f64) -> String {
    format!("{}{}", crate::currency::symbol(&d.currency), amount(value))
}

/// Deals in other currencies are in no sum: one note says what was left out.
fn other_currencies(out: &mut Vec<Row>, d: &Insights) {
    if d.other_currencies.is_empty() {
        return;
    }
    let parts: Vec<String> = d
        .other_currencies
        .iter()
        .map(|o| {
            format!(
                "{} {} {}",
                o.count,
                o.status,
                crate::currency::symbol(&o.currency) + &amount(o.amount)
            )
        })
        .collect();
    out.push(title("Other currencies (in no sum above)"));
    out.push(note(parts.join(" · ")));
    out.push(blank());
}

/// All panels, top to bottom.
pub fn rows(d: &Insights) -> Vec<Row> {
    let mut out = Vec::new();
    forecast(&mut out, d);
    closed(&mut out, d);
    funnel(&mut out, d);
    velocity(&mut out, d);
    ranked(&mut out, d);
    leaderboard(&mut out, d);
    other_currencies(&mut out, d);
    out
}

fn forecast(out: &mut Vec<Row>, d: &Insights) {
    out.push(title("Forecast: open deals by expected close"));
    if d.forecast.is_empty() {
        out.push(note(
            "No open deal is expected to close in this period.".into(),
        ));
    }
    let max = max_of(d.forecast.iter().map(|m| m.amount));
    for m in &d.forecast {
        out.push(figure(
            month(m.month),
            m.amount,
            max,
            format!(
                "{} · weighted {} · {} deals",
                cash(d, m.amount),
                cash(d, m.weighted),
                m.count
            ),
        ));
    }
    let (total, weighted) = d.forecast_total();
    out.push(note(format!(
        "Total {} · weighted {}",
        cash(d, total),
        cash(d, weighted)
    )));
    out.push(blank());
}

fn closed(out: &mut Vec<Row>, d: &Insights) {
    out.push(title("Won and lost per month"));
    let mut months: Vec<NaiveDate> = d.won.iter().chain(&d.lost).map(|m| m.month).collect();
    months.sort();
    months.dedup();
    let find = |list: &[MonthAmount], m: NaiveDate| {
        list.iter()
            .find(|x| x.month == m)
            .map_or((0, 0.0), |x| (x.count, x.amount))
    };
    let max = max_of(d.won.iter().chain(&d.lost).map(|m| m.amount));
    for m in months {
        let (wn, wa) = find(&d.won, m);
        let (ln, la) = find(&d.lost, m);
        out.push(figure(
            month(m),
            wa,
            max,
            format!("won {wn} · {} | lost {ln} · {}", cash(d, wa), cash(d, la)),
        ));
    }
    let rate = d
        .win_rate
        .map_or("no deal closed".to_owned(), |r| format!("{r:.1} %"));
    out.push(note(format!(
        "Win rate {rate} ({} won · {}, {} lost · {})",
        d.won_count,
        cash(d, d.won_amount),
        d.lost_count,
        cash(d, d.lost_amount)
    )));
    out.push(blank());
}

fn funnel(out: &mut Vec<Row>, d: &Insights) {
    out.push(title("Funnel: leads that entered each stage"));
    let max = max_of(d.funnel.iter().map(|s| s.entered as f64));
    for s in &d.funnel {
        let conversion = s
            .conversion
            .map_or(String::new(), |c| format!(" ({c:.1} %)"));
        out.push(figure(
            s.name.clone(),
            s.entered as f64,
            max,
            format!(
                "entered {} · moved on {}{conversion}",
                s.entered, s.moved_on
            ),
        ));
    }
    out.push(blank());
}

fn velocity(out: &mut Vec<Row>, d: &Insights) {
    out.push(title("Velocity: days in stage (median, p80)"));
    let max = max_of(d.funnel.iter().filter_map(|s| s.p80_days));
    for s in d.funnel.iter().filter(|s| !(s.is_won || s.is_lost)) {
        out.push(figure(
            s.name.clone(),
            s.median_days.unwrap_or(0.0),
            max,
            format!(
                "median {} · p80 {} · {} stays",
                days(s.median_days),
                days(s.p80_days),
                s.stays_left
            ),
        ));
    }
    out.push(note(format!(
        "Average days to close (won): {}",
        d.avg_days_to_close
            .map_or("–".to_owned(), |v| format!("{v:.1}"))
    )));
    out.push(blank());
}

fn ranked(out: &mut Vec<Row>, d: &Insights) {
    out.push(title("Lost reasons"));
    if d.lost_reasons.is_empty() {
        out.push(note("No lead was lost in this period.".into()));
    }
    let max = max_of(d.lost_reasons.iter().map(|r| r.count as f64));
    for r in &d.lost_reasons {
        out.push(figure(
            r.label.clone(),
            r.count as f64,
            max,
            format!("{} leads", r.count),
        ));
    }
    out.push(blank());
    out.push(title("Top sources by won amount"));
    if d.sources.is_empty() {
        out.push(note("No deal was won in this period.".into()));
    }
    let max = max_of(d.sources.iter().map(|r| r.amount));
    for r in &d.sources {
        out.push(figure(
            r.label.clone(),
            r.amount,
            max,
            format!("{} · {} won", cash(d, r.amount), r.count),
        ));
    }
    out.push(blank());
}

fn leaderboard(out: &mut Vec<Row>, d: &Insights) {
    out.push(title(
        "Leaderboard: won · open pipeline · calls · tasks done on time/done",
    ));
    let max = max_of(d.leaderboard.iter().map(|r| r.won_amount));
    for r in &d.leaderboard {
        out.push(figure(
            r.name.clone(),
            r.won_amount,
            max,
            format!(
                "won {} · open {} · {} calls · {}/{} on time",
                cash(d, r.won_amount),
                cash(d, r.open_pipeline),
                r.calls,
                r.tasks_on_time,
                r.tasks_completed
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::amount;

    #[test]
    fn amounts_get_thousands_separators() {
        assert_eq!(amount(0.0), "0");
        assert_eq!(amount(999.4), "999");
        assert_eq!(amount(1234567.8), "1,234,568");
        assert_eq!(amount(-1000.0), "-1,000");
    }
}
