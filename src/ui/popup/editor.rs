//! The pipeline editor popup: one row per stage (order, name, won/lost, default probability,
//! rotting days), the mode's prompt, and the keys from the keymap's editor scope (read-only for
//! reps).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::popup::editor::{EditorField, EditorMode, PipelineEditor};
use crate::state::{State, layout};
use crate::ui::widgets::paint::{fill, put, put_split, stage_style};
use crate::ui::widgets::{popup_frame, popup_hint};

/// The keys of browse mode, two lines: the stage's, then the pipeline's.
fn browse_hints(state: &State) -> [String; 2] {
    [
        popup_hint(
            state,
            &[
                (Command::MoveStageDown, ""),
                (Command::MoveStageUp, "move"),
                (Command::RenameStage, "name"),
                (Command::RecolorStage, "colour"),
                (Command::SetStageProbability, "prob"),
                (Command::SetRottingDays, "rot"),
                (Command::ToggleWonStage, "won"),
                (Command::ToggleLostStage, "lost"),
                (Command::DeleteStage, "delete"),
            ],
        )
        .replacen(" · ", "/", 1),
        popup_hint(
            state,
            &[
                (Command::AddStage, "add stage"),
                (Command::NewPipeline, "new pipeline"),
                (Command::RenamePipeline, "rename it"),
                (Command::ArchivePipeline, "archive it"),
            ],
        ),
    ]
}

pub(super) fn editor_box(
    buf: &mut Buffer,
    area: Rect,
    e: &PipelineEditor,
    state: &State,
    theme: &Theme,
) {
    let esc = popup_hint(state, &[(Command::Cancel, "")]);
    let footer = match (&e.mode, e.can_edit) {
        (_, false) => format!("read-only: managers change pipelines · {esc}"),
        (EditorMode::Browse, true) => format!("{esc} close"),
        (EditorMode::Text(..), true) => {
            popup_hint(state, &[(Command::Confirm, "save"), (Command::Cancel, "")])
        }
        (EditorMode::DeleteTo(_), true) => format!(
            "j/k where its leads go · {}",
            popup_hint(
                state,
                &[(Command::Confirm, "delete"), (Command::Cancel, "")]
            )
        ),
        (EditorMode::ConfirmArchive, true) => popup_hint(
            state,
            &[(Command::Confirm, "archive"), (Command::Cancel, "")],
        ),
    };
    // Below the stages: a blank line, then two lines of keys or the mode's prompt.
    let rows = u16::try_from(e.stages.len()).unwrap_or(u16::MAX);
    let rect = layout::centered(area, 78, rows.saturating_add(5));
    let title = if e.pipeline_name.is_empty() {
        "Pipeline editor".to_owned()
    } else {
        format!("Pipeline editor · {}", crate::ui::clean(&e.pipeline_name))
    };
    let inner = popup_frame(buf, rect, &title, &footer, theme);
    if !e.loaded {
        put(
            buf,
            inner.x + 1,
            inner.y,
            inner.width.saturating_sub(1),
            &[Span::styled("Loading…", theme.muted_style())],
        );
        return;
    }
    for (i, s) in e
        .stages
        .iter()
        .enumerate()
        .take(usize::from(inner.height.saturating_sub(3)))
    {
        let y = inner.y + u16::try_from(i).unwrap_or(0);
        let row = Rect::new(inner.x, y, inner.width, 1);
        let selected = i == e.selected;
        let base = if selected {
            theme.selected_style()
        } else {
            Style::default()
        };
        fill(buf, row, base);
        let flag = if s.is_won {
            " won"
        } else if s.is_lost {
            " lost"
        } else {
            ""
        };
        let name = match (&e.mode, selected) {
            (EditorMode::Text(EditorField::StageName, text), true) => format!("{text}▏"),
            _ => s.name.clone(),
        };
        let target = matches!(e.mode, EditorMode::DeleteTo(t) if t == i);
        let mut left = vec![
            Span::styled(format!(" {:>2} ", i + 1), base.patch(theme.muted_style())),
            Span::styled("■ ", base.patch(stage_style(&s.color, theme))),
            Span::styled(name, base.add_modifier(Modifier::BOLD)),
            Span::styled(flag, base.patch(theme.accent_style())),
        ];
        if target {
            left.push(Span::styled(
                "  ← leads go here",
                base.patch(theme.accent_style()),
            ));
        }
        let right = vec![Span::styled(
            format!(
                "{}% · {} ",
                s.default_probability.map_or("–".into(), |p| p.to_string()),
                s.rotting_days
                    .map_or("never rots".into(), |d| format!("rots after {d} d"))
            ),
            base.patch(theme.muted_style()),
        )];
        put_split(buf, row, &left, &right);
    }
    let bottom = inner.bottom();
    let line = |buf: &mut Buffer, y: u16, span: Span<'_>| {
        put(buf, inner.x + 1, y, inner.width.saturating_sub(1), &[span]);
    };
    let (first, second) = (bottom.saturating_sub(2), bottom.saturating_sub(1));
    match &e.mode {
        EditorMode::DeleteTo(_) => {
            if let Some(s) = e.stages.get(e.selected) {
                let text = format!("Delete {}: its leads move to the marked stage", s.name);
                line(buf, second, Span::styled(text, theme.error_style()));
            }
        }
        EditorMode::ConfirmArchive => {
            let text = if e.pipeline_name.is_empty() {
                "Archive this pipeline? It leaves the pipeline picker; its leads stay.".to_owned()
            } else {
                format!(
                    "Archive “{}”? It leaves the pipeline picker; its leads stay.",
                    crate::ui::clean(&e.pipeline_name)
                )
            };
            line(buf, second, Span::styled(text, theme.error_style()));
        }
        EditorMode::Text(EditorField::StageName, _) => {}
        EditorMode::Text(field, text) => {
            let text = format!("{}: {}▏", field.prompt(), crate::ui::clean(text));
            line(buf, second, Span::styled(text, theme.accent_style()));
        }
        EditorMode::Browse if e.can_edit => {
            let [stage, pipeline] = browse_hints(state);
            line(buf, first, Span::styled(stage, theme.muted_style()));
            line(buf, second, Span::styled(pipeline, theme.muted_style()));
        }
        EditorMode::Browse => {}
    }
}
