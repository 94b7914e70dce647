//! THE one place where command-line filters become a [`LeadSelection`]: `leads list` and
//! `export leads` both come through [`resolve`]. `--filter EXPR` is the TUI's filter language
//! (`src/filter/`), compiled to bound parameters by `data::filter_sql` like the board's.

use uuid::Uuid;

use super::args::FilterArgs;
use super::{Fail, Result};
use crate::data::PgStore;
use crate::data::models::{Pipeline, Stage};
use crate::data::script::{LeadSelection, Member};
use crate::text::clean_line;

/// Names → ids for the flags (pipeline, stage, owner, mine, limit).
pub async fn resolve(
    store: &PgStore,
    filter: &FilterArgs,
    default_limit: u64,
) -> Result<LeadSelection> {
    let mut selection = LeadSelection {
        limit: filter.limit.unwrap_or(default_limit),
        ..LeadSelection::default()
    };
    let view_filter = match &filter.view {
        Some(name) => Some(super::views::named(store, name).await?.filter),
        None => None,
    };
    if let Some(text) = filter.filter.as_ref().or(view_filter.as_ref()) {
        let parsed = crate::filter::parse(text).map_err(|e| {
            Fail::bad_input(format!(
                "--filter: {} (at \"{}\")",
                e.message,
                clean_line(text.get(e.span.clone()).unwrap_or(text))
            ))
        })?;
        selection.filter = (!parsed.is_empty()).then_some(parsed);
    }
    if filter.pipeline.is_some() || filter.stage.is_some() {
        let pipelines = store.pipelines().await?;
        let chosen: Vec<&Pipeline> = match &filter.pipeline {
            Some(name) => vec![pipeline_named(&pipelines, name)?],
            None => pipelines.iter().collect(),
        };
        let mut stage_ids = Vec::new();
        for pipeline in chosen {
            let stages = store.stages(pipeline.id).await?;
            match &filter.stage {
                Some(name) => stage_ids.extend(
                    stages
                        .iter()
                        .filter(|s| s.name.eq_ignore_ascii_case(name.trim()))
                        .map(|s| s.id),
                ),
                None => stage_ids.extend(stages.iter().map(|s| s.id)),
            }
        }
        if let (Some(name), true) = (&filter.stage, stage_ids.is_empty()) {
            return Err(Fail::bad_input(format!(
                "there is no stage named {:?}",
                clean_line(name)
            )));
        }
        selection.stage_ids = Some(stage_ids);
    }
    if filter.mine {
        selection.owner = Some(store.me().profile_id);
    } else if let Some(who) = &filter.owner {
        selection.owner = Some(member(&store.members().await?, who, store)?);
    }
    Ok(selection)
}

pub fn pipeline_named<'a>(pipelines: &'a [Pipeline], name: &str) -> Result<&'a Pipeline> {
    pipelines
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            Fail::bad_input(format!("there is no pipeline named {:?}", clean_line(name)))
        })
}

pub fn stage_named<'a>(stages: &'a [Stage], name: &str) -> Result<&'a Stage> {
    stages
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| {
            Fail::bad_input(format!(
                "there is no stage named {:?} in that pipeline",
                clean_line(name)
            ))
        })
}

/// A teammate by e-mail or full name (case-insensitive), or "me".
pub fn member(members: &[Member], who: &str, store: &PgStore) -> Result<Uuid> {
    let who = who.trim();
    if who.eq_ignore_ascii_case("me") {
        return Ok(store.me().profile_id);
    }
    find_member(members, who).ok_or_else(|| {
        Fail::bad_input(format!(
            "no member of this organization has the e-mail or name {:?}",
            clean_line(who)
        ))
    })
}

pub fn find_member(members: &[Member], who: &str) -> Option<Uuid> {
    let who = who.trim();
    members
        .iter()
        .find(|m| m.email.eq_ignore_ascii_case(who))
        .or_else(|| {
            members
                .iter()
                .find(|m| m.full_name.trim().to_lowercase() == who.to_lowercase())
        })
        .map(|m| m.profile_id)
}
