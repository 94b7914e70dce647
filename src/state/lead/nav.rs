//! The lead screen's commands: tabs, selection, walking the board column, documents.

use super::*;

pub(crate) fn command(state: &mut State, cmd: Command) -> Vec<Effect> {
    let Screen::Lead(screen) = &mut state.screen else {
        return Vec::new();
    };
    let ready = screen.data.is_some();
    match cmd {
        Command::Back => {
            state.screen = Screen::Board;
            Vec::new()
        }
        Command::NextTab => set_tab(screen, screen.tab.step(true)),
        Command::PrevTab => set_tab(screen, screen.tab.step(false)),
        Command::TabOverview => set_tab(screen, Tab::Overview),
        Command::TabTimeline => set_tab(screen, Tab::Timeline),
        Command::TabTasks => set_tab(screen, Tab::Tasks),
        Command::TabDeals => set_tab(screen, Tab::Deals),
        Command::TabDocuments => set_tab(screen, Tab::Documents),
        Command::Up => select_by(state, -1),
        Command::Down => select_by(state, 1),
        Command::PageUp => page(state, -1),
        Command::PageDown => page(state, 1),
        Command::Top => select_by(state, isize::MIN),
        Command::Bottom => select_by(state, isize::MAX),
        Command::PrevLead => step_lead(state, -1),
        Command::NextLead => step_lead(state, 1),
        Command::FilterTimeline => {
            screen.tab = Tab::Timeline;
            let selected = FILTERS
                .iter()
                .position(|(_, f)| *f == screen.filter)
                .unwrap_or(0);
            popup::show(state, Popup::Filter { selected });
            Vec::new()
        }
        Command::ExpandEntry => match screen.tab {
            Tab::Timeline => {
                if let Some(id) = screen.selected_entry().map(|e| e.id) {
                    screen.expanded = (screen.expanded != Some(id)).then_some(id);
                    screen.expanded_scroll = 0;
                }
                Vec::new()
            }
            Tab::Deals => forms::open_deal(state, true),
            _ => Vec::new(),
        },
        Command::OpenDocument => open_document(state),
        Command::Undo => crate::state::history::undo(state),
        Command::ChangeLeadOwner
        | Command::DeleteLead
        | Command::CopyEmail
        | Command::CopyPhone => crate::state::lifecycle::command(state, cmd),
        Command::LogInteraction if ready => forms::open_capture(state),
        Command::AddTask if ready => forms::open_task(state),
        Command::EditLead if ready => forms::open_edit(state),
        Command::AddTag if ready => popup::tags::open(state),
        Command::AddDeal if ready => forms::open_deal(state, false),
        Command::AddDocument if ready => forms::open_document(state),
        Command::CompleteTask | Command::Reschedule if ready => {
            if screen.tab != Tab::Tasks {
                screen.tab = Tab::Tasks;
                return Vec::new();
            }
            if cmd == Command::CompleteTask {
                forms::complete_task(state)
            } else {
                forms::open_reschedule(state)
            }
        }
        Command::LogInteraction
        | Command::AddTask
        | Command::EditLead
        | Command::AddTag
        | Command::AddDeal
        | Command::AddDocument
        | Command::CompleteTask
        | Command::Reschedule => {
            let why = match &screen.status {
                LeadStatus::Gone => "This lead was deleted or is no longer visible to you",
                _ => "The lead is still loading",
            };
            state.info(why);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

pub(crate) fn set_tab(screen: &mut LeadScreen, tab: Tab) -> Vec<Effect> {
    screen.tab = tab;
    Vec::new()
}

pub(crate) fn select_by(state: &mut State, delta: isize) -> Vec<Effect> {
    let area = crate::state::layout::frame(
        ratatui::layout::Rect::new(0, 0, state.size.0, state.size.1),
        state.message.is_some(),
    )
    .body;
    let now = state.now;
    let Screen::Lead(screen) = &mut state.screen else {
        return Vec::new();
    };
    let i = screen.tab.index();
    if screen.tab == Tab::Overview {
        // Scrolls, no further than the last screenful.
        let total = screen
            .detail()
            .map_or(0, |d| overview::lines(d, screen.tz, now).len());
        let max = total.saturating_sub(
            usize::from(geometry::layout(area).body.height)
                * geometry::overview_columns(area.width),
        );
        screen.selected[i] = screen.selected[i].saturating_add_signed(delta).min(max);
        return Vec::new();
    }
    let rows = screen.rows();
    let before = screen.selected[i];
    screen.selected[i] = before
        .saturating_add_signed(delta)
        .min(rows.saturating_sub(1));
    if screen.tab == Tab::Timeline && screen.selected[i] != before {
        screen.expanded_scroll = 0;
    }
    let visible = geometry::visible_items(area, screen.tab);
    screen.offset[i] =
        crate::state::layout::card_offset(screen.offset[i], screen.selected[i], rows, visible);
    Vec::new()
}

/// Page keys: scroll an expanded timeline entry's content, else move by a page.
pub(crate) fn page(state: &mut State, dir: isize) -> Vec<Effect> {
    let rows = isize::try_from(state.size.1 / 2).unwrap_or(10).max(1);
    if let Screen::Lead(screen) = &mut state.screen
        && screen.tab == Tab::Timeline
        && screen.expanded.is_some()
        && screen.selected_entry().map(|e| e.id) == screen.expanded
    {
        screen.expanded_scroll = screen.expanded_scroll.saturating_add_signed(dir * rows);
        return Vec::new();
    }
    select_by(state, dir * rows)
}

/// `[` / `]`: the previous / next lead of the board column the rep came from. The board's
/// selection follows, so Esc lands on the last lead seen (and the column pages in more leads
/// as the end nears).
pub(crate) fn step_lead(state: &mut State, delta: isize) -> Vec<Effect> {
    let Screen::Lead(screen) = &state.screen else {
        return Vec::new();
    };
    let (lead_id, origin_index) = (screen.lead_id, screen.origin_index);
    let Some(stage) = screen.origin else {
        state.info("Open a lead from the board to walk its column with [ ]");
        return Vec::new();
    };
    let Some(ci) = state.board.column_index(stage) else {
        state.info("That column is no longer on the board");
        return Vec::new();
    };
    let Some(col) = state.board.columns.get_mut(ci) else {
        return Vec::new();
    };
    let here = col.position(lead_id).unwrap_or(origin_index);
    let Some(target) = here.checked_add_signed(delta) else {
        let msg = format!("First lead in {}", col.stage.name);
        state.info(msg);
        return Vec::new();
    };
    let Some(card) = col.cards.get(target) else {
        let msg = if col.loading.is_some() || col.next_cursor.is_some() {
            "Loading more leads…".to_string()
        } else {
            format!("Last lead in {}", col.stage.name)
        };
        state.info(msg);
        return Vec::new();
    };
    let (id, name) = (card.id, card.name.clone());
    col.selected = target;
    state.board.selected = ci;
    let fx = open(state, id, name);
    if let Screen::Lead(screen) = &mut state.screen {
        screen.origin = Some(stage);
        screen.origin_index = target;
    }
    fx
}

/// `o`: opens the selected document's file or URL with the system opener.
pub(crate) fn open_document(state: &mut State) -> Vec<Effect> {
    let Screen::Lead(screen) = &mut state.screen else {
        return Vec::new();
    };
    if screen.tab != Tab::Documents {
        screen.tab = Tab::Documents;
        return Vec::new();
    }
    let Some(doc) = screen.selected_document() else {
        state.info("No document to open (a adds one)");
        return Vec::new();
    };
    let target = doc.file_url.trim().to_string();
    let name = doc.file_name.clone();
    match openable(&target) {
        Ok(()) => {
            state.info(format!("Opening {name}…"));
            vec![Effect::Lead(LeadEffect::Open { target })]
        }
        Err(why) => {
            state.error(why);
            Vec::new()
        }
    }
}
