//! The Overview tab as lines of label and value (pure, so the reducer can bound scrolling).
//! JSON documents (preferences, custom fields) become readable key/value lines, nested values
//! indented, with a bounded size and depth.

use chrono::{DateTime, FixedOffset, Utc};

use super::{LeadDetail, LeadFields};

/// One line of the overview: indent, label, value (value empty: a section title).
pub struct Line {
    pub indent: usize,
    pub label: String,
    pub value: String,
    pub title: bool,
}

fn line(label: &str, value: impl Into<String>) -> Line {
    Line {
        indent: 1,
        label: label.to_string(),
        value: value.into(),
        title: false,
    }
}

/// A section title line.
pub fn title(label: &str) -> Line {
    Line {
        indent: 0,
        label: label.to_string(),
        value: String::new(),
        title: true,
    }
}

/// Lines of a JSON value as readable key/value pairs; nested values indented. At most
/// `budget` lines and 8 levels (a hostile document cannot flood the screen or the stack).
fn json_lines(value: &serde_json::Value, indent: usize, out: &mut Vec<Line>, budget: usize) {
    use serde_json::Value;
    let push = |out: &mut Vec<Line>, label: String, value: String| {
        if out.len() < budget {
            out.push(Line {
                indent,
                label,
                value,
                title: false,
            });
        }
    };
    let scalar = |v: &Value| match v {
        Value::Null => "—".to_string(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.iter().all(|v| !v.is_object() && !v.is_array()) => a
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        // Deeper than shown.
        _ => "…".to_string(),
    };
    let nested = |v: &Value| match v {
        Value::Object(_) => true,
        Value::Array(a) => a.iter().any(|v| v.is_object() || v.is_array()),
        _ => false,
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if out.len() >= budget {
                    return;
                }
                let label = humanize(k);
                if nested(v) && indent < 8 {
                    push(out, label, String::new());
                    json_lines(v, indent + 1, out, budget);
                } else {
                    push(out, label, scalar(v));
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                if out.len() >= budget {
                    return;
                }
                if nested(v) && indent < 8 {
                    push(out, format!("{}.", i + 1), String::new());
                    json_lines(v, indent + 1, out, budget);
                } else {
                    push(out, format!("{}.", i + 1), scalar(v));
                }
            }
        }
        other => push(out, String::new(), scalar(other)),
    }
}

/// `max_commute_min` → "Max commute min".
fn humanize(key: &str) -> String {
    let spaced = key.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The overview of a lead, in order.
pub fn lines(d: &LeadDetail, tz: FixedOffset, now: DateTime<Utc>) -> Vec<Line> {
    let f = LeadFields::of(d);
    let p = &d.profile;
    let opt = |s: &str| {
        if s.trim().is_empty() {
            "—".to_string()
        } else {
            s.to_string()
        }
    };
    let mut out = vec![title("Contact")];
    out.push(line("Email", opt(&f.email)));
    out.push(line("Phone", opt(&f.phone)));
    out.push(line("Mobile", opt(&f.mobile)));
    let source = match (&d.source, &d.lead_source) {
        (Some(a), Some(b)) if a != b => format!("{a} · {b}"),
        (Some(a), _) | (None, Some(a)) => a.clone(),
        (None, None) => String::new(),
    };
    out.push(line("Source", opt(&source)));
    out.push(title("Company"));
    out.push(line("Company", opt(&f.company)));
    out.push(line("Job title", opt(&f.job_title)));
    out.push(line("Location", opt(&f.location)));
    out.push(line("Industry", opt(&f.industry)));
    out.push(title("Buying"));
    out.push(line("Budget range", opt(&f.budget_range)));
    let budget = match (p.min_budget, p.max_budget) {
        (None, None) => "—".to_string(),
        (Some(min), None) => format!("from {}", money(min)),
        (None, Some(max)) => format!("up to {}", money(max)),
        (Some(min), Some(max)) => format!("{} – {}", money(min), money(max)),
    };
    out.push(line("Budget", budget));
    out.push(line("Timeline", opt(&f.timeline)));
    out.push(line("Property type", opt(&f.property_type)));
    if let Some(level) = &p.engagement_level {
        out.push(line("Engagement", level.clone()));
    }
    if let Some(score) = p.lead_score {
        out.push(line("Profile score", score.to_string()));
    }
    out.push(title("Project & property"));
    out.push(line(
        "Project",
        d.project_name.clone().unwrap_or_else(|| "—".into()),
    ));
    out.push(line(
        "Property",
        d.property_name.clone().unwrap_or_else(|| "—".into()),
    ));
    for (name, value) in [
        ("Preferences", &p.preferences),
        ("Custom fields", &p.custom_fields),
    ] {
        out.push(title(name));
        let before = out.len();
        json_lines(value, 1, &mut out, before + 500);
        if out.len() == before {
            out.push(line("", "—"));
        }
    }
    out.push(title("Record"));
    if let Some(reason) = &d.lost_reason {
        out.push(line("Lost reason", reason.clone()));
    }
    out.push(line(
        "Created",
        format!(
            "{} ({})",
            absolute(d.created_at, tz),
            relative(now, d.created_at)
        ),
    ));
    out
}

/// "just now", "5m ago", "3h ago", "2d ago", "3w ago", "4mo ago", "2y ago" (or "in 3h").
pub fn relative(now: DateTime<Utc>, t: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    let (n, future) = if secs < 0 {
        (-secs, true)
    } else {
        (secs, false)
    };
    let text = match n {
        0..=59 => return "just now".to_string(),
        60..=3599 => format!("{}m", n / 60),
        3600..=86_399 => format!("{}h", n / 3600),
        86_400..=1_209_599 => format!("{}d", n / 86_400),
        1_209_600..=5_183_999 => format!("{}w", n / 604_800),
        5_184_000..=31_535_999 => format!("{}mo", n / 2_592_000),
        _ => format!("{}y", n / 31_536_000),
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// `2025-03-14 12:00` in the given offset.
pub fn absolute(t: DateTime<Utc>, tz: FixedOffset) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// `$1,250,000`.
pub fn money(amount: f64) -> String {
    format!("${}", crate::currency::group_digits(amount.round().abs()))
}
