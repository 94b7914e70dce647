//! Draws the task inbox: a title line with the counts, the grouped list (or triage), key hints,
//! and the inbox's popups.

mod triage;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::data::models::{TaskPriority, TaskRow, TaskStatus};
use crate::state::inbox::{self, GroupKind, InboxScreen, Line, Status, View, relative_due};
use crate::state::{Popup, State};

use crate::ui::text::width;
use crate::ui::widgets::paint::{fill, put, put_centered, put_split, spinner};

pub fn draw(buf: &mut Buffer, area: Rect, screen: &InboxScreen, state: &State, theme: &Theme) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let l = inbox::layout(area);
    title_line(buf, l.title, screen, theme);
    if screen.triage.is_some() {
        triage::draw(buf, l.list, screen, state, theme);
    } else {
        body(buf, l.list, screen, state, theme);
    }
    if let Some(hints) = l.hints {
        hint_line(buf, hints, screen, state, theme);
    }
}

// ---------------------------------------------------------------------------
// Title and hints
// ---------------------------------------------------------------------------

fn title_line(buf: &mut Buffer, row: Rect, s: &InboxScreen, theme: &Theme) {
    let mut left = vec![
        Span::raw(" "),
        Span::styled("Inbox", theme.accent_style().add_modifier(Modifier::BOLD)),
        Span::styled(" · ", theme.muted_style()),
        Span::raw(s.view.label()),
    ];
    if let Some(t) = &s.triage {
        left.push(Span::styled(" · ", theme.muted_style()));
        left.push(Span::styled(
            "Triage",
            theme.accent_style().add_modifier(Modifier::BOLD),
        ));
        if let inbox::TriageStep::Finished { .. } = t.step(s) {
            left.push(Span::styled(" ✓", theme.ok_style()));
        }
    }
    if !s.marked.is_empty() {
        left.push(Span::styled(" · ", theme.muted_style()));
        left.push(Span::styled(
            format!("{} marked", s.marked.len()),
            theme.accent_style(),
        ));
    }
    let mut right: Vec<Span<'static>> = Vec::new();
    if s.status == Status::Ready {
        let counts = [
            (GroupKind::Overdue, "overdue", theme.overdue_style()),
            (GroupKind::Today, "today", theme.accent_style()),
            (GroupKind::Upcoming, "upcoming", theme.muted_style()),
        ];
        for (kind, word, style) in counts {
            let n = s.data.count(kind);
            if n == 0 {
                continue;
            }
            if !right.is_empty() {
                right.push(Span::styled(" · ", theme.muted_style()));
            }
            let n = s.data.count_label(kind);
            right.push(Span::styled(format!("{n} {word}"), style));
        }
        if right.is_empty() {
            right.push(Span::styled("all clear", theme.ok_style()));
        }
        right.push(Span::raw(" "));
        // Least important (the end) goes first when narrow.
        let room = usize::from(row.width)
            .saturating_sub(crate::ui::widgets::paint::spans_width(&left) + 1);
        while right.len() > 2 && crate::ui::widgets::paint::spans_width(&right) > room {
            right.truncate(right.len().saturating_sub(3));
            right.push(Span::raw(" "));
        }
    }
    put_split(buf, row, &left, &right);
}

