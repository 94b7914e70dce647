//! Draws the lead detail screen: header, tags, tabs and the tab's content. Long text is wrapped
//! and only the rows that are visible are laid out (a 1 MB note costs what a screenful costs).

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::inbox::dates::relative_due;
use crate::state::lead::geometry::{self, item_rows};
use crate::state::lead::overview::{self, absolute, money, relative};
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
            Tab::Timeline => timeline(buf, l.body, screen, state, theme),
            Tab::Tasks => tasks(buf, l.body, screen, data, state, theme),
            Tab::Deals => deals(buf, l.body, screen, data, theme),
            Tab::Documents => documents(buf, l.body, screen, data, state, theme),
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
// Timeline
// ---------------------------------------------------------------------------

/// `text` padded with spaces to `cells` terminal cells (at least one space after it).
fn pad(text: &str, cells: usize) -> String {
    let w = wrap::str_cells(text);
    format!("{text}{}", " ".repeat(cells.saturating_sub(w).max(1)))
}

fn kind_tag(kind: InteractionKind) -> &'static str {
    match kind {
        InteractionKind::Email => "✉ email",
        InteractionKind::Call => "☎ call",
        InteractionKind::Meeting => "◆ meeting",
        InteractionKind::Note => "✎ note",
        InteractionKind::Sms => "✆ sms",
        InteractionKind::Whatsapp => "◎ whatsapp",
    }
}

fn activity_tag(kind: &str) -> String {
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
fn entry_header(
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
fn entry_facts(e: &TimelineEntry) -> Vec<String> {
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
fn entry_meta(e: &TimelineEntry) -> String {
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

fn timeline(buf: &mut Buffer, area: Rect, screen: &LeadScreen, state: &State, theme: &Theme) {
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
fn expanded_body(
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

// ---------------------------------------------------------------------------
// Tasks, deals, documents
// ---------------------------------------------------------------------------

fn list_offset(screen: &LeadScreen, tab: Tab, len: usize, area: Rect) -> (usize, usize) {
    let selected = screen.selected[tab.index()].min(len.saturating_sub(1));
    let visible = usize::from(area.height / item_rows(tab)).max(1);
    (
        selected,
        layout::card_offset(screen.offset[tab.index()], selected, len, visible),
    )
}

fn row_base(buf: &mut Buffer, area: Rect, y: u16, selected: bool, theme: &Theme) -> Style {
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

fn tasks(
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
    let (today, now_time) = local_today(state.now);
    let (selected, offset) = list_offset(screen, Tab::Tasks, data.tasks.len(), area);
    for (row, (i, t)) in data
        .tasks
        .iter()
        .enumerate()
        .skip(offset)
        .take(usize::from(area.height))
        .enumerate()
    {
        let y = area.y + u16::try_from(row).unwrap_or(0);
        let base = row_base(buf, area, y, i == selected, theme);
        let overdue = t.overdue;
        let due = if t.is_done() {
            "done".to_string()
        } else {
            relative_due(t.due_date, t.due_time, today, now_time).0
        };
        let due_style = if overdue {
            base.patch(theme.overdue_style())
        } else {
            base.patch(theme.muted_style())
        };
        let check = if t.is_done() {
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
        right.push(Span::styled(format!("{due:>12} "), due_style));
        if let Some(who) = &t.assignee_name {
            right.push(Span::styled(
                format!(" {who} "),
                base.patch(theme.muted_style()),
            ));
        }
        put_split(
            buf,
            Rect::new(area.x + 2, y, area.width.saturating_sub(2), 1),
            &left,
            &right,
        );
    }
}

fn deals(buf: &mut Buffer, area: Rect, screen: &LeadScreen, data: &LeadData, theme: &Theme) {
    if data.deals.is_empty() {
        centered_lines(buf, area, &[("No deals · d adds one", theme.muted_style())]);
        return;
    }
    let (selected, offset) = list_offset(screen, Tab::Deals, data.deals.len(), area);
    for (row, (i, d)) in data
        .deals
        .iter()
        .enumerate()
        .skip(offset)
        .take(usize::from(area.height))
        .enumerate()
    {
        let y = area.y + u16::try_from(row).unwrap_or(0);
        let base = row_base(buf, area, y, i == selected, theme);
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
            Span::styled(format!("{:>14} ", money(d.amount)), base),
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
fn short_type(d: &LeadDocument) -> String {
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

fn documents(
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
    let (selected, offset) = list_offset(screen, Tab::Documents, data.documents.len(), area);
    for (row, (i, d)) in data
        .documents
        .iter()
        .enumerate()
        .skip(offset)
        .take(usize::from(area.height))
        .enumerate()
    {
        let y = area.y + u16::try_from(row).unwrap_or(0);
        let base = row_base(buf, area, y, i == selected, theme);
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
