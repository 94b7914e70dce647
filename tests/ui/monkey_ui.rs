//! "Impossible to break by typing": thousands of random keys, pastes, clicks, resizes and
//! commands through the real reducer and the real widgets, every frame drawn. The board's data
//! comes from the in-memory fake of `board_ui`, a lead screen's from `lead_ui`'s fixture, the
//! inbox's from `inbox_ui`'s; the other screens stay as their requests left them (loading),
//! which is part of what is tried.
//!
//! A failure prints the seed and the last actions, so the run can be replayed exactly.

use super::board_ui::{Fake, loaded};
use super::harness::render;
use closer::config::keymap::Command;
use closer::data::live::LiveEvent;
use closer::state::inbox::{InboxAction, InboxEffect};
use closer::state::lead::{LeadAction, LeadEffect};
use closer::state::{Action, Effect, State, update};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use std::collections::{BTreeSet, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// xorshift64*: reproducible from a seed, no dependency.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n.max(1) as u64).unwrap_or(0)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const TYPED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const ODD: &[char] = &[
    'é', 'ß', '漢', '字', '🦀', '\u{200d}', '\u{202e}', '\u{0301}', '\u{7f}', '\u{1b}', '\t',
    '\u{0}', '\u{feff}', 'Ω',
];
const SPECIAL: &[KeyCode] = &[
    KeyCode::Enter,
    KeyCode::Esc,
    KeyCode::Tab,
    KeyCode::BackTab,
    KeyCode::Backspace,
    KeyCode::Delete,
    KeyCode::Left,
    KeyCode::Right,
    KeyCode::Up,
    KeyCode::Down,
    KeyCode::Home,
    KeyCode::End,
    KeyCode::PageUp,
    KeyCode::PageDown,
    KeyCode::Insert,
    KeyCode::F(1),
    KeyCode::F(5),
    KeyCode::F(12),
    KeyCode::Null,
];

fn random_text(dice: &mut Dice, max: usize) -> String {
    let len = dice.below(max + 1);
    (0..len)
        .map(|_| {
            if dice.below(6) == 0 {
                dice.pick(ODD)
            } else {
                let typed: Vec<char> = TYPED.chars().collect();
                dice.pick(&typed)
            }
        })
        .collect()
}

fn random_action(dice: &mut Dice, size: (u16, u16)) -> Action {
    let typed: Vec<char> = TYPED.chars().collect();
    let key = |code, modifiers| Action::Key(KeyEvent::new(code, modifiers));
    match dice.below(100) {
        0..=34 => {
            let c = dice.pick(&typed);
            let shift = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            key(KeyCode::Char(c), shift)
        }
        35..=64 => key(dice.pick(SPECIAL), KeyModifiers::NONE),
        65..=71 => {
            let letters: Vec<char> = ('a'..='z').collect();
            let modifiers = dice.pick(&[KeyModifiers::CONTROL, KeyModifiers::ALT]);
            key(KeyCode::Char(dice.pick(&letters)), modifiers)
        }
        72..=75 => key(KeyCode::Char(dice.pick(ODD)), KeyModifiers::NONE),
        76..=79 => Action::Paste(if dice.below(10) == 0 {
            // A pasted 10 kB cell with newlines in it.
            "x\n".repeat(5_000)
        } else {
            random_text(dice, 40)
        }),
        80..=83 => {
            let kind = dice.pick(&[
                MouseEventKind::Down(MouseButton::Left),
                MouseEventKind::Up(MouseButton::Left),
                MouseEventKind::ScrollDown,
                MouseEventKind::ScrollUp,
                MouseEventKind::Down(MouseButton::Right),
            ]);
            Action::Mouse(MouseEvent {
                kind,
                column: u16::try_from(dice.below(usize::from(size.0) + 5)).unwrap_or(0),
                row: u16::try_from(dice.below(usize::from(size.1) + 5)).unwrap_or(0),
                modifiers: KeyModifiers::NONE,
            })
        }
        84..=86 => {
            // Mostly usable sizes, sometimes absurd ones.
            let (width, height) = if dice.below(4) == 0 {
                (dice.below(12), dice.below(6))
            } else {
                (20 + dice.below(160), 8 + dice.below(50))
            };
            Action::Resize {
                width: u16::try_from(width).unwrap_or(0),
                height: u16::try_from(height).unwrap_or(0),
            }
        }
        87..=93 => Action::Command(dice.pick(Command::ALL)),
        94..=95 => Action::Tick,
        96 => Action::DebounceElapsed(dice.next() % 64),
        97 => Action::Live(LiveEvent::Reconnected),
        98 => Action::Live(LiveEvent::Disconnected(random_text(dice, 30))),
        _ => key(KeyCode::Esc, KeyModifiers::NONE),
    }
}

