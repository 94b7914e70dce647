//! Bracketed paste: pasted text goes into the focused field as text, never as keys, so a
//! newline in it can never confirm a form. Multi-line fields keep the newlines; one-line fields
//! get a space for each line break. What does not fit under the field's limit is cut and the rep
//! is told how much.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::popup::{NewTaskField, Popup};
use super::{Effect, State};
use crate::state::lead::input::TextInput;

/// Pasted text made fit for a field: `\r\n` and `\r` are line breaks; in a one-line field every
/// run of line breaks and tabs becomes one space and the ends are trimmed of them; other
/// control characters are dropped.
pub fn clean(text: &str, multiline: bool) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if multiline {
        return text
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|c| *c == '\n' || !c.is_control())
            .collect();
    }
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.trim_matches(|c: char| c == '\n' || c == '\t').chars() {
        if c == '\n' || c == '\t' {
            gap = true;
            continue;
        }
        if c.is_control() {
            continue;
        }
        if gap {
            if !out.ends_with(' ') {
                out.push(' ');
            }
            gap = false;
        }
        out.push(c);
    }
    out
}

/// Pastes into a form's text input; returns the characters that did not fit.
pub fn into_input(input: &mut TextInput, text: &str) -> usize {
    let clean = clean(text, input.multiline);
    let room = input.max_chars.saturating_sub(input.text.chars().count());
    let wanted = clean.chars().count();
    input.insert_str(&clean);
    wanted.saturating_sub(room)
}

/// The message for a paste that was cut.
pub fn cut_message(cut: usize) -> String {
    if cut == 1 {
        "Pasted text was cut: 1 character did not fit in the field".to_string()
    } else {
        format!("Pasted text was cut: {cut} characters did not fit in the field")
    }
}

/// `Action::Paste`: into the focused field of the open popup.
pub fn on_paste(state: &mut State, text: &str) -> Vec<Effect> {
    state.message = None;
    let Some(popup) = state.popup.take() else {
        state.info("Nothing to paste into here: paste into a form or a search");
        return Vec::new();
    };
    match popup {
        Popup::Form(mut form) => {
            if form.saving.is_some() {
                state.popup = Some(Popup::Form(form));
                return Vec::new();
            }
            let mut cut = None;
            if let Some(field) = form.fields.get_mut(form.focus)
                && let Some(input) = field.input_mut()
            {
                cut = Some(into_input(input, text));
                field.error = None;
                form.dirty = true;
                form.confirm_close = false;
                if let crate::state::popup::form::FieldValue::Date { picked, .. } = &mut field.value
                {
                    *picked = None;
                }
            }
            state.popup = Some(Popup::Form(form));
            match cut {
                None => state.info("Paste into a text field (this one is a choice)"),
                Some(0) => {}
                Some(n) => state.info(cut_message(n)),
            }
            Vec::new()
        }
        other => match text_len(&other) {
            Some(before) => type_chars(state, other, before, text),
            None => {
                state.popup = Some(other);
                state.info("Nothing to paste into here");
                Vec::new()
            }
        },
    }
}

/// Feeds the cleaned text to a one-line popup as typed characters (so it searches and filters
/// as if typed), then tells the rep what did not fit.
fn type_chars(state: &mut State, popup: Popup, before: usize, text: &str) -> Vec<Effect> {
    let clean = clean(text, false);
    let wanted = clean.chars().count();
    state.popup = Some(popup);
    let mut fx = Vec::new();
    for c in clean.chars() {
        let Some(open) = state.popup.take() else {
            break;
        };
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        fx.extend(super::popup::key(state, open, key));
    }
    let after = state.popup.as_ref().and_then(text_len).unwrap_or(before);
    let cut = wanted.saturating_sub(after.saturating_sub(before));
    if cut > 0 {
        state.info(cut_message(cut));
    }
    fx
}

/// The length of the text a one-line popup is editing, `None` when no text has focus.
pub(crate) fn text_len(popup: &Popup) -> Option<usize> {
    let n = |s: &str| Some(s.chars().count());
    match popup {
        Popup::Prompt(p) => n(&p.input),
        Popup::Jump(j) => n(&j.input),
        Popup::Palette(p) => n(&p.query),
        Popup::Tags(t) => n(t.input.value()),
        Popup::Date { input, .. } => n(input),
        Popup::Assign { filter, .. } => n(filter),
        Popup::Edit {
            title,
            description,
            field,
            ..
        } => match field {
            super::popup::EditField::Title => n(title),
            super::popup::EditField::Description => n(description),
        },
        Popup::NewTask(form) => match form.field {
            NewTaskField::Lead => n(&form.query),
            NewTaskField::Title => n(&form.title),
            NewTaskField::Due => n(&form.due),
            NewTaskField::Priority => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_fields_get_spaces_for_line_breaks() {
        assert_eq!(
            clean("Jane Doe\njane@x.test\r\n+1 555 1234\nAcme\n\n", false),
            "Jane Doe jane@x.test +1 555 1234 Acme"
        );
        assert_eq!(clean("a\tb\u{7}c", false), "a bc");
        assert_eq!(clean("one\r\ntwo\n", true), "one\ntwo\n");
    }

    #[test]
    fn long_pastes_are_cut_at_the_limit_and_counted() {
        let mut input = TextInput::new("ab", 10);
        assert_eq!(into_input(&mut input, "0123456789"), 2);
        assert_eq!(input.value(), "ab01234567");
        let mut input = TextInput::new("", 500);
        let long = "x".repeat(300);
        assert_eq!(into_input(&mut input, &long), 0);
        assert_eq!(input.value().len(), 300);
    }
}