/// Key hints from the keymap (first key of each), as many as fit.
fn hint_line(buf: &mut Buffer, row: Rect, s: &InboxScreen, state: &State, theme: &Theme) {
    let cmds: &[(Command, &str)] = if state.popup.as_ref().is_some_and(Popup::is_inbox) {
        &[]
    } else if s.triage.is_some() {
        // The card shows the main actions.
        &[
            (Command::UndoComplete, "undo"),
            (Command::ChangePriority, "priority"),
            (Command::EditTask, "edit"),
            (Command::Reassign, "reassign"),
            (Command::Back, "leave triage"),
            (Command::Help, "all keys"),
        ]
    } else if !s.marked.is_empty() {
        &[
            (Command::CompleteTask, "complete marked"),
            (Command::Snooze, "snooze marked"),
            (Command::Reassign, "reassign marked"),
            (Command::ChangePriority, "priority"),
            (Command::ToggleMark, "mark"),
            (Command::MarkGroup, "mark group"),
            (Command::Back, "unmark all"),
        ]
    } else {
        &[
            (Command::CompleteTask, "done"),
            (Command::UndoComplete, "undo"),
            (Command::Snooze, "snooze"),
            (Command::TriageMode, "triage"),
            (Command::ToggleMark, "mark"),
            (Command::Reschedule, "reschedule"),
            (Command::NewTask, "new"),
            (Command::ToggleTeam, "team"),
            (Command::ToggleCompleted, "done list"),
            (Command::Help, "all keys"),
        ]
    };
    let mut spans: Vec<Span<'static>> = vec![Span::raw(" ")];
    let mut used = 1usize;
    let max = usize::from(row.width);
    for (cmd, label) in cmds {
        let Some(key) = state.keymap.keys(*cmd).first() else {
            continue;
        };
        let key = key.to_string();
        let w = width(&key) + 1 + width(label) + 2;
        if used + w > max {
            break;
        }
        used += w;
        spans.push(Span::styled(key, theme.accent_style()));
        spans.push(Span::styled(format!(" {label}  "), theme.muted_style()));
    }
    put(buf, row.x, row.y, row.width, &spans);
}

// ---------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------

fn body(buf: &mut Buffer, area: Rect, s: &InboxScreen, state: &State, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    match &s.status {
        Status::Loading => {
            let row = crate::state::layout::centered(area, area.width, 1);
            put_centered(
                buf,
                row,
                &[Span::styled(
                    format!("{} Loading tasks…", spinner(state)),
                    theme.muted_style(),
                )],
            );
            return;
        }
        Status::Failed(message) => {
            let rows = crate::state::layout::centered(area, area.width, 2);
            put_centered(
                buf,
                Rect::new(rows.x, rows.y, rows.width, 1),
                &[Span::styled(
                    format!("Could not load the inbox: {message}"),
                    theme.error_style(),
                )],
            );
            if rows.height > 1 {
                let key = state.keymap.keys_label(Command::Refresh);
                put_centered(
                    buf,
                    Rect::new(rows.x, rows.y + 1, rows.width, 1),
                    &[Span::styled(format!("{key} to retry"), theme.muted_style())],
                );
            }
            return;
        }
        Status::Ready => {}
    }
    let lines = s.lines();
    if lines.is_empty() {
        empty(buf, area, s, state, theme);
        return;
    }
    let height = usize::from(area.height);
    let offset = inbox::lines_scroll(&lines, s.offset, s.selected_id, height);
    let (today, now_time) = s.data.local(state.now);
    for (i, line) in lines.iter().skip(offset).take(height).enumerate() {
        let y = area.y + u16::try_from(i).unwrap_or(0);
        let row = Rect::new(area.x, y, area.width, 1);
        match line {
            Line::InboxZero => {
                put(
                    buf,
                    row.x,
                    y,
                    row.width,
                    &[
                        Span::styled(
                            " ✓ Inbox zero",
                            theme.ok_style().add_modifier(Modifier::BOLD),
                        ),
                        Span::styled(" — nothing overdue or due today", theme.muted_style()),
                    ],
                );
            }
            Line::Person {
                name,
                open,
                overdue,
            } => {
                let mut spans = vec![
                    Span::styled(" ■ ", theme.accent_style()),
                    Span::styled(name.clone(), Style::default().add_modifier(Modifier::BOLD)),
                    Span::styled(format!("  {open} open"), theme.muted_style()),
                ];
                if *overdue > 0 {
                    spans.push(Span::styled(
                        format!(" · {overdue} overdue"),
                        theme.overdue_style(),
                    ));
                }
                put_split(buf, row, &spans, &[]);
            }
            Line::Header {
                kind,
                count,
                collapsed,
                nested,
                ..
            } => header(buf, row, *kind, *count, *collapsed, *nested, state, theme),
            Line::Task {
                id, kind, nested, ..
            } => {
                if let Some((_, task)) = s.data.find(*id) {
                    let selected = s.selected_id == Some(*id);
                    let cells = RowCells {
                        marked: s.marked.contains(id),
                        pending: s.is_pending(*id),
                        selected,
                        nested: *nested,
                        kind: *kind,
                        offset: s.data.utc_offset,
                    };
                    task_row(buf, row, task, cells, today, now_time, theme);
                }
            }
        }
    }
}

