//! The lead screen's timeline tab: entries, their facts, the expanded entry.

use super::*;

/// `text` padded with spaces to `cells` terminal cells (at least one space after it).
pub(super) fn pad(text: &str, cells: usize) -> String {
    let w = wrap::str_cells(text);
    format!("{text}{}", " ".repeat(cells.saturating_sub(w).max(1)))
}

pub(super) fn kind_tag(kind: InteractionKind) -> &'static str {
    match kind {
        InteractionKind::Email => "✉ email",
        InteractionKind::Call => "☎ call",
        InteractionKind::Meeting => "◆ meeting",
        InteractionKind::Note => "✎ note",
        InteractionKind::Sms => "✆ sms",
        InteractionKind::Whatsapp => "◎ whatsapp",
    }
}

pub(super) fn activity_tag(kind: &str) -> String {
    match kind {
        "stage_change" => "→ stage",
        "lead_created" => "★ created",
        "lead_updated" => "✎ edited",
        "task_added" | "task_created" => "+ task",
        "task_completed" => "✓ task done",
        "task_rescheduled" => "↻ task",
        "deal_added" | "deal_updated" => "$ deal",
        "document_added" => "▤ document",
        "tag_added" | "tag_updated" | "tag_removed" => "# tag",
        other => return format!("• {}", other.replace('_', " ")),
    }
    .to_string()
}

/// Header spans of an entry (left) and when/who (right).
pub(super) fn entry_header(
    e: &TimelineEntry,
    screen: &LeadScreen,
    now: DateTime<Utc>,
    theme: &Theme,
    base: Style,
) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
    let muted = base.patch(theme.muted_style());
    let mut left = Vec::new();
    match e.interaction_kind() {
        Some(kind) => {
            left.push(Span::styled(
                pad(kind_tag(kind), 12),
                base.patch(theme.accent_style()),
            ));
            if let Some(d) = e.direction {
                left.push(Span::styled(
                    match d {
                        Direction::Inbound => "↙ in  ",
                        Direction::Outbound => "↗ out ",
                    },
                    muted,
                ));
            }
            let headline = e
                .subject
                .clone()
                .filter(|s| !s.trim().is_empty())
                .or_else(|| e.outcome.clone())
                .unwrap_or_default();
            left.push(Span::styled(headline, base.add_modifier(Modifier::BOLD)));
        }
        None => {
            // Activities carry a readable sentence as their content.
            left.push(Span::styled(pad(&activity_tag(&e.kind), 12), muted));
            left.push(Span::styled(e.content.clone().unwrap_or_default(), base));
        }
    }
    let mut right = vec![Span::styled(relative(now, e.at), base)];
    right.push(Span::styled(
        format!(" · {}", absolute(e.at, screen.tz)),
        muted,
    ));
    if let Some(who) = &e.who {
        right.push(Span::styled(format!(" · {who}"), muted));
    }
    right.push(Span::raw(" "));
    (left, right)
}

/// Outcome (when the subject is the headline), duration, opened/clicked.
pub(super) fn entry_facts(e: &TimelineEntry) -> Vec<String> {
    let mut parts = Vec::new();
    if e.subject.as_deref().is_some_and(|s| !s.trim().is_empty())
        && let Some(o) = &e.outcome
    {
        parts.push(o.clone());
    }
    if let Some(d) = e.duration_secs {
        parts.push(duration(d));
    }
    if e.interaction_kind() == Some(InteractionKind::Email) {
        parts.push(
            if e.email_opened {
                "opened ✓"
            } else {
                "not opened"
            }
            .to_string(),
        );
        if e.email_clicked {
            parts.push("clicked ✓".to_string());
        }
    }
    parts
}

/// The second row of an interaction: its facts, then the start of its content.
pub(super) fn entry_meta(e: &TimelineEntry) -> String {
    if e.source == TimelineSource::Activity {
        return String::new();
    }
    let mut parts = entry_facts(e);
    if let Some(c) = &e.content {
        // Only the start of the first line is ever needed here.
        let first: String = c
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .chars()
            .take(300)
            .collect();
        if !first.is_empty() {
            parts.push(first);
        }
    }
    parts.join(" · ")
}

