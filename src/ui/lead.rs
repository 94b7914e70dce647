//! Draws the lead detail screen: header, tags, tabs and the tab's content. Long text is wrapped
//! and only the rows that are visible are laid out (a 1 MB note costs what a screenful costs).

mod lists;
mod timeline;

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::lead::geometry::{self, item_rows};
use crate::state::lead::overview::{self, absolute, relative};
use crate::state::lead::wrap;
use crate::state::lead::{
    DealStatus, Direction, InteractionKind, LeadData, LeadDetail, LeadDocument, LeadScreen,
    LeadStatus, Tab, TimelineEntry, TimelineFilter, TimelineSource, local_today,
};
use crate::state::{State, layout};

use crate::ui::widgets::paint::{fill, put, put_centered, put_split, stage_style};

pub(super) fn draw(
    buf: &mut Buffer,
    area: Rect,
    screen: &LeadScreen,
    state: &State,
    theme: &Theme,
) {
    let l = geometry::layout(area);
    header(buf, l.header, screen, state, theme);
    if let Some(row) = l.tags {
        tags_row(buf, row, screen, theme);
    }
    tabs_row(buf, l.tabs, screen, theme);
    if l.body.y > l.tabs.bottom() {
        let rule = "─".repeat(usize::from(area.width));
        put(
            buf,
            area.x,
            l.tabs.bottom(),
            area.width,
            &[Span::styled(rule, theme.border_style())],
        );
    }
    match (&screen.status, &screen.data) {
        (LeadStatus::Gone, _) => centered_lines(
            buf,
            l.body,
            &[
                (
                    "This lead was deleted or is no longer visible to you",
                    theme.error_style(),
                ),
                ("Esc back to the board", theme.muted_style()),
            ],
        ),
        (_, Some(data)) => match screen.tab {
            Tab::Overview => overview(buf, l.body, screen, data, state, theme),
            Tab::Timeline => timeline::timeline(buf, l.body, screen, state, theme),
            Tab::Tasks => lists::tasks(buf, l.body, screen, data, state, theme),
            Tab::Deals => lists::deals(buf, l.body, screen, data, theme),
            Tab::Documents => lists::documents(buf, l.body, screen, data, state, theme),
        },
        (LeadStatus::Failed(why), None) => centered_lines(
            buf,
            l.body,
            &[
                (why.as_str(), theme.error_style()),
                ("r to retry · Esc back", theme.muted_style()),
            ],
        ),
        _ => centered_lines(buf, l.body, &[("Loading…", theme.muted_style())]),
    }
    if let Some(row) = l.hints {
        hints(buf, row, screen, state, theme);
    }
}

fn centered_lines(buf: &mut Buffer, area: Rect, lines: &[(&str, Style)]) {
    let n = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let rows = layout::centered(area, area.width, n.saturating_mul(2).saturating_sub(1));
    for (i, (text, style)) in lines.iter().enumerate() {
        let y = rows
            .y
            .saturating_add(u16::try_from(i * 2).unwrap_or(u16::MAX));
        if y >= rows.bottom() {
            break;
        }
        put_centered(
            buf,
            Rect::new(rows.x, y, rows.width, 1),
            &[Span::styled(*text, *style)],
        );
    }
}

// ---------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------

fn size(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if bytes < 1_024 {
        format!("{bytes} B")
    } else if bytes < 1_048_576 {
        format!("{:.1} KB", b / 1024.0)
    } else if bytes < 1_073_741_824 {
        format!("{:.1} MB", b / 1_048_576.0)
    } else {
        format!("{:.1} GB", b / 1_073_741_824.0)
    }
}

