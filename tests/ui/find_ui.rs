//! Find and focus on the board: the filter bar (live errors pointing at the word, completion,
//! applying) and search hits that say where they matched. The fake backend of `board_ui`
//! applies only the free-text part of a filter; the real filtering is tested in tests/db/find.rs.

use super::board_ui::{Fake, column_names, loaded};
use super::harness::{ch, key, render};
use closer::data::models::{ColumnPage, LeadCard, LeadHit};
use closer::filter::{Filter, FilterChoices, Term};
use closer::state::popup::Popup;
use closer::state::{Action, Effect, State, update};
use crossterm::event::KeyCode;
use uuid::Uuid;

/// What the fake completes.
pub(crate) fn choices() -> FilterChoices {
    FilterChoices {
        owners: vec!["Ada Lovelace".into(), "Ana Silva".into()],
        tags: vec!["hot".into(), "vip".into()],
        sources: vec!["referral".into(), "website".into()],
    }
}

/// The fake's filtering: cards whose name contains every free-text word.
pub(crate) fn text_matches(cards: &[LeadCard], filter: &Filter) -> Vec<LeadCard> {
    let words: Vec<String> = filter
        .terms
        .iter()
        .filter_map(|t| match t {
            Term::Text(t) => Some(t.to_lowercase()),
            _ => None,
        })
        .collect();
    cards
        .iter()
        .filter(|c| words.iter().all(|w| c.name.to_lowercase().contains(w)))
        .cloned()
        .collect()
}

pub(crate) fn only_text_matches(mut page: ColumnPage, filter: &Filter) -> ColumnPage {
    page.cards = text_matches(&page.cards, filter);
    page
}

fn type_text(fake: &mut Fake, state: &mut State, text: &str) {
    for c in text.chars() {
        let fx = update(state, ch(c));
        fake.drive(state, fx, false);
    }
}

fn bar_input(state: &State) -> String {
    match &state.popup {
        Some(Popup::FilterBar(bar)) => bar.input.clone(),
        other => panic!("the filter bar is not open: {other:?}"),
    }
}

fn open_bar(fake: &mut Fake) -> State {
    let mut state = loaded(fake, 100, 24);
    let fx = update(&mut state, ch('f'));
    assert!(
        fx.iter().any(|e| matches!(
            e,
            Effect::Board(closer::state::BoardEffect::LoadFilterChoices { .. })
        )),
        "the completion lists are asked for: {fx:?}"
    );
    fake.drive(&mut state, fx, false);
    state
}

#[test]
fn snapshot_filter_bar_completes_owners() {
    let mut fake = Fake::new();
    let mut state = open_bar(&mut fake);
    type_text(&mut fake, &mut state, "rotting owner:a");
    insta::assert_snapshot!("filter_bar_completion", render(&state, 100, 24).backend());
    let fx = update(&mut state, key(KeyCode::Down));
    fake.drive(&mut state, fx, false);
    update(&mut state, key(KeyCode::Tab));
    assert_eq!(bar_input(&state), "rotting owner:\"Ana Silva\" ");
}

#[test]
fn snapshot_filter_bar_points_at_the_wrong_word() {
    let mut fake = Fake::new();
    let mut state = open_bar(&mut fake);
    type_text(&mut fake, &mut state, "mine ower:ana score:>70");
    insta::assert_snapshot!("filter_bar_error", render(&state, 100, 24).backend());
    // Enter keeps the bar open with the reason; nothing is read.
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(bar_input(&state), "mine ower:ana score:>70");
}

#[test]
fn tab_completes_keys_and_tags() {
    let mut fake = Fake::new();
    let mut state = open_bar(&mut fake);
    type_text(&mut fake, &mut state, "ta");
    update(&mut state, key(KeyCode::Tab));
    type_text(&mut fake, &mut state, "v");
    update(&mut state, key(KeyCode::Tab));
    assert_eq!(bar_input(&state), "tag:vip ");
}

