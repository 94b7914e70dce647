//! Currencies on screen (issue 11): a board header with deals in other currencies beside the
//! organization's sum (never added to it), and the Deals tab with each deal's own symbol.

use super::board_ui::{Fake, id, loaded};
use super::harness::{ch, render};
use super::lead_ui::lead_open;
use closer::currency::Code;
use closer::state::{Screen, update};

fn code(text: &str) -> Code {
    Code::parse(text).expect("a code")
}

#[test]
fn snapshot_a_mixed_currency_header() {
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 120, 24);
    // One other currency: its largest amount beside the sum; two: `…` says there are more.
    let first = state.board.columns[0].stage.id;
    let second = state.board.columns[1].stage.id;
    state
        .board
        .summaries
        .entry(first)
        .or_default()
        .others
        .add(code("EUR"), 300_000.0);
    for (c, amount) in [("EUR", 1_200_000.0), ("GBP", 20_000.0)] {
        state
            .board
            .summaries
            .entry(second)
            .or_default()
            .others
            .add(code(c), amount);
    }
    state
        .board
        .closed
        .entry(id(0x104))
        .or_default()
        .others
        .add(code("EUR"), 45_000.0);
    let frame = render(&state, 120, 24);
    let text = frame.backend().to_string();
    // A narrow column flags them with the symbol; the closed header has room for the amount.
    assert!(text.contains("$3.5M +€ · w $831k"), "{text}");
    assert!(text.contains("$2.1M +€… · w $495k"), "{text}");
    assert!(text.contains("$1.2M +€45k · 3 won"), "{text}");
    assert!(text.contains("forecast $1.6M +€…"), "{text}");
    insta::assert_snapshot!("mixed_header", frame.backend());
    // Wide columns show the amount beside the sum.
    let wide = render(&state, 200, 24).backend().to_string();
    assert!(wide.contains("$3.5M +€300k · w $831k"), "{wide}");
}

#[test]
fn snapshot_deals_in_their_own_currencies() {
    let mut state = lead_open(120, 30);
    if let Screen::Lead(screen) = &mut state.screen
        && let Some(data) = screen.data.as_mut()
    {
        let mut euro = data.deals[0].clone();
        euro.id = id(0x8002);
        euro.name = "Harbour flat".into();
        euro.amount = 1_250_000.0;
        euro.currency = "EUR".into();
        let mut pounds = euro.clone();
        pounds.id = id(0x8003);
        pounds.name = "London pied-à-terre".into();
        pounds.amount = 20_000.5;
        pounds.currency = "GBP".into();
        data.deals.push(euro);
        data.deals.push(pounds);
    }
    update(&mut state, ch('4'));
    let frame = render(&state, 120, 30);
    let text = frame.backend().to_string();
    assert!(text.contains("€1,250,000"), "{text}");
    assert!(text.contains("£20,000.50"), "{text}");
    assert!(text.contains("$640,000"), "{text}");
    insta::assert_snapshot!("deals", frame.backend());
}

/// Issue 11's last item: a deal edit joins the undo history; `u` sends the old amount and
/// currency back against the version the edit left (a teammate's edit since is a conflict).
#[test]
fn a_deal_edit_is_undone_with_its_old_amount_and_currency() {
    use super::harness::{ctrl, key};
    use super::lead_ui::lead_effects;
    use closer::data::lead::DealChanges;
    use closer::state::Action;
    use closer::state::lead::{LeadAction, LeadEffect, Saved};
    use crossterm::event::KeyCode;

    let mut state = lead_open(120, 30);
    update(&mut state, ch('4'));
    update(&mut state, key(KeyCode::Enter));
    update(&mut state, key(KeyCode::Tab));
    update(&mut state, ctrl('u'));
    for c in "€700k".chars() {
        update(&mut state, ch(c));
    }
    let fx = update(&mut state, ctrl('s'));
    let request = match lead_effects(&fx).as_slice() {
        [
            LeadEffect::UpdateDeal {
                request, changes, ..
            },
        ] => {
            assert_eq!(
                *changes,
                DealChanges {
                    amount: Some(700_000.0),
                    currency: Some("EUR".into()),
                    ..DealChanges::default()
                }
            );
            *request
        }
        other => panic!("expected a deal update, got {other:?}"),
    };
    update(
        &mut state,
        Action::Lead(LeadAction::Saved {
            request,
            result: Ok(Saved::DealEdited { version: 3 }),
        }),
    );
    let fx = update(&mut state, ch('u'));
    match lead_effects(&fx).as_slice() {
        [
            LeadEffect::UpdateDeal {
                deal_id,
                version,
                changes,
                ..
            },
        ] => {
            assert_eq!((*deal_id, *version), (id(0x8001), 3));
            assert_eq!(
                *changes,
                DealChanges {
                    amount: Some(640_000.0),
                    currency: Some("USD".into()),
                    ..DealChanges::default()
                }
            );
        }
        other => panic!("expected the undo's deal update, got {other:?}"),
    }
    let shown = render(&state, 120, 30).backend().to_string();
    assert!(
        shown.contains("Undoing: edited deal “Unit 12B purchase”"),
        "{shown}"
    );
}

/// Insights and `closer report` sum the organization's currency (with its symbol) and list the
/// period's deals in other currencies apart, in no sum.
#[test]
fn insights_list_other_currencies_apart() {
    use closer::data::insights::OtherDeals;
    use closer::state::insights::rows;

    let mut insights = super::insights_ui::sample();
    insights.other_currencies = vec![
        OtherDeals {
            currency: "EUR".into(),
            status: "open".into(),
            count: 2,
            amount: 300_000.0,
        },
        OtherDeals {
            currency: "GBP".into(),
            status: "won".into(),
            count: 1,
            amount: 20_000.0,
        },
    ];
    let text: Vec<String> = rows(&insights)
        .iter()
        .map(|r| format!("{} {}", r.label, r.value))
        .collect();
    let text = text.join("\n");
    assert!(
        text.contains("Total $1,130,500 · weighted $534,250"),
        "{text}"
    );
    assert!(
        text.contains("Other currencies (in no sum above)"),
        "{text}"
    );
    assert!(text.contains("2 open €300,000 · 1 won £20,000"), "{text}");
}
