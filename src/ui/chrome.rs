//! Status bar, message line, "terminal too small".

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::keymap::Command;
use crate::config::theme::Theme;
use crate::state::{Connection, Message, MessageKind, State, layout};

use crate::ui::widgets::paint::{put_centered, put_split, spinner};

pub(super) fn too_small(buf: &mut Buffer, area: Rect, theme: &Theme) {
    let need = format!("need {}×{}", layout::MIN_WIDTH, layout::MIN_HEIGHT);
    let one = format!("Terminal too small ({need})");
    if usize::from(area.width) >= crate::ui::text::width(&one) {
        let row = layout::centered(area, area.width, 1);
        put_centered(buf, row, &[Span::styled(one, theme.error_style())]);
        return;
    }
    let rows = layout::centered(area, area.width, 2);
    put_centered(
        buf,
        Rect::new(rows.x, rows.y, rows.width, 1),
        &[Span::styled("Terminal too small", theme.error_style())],
    );
    if rows.height > 1 {
        put_centered(
            buf,
            Rect::new(rows.x, rows.y + 1, rows.width, 1),
            &[Span::styled(format!("({need})"), theme.muted_style())],
        );
    }
}

pub(super) fn message_line(buf: &mut Buffer, area: Rect, message: &Message, theme: &Theme) {
    let style = match message.kind {
        MessageKind::Error => theme.error_style(),
        MessageKind::Info => theme.accent_style(),
    };
    let icon = match message.kind {
        MessageKind::Error => "✕ ",
        MessageKind::Info => "",
    };
    put_split(
        buf,
        Rect::new(
            area.x.saturating_add(1),
            area.y,
            area.width.saturating_sub(1),
            1,
        ),
        &[
            Span::styled(icon, style),
            Span::styled(message.text.clone(), style),
        ],
        &[],
    );
}

pub(super) fn status_bar(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let bar = if theme.no_color {
        Style::default().add_modifier(Modifier::REVERSED)
    } else {
        Style::default()
    };
    crate::ui::widgets::paint::fill(buf, area, bar);
    let (dot, word, style) = match state.connection {
        Connection::Connected => ("●", "connected", theme.ok_style()),
        Connection::Reconnecting => ("○", "reconnecting", theme.stale_style()),
        Connection::Offline => ("✕", "offline", theme.error_style()),
    };
    let pipeline = state
        .board
        .pipeline()
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let mut left = vec![
        Span::raw(" "),
        Span::styled(state.session.organization.clone(), theme.accent_style()),
    ];
    if !pipeline.is_empty() {
        left.push(Span::styled(" · ", theme.muted_style()));
        left.push(Span::raw(pipeline));
    }
    // The active filter (the inbox's in the inbox, else the board's) is always shown, in place
    // of the person's name.
    let active = match &state.screen {
        crate::state::Screen::Inbox(s) => &s.filter,
        _ => &state.board.filter,
    };
    left.push(Span::styled(" · ", theme.muted_style()));
    if !active.is_empty() {
        left.push(Span::styled(
            format!("filter: {}", crate::ui::clean(&active.to_string())),
            theme.accent_style(),
        ));
    } else {
        left.push(Span::styled(
            state.session.person.clone(),
            theme.muted_style(),
        ));
    }

    let help_keys = state.keymap.keys_label(Command::Help);
    let help_key = help_keys.split('/').next().unwrap_or("?").to_string();
    let loading = state.is_loading();
    let overdue = state.overdue.filter(|n| *n > 0);
    // Most important last: dropped from the front when narrow.
    let mut right: Vec<Span<'static>> = Vec::new();
    if !matches!(state.screen, crate::state::Screen::Inbox(_)) {
        right.push(Span::styled(
            format!("sort: {}  ", state.board.sort.label()),
            theme.muted_style(),
        ));
    }
    if matches!(state.screen, crate::state::Screen::Board) {
        // Issue 10: what the won/lost headers count, and the open forecast.
        right.push(Span::styled(
            format!(
                "closed: {}  forecast {}  ",
                state.board.period.label(),
                crate::ui::board::forecast_text(&state.board)
            ),
            theme.muted_style(),
        ));
    }
    if !help_key.is_empty() {
        right.push(Span::styled(
            format!("{help_key} help  "),
            theme.muted_style(),
        ));
    }
    // Issue 12: the board's marked cards (m / o / T / D act on them).
    let marked = state.board.marks.len();
    if marked > 0 && matches!(state.screen, crate::state::Screen::Board) {
        right.push(Span::styled(
            format!("{marked} marked  "),
            theme.accent_style(),
        ));
    }
    if let Some(n) = overdue {
        right.push(Span::styled(
            if n >= crate::data::store::OVERDUE_COUNT_CAP {
                format!("{}+ overdue  ", crate::data::store::OVERDUE_COUNT_CAP - 1)
            } else {
                format!("{n} overdue  ")
            },
            theme.overdue_style(),
        ));
    }
    if loading {
        right.push(Span::styled(
            format!("{} ", spinner(state)),
            theme.muted_style(),
        ));
    }
    right.push(Span::styled(format!("{dot} {word} "), style));
    // The organization, pipeline and person (or filter) keep up to half the bar.
    let min_left = crate::ui::widgets::paint::spans_width(&left).min(usize::from(area.width) / 2);
    while right.len() > 1
        && crate::ui::widgets::paint::spans_width(&right) + min_left > usize::from(area.width)
    {
        right.remove(0);
    }
    put_split(buf, Rect::new(area.x, area.y, area.width, 1), &left, &right);
}
