//! Deterministic board geometry, shared by the reducers (paging, scrolling, mouse hit tests) and
//! the renderer, so the state never needs the rects of the last draw.
//!
//! Every computation saturates: any terminal size, even 0×0, yields a valid (possibly empty)
//! layout.

use ratatui::layout::Rect;

/// Below this the board shows "Terminal too small".
pub const MIN_WIDTH: u16 = 30;
pub const MIN_HEIGHT: u16 = 8;
/// Rows above the first card in a column: name + count, amounts, rule.
pub const HEADER_ROWS: u16 = 3;
/// Rows of one card's content.
pub const CARD_ROWS: u16 = 2;
/// Rows from one card's top to the next (content + one blank gap).
pub const CARD_STRIDE: u16 = 3;
/// Narrowest column before the board scrolls horizontally.
pub const MIN_COLUMN_WIDTH: u16 = 20;
/// Cards fetched beyond what is visible.
pub const PAGE_MARGIN: usize = 20;

/// Whether the terminal is big enough for any screen.
pub fn too_small(width: u16, height: u16) -> bool {
    width < MIN_WIDTH || height < MIN_HEIGHT
}

/// The fixed regions of a screen: body, optional message line, status bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub body: Rect,
    pub message: Option<Rect>,
    pub status: Rect,
}

pub fn frame(area: Rect, with_message: bool) -> Frame {
    let status_h = u16::from(area.height > 0);
    let message_h = u16::from(with_message && area.height > 1);
    let body_h = area.height.saturating_sub(status_h + message_h);
    let body = Rect::new(area.x, area.y, area.width, body_h);
    let message =
        (message_h > 0).then(|| Rect::new(area.x, area.y.saturating_add(body_h), area.width, 1));
    let status = Rect::new(
        area.x,
        area.y.saturating_add(body_h + message_h),
        area.width,
        status_h,
    );
    Frame {
        body,
        message,
        status,
    }
}

/// How many columns fit side by side in `width`.
/// The board's body split into the columns and, when there is room, the one-line key hint
/// under them (issue 10: the board has the same hint line as the lead and inbox screens).
pub fn board_split(body: Rect) -> (Rect, Option<Rect>) {
    if body.height < 8 {
        return (body, None);
    }
    let columns = Rect::new(body.x, body.y, body.width, body.height - 1);
    let hint = Rect::new(body.x, body.y + body.height - 1, body.width, 1);
    (columns, Some(hint))
}

pub fn columns_that_fit(width: u16, stages: usize) -> usize {
    let fit = usize::from((width / MIN_COLUMN_WIDTH).max(1));
    fit.min(stages)
}

/// The first visible column so that `selected` is visible, moving `offset` as little as possible.
pub fn column_offset(offset: usize, selected: usize, stages: usize, visible: usize) -> usize {
    if stages == 0 || visible == 0 {
        return 0;
    }
    let selected = selected.min(stages - 1);
    let max_offset = stages.saturating_sub(visible);
    let mut offset = offset.min(max_offset);
    if selected < offset {
        offset = selected;
    } else if selected >= offset + visible {
        offset = selected + 1 - visible;
    }
    offset.min(max_offset)
}

/// Number of whole cards a column body of `height` rows shows (header included in `height`).
pub fn cards_that_fit(height: u16) -> usize {
    let rows = height.saturating_sub(HEADER_ROWS);
    if rows < CARD_ROWS {
        return 0;
    }
    // The last card needs no gap below it.
    usize::from((rows + (CARD_STRIDE - CARD_ROWS)) / CARD_STRIDE)
}

/// First visible card so that `selected` is visible.
pub fn card_offset(offset: usize, selected: usize, len: usize, visible: usize) -> usize {
    if len == 0 || visible == 0 {
        return 0;
    }
    let selected = selected.min(len - 1);
    let max_offset = len.saturating_sub(visible);
    let mut offset = offset.min(max_offset);
    if selected < offset {
        offset = selected;
    } else if selected >= offset + visible {
        offset = selected + 1 - visible;
    }
    offset.min(max_offset)
}