pub(super) fn timeline(
    buf: &mut Buffer,
    area: Rect,
    screen: &LeadScreen,
    state: &State,
    theme: &Theme,
) {
    let entries = screen.timeline();
    if entries.is_empty() {
        let text = if screen.filter == TimelineFilter::All {
            "Nothing here yet · c logs a call, email, meeting or note"
        } else {
            "No entries of this type · f changes the filter"
        };
        centered_lines(buf, area, &[(text, theme.muted_style())]);
        return;
    }
    let selected = screen.selected[Tab::Timeline.index()].min(entries.len() - 1);
    let visible = usize::from(area.height / item_rows(Tab::Timeline)).max(1);
    let expanded_sel = entries
        .get(selected)
        .is_some_and(|e| Some(e.id) == screen.expanded);
    let offset = if expanded_sel {
        selected
    } else {
        layout::card_offset(
            screen.offset[Tab::Timeline.index()],
            selected,
            entries.len(),
            visible,
        )
    };
    let mut y = area.y;
    for (i, e) in entries.iter().enumerate().skip(offset) {
        if y >= area.bottom() {
            break;
        }
        let is_sel = i == selected;
        let base = if is_sel {
            theme.selected_style()
        } else {
            Style::default()
        };
        let row = Rect::new(area.x, y, area.width, 1);
        fill(buf, row, base);
        if is_sel {
            put(buf, area.x, y, 1, &[Span::styled("▌", base)]);
        }
        let (left, right) = entry_header(e, screen, state.now, theme, base);
        put_split(
            buf,
            Rect::new(area.x + 1, y, area.width.saturating_sub(1), 1),
            &left,
            &right,
        );
        y += 1;
        if y >= area.bottom() {
            break;
        }
        if Some(e.id) == screen.expanded {
            y = expanded_body(
                buf,
                Rect::new(area.x, y, area.width, area.bottom() - y),
                e,
                screen,
                theme,
            );
            continue;
        }
        let meta = entry_meta(e);
        put_split(
            buf,
            Rect::new(area.x + 3, y, area.width.saturating_sub(4), 1),
            &[Span::styled(meta, theme.muted_style())],
            &[],
        );
        y += 1;
    }
}

/// The expanded entry: details and the whole content wrapped, from `expanded_scroll`. Returns
/// the row after it.
pub(super) fn expanded_body(
    buf: &mut Buffer,
    area: Rect,
    e: &TimelineEntry,
    screen: &LeadScreen,
    theme: &Theme,
) -> u16 {
    let x = area.x + 3;
    let w = area.width.saturating_sub(4);
    let mut y = area.y;
    if e.source == TimelineSource::Activity {
        let summary = e.content.as_deref().unwrap_or("");
        for (s, end) in wrap::rows(summary, usize::from(w)).take(usize::from(area.height)) {
            put(buf, x, y, w, &[Span::raw(summary[s..end].to_string())]);
            y += 1;
        }
        return y.saturating_add(1).min(area.bottom());
    }
    let meta = entry_facts(e).join(" · ");
    if !meta.is_empty() && y < area.bottom() {
        put_split(
            buf,
            Rect::new(x, y, w, 1),
            &[Span::styled(meta, theme.muted_style())],
            &[],
        );
        y += 1;
    }
    // A subject longer than the header row shows whole here.
    if let Some(subject) = e
        .subject
        .as_ref()
        .filter(|s| wrap::str_cells(s) > usize::from(w) / 2)
    {
        for (s, end) in wrap::rows(subject, usize::from(w)).take(3) {
            if y >= area.bottom() {
                break;
            }
            let style = Style::default().add_modifier(Modifier::BOLD);
            put(
                buf,
                x,
                y,
                w,
                &[Span::styled(subject[s..end].to_string(), style)],
            );
            y += 1;
        }
    }
    let content = e.content.as_deref().unwrap_or("");
    if content.trim().is_empty() {
        if y < area.bottom() {
            put(
                buf,
                x,
                y,
                w,
                &[Span::styled("(no content)", theme.muted_style())],
            );
            y += 1;
        }
        return y;
    }
    let room = usize::from(area.bottom().saturating_sub(y));
    // Lay out only the rows from the scroll position that fit (plus one to know if more follow).
    let mut rows = wrap::rows(content, usize::from(w)).skip(screen.expanded_scroll);
    let shown: Vec<(usize, usize)> = rows.by_ref().take(room).collect();
    let more = rows.next().is_some();
    for (n, (s, end)) in shown.iter().enumerate() {
        let last = n + 1 == shown.len();
        if last && more {
            put(
                buf,
                x,
                y,
                w,
                &[Span::styled(
                    "… more (ctrl-d/pgdn scrolls)",
                    theme.muted_style(),
                )],
            );
        } else {
            put(buf, x, y, w, &[Span::raw(content[*s..*end].to_string())]);
        }
        y += 1;
    }
    y
}
