//! Teammates' changes on the board: re-read only the columns a change names.

use super::{BoardEffect, BoardStatus};
use crate::data::live::{Change, Scope};
use crate::state::{Effect, Screen, State};

/// Columns named by `change` become stale (`settle` re-reads the first page of the visible
/// ones; the others when they scroll into view) and the headers are re-read once. A change
/// naming every stage (or a stage definition change) reloads the board.
pub(super) fn live_change(state: &mut State, change: &Change) -> Vec<Effect> {
    let board = &mut state.board;
    if board.status != BoardStatus::Ready {
        // The first load is still coming; it will show the change.
        return Vec::new();
    }
    let on_screen = state.screen == Screen::Board && board.pending.is_empty();
    if change.stages == Scope::All {
        if on_screen {
            let request = state.next_id();
            state.board.load_request = Some(request);
            return vec![
                BoardEffect::Load {
                    request,
                    pipeline_id: state.board.pipeline_id,
                }
                .into(),
            ];
        }
        for col in &mut state.board.columns {
            col.stale = true;
        }
        return Vec::new();
    }
    let mut touched = false;
    for col in &mut board.columns {
        if change.stages.contains(col.stage.id) {
            col.stale = true;
            touched = true;
        }
    }
    // Another pipeline's columns: nothing to read. With a move in flight the totals are
    // re-read when it settles. A newer request replaces one in flight (it may predate this).
    if !touched || !board.pending.is_empty() {
        return Vec::new();
    }
    let Some(pipeline_id) = board.pipeline_id else {
        return Vec::new();
    };
    // Filtered totals are a count, not the maintained headers: one at a time.
    if !board.filter.is_empty() && board.summaries_request.is_some() {
        board.summaries_owed = true;
        return Vec::new();
    }
    let request = state.next_id();
    state.board.summaries_request = Some(request);
    state.board.summaries_owed = false;
    vec![
        BoardEffect::LoadSummaries {
            request,
            pipeline_id,
            filter: state.board.filter.clone(),
        }
        .into(),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use uuid::Uuid;

    use crate::config::keymap::Keymap;
    use crate::data::live::{Change, LiveEvent, Scope};
    use crate::data::models::Stage;
    use crate::state::{
        Action, BoardAction, BoardData, BoardEffect, Effect, Options, State, Viewer, update,
    };

    /// A board of three columns, loaded, every first page answered (nothing in flight).
    fn board() -> (State, Uuid, Vec<Uuid>) {
        let mut state = State::new(
            Viewer {
                organization: "Org".into(),
                person: "Rep".into(),
            },
            Keymap::default(),
            Options::default(),
            chrono::Utc::now(),
        );
        update(
            &mut state,
            Action::Resize {
                width: 300,
                height: 50,
            },
        );
        let request = state
            .start()
            .into_iter()
            .find_map(|e| match e {
                Effect::Board(BoardEffect::Load { request, .. }) => Some(request),
                _ => None,
            })
            .expect("the board loads first");
        let pipeline = Uuid::new_v4();
        let stages: Vec<Stage> = (0..3)
            .map(|i| Stage {
                id: Uuid::new_v4(),
                pipeline_id: pipeline,
                name: format!("S{i}"),
                order_index: i,
                color: "#888888".into(),
                is_won: false,
                is_lost: false,
                rotting_days: None,
            })
            .collect();
        let ids = stages.iter().map(|s| s.id).collect();
        let data = BoardData {
            pipelines: Vec::new(),
            pipeline_id: Some(pipeline),
            stages,
            summaries: HashMap::new(),
        };
        let fx = update(
            &mut state,
            Action::Board(BoardAction::Loaded {
                request,
                result: Ok(data),
            }),
        );
        assert_eq!(fx.len(), 3, "first pages requested: {fx:?}");
        for col in &mut state.board.columns {
            col.loading = None;
        }
        (state, pipeline, ids)
    }

    fn live(state: &mut State, leads: Scope, stages: Scope) -> Vec<Effect> {
        update(
            state,
            Action::Live(LiveEvent::Changed(Change { leads, stages })),
        )
    }

    fn columns(fx: &[Effect]) -> BTreeSet<Uuid> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Board(BoardEffect::LoadColumn { stage_id, .. }) => Some(*stage_id),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn named_columns_and_headers_are_reread_and_nothing_else() {
        let (mut state, pipeline, ids) = board();
        let fx = live(
            &mut state,
            Scope::Ids([Uuid::new_v4()].into()),
            Scope::Ids([ids[0], ids[2]].into()),
        );
        assert_eq!(columns(&fx), [ids[0], ids[2]].into());
        assert!(fx.contains(&Effect::Board(BoardEffect::LoadSummaries {
            request: state.board.summaries_request.expect("headers requested"),
            pipeline_id: pipeline,
            filter: Default::default(),
        })));
        assert!(
            !fx.iter()
                .any(|e| matches!(e, Effect::Board(BoardEffect::Load { .. }))),
            "{fx:?}"
        );
    }

    #[test]
    fn another_pipelines_stages_cost_nothing_and_everything_reloads_the_board() {
        let (mut state, _, _) = board();
        let fx = live(
            &mut state,
            Scope::All,
            Scope::Ids([Uuid::new_v4(), Uuid::new_v4()].into()),
        );
        assert!(
            fx.iter().all(|e| matches!(e, Effect::LoadOverdue { .. })),
            "only the capped overdue count: {fx:?}"
        );
        let fx = live(&mut state, Scope::All, Scope::All);
        assert_eq!(
            fx.iter()
                .filter(|e| matches!(e, Effect::Board(BoardEffect::Load { .. })))
                .count(),
            1
        );
    }

    fn summaries(fx: &[Effect]) -> Vec<crate::state::RequestId> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Board(BoardEffect::LoadSummaries { request, .. }) => Some(*request),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn filtered_totals_are_counted_one_at_a_time_however_many_teammates_write() {
        let (mut state, _, ids) = board();
        state.board.filter = crate::filter::parse("mine").expect("parses");
        let change = |state: &mut State| {
            live(
                state,
                Scope::Ids([Uuid::new_v4()].into()),
                Scope::Ids([ids[1]].into()),
            )
        };
        let first = summaries(&change(&mut state));
        assert_eq!(first.len(), 1);
        for _ in 0..5 {
            assert!(
                summaries(&change(&mut state)).is_empty(),
                "one count in flight"
            );
        }
        let answer = |state: &mut State, request| {
            update(
                state,
                Action::Board(BoardAction::SummariesLoaded {
                    request,
                    result: Ok(HashMap::new()),
                }),
            )
        };
        // The changes that arrived meanwhile are counted once more, then nothing is owed.
        let again = summaries(&answer(&mut state, first[0]));
        assert_eq!(again.len(), 1);
        assert!(summaries(&answer(&mut state, again[0])).is_empty());
        // Without a filter the headers are the maintained sums: every change re-reads them.
        state.board.filter = Default::default();
        assert_eq!(summaries(&change(&mut state)).len(), 1);
        assert_eq!(summaries(&change(&mut state)).len(), 1);
    }
}
