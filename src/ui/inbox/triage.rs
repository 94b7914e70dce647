//! Triage: one task at a time with the lead's key facts beside it, a progress bar, and the
//! "Inbox zero" end.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::State;
use crate::state::inbox::{InboxScreen, Triage, TriageStep, relative_due};
use crate::state::layout;

use super::{priority_label, priority_style};
use crate::ui::text::width;
use crate::ui::text::wrap;
use crate::ui::widgets::card_frame;
use crate::ui::widgets::paint::{put, put_centered, put_split, spinner};

pub(super) fn draw(buf: &mut Buffer, area: Rect, s: &InboxScreen, state: &State, theme: &Theme) {
    let Some(t) = &s.triage else {
        return;
    };
    if area.height == 0 || area.width == 0 {
        return;
    }
    match t.step(s) {
        TriageStep::Finished { skipped } => finished(buf, area, t, skipped, state, theme),
        TriageStep::Working {
            id,
            position,
            total,
        } => {
            // Progress bar on the first row.
            progress(
                buf,
                Rect::new(area.x, area.y, area.width, 1),
                position,
                total,
                theme,
            );
            let rest = Rect::new(
                area.x,
                area.y.saturating_add(1),
                area.width,
                area.height.saturating_sub(1),
            );
            let Some((kind, task)) = s.data.find(id) else {
                return;
            };
            let wide = rest.width >= 70;
            let (card_area, facts_area) = if wide {
                let facts_w = (rest.width / 3).clamp(26, 40);
                (
                    Rect::new(rest.x, rest.y, rest.width - facts_w, rest.height),
                    Some(Rect::new(
                        rest.x + rest.width - facts_w,
                        rest.y,
                        facts_w,
                        rest.height,
                    )),
                )
            } else {
                (rest, None)
            };
            let (today, now_time) = s.data.local(state.now);
            let (due, overdue) = relative_due(task.due_date, task.due_time, today, now_time);
            let inner = card_frame(buf, card_area, kind.title(), theme);
            if inner.height == 0 {
                return;
            }
            let mut y = inner.y;
            let bottom = inner.y + inner.height;
            let x = inner.x + 1;
            let w = inner.width.saturating_sub(2);
            for line in wrap(&task.title, usize::from(w)).into_iter().take(2) {
                if y >= bottom {
                    break;
                }
                put(
                    buf,
                    x,
                    y,
                    w,
                    &[Span::styled(
                        line,
                        Style::default().add_modifier(Modifier::BOLD),
                    )],
                );
                y += 1;
            }
            if y < bottom {
                let due_style = if overdue {
                    theme.overdue_style()
                } else {
                    theme.accent_style()
                };
                put(
                    buf,
                    x,
                    y,
                    w,
                    &[
                        Span::styled(due, due_style),
                        Span::styled(" · ", theme.muted_style()),
                        Span::styled(
                            priority_label(task.priority),
                            priority_style(task.priority, theme),
                        ),
                        Span::styled(" · ", theme.muted_style()),
                        Span::raw(task.lead_name.clone()),
                        Span::styled(" · ", theme.muted_style()),
                        Span::styled(task.stage_name.clone(), theme.muted_style()),
                    ],
                );
                y += 1;
            }
            // Actions at the bottom of the card; the description fills what is between.
            let actions = action_lines(state, usize::from(w));
            let actions_top = bottom.saturating_sub(u16::try_from(actions.len()).unwrap_or(0));
            if let Some(desc) = task.description.as_deref().filter(|d| !d.trim().is_empty()) {
                y += 1;
                for line in wrap(desc, usize::from(w)) {
                    if y + 1 >= actions_top {
                        break;
                    }
                    put(buf, x, y, w, &[Span::styled(line, theme.muted_style())]);
                    y += 1;
                }
            }
            if actions_top > y {
                for (i, spans) in actions.iter().enumerate() {
                    let ay = actions_top + u16::try_from(i).unwrap_or(0);
                    if ay < bottom {
                        put(buf, x, ay, w, spans);
                    }
                }
            }
            if let Some(facts_area) = facts_area {
                facts(
                    buf,
                    facts_area,
                    s,
                    task.lead_id,
                    &task.lead_name,
                    state,
                    theme,
                );
            }
        }
    }
}

fn progress(buf: &mut Buffer, row: Rect, position: usize, total: usize, theme: &Theme) {
    let label = format!(" {position} of {total} ");
    let bar_w = usize::from(row.width)
        .saturating_sub(width(&label) + 2)
        .min(40);
    let done = position.saturating_sub(1);
    let filled = (bar_w * done).checked_div(total).unwrap_or(0).min(bar_w);
    let spans = vec![
        Span::raw(" "),
        Span::styled("━".repeat(filled), theme.ok_style()),
        Span::styled("━".repeat(bar_w - filled), theme.muted_style()),
        Span::styled(label, Style::default().add_modifier(Modifier::BOLD)),
    ];
    put(buf, row.x, row.y, row.width, &spans);
}