fn empty(buf: &mut Buffer, area: Rect, s: &InboxScreen, state: &State, theme: &Theme) {
    let rows = crate::state::layout::centered(area, area.width, 3);
    put_centered(
        buf,
        Rect::new(rows.x, rows.y, rows.width, 1),
        &[Span::styled(
            "✓ Inbox zero",
            theme.ok_style().add_modifier(Modifier::BOLD),
        )],
    );
    if rows.height > 2 {
        let add = state.keymap.keys_label(Command::NewTask);
        let text = match s.view {
            View::Mine => format!("No open tasks. {add} adds one."),
            View::Team => "Nobody on the team has an open task.".to_string(),
        };
        put_centered(
            buf,
            Rect::new(rows.x, rows.y + 2, rows.width, 1),
            &[Span::styled(text, theme.muted_style())],
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn header(
    buf: &mut Buffer,
    row: Rect,
    kind: GroupKind,
    count: usize,
    collapsed: bool,
    nested: bool,
    state: &State,
    theme: &Theme,
) {
    let style = match kind {
        GroupKind::Overdue => theme.overdue_style(),
        GroupKind::Today => theme.accent_style(),
        _ => Style::default(),
    }
    .add_modifier(Modifier::BOLD);
    let indent = if nested { "   " } else { " " };
    let arrow = if collapsed { "▸ " } else { "▾ " };
    let mut spans = vec![
        Span::raw(indent),
        Span::styled(arrow, theme.muted_style()),
        Span::styled(kind.title(), style),
        Span::styled(
            if i64::try_from(count).unwrap_or(i64::MAX) >= crate::data::inbox::GROUP_LIMIT {
                format!(" ({count}+)")
            } else {
                format!(" ({count})")
            },
            theme.muted_style(),
        ),
    ];
    if kind == GroupKind::Completed {
        let key = state.keymap.keys_label(Command::ToggleCompleted);
        if !key.is_empty() {
            let verb = if collapsed { "show" } else { "hide" };
            spans.push(Span::styled(
                format!("  {key} to {verb}"),
                theme.muted_style(),
            ));
        }
    }
    put_split(buf, row, &spans, &[]);
}

#[derive(Debug, Clone, Copy)]
struct RowCells {
    marked: bool,
    pending: bool,
    selected: bool,
    nested: bool,
    kind: GroupKind,
    offset: chrono::FixedOffset,
}

/// Widths of the optional columns for a row width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Columns {
    lead: usize,
    stage: usize,
    due: usize,
    priority: usize,
}

fn columns(w: usize) -> Columns {
    match w {
        w if w >= 100 => Columns {
            lead: 22,
            stage: 14,
            due: 13,
            priority: 4,
        },
        w if w >= 80 => Columns {
            lead: 18,
            stage: 11,
            due: 12,
            priority: 4,
        },
        w if w >= 60 => Columns {
            lead: 16,
            stage: 0,
            due: 12,
            priority: 4,
        },
        w if w >= 40 => Columns {
            lead: 0,
            stage: 0,
            due: 11,
            priority: 0,
        },
        _ => Columns {
            lead: 0,
            stage: 0,
            due: 9,
            priority: 0,
        },
    }
}

pub(super) fn priority_label(p: TaskPriority) -> &'static str {
    match p {
        TaskPriority::High => "high",
        TaskPriority::Medium => "med",
        TaskPriority::Low => "low",
    }
}

pub(super) fn priority_style(p: TaskPriority, theme: &Theme) -> Style {
    match p {
        TaskPriority::High => theme.stale_style().add_modifier(Modifier::BOLD),
        TaskPriority::Medium => Style::default(),
        TaskPriority::Low => theme.muted_style(),
    }
}

/// "done 14:02" / "done Mar 3" for completed tasks.
fn done_label(task: &TaskRow, s_today: chrono::NaiveDate, offset: chrono::FixedOffset) -> String {
    match task.completed_at {
        Some(at) => {
            let local = at.with_timezone(&offset);
            if local.date_naive() == s_today {
                format!("done {}", local.format("%H:%M"))
            } else {
                format!("done {}", local.format("%b %-d"))
            }
        }
        None => "done".to_string(),
    }
}

#[allow(clippy::too_many_arguments)]
fn task_row(
    buf: &mut Buffer,
    row: Rect,
    task: &TaskRow,
    cells: RowCells,
    today: chrono::NaiveDate,
    now_time: chrono::NaiveTime,
    theme: &Theme,
) {
    let base = if cells.selected {
        theme.selected_style()
    } else {
        Style::default()
    };
    fill(buf, row, base);
    let done = task.status == TaskStatus::Completed || cells.kind == GroupKind::Completed;
    let muted = if cells.selected {
        base
    } else {
        theme.muted_style()
    };
    let w = usize::from(row.width);
    let cols = columns(w);
    let indent = if cells.nested { "   " } else { " " };
    let mark = if cells.pending {
        "⋯ "
    } else if cells.marked {
        "● "
    } else if done {
        "✓ "
    } else {
        "  "
    };
    let mark_style = if cells.marked {
        base.patch(theme.accent_style())
            .add_modifier(Modifier::BOLD)
    } else if done {
        base.patch(theme.ok_style())
    } else {
        base
    };
    let (due_text, overdue) = if done {
        (done_label(task, today, cells.offset), false)
    } else {
        relative_due(task.due_date, task.due_time, today, now_time)
    };
    let due_style = if overdue {
        base.patch(theme.overdue_style())
    } else if cells.selected {
        base
    } else {
        theme.muted_style()
    };
    // Right-hand cells, each padded to its column.
    let mut right: Vec<Span<'static>> = Vec::new();
    let pad = |text: &str, n: usize| -> String {
        let t = crate::ui::text::fit(text, n);
        let tw = width(&t);
        format!("{t}{}", " ".repeat(n.saturating_sub(tw)))
    };
    if cols.lead > 0 {
        right.push(Span::styled(pad(&task.lead_name, cols.lead), base));
        right.push(Span::raw(" "));
    }
    if cols.stage > 0 {
        right.push(Span::styled(pad(&task.stage_name, cols.stage), muted));
        right.push(Span::raw(" "));
    }
    right.push(Span::styled(pad(&due_text, cols.due), due_style));
    if cols.priority > 0 {
        right.push(Span::raw(" "));
        let p = if done {
            muted
        } else {
            base.patch(priority_style(task.priority, theme))
        };
        right.push(Span::styled(
            pad(priority_label(task.priority), cols.priority),
            p,
        ));
    }
    right.push(Span::raw(" "));
    for span in &mut right {
        span.style = base.patch(span.style);
    }
    let title_style = if done {
        muted.add_modifier(Modifier::CROSSED_OUT)
    } else if cells.selected {
        base
    } else {
        Style::default()
    };
    let left = vec![
        Span::styled(indent, base),
        Span::styled(mark, mark_style),
        Span::styled(task.title.clone(), title_style),
    ];
    put_split(buf, row, &left, &right);
}