#[test]
fn snapshot_applied_filter_narrows_columns_and_stays_visible() {
    let mut fake = Fake::new();
    let mut state = open_bar(&mut fake);
    let before: usize = (0..state.board.columns.len())
        .map(|c| column_names(&state, c).len())
        .sum();
    type_text(&mut fake, &mut state, "grace");
    let fx = update(&mut state, key(KeyCode::Enter));
    assert!(state.popup.is_none());
    assert!(
        fx.iter().any(|e| matches!(e, Effect::Board(closer::state::BoardEffect::LoadSummaries { filter, .. }) if !filter.is_empty())),
        "the totals are re-read through the filter: {fx:?}"
    );
    fake.drive(&mut state, fx, false);
    let after: Vec<String> = (0..state.board.columns.len())
        .flat_map(|c| column_names(&state, c))
        .collect();
    assert!(!after.is_empty() && after.len() < before, "{after:?}");
    assert!(
        after.iter().all(|n| n.to_lowercase().contains("grace")),
        "{after:?}"
    );
    insta::assert_snapshot!("filter_applied", render(&state, 100, 24).backend());
    // `f` again shows the active filter; clearing it and Enter shows everything again.
    update(&mut state, ch('f'));
    assert_eq!(bar_input(&state), "grace ");
    update(
        &mut state,
        closer::state::Action::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('u'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    let fx = update(&mut state, key(KeyCode::Enter));
    fake.drive(&mut state, fx, false);
    assert!(state.board.filter.is_empty());
    let all: usize = (0..state.board.columns.len())
        .map(|c| column_names(&state, c).len())
        .sum();
    assert_eq!(all, before);
}

/// After a filter change the headers wait for the filter's own totals (`…`) instead of showing
/// the last filter's next to the new cards; the won/lost headers and the forecast too.
#[test]
fn headers_wait_for_the_filters_own_totals() {
    let mut fake = Fake::new();
    let mut state = open_bar(&mut fake);
    let header = |state: &State| {
        let screen = super::harness::screen_text(&render(state, 100, 24));
        let mut lines = screen.lines();
        let names = lines.next().unwrap_or_default().to_string();
        let figures = lines.next().unwrap_or_default().to_string();
        (names, figures, screen)
    };
    let (names, figures, screen) = header(&state);
    assert!(
        figures.contains('$') && !figures.contains('…') && !names.contains('…'),
        "{screen}"
    );
    type_text(&mut fake, &mut state, "grace");
    let fx = update(&mut state, key(KeyCode::Enter));
    let (totals, pages): (Vec<Effect>, Vec<Effect>) = fx.into_iter().partition(|e| {
        matches!(
            e,
            Effect::Board(closer::state::BoardEffect::LoadSummaries { .. })
        )
    });
    assert_eq!(totals.len(), 1, "one count of the filter's totals");
    let held = fake.drive(&mut state, pages, false);
    assert!(held.is_empty(), "{held:?}");
    let (names, figures, screen) = header(&state);
    assert!(
        names.contains('…') && !names.chars().any(|c| c.is_ascii_digit()),
        "counts wait: {screen}"
    );
    assert!(!figures.contains('$'), "amounts wait: {screen}");
    assert!(screen.contains("forecast …"), "{screen}");
    assert!(
        column_names(&state, 0)
            .iter()
            .all(|n| n.to_lowercase().contains("grace")),
        "the filtered cards show meanwhile"
    );
    fake.drive(&mut state, totals, false);
    let (names, figures, screen) = header(&state);
    assert!(
        !names.contains('…') && names.chars().any(|c| c.is_ascii_digit()),
        "the filter's counts: {screen}"
    );
    assert!(figures.contains('$') && !figures.contains('…'), "{screen}");
    assert!(!screen.contains("forecast …"), "{screen}");
}

#[test]
fn snapshot_search_hits_say_where_they_matched() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 24);
    update(&mut state, ch('/'));
    let mut fx = Vec::new();
    for c in "rooftop".chars() {
        fx = update(&mut state, ch(c));
    }
    let Some(Effect::StartDebounce { token, .. }) = fx.first() else {
        panic!("expected a debounce, got {fx:?}");
    };
    let stage = state.board.columns[0].stage.id;
    fake.hits = vec![
        LeadHit {
            id: Uuid::from_u128(0x1001),
            name: "Grace Hopper".to_string(),
            company: Some("Navy Labs".to_string()),
            stage_id: stage,
            matched: Some("call: We discussed the «rooftop» terrace financing".to_string()),
        },
        LeadHit {
            id: Uuid::from_u128(0x1002),
            name: "Jürgen Müller".to_string(),
            company: None,
            stage_id: stage,
            matched: Some("name (spelling)".to_string()),
        },
    ];
    let fx = update(&mut state, Action::DebounceElapsed(*token));
    fake.drive(&mut state, fx, false);
    insta::assert_snapshot!("search_snippets", render(&state, 100, 24).backend());
}

