//! The lead screen's list tabs: tasks, deals, documents.

use super::*;

pub(super) fn list_offset(screen: &LeadScreen, tab: Tab, len: usize, area: Rect) -> (usize, usize) {
    let selected = screen.selected[tab.index()].min(len.saturating_sub(1));
    let visible = usize::from(area.height / item_rows(tab)).max(1);
    (
        selected,
        layout::card_offset(screen.offset[tab.index()], selected, len, visible),
    )
}

/// The rows of a list tab that fit in `area`: each item's line, whether it is the selected one,
/// and the item (scrolled so the selection stays visible).
fn visible_rows<'a, T>(
    screen: &LeadScreen,
    tab: Tab,
    items: &'a [T],
    area: Rect,
) -> impl Iterator<Item = (u16, bool, &'a T)> {
    let (selected, offset) = list_offset(screen, tab, items.len(), area);
    (area.y..area.bottom())
        .zip(items.iter().enumerate().skip(offset))
        .map(move |(y, (i, item))| (y, i == selected, item))
}

pub(super) fn row_base(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    selected: bool,
    theme: &Theme,
) -> Style {
    let base = if selected {
        theme.selected_style()
    } else {
        Style::default()
    };
    fill(buf, Rect::new(area.x, y, area.width, 1), base);
    if selected {
        put(buf, area.x, y, 1, &[Span::styled("▌", base)]);
    }
    base
}

pub(super) fn tasks(
    buf: &mut Buffer,
    area: Rect,
    screen: &LeadScreen,
    data: &LeadData,
    state: &State,
    theme: &Theme,
) {
    if data.tasks.is_empty() {
        centered_lines(buf, area, &[("No tasks · t adds one", theme.muted_style())]);
        return;
    }
    let (today, _) = local_today(state.now);
    for (y, chosen, t) in visible_rows(screen, Tab::Tasks, &data.tasks, area) {
        let base = row_base(buf, area, y, chosen, theme);
        let overdue = t.overdue;
        // One absolute format with the time (issue 11: relative and absolute dates were mixed
        // and times hidden); overdue shows in the marker and the colour.
        let cancelled = t.status == crate::data::models::TaskStatus::Cancelled;
        let due = match (t.is_done(), t.due_date) {
            (true, _) if cancelled => "cancelled".to_string(),
            (true, _) => "done".to_string(),
            (false, None) => "no date".to_string(),
            (false, Some(date)) => {
                let time = t
                    .due_time
                    .map_or_else(|| "     ".to_string(), |tm| tm.format("%H:%M").to_string());
                let year = if chrono::Datelike::year(&date) == chrono::Datelike::year(&today) {
                    String::new()
                } else {
                    date.format(" %Y").to_string()
                };
                format!("{}{year} {time}", date.format("%a %b %e"))
            }
        };
        let due_style = if overdue {
            base.patch(theme.overdue_style())
        } else {
            base.patch(theme.muted_style())
        };
        let check = if cancelled {
            "✗ "
        } else if t.is_done() {
            "✓ "
        } else if overdue {
            "! "
        } else {
            "○ "
        };
        let title_style = if t.is_done() {
            base.patch(theme.muted_style())
        } else {
            base
        };
        let left = vec![
            Span::styled(check, due_style),
            Span::styled(t.title.clone(), title_style),
        ];
        let mut right = vec![Span::styled(
            format!("{:<6} ", t.priority.as_str()),
            base.patch(theme.muted_style()),
        )];
        right.push(Span::styled(format!("{due:<21} "), due_style));
        // A fixed-width assignee column keeps every row's columns in line.
        let who = t.assignee_name.as_deref().unwrap_or("—");
        right.push(Span::styled(
            format!(" {who:<16.16} "),
            base.patch(theme.muted_style()),
        ));
        put_split(
            buf,
            Rect::new(area.x + 2, y, area.width.saturating_sub(2), 1),
            &left,
            &right,
        );
    }
}

pub(super) fn deals(
    buf: &mut Buffer,
    area: Rect,
    screen: &LeadScreen,
    data: &LeadData,
    theme: &Theme,
) {
    if data.deals.is_empty() {
        centered_lines(buf, area, &[("No deals · d adds one", theme.muted_style())]);
        return;
    }
    for (y, chosen, d) in visible_rows(screen, Tab::Deals, &data.deals, area) {
        let base = row_base(buf, area, y, chosen, theme);
        let status_style = match d.status {
            DealStatus::Open => base.patch(theme.accent_style()),
            DealStatus::Won => base.patch(theme.ok_style()),
            DealStatus::Lost => base.patch(theme.overdue_style()),
        };
        let left = vec![Span::styled(
            d.name.clone(),
            base.add_modifier(Modifier::BOLD),
        )];
        let mut right = vec![
            Span::styled(
                format!("{:>14} ", crate::currency::money(d.amount, &d.currency)),
                base,
            ),
            Span::styled(format!("{:<13} ", d.stage), base.patch(theme.muted_style())),
            Span::styled(format!("{:>3}% ", d.probability), base),
            Span::styled(format!("{:<5}", d.status.as_str()), status_style),
        ];
        if let Some(close) = d.expected_close_date {
            right.push(Span::styled(
                format!(" close {}", close.format("%Y-%m-%d")),
                base.patch(theme.muted_style()),
            ));
        }
        right.push(Span::raw(" "));
        put_split(
            buf,
            Rect::new(area.x + 2, y, area.width.saturating_sub(2), 1),
            &left,
            &right,
        );
    }
}

/// `pdf` from `contract.pdf` (or from `application/pdf`), `—` when unknown.
pub(super) fn short_type(d: &LeadDocument) -> String {
    let ext = d
        .file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()));
    let from_mime = || {
        d.file_type
            .as_deref()
            .map(|t| t.rsplit('/').next().unwrap_or(t).chars().take(6).collect())
    };
    ext.or_else(from_mime).unwrap_or_else(|| "—".to_string())
}

pub(super) fn documents(
    buf: &mut Buffer,
    area: Rect,
    screen: &LeadScreen,
    data: &LeadData,
    state: &State,
    theme: &Theme,
) {
    if data.documents.is_empty() {
        centered_lines(
            buf,
            area,
            &[(
                "No documents · a attaches a file or link",
                theme.muted_style(),
            )],
        );
        return;
    }
    for (y, chosen, d) in visible_rows(screen, Tab::Documents, &data.documents, area) {
        let base = row_base(buf, area, y, chosen, theme);
        let muted = base.patch(theme.muted_style());
        let left = vec![
            Span::styled(d.file_name.clone(), base.add_modifier(Modifier::BOLD)),
            Span::styled(format!("  {}", d.file_url), muted),
        ];
        let right = vec![
            Span::styled(
                format!("{:<12} ", d.document_type.as_str()),
                base.patch(theme.accent_style()),
            ),
            Span::styled(format!("{:<6} ", short_type(d)), muted),
            Span::styled(
                format!(
                    "{:>9} ",
                    d.file_size.map(size).unwrap_or_else(|| "—".into())
                ),
                muted,
            ),
            Span::styled(format!("{:>8} ", relative(state.now, d.created_at)), muted),
        ];
        put_split(
            buf,
            Rect::new(area.x + 2, y, area.width.saturating_sub(2), 1),
            &left,
            &right,
        );
    }
}
