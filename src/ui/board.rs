//! The kanban board: column headers and cards.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::data::models::{LeadCard, Stage};
use crate::state::board::{Column, ColumnStatus, initials, rotting_age};
use crate::state::layout::{self, ColumnSlot};
use crate::state::{BoardStatus, State};

use crate::ui::widgets::paint::{put, put_centered, put_split, spinner, stage_style};

pub(super) fn draw(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    let board = &state.board;
    if board.columns.is_empty() {
        let (text, style) = match &board.status {
            BoardStatus::Loading => (
                format!("{} Loading board…", spinner(state)),
                theme.muted_style(),
            ),
            BoardStatus::Failed(why) => (why.clone(), theme.error_style()),
            BoardStatus::Ready => match board.pipeline() {
                Some(p) => (format!("{} has no stages yet", p.name), theme.muted_style()),
                None => (
                    "No pipelines yet: ask an admin to create one".to_string(),
                    theme.muted_style(),
                ),
            },
        };
        let rows = layout::centered(area, area.width, 2);
        put_centered(
            buf,
            Rect::new(rows.x, rows.y, rows.width, 1),
            &[Span::styled(text, style)],
        );
        if matches!(board.status, BoardStatus::Failed(_)) && rows.height > 1 {
            put_centered(
                buf,
                Rect::new(rows.x, rows.y + 1, rows.width, 1),
                &[Span::styled("r to retry", theme.muted_style())],
            );
        }
        return;
    }
    let slots = layout::column_slots(area, board.columns.len(), board.col_offset);
    let first = slots.first().map_or(0, |s| s.index);
    let last = slots.last().map_or(0, |s| s.index);
    for slot in &slots {
        let Some(col) = board.columns.get(slot.index) else {
            continue;
        };
        let more_left = slot.index == first && first > 0;
        let more_right = slot.index == last && last + 1 < board.columns.len();
        column(buf, slot, col, state, theme, (more_left, more_right));
        for y in slot.separator.top()..slot.separator.bottom() {
            put(
                buf,
                slot.separator.x,
                y,
                slot.separator.width,
                &[Span::styled("│", theme.border_style())],
            );
        }
    }
}

fn column(
    buf: &mut Buffer,
    slot: &ColumnSlot,
    col: &Column,
    state: &State,
    theme: &Theme,
    (more_left, more_right): (bool, bool),
) {
    let area = slot.area;
    if area.width == 0 || area.height == 0 {
        return;
    }
    let board = &state.board;
    let selected_col = slot.index == board.selected;
    // Totals counted under another filter (or not yet) are not this column's: `…` until its own.
    let summary = board.totals_shown().then(|| board.summary(col.stage.id));
    let color = stage_style(&col.stage.color, theme);
    // Text is inset by one cell on each side (the left one is the selection gutter).
    let row = |i: u16| {
        Rect::new(
            area.x.saturating_add(1),
            area.y.saturating_add(i),
            area.width.saturating_sub(2),
            1,
        )
    };

    // Name and count.
    let mut name_style = color.add_modifier(Modifier::BOLD);
    if selected_col {
        name_style = name_style.add_modifier(Modifier::UNDERLINED);
    }
    let marker = if col.stage.is_won {
        " ✓"
    } else if col.stage.is_lost {
        " ✗"
    } else {
        ""
    };
    let count = summary.map_or_else(|| "…".to_string(), |s| compact_count(s.lead_count));
    let count = if col.loading.is_some() && !col.cards.is_empty() {
        format!("{} {count}", spinner(state))
    } else {
        count
    };
    put_split(
        buf,
        row(0),
        &[
            Span::styled(col.stage.name.clone(), name_style),
            Span::styled(marker, color),
        ],
        &[Span::styled(count, theme.muted_style())],
    );
    if area.height > 1 {
        put_split(
            buf,
            row(1),
            &[Span::styled(
                header_figures(board, &col.stage, usize::from(area.width)),
                theme.muted_style(),
            )],
            &[],
        );
    }
    if area.height > 2 {
        let rule = if selected_col { "━" } else { "─" };
        let rule_style = if selected_col {
            color
        } else {
            theme.border_style()
        };
        let w = usize::from(area.width);
        let left = if more_left { "◂" } else { "" };
        let right = if more_right { "▸" } else { "" };
        let inner = w.saturating_sub(left.len().min(1) + right.len().min(1));
        put(
            buf,
            area.x,
            area.y + 2,
            area.width,
            &[
                Span::styled(left, theme.accent_style()),
                Span::styled(rule.repeat(inner), rule_style),
                Span::styled(right, theme.accent_style()),
            ],
        );
    }

    let visible = layout::cards_that_fit(area.height);
    if col.cards.is_empty() {
        let (text, style) = match &col.status {
            ColumnStatus::Idle => (String::new(), theme.muted_style()),
            ColumnStatus::Loading => (format!("{} Loading…", spinner(state)), theme.muted_style()),
            ColumnStatus::Ready => ("No leads".to_string(), theme.muted_style()),
            ColumnStatus::Failed(why) => (why.clone(), theme.error_style()),
        };
        if area.height > layout::HEADER_ROWS {
            put_split(
                buf,
                row(layout::HEADER_ROWS),
                &[Span::styled(text, style)],
                &[],
            );
        }
        return;
    }
    let offset = layout::card_offset(col.offset, col.selected, col.cards.len(), visible);
    let mut shown = 0usize;
    for (i, card_data) in col.cards.iter().skip(offset).take(visible).enumerate() {
        let Some(rect) = layout::card_rect(area, i) else {
            break;
        };
        let selected = selected_col && offset + i == col.selected;
        card(buf, rect, card_data, selected, state, theme);
        shown += 1;
    }
    // "↓ 12 more" on a free bottom row.
    let below = usize::try_from(summary.map_or(0, |s| s.lead_count))
        .unwrap_or(0)
        .max(col.cards.len())
        .saturating_sub(offset + shown);
    let used = layout::HEADER_ROWS
        + u16::try_from(shown)
            .unwrap_or(0)
            .saturating_mul(layout::CARD_STRIDE)
            .saturating_sub(1);
    if below > 0 && area.height > used {
        put_split(
            buf,
            row(area.height - 1),
            &[Span::styled(format!("↓ {below} more"), theme.muted_style())],
            &[],
        );
    }
}

