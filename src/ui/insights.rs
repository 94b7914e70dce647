//! Draws the insights screen: a title line (pipeline, period, person), the panels as rows of
//! label │ bar │ numbers (a horizontal bar chart per panel, numbers always in text beside it),
//! scrolled as one document, and a key-hint line. Without colours the bars stay characters.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::State;
use crate::state::insights::{InsightsScreen, Row, RowKind, rows};
use crate::ui::text::width;
use crate::ui::widgets::paint::{put, put_split};
use crate::ui::widgets::{Spelling, hint};

/// Bars narrower than this are left out (the numbers carry the figure).
const MIN_BAR: usize = 6;
const FULL: char = '█';
const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

pub fn draw(buf: &mut Buffer, area: Rect, s: &InsightsScreen, state: &State, theme: &Theme) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let title = Rect { height: 1, ..area };
    title_line(buf, title, s, theme);
    let hints_at = area.bottom().saturating_sub(1);
    let body_height = area.height.saturating_sub(2);
    let body = Rect {
        y: area.y + 1,
        height: body_height,
        ..area
    };
    match (&s.data, &s.error) {
        (_, Some(error)) if s.data.is_none() => {
            put(
                buf,
                body.x + 1,
                body.y,
                body.width.saturating_sub(1),
                &[Span::styled(error.clone(), theme.error_style())],
            );
        }
        (None, _) => {
            put(
                buf,
                body.x + 1,
                body.y,
                body.width.saturating_sub(1),
                &[Span::styled("Loading insights…", theme.muted_style())],
            );
        }
        (Some(data), _) => {
            let all = rows(data);
            let label_width = all
                .iter()
                .filter(|r| r.kind == RowKind::Figure)
                .map(|r| width(&r.label))
                .max()
                .unwrap_or(0)
                .clamp(6, 18);
            // One bar width per panel, so a panel's bars start and end in the same columns.
            let mut value_width = vec![0; all.len()];
            let mut start = 0;
            for i in 0..=all.len() {
                if i == all.len() || all[i].kind == RowKind::Title {
                    let widest = all[start..i]
                        .iter()
                        .filter(|r| r.kind == RowKind::Figure)
                        .map(|r| width(&r.value))
                        .max()
                        .unwrap_or(0);
                    value_width[start..i].fill(widest);
                    start = i;
                }
            }
            let height = usize::from(body.height);
            let first = s.scroll.min(all.len().saturating_sub(height));
            for (i, row) in all.iter().enumerate().skip(first).take(height) {
                let y = body.y + (i - first) as u16;
                let cells = Rect {
                    y,
                    height: 1,
                    ..body
                };
                paint_row(buf, cells, row, label_width, value_width[i], theme);
            }
        }
    }
    if area.height >= 3 {
        let items: &[(Command, &str)] = &[
            (Command::PrevPeriod, "prev"),
            (Command::NextPeriod, "next period"),
            (Command::CyclePeriodKind, "quarter/month/year"),
            (Command::CyclePerson, "person"),
            (Command::Down, "scroll"),
            (Command::Back, "board"),
        ];
        let text = hint(state, items, Spelling::Config);
        put(
            buf,
            area.x + 1,
            hints_at,
            area.width.saturating_sub(1),
            &[Span::styled(text, theme.muted_style())],
        );
    }
}

fn title_line(buf: &mut Buffer, row: Rect, s: &InsightsScreen, theme: &Theme) {
    let pipeline = s
        .data
        .as_ref()
        .map_or("…".to_owned(), |d| d.pipeline.clone());
    let person = s
        .data
        .as_ref()
        .and_then(|d| d.person.clone())
        .unwrap_or_else(|| "Whole team".to_owned());
    let range = s.data.as_ref().map_or(String::new(), |d| {
        format!(
            " ({} – {})",
            d.from,
            d.to_exclusive.pred_opt().unwrap_or(d.to_exclusive)
        )
    });
    let left = vec![
        Span::raw(" "),
        Span::styled(
            "Insights",
            theme.accent_style().add_modifier(Modifier::BOLD),
        ),
        Span::styled(" · ", theme.muted_style()),
        Span::raw(pipeline),
        Span::styled(" · ", theme.muted_style()),
        Span::styled(
            format!("{}{range}", s.period),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        Span::styled(" · ", theme.muted_style()),
        Span::raw(person),
    ];
    let right = if s.request.is_some() && s.data.is_some() {
        vec![Span::styled("updating… ", theme.muted_style())]
    } else {
        Vec::new()
    };
    put_split(buf, row, &left, &right);
}

fn paint_row(
    buf: &mut Buffer,
    row: Rect,
    r: &Row,
    label_width: usize,
    value_width: usize,
    theme: &Theme,
) {
    let x = row.x + 1;
    let w = row.width.saturating_sub(2);
    match r.kind {
        RowKind::Blank => {}
        RowKind::Title => {
            put(
                buf,
                x,
                row.y,
                w,
                &[Span::styled(
                    r.label.clone(),
                    theme.accent_style().add_modifier(Modifier::BOLD),
                )],
            );
        }
        RowKind::Note => {
            put(
                buf,
                x + 2,
                row.y,
                w.saturating_sub(2),
                &[Span::styled(r.label.clone(), theme.muted_style())],
            );
        }
        RowKind::Figure => {
            let label = format!(
                "{:<label_width$}",
                crate::ui::truncate(&r.label, label_width)
            );
            // Label, bar, value: the values keep their room; the bar takes what is left.
            let room = usize::from(w).saturating_sub(2 + label_width + 1 + value_width);
            let mut spans = vec![Span::raw("  "), Span::raw(label), Span::raw(" ")];
            if room > MIN_BAR {
                let bar_width = (room - 1).min(40);
                spans.push(Span::styled(
                    bar(r.bar.unwrap_or(0.0), bar_width),
                    bar_style(theme),
                ));
                spans.push(Span::raw(" "));
            }
            spans.push(Span::raw(r.value.clone()));
            put(buf, x, row.y, w, &spans);
        }
    }
}

fn bar_style(theme: &Theme) -> Style {
    if theme.no_color {
        Style::default()
    } else {
        theme.accent_style()
    }
}

/// A bar of `fraction` of `cells` in eighth-cell steps, padded to `cells`; a non-zero value
/// always shows at least a sliver.
pub fn bar(fraction: f64, cells: usize) -> String {
    let eighths = (fraction.clamp(0.0, 1.0) * (cells * 8) as f64).round() as usize;
    let eighths = if fraction > 0.0 { eighths.max(1) } else { 0 };
    let mut out: String = std::iter::repeat_n(FULL, eighths / 8).collect();
    if eighths % 8 > 0 {
        out.push(EIGHTHS[eighths % 8]);
    }
    let used = eighths / 8 + usize::from(eighths % 8 > 0);
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars_fill_in_eighths_and_keep_their_width() {
        assert_eq!(bar(1.0, 4), "████");
        assert_eq!(bar(0.0, 4), "    ");
        assert_eq!(bar(0.5, 4), "██  ");
        assert_eq!(bar(0.001, 4), "▏   ");
    }
}