/// "12m 30s", "1h 05m", "45s".
fn duration(secs: i32) -> String {
    let s = secs.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 if s % 60 == 0 => format!("{}m", s / 60),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

// ---------------------------------------------------------------------------
// Header, tags, tabs, hints
// ---------------------------------------------------------------------------

fn header(buf: &mut Buffer, area: Rect, screen: &LeadScreen, state: &State, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let bold = Style::default().add_modifier(Modifier::BOLD);
    let detail = screen.detail();
    let mut left = vec![Span::raw(" "), Span::styled(screen.name.clone(), bold)];
    if let Some(d) = detail {
        left.push(Span::raw("  "));
        left.push(Span::styled(
            format!("● {}", d.stage_name),
            stage_style(&d.stage_color, theme),
        ));
        left.push(Span::styled("  owner ", theme.muted_style()));
        left.push(match &d.owner_name {
            Some(owner) => Span::raw(owner.clone()),
            None => Span::styled("unassigned", theme.muted_style()),
        });
    }
    let mut right = Vec::new();
    if let Some(pos) = position(screen, state) {
        right.push(Span::styled(pos, theme.muted_style()));
        right.push(Span::raw(" "));
    }
    put_split(buf, Rect::new(area.x, area.y, area.width, 1), &left, &right);
    let Some(d) = detail else {
        return;
    };
    let scores = score_spans(d, state, theme);
    if area.height > 1 {
        put_split(
            buf,
            Rect::new(area.x, area.y + 1, area.width, 1),
            &scores,
            &[],
        );
    }
}

/// "‹ 3/14 in New ›" when the lead was opened from a board column.
fn position(screen: &LeadScreen, state: &State) -> Option<String> {
    let stage = screen.origin?;
    let col = state
        .board
        .column_index(stage)
        .and_then(|i| state.board.columns.get(i))?;
    let here = col.position(screen.lead_id)?;
    let total = state
        .board
        .summaries
        .get(&stage)
        .filter(|_| state.board.totals_shown())
        .map_or(col.cards.len() as i64, |s| {
            s.lead_count.max(col.cards.len() as i64)
        });
    Some(format!("[ {}/{} {} ]", here + 1, total, col.stage.name))
}

fn score_spans(d: &LeadDetail, state: &State, theme: &Theme) -> Vec<Span<'static>> {
    let muted = theme.muted_style();
    let sep = || Span::styled(" · ", muted);
    let mut spans = vec![
        Span::raw(" "),
        Span::styled("score ", muted),
        Span::styled(
            d.score.to_string(),
            Style::default().add_modifier(Modifier::BOLD),
        ),
        sep(),
        Span::styled("engagement ", muted),
        Span::raw(d.engagement_score.to_string()),
        sep(),
        Span::styled("interest ", muted),
        Span::raw(d.interest_level.to_string()),
        sep(),
        Span::styled("readiness ", muted),
        Span::raw(d.purchase_readiness.to_string()),
        sep(),
        Span::styled("calls ", muted),
        Span::raw(d.total_calls.to_string()),
    ];
    if let Some(s) = d.last_sentiment_score {
        spans.push(sep());
        spans.push(Span::styled("sentiment ", muted));
        let style = if s >= 0.25 {
            theme.ok_style()
        } else if s <= -0.25 {
            theme.overdue_style()
        } else {
            Style::default()
        };
        spans.push(Span::styled(format!("{s:+.2}"), style));
    }
    spans.push(sep());
    spans.push(Span::styled("contacted ", muted));
    spans.push(match d.last_contacted_at {
        Some(t) => Span::raw(relative(state.now, t)),
        None => Span::styled("never", theme.stale_style()),
    });
    spans
}

fn tags_row(buf: &mut Buffer, row: Rect, screen: &LeadScreen, theme: &Theme) {
    let Some(d) = screen.detail() else {
        return;
    };
    let mut spans = vec![Span::raw(" ")];
    if d.tags.is_empty() {
        spans.push(Span::styled("no tags", theme.muted_style()));
    }
    for t in &d.tags {
        spans.push(Span::styled(
            format!("#{}", t.tag),
            stage_style(&t.color, theme),
        ));
        spans.push(Span::raw("  "));
    }
    put_split(buf, row, &spans, &[]);
}

fn tabs_row(buf: &mut Buffer, row: Rect, screen: &LeadScreen, theme: &Theme) {
    if row.height == 0 {
        return;
    }
    let data = screen.data.as_ref();
    let mut spans = vec![Span::raw(" ")];
    for tab in Tab::ALL {
        let count = data.map(|d| match tab {
            Tab::Overview => String::new(),
            Tab::Timeline => format!(" ({})", d.timeline.len()),
            Tab::Tasks => {
                let open = d.tasks.iter().filter(|t| !t.is_done()).count();
                format!(" ({open})")
            }
            Tab::Deals => format!(" ({})", d.deals.len()),
            Tab::Documents => format!(" ({})", d.documents.len()),
        });
        let label = format!(
            " {} {}{} ",
            tab.index() + 1,
            tab.title(),
            count.unwrap_or_default()
        );
        let style = if tab == screen.tab {
            theme.selected_style()
        } else {
            Style::default()
        };
        spans.push(Span::styled(label, style));
        spans.push(Span::raw(" "));
    }
    let mut right = Vec::new();
    if screen.filter != TimelineFilter::All {
        right.push(Span::styled(
            format!("filter: {} ", screen.filter.label()),
            theme.accent_style(),
        ));
    }
    if screen.request.is_some() && screen.data.is_some() {
        right.push(Span::styled("refreshing… ", theme.muted_style()));
    }
    put_split(buf, row, &spans, &right);
}