/// Answers what the fakes can (the board, a lead's load) until nothing answerable is left.
fn settle(fake: &mut Fake, state: &mut State, effects: Vec<Effect>) {
    let mut queue: VecDeque<Effect> = effects.into();
    let mut rounds = 0;
    while let Some(effect) = queue.pop_front() {
        rounds += 1;
        assert!(rounds < 10_000, "effects keep causing effects: {effect:?}");
        let action = match &effect {
            Effect::Lead(LeadEffect::Load {
                request, lead_id, ..
            }) => Some(Action::Lead(LeadAction::Loaded {
                request: *request,
                result: Ok(Some(Box::new(super::lead_ui::data(
                    *lead_id,
                    "Grace Hopper",
                )))),
            })),
            Effect::Inbox(InboxEffect::Load { request, .. }) => {
                Some(Action::Inbox(InboxAction::Loaded {
                    request: *request,
                    result: Ok(super::inbox_ui::mixed()),
                }))
            }
            other => fake.answer(other),
        };
        if let Some(action) = action {
            queue.extend(update(state, action));
        }
    }
}

/// The variant name of a screen or popup (`Lead(…)` → `Lead`).
fn variant(debug: String) -> String {
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Runs `steps` random actions; returns the screens and popups it reached.
fn run(seed: u64, steps: usize) -> BTreeSet<String> {
    let mut reached = BTreeSet::new();
    let mut dice = Dice(seed);
    let mut fake = Fake::new();
    let mut state = loaded(&mut fake, 100, 30);
    let mut recent: VecDeque<String> = VecDeque::new();
    for step in 0..steps {
        let action = random_action(&mut dice, state.size);
        recent.push_back(format!("{action:?}").chars().take(120).collect());
        if recent.len() > 12 {
            recent.pop_front();
        }
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let effects = update(&mut state, action);
            settle(&mut fake, &mut state, effects);
            let (width, height) = state.size;
            render(&state, width, height);
        }));
        if outcome.is_err() {
            panic!(
                "seed {seed:#x}, step {step}: the app panicked; last actions:\n{}",
                Vec::from(recent).join("\n")
            );
        }
        reached.insert(format!("screen {}", variant(format!("{:?}", state.screen))));
        if let Some(popup) = &state.popup {
            reached.insert(format!("popup {}", variant(format!("{popup:?}"))));
        }
    }
    reached
}

#[test]
fn random_typing_never_panics() {
    let mut reached = BTreeSet::new();
    for seed in [0x5EED_0001_u64, 0xC10_5E12, 0xDEAD_BEEF, 0x1234_5678_9ABC] {
        reached.extend(run(seed, 3_000));
    }
    // The run went somewhere: several screens and many kinds of popup were open at some point.
    let screens = reached.iter().filter(|r| r.starts_with("screen ")).count();
    let popups = reached.iter().filter(|r| r.starts_with("popup ")).count();
    assert!(screens >= 4 && popups >= 10, "reached only {reached:?}");
    eprintln!("reached {reached:?}");
}