fn view(
    name: &str,
    filter: &str,
    default: bool,
    mine: bool,
    shared: bool,
) -> closer::data::views::SavedView {
    closer::data::views::SavedView {
        id: Uuid::new_v4(),
        name: name.to_string(),
        filter: filter.to_string(),
        sort: closer::data::models::BoardSort::Newest,
        descending: true,
        pipeline_id: None,
        shared,
        is_default: default,
        mine,
    }
}

#[test]
fn the_default_view_is_the_start_view_and_f_upper_picks_views() {
    let mut fake = Fake::new();
    fake.views = vec![
        view("Graces", "grace", true, true, false),
        view("Team: Alan", "alan", false, false, true),
    ];
    let mut state = loaded(&mut fake, 100, 24);
    assert_eq!(
        state.board.filter.to_string(),
        "grace",
        "the default view applies at start"
    );
    assert_eq!(state.board.sort, closer::data::models::BoardSort::Newest);
    let fx = update(&mut state, ch('F'));
    fake.drive(&mut state, fx, false);
    insta::assert_snapshot!("views_picker", render(&state, 100, 24).backend());
    let fx = update(&mut state, key(KeyCode::Down));
    fake.drive(&mut state, fx, false);
    let fx = update(&mut state, key(KeyCode::Enter));
    fake.drive(&mut state, fx, false);
    assert_eq!(state.board.filter.to_string(), "alan");
    let names: Vec<String> = (0..state.board.columns.len())
        .flat_map(|c| column_names(&state, c))
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n.contains("Alan")),
        "{names:?}"
    );
}