fn hints(buf: &mut Buffer, row: Rect, screen: &LeadScreen, state: &State, theme: &Theme) {
    let k = |cmd: Command| crate::ui::widgets::first_key(state, cmd);
    let mut items: Vec<(String, &str)> = vec![(k(Command::LogInteraction), "log")];
    match screen.tab {
        Tab::Timeline => {
            items.push((k(Command::ExpandEntry), "expand"));
            items.push((k(Command::FilterTimeline), "filter"));
        }
        Tab::Tasks => {
            items.push((k(Command::AddTask), "task"));
            items.push((k(Command::CompleteTask), "done"));
            items.push((k(Command::Reschedule), "reschedule"));
        }
        Tab::Deals => {
            items.push((k(Command::AddDeal), "deal"));
            items.push((k(Command::ExpandEntry), "edit"));
        }
        Tab::Documents => {
            items.push((k(Command::AddDocument), "attach"));
            items.push((k(Command::OpenDocument), "open"));
        }
        Tab::Overview => {
            items.push((k(Command::AddTask), "task"));
        }
    }
    items.push((k(Command::EditLead), "edit lead"));
    items.push((k(Command::AddTag), "tags"));
    if screen.origin.is_some() {
        items.push((
            format!("{}{}", k(Command::PrevLead), k(Command::NextLead)),
            "prev/next",
        ));
    }
    items.push((k(Command::Back), "back"));
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in items.into_iter().filter(|(key, _)| !key.is_empty()) {
        spans.push(Span::styled(key, theme.accent_style()));
        spans.push(Span::styled(format!(" {what}  "), theme.muted_style()));
    }
    put_split(buf, row, &spans, &[]);
}

// ---------------------------------------------------------------------------
// Overview
// ---------------------------------------------------------------------------

fn overview(
    buf: &mut Buffer,
    area: Rect,
    screen: &LeadScreen,
    data: &LeadData,
    state: &State,
    theme: &Theme,
) {
    let lines = overview::lines(&data.detail, screen.tz, state.now);
    let height = usize::from(area.height);
    if height == 0 {
        return;
    }
    // Wide screens flow the lines into two columns, like a newspaper.
    let cols = geometry::overview_columns(area.width);
    let scroll =
        screen.selected[Tab::Overview.index()].min(lines.len().saturating_sub(height * cols));
    let col_w = area.width / u16::try_from(cols).unwrap_or(1).max(1);
    let mut col = 0;
    let mut row = 0;
    let mut shown_to = scroll;
    for (i, l) in lines.iter().enumerate().skip(scroll) {
        // A section title never ends a column.
        if row + 1 >= height && l.title && col + 1 < cols {
            col += 1;
            row = 0;
        }
        if row >= height {
            col += 1;
            row = 0;
        }
        if col >= cols {
            break;
        }
        let x0 = area.x + col_w * u16::try_from(col).unwrap_or(0);
        // A column that starts inside a section names it again.
        if row == 0
            && !l.title
            && height > 1
            && let Some(t) = lines[..i].iter().rev().find(|l| l.title)
        {
            let cont = overview::title(&format!("{} (cont.)", t.label));
            overview_line(
                buf,
                Rect::new(x0, area.y, col_w.saturating_sub(1), 1),
                &cont,
                theme,
            );
            row = 1;
        }
        let y = area.y + u16::try_from(row).unwrap_or(0);
        overview_line(buf, Rect::new(x0, y, col_w.saturating_sub(1), 1), l, theme);
        row += 1;
        shown_to = i + 1;
    }
    if shown_to < lines.len() {
        let more = "↓ more (j/k scroll)";
        let w = u16::try_from(crate::ui::text::width(more)).unwrap_or(0);
        put(
            buf,
            area.right().saturating_sub(w + 1),
            area.bottom() - 1,
            w,
            &[Span::styled(more, theme.muted_style())],
        );
    }
}

fn overview_line(buf: &mut Buffer, row: Rect, l: &overview::Line, theme: &Theme) {
    let indent = u16::try_from(l.indent.min(8) * 2).unwrap_or(0);
    let x = row.x.saturating_add(1).saturating_add(indent);
    let w = row.right().saturating_sub(x);
    if l.title {
        let style = theme.accent_style().add_modifier(Modifier::BOLD);
        put_split(
            buf,
            Rect::new(x, row.y, w, 1),
            &[Span::styled(l.label.clone(), style)],
            &[],
        );
        return;
    }
    let label = Span::styled(l.label.clone(), theme.muted_style());
    if l.value.is_empty() {
        // A nested object's key: its values follow, indented.
        put_split(buf, Rect::new(x, row.y, w, 1), &[label], &[]);
        return;
    }
    let lw = 18u16.saturating_sub(indent).max(4).min(w / 2);
    put_split(
        buf,
        Rect::new(x, row.y, lw.saturating_sub(1), 1),
        &[label],
        &[],
    );
    put_split(
        buf,
        Rect::new(x.saturating_add(lw), row.y, w.saturating_sub(lw), 1),
        &[Span::raw(l.value.clone())],
        &[],
    );
}

// ---------------------------------------------------------------------------
// Tasks, deals, documents
// ---------------------------------------------------------------------------
