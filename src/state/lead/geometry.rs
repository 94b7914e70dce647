//! Where the lead screen's parts go, shared by the reducer (list scrolling) and the renderer.
//! Every computation saturates: any size, even 0×0, gives a valid (possibly empty) layout.

use ratatui::layout::Rect;

use super::Tab;

/// The regions of the lead screen inside the body area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadLayout {
    /// Name, stage, owner (and on tall screens the scores row).
    pub header: Rect,
    /// Tags (tall screens only).
    pub tags: Option<Rect>,
    pub tabs: Rect,
    /// The tab's content.
    pub body: Rect,
    /// Key hints (tall screens only).
    pub hints: Option<Rect>,
}

/// Below this body height the header shrinks to one row and hints are dropped.
const ROOMY: u16 = 12;

pub fn layout(area: Rect) -> LeadLayout {
    let roomy = area.height >= ROOMY;
    let header_h = (if roomy { 2 } else { 1 }).min(area.height);
    let mut y = area.y;
    let header = Rect::new(area.x, y, area.width, header_h);
    y = y.saturating_add(header_h);
    let left = |y: u16| area.bottom().saturating_sub(y);
    let tags = (roomy && left(y) > 0).then(|| Rect::new(area.x, y, area.width, 1));
    if tags.is_some() {
        y = y.saturating_add(1);
    }
    let tabs_h = u16::from(left(y) > 0);
    let tabs = Rect::new(area.x, y, area.width, tabs_h);
    y = y.saturating_add(tabs_h);
    // A rule under the tabs on roomy screens.
    if roomy && left(y) > 0 {
        y = y.saturating_add(1);
    }
    let hints = (roomy && left(y) > 1).then(|| Rect::new(area.x, area.bottom() - 1, area.width, 1));
    let body_h = left(y).saturating_sub(u16::from(hints.is_some()));
    LeadLayout {
        header,
        tags,
        tabs,
        body: Rect::new(area.x, y, area.width, body_h),
        hints,
    }
}

/// Columns the Overview flows into at `width`.
pub fn overview_columns(width: u16) -> usize {
    if width >= 100 { 2 } else { 1 }
}

/// Rows one list item takes on a tab.
pub fn item_rows(tab: Tab) -> u16 {
    match tab {
        Tab::Timeline => 2,
        _ => 1,
    }
}

/// Whole items of `tab` that fit in the body.
pub fn visible_items(area: Rect, tab: Tab) -> usize {
    usize::from(layout(area).body.height / item_rows(tab))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_size_is_valid() {
        for w in 0..50 {
            for h in 0..30 {
                let area = Rect::new(0, 0, w, h);
                let l = layout(area);
                for r in [Some(l.header), l.tags, Some(l.tabs), Some(l.body), l.hints]
                    .into_iter()
                    .flatten()
                {
                    assert!(r.bottom() <= area.bottom(), "{w}x{h}: {r:?}");
                }
            }
        }
    }
}