#[test]
fn ctrl_s_in_the_filter_bar_saves_the_view() {
    let mut fake = Fake::new();
    let mut state = open_bar(&mut fake);
    type_text(&mut fake, &mut state, "mine rotting");
    let fx = update(
        &mut state,
        Action::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('s'),
            crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    let saved = fx.iter().find_map(|e| match e {
        Effect::Board(closer::state::BoardEffect::SaveView { name, filter, .. }) => {
            Some((name.clone(), filter.to_string()))
        }
        _ => None,
    });
    assert_eq!(
        saved,
        Some(("mine rotting".to_string(), "mine rotting".to_string()))
    );
    assert!(state.popup.is_none());
    assert_eq!(state.board.filter.to_string(), "mine rotting");
    fake.drive(&mut state, fx, false);
}

fn view_write(fx: &[Effect]) -> Option<closer::data::views::ViewOp> {
    fx.iter().find_map(|e| match e {
        Effect::Board(closer::state::BoardEffect::WriteView { op, .. }) => Some(op.clone()),
        _ => None,
    })
}

/// Issue 12: in the picker the person renames, deletes, shares (managers) and picks the start
/// view of their own views; a teammate's shared view is read-only; the footer hints come from
/// the bindings.
#[test]
fn the_views_picker_manages_own_views_and_leaves_team_views_alone() {
    use closer::data::views::ViewOp;
    let mut fake = Fake::new();
    let own = view("Graces", "grace", false, true, false);
    let team = view("Team: Alan", "alan", false, false, true);
    let (own_id, team_id) = (own.id, team.id);
    fake.views = vec![own, team];
    let mut state = loaded(&mut fake, 100, 24);
    state.board.lifecycle.role = Some(closer::data::models::MemberRole::Rep);
    let fx = update(&mut state, ch('F'));
    fake.drive(&mut state, fx, false);
    insta::assert_snapshot!("views_picker_manage", render(&state, 100, 24).backend());

    // Rename: a prompt holding the name; Enter sends the new one.
    update(&mut state, ch('r'));
    let Some(Popup::Prompt(p)) = &state.popup else {
        panic!("r opens the rename prompt");
    };
    assert_eq!(p.input, "Graces");
    update(&mut state, key(KeyCode::Backspace));
    let fx = update(&mut state, key(KeyCode::Enter));
    assert_eq!(
        view_write(&fx),
        Some(ViewOp::Rename {
            view: own_id,
            name: "Grace".into()
        })
    );
    fake.drive(&mut state, fx, false);
    assert!(
        matches!(state.popup, Some(Popup::Picker(_))),
        "the picker opens again on the views read again"
    );

    // Start view, then a rep's share is refused with a sentence (nothing sent).
    let fx = update(&mut state, ch('*'));
    assert_eq!(
        view_write(&fx),
        Some(ViewOp::Default { view: Some(own_id) })
    );
    fake.drive(&mut state, fx, false);
    let fx = update(&mut state, ch('s'));
    assert_eq!(view_write(&fx), None);
    let said = state
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(said.contains("Only managers and admins"), "{said}");

    // A teammate's shared view: read-only.
    update(&mut state, key(KeyCode::Down));
    for c in ['r', 'd', 's', '*'] {
        let fx = update(&mut state, ch(c));
        assert_eq!(view_write(&fx), None, "{c} on a team view");
        let said = state
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default();
        assert!(said.contains("read-only"), "{said}");
    }
    let Some(Popup::Picker(p)) = &state.popup else {
        panic!("the picker stays open");
    };
    assert_eq!(p.items.get(p.selected).map(|i| i.id), Some(team_id));

    // Delete one's own view.
    update(&mut state, key(KeyCode::Up));
    let fx = update(&mut state, ch('d'));
    assert_eq!(view_write(&fx), Some(ViewOp::Delete { view: own_id }));
}

/// The palette lists "Saved views…" and each view by name; running one shows it on the board.
#[test]
fn the_palette_lists_saved_views() {
    let mut fake = Fake::new();
    fake.views = vec![view("Team: Alan", "alan", false, false, true)];
    let mut state = loaded(&mut fake, 100, 24);
    update(&mut state, ch('i'));
    update(&mut state, ch(':'));
    for c in "alan".chars() {
        let fx = update(&mut state, ch(c));
        fake.drive(&mut state, fx, false);
    }
    let Some(Popup::Palette(p)) = &state.popup else {
        panic!("the palette is open");
    };
    let entries = closer::state::popup::palette::entries(&state, p);
    assert_eq!(
        entries.first().map(|e| e.label.as_str()),
        Some("View Team: Alan")
    );
    let labels: Vec<String> = closer::state::popup::palette::entries(
        &state,
        &closer::state::popup::palette::Palette::default(),
    )
    .into_iter()
    .map(|e| e.label)
    .collect();
    assert!(labels.iter().any(|l| l == "Saved views…"), "{labels:?}");
    let fx = update(&mut state, key(KeyCode::Enter));
    fake.drive(&mut state, fx, false);
    assert_eq!(state.screen, closer::state::Screen::Board);
    assert_eq!(state.board.filter.to_string(), "alan");
}