/// One visible column: its index among the stages and its rect (the right-hand separator, if
/// any, is outside `area`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSlot {
    pub index: usize,
    pub area: Rect,
    /// Where the separator to the right is drawn (zero width for the last column).
    pub separator: Rect,
}

/// Splits `body` into the visible columns starting at `offset`.
pub fn column_slots(body: Rect, stages: usize, offset: usize) -> Vec<ColumnSlot> {
    let visible = columns_that_fit(body.width, stages);
    if visible == 0 || body.width == 0 || body.height == 0 {
        return Vec::new();
    }
    let offset = offset.min(stages.saturating_sub(visible));
    let n = u16::try_from(visible).unwrap_or(u16::MAX).max(1);
    let base = body.width / n;
    let extra = body.width % n;
    let mut x = body.x;
    let mut slots = Vec::with_capacity(visible);
    for i in 0..n {
        let w = base + u16::from(i < extra);
        let last = i + 1 == n;
        let sep_w = u16::from(!last && w > 1);
        let area = Rect::new(x, body.y, w.saturating_sub(sep_w), body.height);
        let separator = Rect::new(x.saturating_add(area.width), body.y, sep_w, body.height);
        slots.push(ColumnSlot {
            index: offset + usize::from(i),
            area,
            separator,
        });
        x = x.saturating_add(w);
    }
    slots
}

/// The rect of the `row`-th visible card inside a column area.
pub fn card_rect(column: Rect, row: usize) -> Option<Rect> {
    let row = u16::try_from(row).ok()?;
    let top = HEADER_ROWS.checked_add(row.checked_mul(CARD_STRIDE)?)?;
    if top.checked_add(CARD_ROWS)? > column.height {
        return None;
    }
    Some(Rect::new(column.x, column.y + top, column.width, CARD_ROWS))
}

/// Which visible card row (0-based) a y coordinate falls on, if it hits a card.
pub fn card_row_at(column: Rect, y: u16) -> Option<usize> {
    let rel = y.checked_sub(column.y)?.checked_sub(HEADER_ROWS)?;
    if rel % CARD_STRIDE >= CARD_ROWS {
        return None;
    }
    let row = usize::from(rel / CARD_STRIDE);
    card_rect(column, row).map(|_| row)
}

/// A rect of at most `width`×`height` centred in `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_sizes_do_not_panic() {
        for w in 0..40 {
            for h in 0..12 {
                let f = frame(Rect::new(0, 0, w, h), true);
                for stages in 0..8 {
                    for slot in column_slots(f.body, stages, 7) {
                        let fit = cards_that_fit(slot.area.height);
                        for row in 0..fit {
                            assert!(card_rect(slot.area, row).is_some());
                        }
                    }
                }
                let _ = centered(f.body, 50, 50);
            }
        }
    }

    #[test]
    fn offsets_keep_selection_visible() {
        assert_eq!(column_offset(0, 5, 8, 3), 3);
        assert_eq!(column_offset(4, 1, 8, 3), 1);
        assert_eq!(column_offset(9, 7, 8, 3), 5);
        assert_eq!(card_offset(0, 10, 20, 4), 7);
        assert_eq!(card_offset(0, 0, 0, 4), 0);
    }

    #[test]
    fn card_hit_testing() {
        let col = Rect::new(0, 0, 20, 12);
        assert_eq!(cards_that_fit(12), 3);
        assert_eq!(card_row_at(col, 3), Some(0));
        assert_eq!(card_row_at(col, 4), Some(0));
        assert_eq!(card_row_at(col, 5), None);
        assert_eq!(card_row_at(col, 6), Some(1));
        assert_eq!(card_row_at(col, 1), None);
    }
}
