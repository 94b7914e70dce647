//! The inbox list as lines: group headers and tasks (and, in the team view, a section per
//! person). Shared by the reducer (cursor, marks, scrolling) and the renderer.

use uuid::Uuid;

use super::{GroupKind, InboxScreen, Status, View};
use crate::data::models::TaskRow;

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// Nothing overdue or due today.
    InboxZero,
    /// Team view: one person's tasks follow.
    Person {
        name: String,
        open: usize,
        overdue: usize,
    },
    /// A group header. `section` numbers the headers; the tasks under it carry the same number.
    Header {
        kind: GroupKind,
        count: usize,
        collapsed: bool,
        section: usize,
        /// Indented under a person.
        nested: bool,
    },
    Task {
        id: Uuid,
        kind: GroupKind,
        section: usize,
        nested: bool,
    },
}

impl Line {
    pub fn is_task(&self) -> bool {
        matches!(self, Line::Task { .. })
    }
}

/// The lines of the screen as it stands.
pub fn build(s: &InboxScreen) -> Vec<Line> {
    let mut out = Vec::new();
    if s.status != Status::Ready {
        return out;
    }
    let has_open = GroupKind::ALL
        .iter()
        .any(|&k| k != GroupKind::Completed && s.data.count(k) > 0);
    if s.data.inbox_zero() && (has_open || s.data.count(GroupKind::Completed) > 0) {
        out.push(Line::InboxZero);
    }
    let mut section = 0;
    match s.view {
        View::Mine => {
            for kind in GroupKind::ALL {
                let Some(group) = s.data.group(kind) else {
                    continue;
                };
                let ids: Vec<Uuid> = group.tasks.iter().map(|t| t.id).collect();
                push_group(&mut out, s, kind, &ids, &mut section, false);
            }
        }
        View::Team => {
            for (person, name) in people(s) {
                let mine = |t: &&TaskRow| t.assigned_to == person;
                let open = GroupKind::ALL
                    .iter()
                    .filter(|&&k| k != GroupKind::Completed)
                    .filter_map(|&k| s.data.group(k))
                    .map(|g| g.tasks.iter().filter(mine).count())
                    .sum::<usize>();
                let overdue = s
                    .data
                    .group(GroupKind::Overdue)
                    .map_or(0, |g| g.tasks.iter().filter(mine).count());
                let shown_completed = if s.show_completed {
                    s.data
                        .group(GroupKind::Completed)
                        .map_or(0, |g| g.tasks.iter().filter(mine).count())
                } else {
                    0
                };
                if open + shown_completed == 0 {
                    continue;
                }
                out.push(Line::Person {
                    name,
                    open,
                    overdue,
                });
                for kind in GroupKind::ALL {
                    if kind == GroupKind::Completed && !s.show_completed {
                        continue;
                    }
                    let Some(group) = s.data.group(kind) else {
                        continue;
                    };
                    let ids: Vec<Uuid> = group.tasks.iter().filter(mine).map(|t| t.id).collect();
                    push_group(&mut out, s, kind, &ids, &mut section, true);
                }
            }
            let completed = s.data.count(GroupKind::Completed);
            if !s.show_completed && completed > 0 {
                section += 1;
                out.push(Line::Header {
                    kind: GroupKind::Completed,
                    count: completed,
                    collapsed: true,
                    section,
                    nested: false,
                });
            }
        }
    }
    out
}

fn push_group(
    out: &mut Vec<Line>,
    s: &InboxScreen,
    kind: GroupKind,
    ids: &[Uuid],
    section: &mut usize,
    nested: bool,
) {
    if ids.is_empty() {
        return;
    }
    *section += 1;
    let collapsed = kind == GroupKind::Completed && !s.show_completed;
    out.push(Line::Header {
        kind,
        count: ids.len(),
        collapsed,
        section: *section,
        nested,
    });
    if collapsed {
        return;
    }
    out.extend(ids.iter().map(|&id| Line::Task {
        id,
        kind,
        section: *section,
        nested,
    }));
}

/// The people with tasks, by name, "Unassigned" last.
fn people(s: &InboxScreen) -> Vec<(Option<Uuid>, String)> {
    let mut seen: Vec<(Option<Uuid>, String)> = Vec::new();
    for g in &s.data.groups {
        for t in &g.tasks {
            if !seen.iter().any(|(id, _)| *id == t.assigned_to) {
                let name = match t.assigned_to {
                    Some(_) => t
                        .assignee_name
                        .clone()
                        .unwrap_or_else(|| "(someone)".to_string()),
                    None => "Unassigned".to_string(),
                };
                seen.push((t.assigned_to, name));
            }
        }
    }
    seen.sort_by(|a, b| {
        a.0.is_none()
            .cmp(&b.0.is_none())
            .then_with(|| a.1.to_lowercase().cmp(&b.1.to_lowercase()))
            .then(a.0.cmp(&b.0))
    });
    seen
}

/// The first visible line so that the selected task is visible, with the headers right above it
/// when they fit, moving `offset` as little as possible.
pub fn scroll(lines: &[Line], offset: usize, selected: Option<Uuid>, height: usize) -> usize {
    if height == 0 || lines.is_empty() {
        return 0;
    }
    let max_offset = lines.len().saturating_sub(height);
    let mut offset = offset.min(max_offset);
    let Some(cur) = lines
        .iter()
        .position(|l| matches!(l, Line::Task { id, .. } if Some(*id) == selected))
    else {
        return offset;
    };
    let mut top = cur;
    while top > 0 && lines.get(top - 1).is_some_and(|l| !l.is_task()) {
        top -= 1;
    }
    if cur - top >= height {
        top = cur;
    }
    if top < offset {
        offset = top;
    }
    if cur >= offset + height {
        offset = cur + 1 - height;
    }
    offset.min(max_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(n: u128) -> Line {
        Line::Task {
            id: Uuid::from_u128(n),
            kind: GroupKind::Today,
            section: 1,
            nested: false,
        }
    }

    fn header() -> Line {
        Line::Header {
            kind: GroupKind::Today,
            count: 3,
            collapsed: false,
            section: 1,
            nested: false,
        }
    }

    #[test]
    fn scrolling_keeps_the_selection_and_its_header() {
        let lines = vec![header(), task(1), task(2), header(), task(3), task(4)];
        let sel = |n| Some(Uuid::from_u128(n));
        assert_eq!(scroll(&lines, 0, sel(1), 3), 0);
        assert_eq!(scroll(&lines, 0, sel(3), 3), 2);
        assert_eq!(scroll(&lines, 0, sel(4), 3), 3);
        // Going back up shows the header above the first task of a group.
        assert_eq!(scroll(&lines, 3, sel(3), 3), 3);
        assert_eq!(scroll(&lines, 3, sel(2), 3), 2);
        assert_eq!(scroll(&lines, 2, sel(1), 3), 0);
        assert_eq!(scroll(&lines, 5, sel(1), 1), 1);
        assert_eq!(scroll(&lines, 0, None, 0), 0);
    }
}
