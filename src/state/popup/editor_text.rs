//! The pipeline editor's typed values: checked here so a rep-facing sentence comes before a
//! round trip (the database checks them again), then sent as one write each.

use super::Popup;
use super::editor::{EditorEffect, EditorField, EditorMode, NEW_PIPELINE_STAGES, PipelineEditor};
use crate::data::pipeline_editor::StageChange;
use crate::state::{Effect, State};
use uuid::Uuid;

/// The keymap's confirm in a text mode.
pub(super) fn submit(state: &mut State, mut e: PipelineEditor) -> Vec<Effect> {
    let EditorMode::Text(field, text) = std::mem::replace(&mut e.mode, EditorMode::Browse) else {
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    };
    if e.request.is_some() {
        state.info("Still saving the last change");
        e.mode = EditorMode::Text(field, text);
        state.popup = Some(Popup::Editor(e));
        return Vec::new();
    }
    let text = text.trim().to_owned();
    let stage = e.stages.get(e.selected).map(|s| s.id);
    let change = match parse(field, &text) {
        Ok(change) => change,
        Err(why) => {
            state.error(why);
            e.mode = EditorMode::Text(field, text);
            state.popup = Some(Popup::Editor(e));
            return Vec::new();
        }
    };
    let request = state.next_id();
    let effect = match (field, change, stage) {
        (EditorField::NewStage, _, _) => EditorEffect::AddStage {
            request,
            pipeline_id: e.pipeline_id,
            name: text,
        },
        (EditorField::NewPipeline, _, _) => EditorEffect::CreatePipeline {
            request,
            name: text,
            stages: NEW_PIPELINE_STAGES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        },
        (EditorField::PipelineName, _, _) => {
            e.pipeline_name.clone_from(&text);
            EditorEffect::RenamePipeline {
                request,
                pipeline_id: e.pipeline_id,
                name: text,
            }
        }
        (_, Some(change), Some(stage)) => EditorEffect::Update {
            request,
            stage,
            change,
        },
        _ => {
            state.popup = Some(Popup::Editor(e));
            return Vec::new();
        }
    };
    e.request = Some(request);
    state.popup = Some(Popup::Editor(e));
    vec![effect.into()]
}

/// A stage change from the flag keys.
pub(super) fn update_stage(
    state: &mut State,
    e: &mut PipelineEditor,
    stage: Uuid,
    change: StageChange,
) -> Vec<Effect> {
    let request = state.next_id();
    e.request = Some(request);
    vec![
        EditorEffect::Update {
            request,
            stage,
            change,
        }
        .into(),
    ]
}

/// The typed value as a stage change (`None` for the pipeline fields and a new stage, whose
/// text is the name), or the sentence that says what to type.
pub fn parse(field: EditorField, text: &str) -> Result<Option<StageChange>, String> {
    let number = |min: i32, max: i32, what: &str| -> Result<Option<i32>, String> {
        if text.is_empty() {
            return Ok(None);
        }
        match text.trim_end_matches('%').parse::<i32>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(format!(
                "{what} is a whole number from {min} to {max} (empty clears it)"
            )),
        }
    };
    Ok(match field {
        EditorField::StageName
        | EditorField::NewStage
        | EditorField::NewPipeline
        | EditorField::PipelineName
            if text.is_empty() =>
        {
            return Err(format!("{} needs a name", name_owner(field)));
        }
        EditorField::StageName => Some(StageChange {
            name: Some(text.to_owned()),
            ..StageChange::default()
        }),
        EditorField::Color => {
            let hex = text.trim_start_matches('#');
            if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err("A colour is # and six hex digits, e.g. #5b8def".to_owned());
            }
            Some(StageChange {
                color: Some(format!("#{}", hex.to_ascii_lowercase())),
                ..StageChange::default()
            })
        }
        EditorField::Probability => Some(StageChange {
            default_probability: Some(number(0, 100, "A probability")?),
            ..StageChange::default()
        }),
        EditorField::RottingDays => Some(StageChange {
            rotting_days: Some(number(1, 3650, "Rotting days")?),
            ..StageChange::default()
        }),
        EditorField::NewStage | EditorField::NewPipeline | EditorField::PipelineName => None,
    })
}

fn name_owner(field: EditorField) -> &'static str {
    match field {
        EditorField::NewPipeline | EditorField::PipelineName => "A pipeline",
        _ => "A stage",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_become_changes_or_sentences() {
        let color = parse(EditorField::Color, "5B8DEF").expect("hex without #");
        assert_eq!(color.and_then(|c| c.color).as_deref(), Some("#5b8def"));
        assert!(parse(EditorField::Color, "#12345").is_err());
        let p = parse(EditorField::Probability, "75%").expect("a percentage");
        assert_eq!(p.and_then(|c| c.default_probability), Some(Some(75)));
        let cleared = parse(EditorField::Probability, "").expect("empty clears");
        assert_eq!(cleared.and_then(|c| c.default_probability), Some(None));
        assert!(parse(EditorField::Probability, "101").is_err());
        assert!(parse(EditorField::RottingDays, "0").is_err());
        assert!(parse(EditorField::NewPipeline, "").is_err());
        assert_eq!(parse(EditorField::NewPipeline, "Partners"), Ok(None));
    }
}