/// One card: name and score; company, then owner, days since contact and markers.
fn card(
    buf: &mut Buffer,
    rect: Rect,
    card: &LeadCard,
    selected: bool,
    state: &State,
    theme: &Theme,
) {
    let pending = state.board.is_pending(card.id);
    let mut base = if selected {
        theme.selected_style()
    } else {
        Style::default()
    };
    if pending {
        base = base.add_modifier(Modifier::DIM);
    }
    crate::ui::widgets::paint::fill(buf, rect, base);
    if selected {
        for dy in 0..rect.height {
            put(
                buf,
                rect.x,
                rect.y + dy,
                1,
                &[Span::styled("▌", base.patch(theme.accent_style()))],
            );
        }
    }
    let rect = Rect::new(
        rect.x.saturating_add(1),
        rect.y,
        rect.width.saturating_sub(2),
        rect.height,
    );
    // Secondary text keeps the selected colours on the selected card (readable on its bg).
    let muted = if selected {
        base
    } else {
        base.patch(theme.muted_style())
    };
    let name_style = base.add_modifier(Modifier::BOLD);

    let mut top_right = Vec::new();
    if pending {
        top_right.push(Span::styled("⋯ ", muted));
    }
    top_right.push(Span::styled(card.score.to_string(), muted));
    // A marked card (issue 12) says so before its name, in colour and without.
    let mut name = Vec::new();
    if state.board.marks.contains(&card.id) {
        name.push(Span::styled("✓ ", name_style.patch(theme.accent_style())));
    }
    name.push(Span::styled(card.name.clone(), name_style));
    put_split(
        buf,
        Rect::new(rect.x, rect.y, rect.width, 1),
        &name,
        &top_right,
    );
    if rect.height < 2 {
        return;
    }
    let stage = state
        .board
        .column_index(card.stage_id)
        .and_then(|i| state.board.columns.get(i))
        .map(|c| &c.stage);
    let right = card_markers(state, card, stage, base, muted, theme);
    let company = card.company.clone().unwrap_or_default();
    put_split(
        buf,
        Rect::new(rect.x, rect.y + 1, rect.width, 1),
        &[Span::styled(company, muted)],
        &right,
    );
}

/// `987`, `9999`, `12k`, `1.2M`.
fn compact_count(n: i64) -> String {
    let n = n.max(0);
    if n < 10_000 {
        return n.to_string();
    }
    crate::currency::compact_number(n as f64)
}

/// The second header line: open stages show open and weighted amounts; a won (lost) stage shows
/// the amount and count of deals won (lost) in the board's period (named in the status bar).
/// Amounts are the organization's currency; deals in others follow the sum (`+€300k`, or `+€`
/// when the column is too narrow for the amount, `…` when there are several), never in it.
fn header_figures(
    board: &crate::state::board::Board,
    stage: &crate::data::models::Stage,
    width: usize,
) -> String {
    use crate::currency::compact;
    let currency = board.currency();
    let counted = if stage.is_won || stage.is_lost {
        board.closed_shown()
    } else {
        board.totals_shown()
    };
    if !counted {
        return "…".to_string();
    }
    let (sum, others, rest) = if stage.is_won || stage.is_lost {
        let closed = board.closed.get(&stage.id).copied().unwrap_or_default();
        let word = if stage.is_won { "won" } else { "lost" };
        (
            compact(closed.amount, currency.as_str()),
            closed.others,
            format!(" · {} {word}", compact_count(closed.deal_count)),
        )
    } else {
        let summary = board.summary(stage.id);
        (
            compact(summary.open_deal_amount, currency.as_str()),
            summary.others,
            format!(
                " · w {}",
                compact(summary.weighted_deal_amount, currency.as_str())
            ),
        )
    };
    let full = format!("{sum}{}{rest}", others.suffix());
    if full.chars().count() + 2 <= width {
        return full;
    }
    format!("{sum}{}{rest}", others.flag())
}

