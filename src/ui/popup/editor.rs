//! The pipeline editor popup: one row per stage (order, name, won/lost, default probability,
//! rotting days), the mode's prompt, and the keys (read-only for reps).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::state::popup::editor::{EditorMode, PipelineEditor};
use crate::state::{State, layout};
use crate::ui::widgets::paint::{fill, put, put_split, stage_style};
use crate::ui::widgets::popup_frame;

pub(super) fn editor_box(
    buf: &mut Buffer,
    area: Rect,
    e: &PipelineEditor,
    _state: &State,
    theme: &Theme,
) {
    let footer = match (&e.mode, e.can_edit) {
        (_, false) => "read-only: managers change pipelines · Esc".to_owned(),
        (EditorMode::Browse, true) => {
            "J/K move · r rename · w won · x lost · d delete · Esc".to_owned()
        }
        (EditorMode::Rename(_), true) => "Enter save · Esc".to_owned(),
        (EditorMode::DeleteTo(_), true) => "j/k where its leads go · Enter delete · Esc".to_owned(),
    };
    let rows = u16::try_from(e.stages.len()).unwrap_or(u16::MAX);
    let rect = layout::centered(area, 64, rows.saturating_add(4));
    let inner = popup_frame(buf, rect, "Pipeline editor", &footer, theme);
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
        .take(usize::from(inner.height.saturating_sub(2)))
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
            (EditorMode::Rename(text), true) => format!("{text}▏"),
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
    if let EditorMode::DeleteTo(_) = e.mode
        && let Some(s) = e.stages.get(e.selected)
    {
        let y = inner.bottom().saturating_sub(1);
        put(
            buf,
            inner.x + 1,
            y,
            inner.width.saturating_sub(1),
            &[Span::styled(
                format!("Delete {}: its leads move to the marked stage", s.name),
                theme.error_style(),
            )],
        );
    }
}
