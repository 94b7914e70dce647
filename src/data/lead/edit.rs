//! The edit diff behind `update_lead`: a form's changes checked and normalised, and what differs
//! from the stored lead when the write lost a race.

use serde_json::{Value, json};

use super::summary::number_text;
use super::{LeadDetail, LeadEdit, LeadField};
use crate::data::DataError;
use crate::data::validate::{
    invalid, optional_text, valid_budget, valid_email, valid_name, valid_percent, valid_phone,
};

type Result<T> = std::result::Result<T, DataError>;

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
pub(super) fn current_value(lead: &LeadDetail, field: LeadField) -> Value {
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
pub(super) fn profile_error(err: sqlx::Error) -> DataError {
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

pub(super) fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.as_f64().map_or_else(|| n.to_string(), number_text)),
        other => Some(other.to_string()),
    }
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