/// The pipeline's open forecast (weighted open amounts in the organization's currency) for the
/// status bar, flagged (`+€`) when open deals in other currencies are left out of it.
pub(super) fn forecast_text(board: &crate::state::board::Board) -> String {
    if !board.totals_shown() {
        return "…".to_string();
    }
    format!(
        "{}{}",
        crate::currency::compact(board.forecast(), board.currency().as_str()),
        board.other_currencies().flag()
    )
}

/// The right side of a card's second line (issue 10; every marker is in the `?` legend):
/// owner initials (`me` on the rep's own leads); on open leads the age since contact only when
/// the stage's rotting limit passed (`87d`, coloured), overdue tasks (`2 late`) and `no next step`
/// when nothing is planned; on closed leads the close day and amount instead.
fn card_markers<'a>(
    state: &State,
    card: &LeadCard,
    stage: Option<&Stage>,
    base: Style,
    muted: Style,
    theme: &Theme,
) -> Vec<Span<'a>> {
    let mut right: Vec<Span<'a>> = Vec::new();
    let mine = card.assigned_to.is_some() && card.assigned_to == state.board.me;
    let owner = if mine {
        "me".to_string()
    } else {
        card.owner_name.as_deref().map(initials).unwrap_or_default()
    };
    if !owner.is_empty() {
        let style = if mine {
            base.patch(theme.accent_style())
        } else {
            muted
        };
        right.push(Span::styled(owner, style));
    }
    let closed = stage.is_some_and(|s| s.is_won || s.is_lost);
    if closed {
        if let Some(day) = card.closed_on {
            right.push(Span::styled(format!(" {}", day.format("%b %-d")), muted));
        }
        // Deals closed in several currencies have no one sum to show.
        let amount = match card.closed_currency {
            Some(code) => crate::currency::compact(card.closed_amount, code.as_str()),
            None if card.closed_amount > 0.0 => "mixed ¤".to_string(),
            None => crate::currency::compact(0.0, state.board.currency().as_str()),
        };
        right.push(Span::styled(format!(" {amount}"), muted));
        return right;
    }
    if let Some(days) = rotting_age(state.now, card, stage.and_then(|s| s.rotting_days)) {
        right.push(Span::styled(
            format!(" {days}d"),
            base.patch(theme.stale_style()),
        ));
    }
    if card.overdue_tasks > 0 {
        right.push(Span::styled(
            format!(" {} late", card.overdue_tasks),
            base.patch(theme.overdue_style()),
        ));
    } else if card.open_tasks == 0 {
        right.push(Span::styled(" no next step", muted));
    }
    right
}

/// The board's one-line key hint, from the bindings in effect (never a key written by hand).
pub(super) fn hints(buf: &mut Buffer, row: Rect, state: &State, theme: &Theme) {
    use crate::config::keymap::Command;
    // With marks, the keys that act on every marked card.
    let marked: &[(Command, &str)] = &[
        (Command::MoveToStage, "move marked"),
        (Command::ChangeOwner, "owner"),
        (Command::AddTag, "tag"),
        (Command::DeleteLead, "delete"),
        (Command::ToggleMark, "mark"),
        (Command::MarkRange, "range"),
        (Command::Back, "clear marks"),
    ];
    let unmarked: &[(Command, &str)] = &[
        (Command::MoveNextStage, "move"),
        (Command::MoveToStage, "move to"),
        (Command::UndoMove, "undo"),
        (Command::OpenLead, "open"),
        (Command::CyclePeriod, "period"),
        (Command::CycleSort, "sort"),
        (Command::JumpToLead, "find"),
        (Command::OpenInbox, "inbox"),
        (Command::Help, "keys & marks"),
    ];
    let cmds = if state.board.marks.is_empty() {
        unmarked
    } else {
        marked
    };
    let mut spans: Vec<Span<'static>> = vec![Span::raw(" ")];
    let mut used = 1usize;
    let max = usize::from(row.width);
    for (cmd, label) in cmds {
        let Some(key) = state.keymap.keys(*cmd).first() else {
            continue;
        };
        let key = key.to_string();
        let w = crate::ui::text::width(&key) + 1 + crate::ui::text::width(label) + 2;
        if used + w > max {
            break;
        }
        used += w;
        spans.push(Span::styled(key, theme.accent_style()));
        spans.push(Span::styled(format!(" {label}  "), theme.muted_style()));
    }
    put(buf, row.x, row.y, row.width, &spans);
}
