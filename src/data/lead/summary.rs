//! Activity sentences for the timeline.
//!
//! Presentation: these belong on the state/ui side (issue 15); they stay here until that side
//! has a home for them, since the timeline rows are built with them.

use serde_json::Value;

use super::LeadField;

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
            // Activities before migration 0022 name no currency.
            match (
                content.get("amount").and_then(Value::as_f64),
                text("currency"),
            ) {
                (Some(amount), Some(code)) => format!(
                    "Added deal “{name}” ({})",
                    crate::currency::money(amount, &code)
                ),
                (Some(amount), None) => format!("Added deal “{name}” ({})", number_text(amount)),
                (None, _) => format!("Added deal “{name}”"),
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
pub(super) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
            activity_summary(
                "deal_added",
                &json!({"name": "Flat", "amount": 1250000.0, "currency": "EUR"})
            ),
            "Added deal “Flat” (€1,250,000)"
        );
        assert_eq!(
            activity_summary("owner_changed", &Value::Null),
            "Owner changed"
        );
    }
}
