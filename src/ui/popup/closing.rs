//! The closing popup: a surprising move's warning, the lost reason, and the deal/task choices.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::data::closing::TaskChoice;
use crate::state::popup::closing_deal::move_label;
use crate::state::popup::closing_reasons::narrowed;
use crate::state::popup::{CloseRow, ClosingDialog};
use crate::state::{State, layout};
use crate::ui::widgets::paint::put;
use crate::ui::widgets::{popup_frame, popup_hint};

pub(super) fn closing_box(
    buf: &mut Buffer,
    area: Rect,
    dialog: &ClosingDialog,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let picks = if dialog.rows().contains(&CloseRow::Reason) {
        narrowed(dialog)
    } else {
        Vec::new()
    };
    let pick = match picks.len() {
        0 => String::new(),
        1 => "1 pick · ".to_string(),
        n => format!("1-{n} pick · "),
    };
    let hint = format!(
        "{pick}tab next · space toggle · {}",
        popup_hint(
            state,
            &[
                (
                    Command::Confirm,
                    if dialog.deal.as_ref().is_some_and(|o| !o.move_lead) {
                        "save the deal only"
                    } else {
                        "move"
                    }
                ),
                (Command::Cancel, "cancel")
            ]
        )
    );
    let rows = dialog.rows();
    let extra = u16::from(dialog.warning.is_some())
        + u16::from(dialog.hint.is_some())
        + u16::try_from(picks.len()).unwrap_or(0);
    let h = u16::try_from(rows.len()).unwrap_or(3) + extra + 2;
    let w = area.width.saturating_sub(4).min(72);
    let rect = layout::centered(area, w, h);
    let inner = popup_frame(buf, rect, &dialog.title, &hint, theme);
    if inner.height == 0 || inner.width == 0 {
        return None;
    }
    let mut y = inner.y;
    let bottom = inner.y + inner.height;
    if let Some(warning) = &dialog.warning {
        put(
            buf,
            inner.x,
            y,
            inner.width,
            &[Span::styled(format!("! {warning}"), theme.error_style())],
        );
        y += 1;
    }
    let mut cursor = None;
    for row in rows {
        if y >= bottom {
            break;
        }
        let focused = row == dialog.focus;
        let marker = Span::styled(if focused { "› " } else { "  " }, theme.accent_style());
        let style = if focused {
            theme.accent_style().add_modifier(Modifier::BOLD)
        } else {
            ratatui::style::Style::default()
        };
        let check = |on: bool| if on { "[x] " } else { "[ ] " };
        match row {
            CloseRow::Reason => {
                // Show the end of a long reason.
                let room = usize::from(inner.width.saturating_sub(10));
                let shown = crate::ui::text::tail(&dialog.reason, room);
                let end = put(
                    buf,
                    inner.x,
                    y,
                    inner.width,
                    &[marker, Span::styled("Reason: ", style), Span::raw(shown)],
                );
                if focused {
                    cursor = Some(Position::new(end, y));
                }
                // The recent reasons, numbered: a digit picks one.
                for (i, reason) in picks.iter().enumerate() {
                    if y + 1 >= bottom {
                        break;
                    }
                    y += 1;
                    put(
                        buf,
                        inner.x,
                        y,
                        inner.width,
                        &[
                            Span::styled(format!("    {} ", i + 1), theme.accent_style()),
                            Span::raw(crate::ui::clean(reason).into_owned()),
                        ],
                    );
                }
            }
            CloseRow::Deals => {
                put(
                    buf,
                    inner.x,
                    y,
                    inner.width,
                    &[
                        marker,
                        Span::styled(check(dialog.close_deals), style),
                        Span::styled(dialog.deals_label(), style),
                    ],
                );
            }
            CloseRow::Move => {
                let stage = state
                    .board
                    .column_index(dialog.to_stage)
                    .and_then(|i| state.board.columns.get(i))
                    .map(|c| c.stage.name.clone())
                    .unwrap_or_default();
                let (on, label) = dialog.deal.as_deref().map_or((false, String::new()), |o| {
                    (o.move_lead, move_label(dialog, o, &stage))
                });
                put(
                    buf,
                    inner.x,
                    y,
                    inner.width,
                    &[
                        marker,
                        Span::styled(check(on), style),
                        Span::styled(label, style),
                    ],
                );
            }
            CloseRow::Tasks => {
                put(
                    buf,
                    inner.x,
                    y,
                    inner.width,
                    &[
                        marker,
                        Span::styled(check(dialog.tasks != TaskChoice::Keep), style),
                        Span::styled(dialog.tasks_label(), style),
                    ],
                );
            }
        }
        y += 1;
    }
    if let Some(why) = &dialog.hint
        && y < bottom
    {
        put(
            buf,
            inner.x,
            y,
            inner.width,
            &[Span::styled(why.clone(), theme.error_style())],
        );
    }
    cursor
}