/// "x done  z snooze …" wrapped to the card width.
fn action_lines(state: &State, max: usize) -> Vec<Vec<Span<'static>>> {
    let theme_keys = [
        (Command::CompleteTask, "done"),
        (Command::Snooze, "snooze"),
        (Command::Reschedule, "reschedule"),
        (Command::LogCall, "log call"),
        (Command::SkipTask, "skip"),
        (Command::OpenLead, "open lead"),
    ];
    let mut lines: Vec<Vec<Span<'static>>> = Vec::new();
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (cmd, label) in theme_keys {
        let Some(key) = state.keymap.keys(cmd).first().map(ToString::to_string) else {
            continue;
        };
        let w = width(&key) + 1 + width(label) + 2;
        if used + w > max && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        used += w;
        line.push(Span::styled(
            key,
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ));
        line.push(Span::raw(format!(" {label}  ")));
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

fn facts(
    buf: &mut Buffer,
    area: Rect,
    s: &InboxScreen,
    lead_id: uuid::Uuid,
    lead_name: &str,
    state: &State,
    theme: &Theme,
) {
    let inner = card_frame(buf, area, "Lead", theme);
    if inner.height == 0 {
        return;
    }
    let x = inner.x + 1;
    let w = inner.width.saturating_sub(2);
    let bottom = inner.y + inner.height;
    let mut y = inner.y;
    put(
        buf,
        x,
        y,
        w,
        &[Span::styled(
            lead_name.to_string(),
            Style::default().add_modifier(Modifier::BOLD),
        )],
    );
    y += 1;
    let Some(facts) = s.facts.get(&lead_id) else {
        if y < bottom {
            put(
                buf,
                x,
                y,
                w,
                &[Span::styled(
                    format!("{} loading…", spinner(state)),
                    theme.muted_style(),
                )],
            );
        }
        return;
    };
    let label_w = facts
        .rows
        .iter()
        .map(|(l, _)| width(l))
        .max()
        .unwrap_or(0)
        .min(usize::from(w) / 2);
    let value_w = usize::from(w).saturating_sub(label_w + 1);
    for (label, value) in &facts.rows {
        if y >= bottom {
            break;
        }
        let label = crate::ui::fit(label, label_w);
        let pad = " ".repeat(label_w.saturating_sub(width(&label)) + 1);
        // Long values (emails, the last interaction) continue on the next lines.
        let lines = wrap(value, value_w.max(1));
        for (i, line) in lines.into_iter().take(3).enumerate() {
            if y >= bottom {
                break;
            }
            let head = if i == 0 {
                format!("{label}{pad}")
            } else {
                " ".repeat(label_w + 1)
            };
            put_split(
                buf,
                Rect::new(x, y, w, 1),
                &[Span::styled(head, theme.muted_style()), Span::raw(line)],
                &[],
            );
            y += 1;
        }
    }
}

fn finished(
    buf: &mut Buffer,
    area: Rect,
    t: &Triage,
    skipped: usize,
    state: &State,
    theme: &Theme,
) {
    let rows = layout::centered(area, area.width, 5);
    let line = |i: u16| Rect::new(rows.x, rows.y + i, rows.width, 1);
    let mut stats = Vec::new();
    if t.done > 0 {
        stats.push(format!("{} done", t.done));
    }
    if t.snoozed > 0 {
        stats.push(format!("{} snoozed", t.snoozed));
    }
    if t.rescheduled > 0 {
        stats.push(format!("{} rescheduled", t.rescheduled));
    }
    let back = state
        .keymap
        .keys(Command::Back)
        .first()
        .map(ToString::to_string)
        .unwrap_or_else(|| "esc".to_string());
    if skipped == 0 {
        put_centered(
            buf,
            line(0),
            &[Span::styled(
                "✓  Inbox zero",
                theme.ok_style().add_modifier(Modifier::BOLD),
            )],
        );
        if rows.height > 2 {
            let text = if stats.is_empty() {
                "Nothing overdue, nothing due today.".to_string()
            } else {
                format!("Nothing overdue, nothing due today · {}", stats.join(" · "))
            };
            put_centered(buf, line(2), &[Span::styled(text, theme.muted_style())]);
        }
    } else {
        put_centered(
            buf,
            line(0),
            &[Span::styled(
                format!("Done for now · {skipped} skipped"),
                theme.accent_style().add_modifier(Modifier::BOLD),
            )],
        );
        if rows.height > 2 {
            let again = state.keymap.keys_label(Command::TriageMode);
            let mut text = stats.join(" · ");
            if !text.is_empty() {
                text.push_str(" · ");
            }
            text.push_str(&format!("{again} to go through the skipped ones"));
            put_centered(buf, line(2), &[Span::styled(text, theme.muted_style())]);
        }
    }
    if rows.height > 4 {
        put_centered(
            buf,
            line(4),
            &[Span::styled(
                format!("{back} back to the list"),
                theme.muted_style(),
            )],
        );
    }
}
