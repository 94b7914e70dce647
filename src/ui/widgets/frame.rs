//! The rounded frame of popups and cards: a border, a bold title, an optional footer.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::config::theme::Theme;
use crate::ui::text::{clean, width};
use crate::ui::widgets::paint::{fill, put, put_split};

/// A popup's frame (footer of key hints, two columns of padding); returns the inner rect.
pub fn popup_frame(buf: &mut Buffer, rect: Rect, title: &str, footer: &str, theme: &Theme) -> Rect {
    frame(buf, rect, title, footer, 2, theme)
}

/// A card's frame over whatever is below (one column of padding); returns the inner rect.
pub fn card_frame(buf: &mut Buffer, rect: Rect, title: &str, theme: &Theme) -> Rect {
    frame(buf, rect, title, "", 1, theme)
}

fn frame(buf: &mut Buffer, rect: Rect, title: &str, footer: &str, pad: u16, theme: &Theme) -> Rect {
    let rect = buf.area.intersection(rect);
    fill(buf, rect, Style::default());
    if rect.width < 2 || rect.height < 2 {
        return Rect::new(rect.x, rect.y, 0, 0);
    }
    let border = theme.accent_style();
    let w = rect.width;
    let right = rect.x + w - 1;
    let bottom = rect.y + rect.height - 1;
    let horiz = "─".repeat(usize::from(w - 2));
    put(
        buf,
        rect.x,
        rect.y,
        w,
        &[
            Span::styled("╭", border),
            Span::styled(horiz.clone(), border),
            Span::styled("╮", border),
        ],
    );
    put(
        buf,
        rect.x,
        bottom,
        w,
        &[
            Span::styled("╰", border),
            Span::styled(horiz, border),
            Span::styled("╯", border),
        ],
    );
    for y in rect.y + 1..bottom {
        put(buf, rect.x, y, 1, &[Span::styled("│", border)]);
        put(buf, right, y, 1, &[Span::styled("│", border)]);
    }
    if !title.is_empty() && w > 4 {
        put_split(
            buf,
            Rect::new(rect.x + 2, rect.y, w - 4, 1),
            &[Span::styled(
                format!(" {} ", clean(title)),
                border.add_modifier(Modifier::BOLD),
            )],
            &[],
        );
    }
    if !footer.is_empty() && w > 4 {
        let fw = u16::try_from(width(footer) + 2)
            .unwrap_or(u16::MAX)
            .min(w - 4);
        put(
            buf,
            right.saturating_sub(fw + 1),
            bottom,
            fw,
            &[Span::styled(format!(" {footer} "), theme.muted_style())],
        );
    }
    Rect::new(
        rect.x + pad,
        rect.y + 1,
        w.saturating_sub(2 * pad),
        rect.height - 2,
    )
}
