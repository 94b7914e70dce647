//! A modal form: labelled fields (text, multi-line text, choices with quick keys, due dates with
//! quick picks), one focused, inline errors, and a save that keeps everything typed when it fails.
//!
//! Keys: Tab/↓ next field, Shift-Tab/↑ previous, Enter next (saves on the last field; a new line
//! in multi-line text), `save_form` (ctrl-s) saves from anywhere, `external_editor` (ctrl-e)
//! edits the focused text in `$EDITOR`, Esc cancels (twice when something was typed).

mod check;

pub use check::*;

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::data::DataError;
use crate::data::lead::LeadEdit;
use crate::dates::Due;
use crate::state::RequestId;
use crate::state::lead::input::TextInput;

/// Identifies a field of any form (forms read their values by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldId {
    Kind,
    Direction,
    Outcome,
    Duration,
    Subject,
    Content,
    Title,
    Due,
    Priority,
    Description,
    Name,
    Email,
    Phone,
    Mobile,
    Source,
    Company,
    JobTitle,
    Location,
    Industry,
    BudgetRange,
    MinBudget,
    MaxBudget,
    Timeline,
    PropertyType,
    Stage,
    Owner,
    Amount,
    Probability,
    Status,
    CloseDate,
    Path,
    DocumentType,
    Tag,
    Color,
}

/// One option of a choice field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceOption {
    /// Selects the option (and moves to the next field) when the choice has focus.
    pub key: char,
    pub label: String,
    /// What the form reads (an enum name, an id as text).
    pub value: String,
    /// Drawn in this `#rrggbb` colour (stages, tags).
    pub color: Option<String>,
}

impl ChoiceOption {
    pub fn new(key: char, label: impl Into<String>, value: impl Into<String>) -> ChoiceOption {
        ChoiceOption {
            key,
            label: label.into(),
            value: value.into(),
            color: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Text(TextInput),
    Choice {
        options: Vec<ChoiceOption>,
        selected: usize,
    },
    /// A due date, typed and read by `crate::dates` (previewed live). The one-letter quick keys
    /// (`t` today, `m` tomorrow, `3` in three days, `w` next week, `n` none) are words of that
    /// parser, so they mean a date only when they are all the field holds: `thu` stays `thu`.
    /// `picked` marks a date the form opened with (typing replaces it).
    Date {
        input: TextInput,
        picked: Option<&'static str>,
    },
}

/// Quick keys of a date field, for its hint: (key, meaning) — parser words, see
/// [`FieldValue::Date`].
pub const DATE_PICKS: [(char, &str); 4] = [
    ('t', "today"),
    ('m', "tomorrow"),
    ('w', "next week"),
    ('n', "none"),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub id: FieldId,
    pub label: &'static str,
    pub value: FieldValue,
    pub required: bool,
    /// Shown under the field while it has focus.
    pub hint: Option<String>,
    /// Shown under the field until it is edited.
    pub error: Option<String>,
}

impl Field {
    pub fn text(id: FieldId, label: &'static str, value: impl Into<String>, max: usize) -> Field {
        Field {
            id,
            label,
            value: FieldValue::Text(TextInput::new(value, max)),
            required: false,
            hint: None,
            error: None,
        }
    }

    pub fn area(id: FieldId, label: &'static str, value: impl Into<String>, max: usize) -> Field {
        Field {
            value: FieldValue::Text(TextInput::multiline(value, max)),
            ..Field::text(id, label, "", max)
        }
    }

    pub fn choice(
        id: FieldId,
        label: &'static str,
        options: Vec<ChoiceOption>,
        selected: usize,
    ) -> Field {
        Field {
            value: FieldValue::Choice { options, selected },
            ..Field::text(id, label, "", 0)
        }
    }

    pub fn date(id: FieldId, label: &'static str, value: Option<NaiveDate>) -> Field {
        Field {
            value: FieldValue::Date {
                input: TextInput::new(
                    value
                        .map(|d| d.format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    40,
                ),
                // A date already set is replaced by a quick pick or by typing.
                picked: value.map(|_| "current"),
            },
            ..Field::text(id, label, "", 0)
        }
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Field {
        self.hint = Some(hint.into());
        self
    }

    /// The text of a text or date field; the value of a choice's selected option.
    pub fn raw(&self) -> &str {
        match &self.value {
            FieldValue::Text(input) | FieldValue::Date { input, .. } => input.value(),
            FieldValue::Choice { options, selected } => {
                options.get(*selected).map_or("", |o| o.value.as_str())
            }
        }
    }

    pub fn is_multiline(&self) -> bool {
        matches!(&self.value, FieldValue::Text(t) if t.multiline)
    }

    pub fn input_mut(&mut self) -> Option<&mut TextInput> {
        match &mut self.value {
            FieldValue::Text(input) | FieldValue::Date { input, .. } => Some(input),
            FieldValue::Choice { .. } => None,
        }
    }
}

/// What the keymap says a key is in a form: bound to `save_form`, `external_editor`, the
/// popup's `cancel` / `confirm`, or a move between fields (`next_field`/`prev_field`: +1/-1,
/// `popup_down`/`popup_up`: +2/-2, which text and choices may keep for themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FormKeys {
    pub save: bool,
    pub editor: bool,
    pub cancel: bool,
    pub confirm: bool,
    pub walk: Option<Walk>,
}

/// A move between a form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// `next_field` / `prev_field` (Tab, shift-Tab): always moves.
    Field(isize),
    /// `popup_down` / `popup_up` (arrows): moves unless the field uses the key itself.
    Line(isize),
}

impl Walk {
    /// The walk a popup command asks for, if any.
    pub fn of(command: Option<crate::config::keymap::Command>) -> Option<Walk> {
        use crate::config::keymap::Command;
        match command? {
            Command::NextField => Some(Walk::Field(1)),
            Command::PrevField => Some(Walk::Field(-1)),
            Command::PopupDown => Some(Walk::Line(1)),
            Command::PopupUp => Some(Walk::Line(-1)),
            _ => None,
        }
    }
}

/// What a key did to a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKey {
    /// Handled inside the form.
    Stay,
    /// The rep asked to save (the caller validates and sends).
    Submit,
    /// The rep cancelled.
    Close,
    /// Edit the focused text in `$EDITOR`.
    Editor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form<K> {
    pub kind: K,
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Why the last save failed (the fields keep what was typed).
    pub error: Option<String>,
    /// The save in flight: editing is paused until it answers.
    pub saving: Option<RequestId>,
    /// Something was typed since the form opened (Esc then asks twice).
    pub dirty: bool,
    /// Esc was pressed once on a dirty form.
    pub confirm_close: bool,
    /// "Today" for date quick picks, in the rep's calendar.
    pub today: NaiveDate,
}

impl<K> Form<K> {
    pub fn new(kind: K, title: impl Into<String>, fields: Vec<Field>, today: NaiveDate) -> Self {
        Form {
            kind,
            title: title.into(),
            fields,
            focus: 0,
            error: None,
            saving: None,
            dirty: false,
            confirm_close: false,
            today,
        }
    }

    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    pub fn field_mut(&mut self, id: FieldId) -> Option<&mut Field> {
        self.fields.iter_mut().find(|f| f.id == id)
    }

    /// The raw value of a field ("" when the form has no such field).
    pub fn raw(&self, id: FieldId) -> &str {
        self.field(id).map_or("", Field::raw)
    }

    /// The trimmed value, `None` when blank.
    pub fn opt(&self, id: FieldId) -> Option<String> {
        let t = self.raw(id).trim();
        (!t.is_empty()).then(|| t.to_string())
    }

    pub fn set_error(&mut self, id: FieldId, error: impl Into<String>) {
        if let Some(f) = self.field_mut(id) {
            f.error = Some(error.into());
        }
    }

    pub fn focus_on(&mut self, id: FieldId) {
        if let Some(i) = self.fields.iter().position(|f| f.id == id) {
            self.focus = i;
        }
    }

    /// Focuses the first field with an error; true if there was one.
    pub fn focus_first_error(&mut self) -> bool {
        match self.fields.iter().position(|f| f.error.is_some()) {
            Some(i) => {
                self.focus = i;
                true
            }
            None => false,
        }
    }

    pub fn focused(&self) -> Option<&Field> {
        self.fields.get(self.focus)
    }

    /// Moves the focus `delta` fields, staying on the form.
    fn step(&mut self, delta: isize) {
        self.focus = self
            .focus
            .saturating_add_signed(delta)
            .min(self.fields.len().saturating_sub(1));
    }

    /// Handles a key with the default popup keys (Enter confirms, Esc cancels). `save` and
    /// `editor` say whether the key is bound to `save_form` / `external_editor`.
    pub fn key(&mut self, key: &KeyEvent, save: bool, editor: bool) -> FormKey {
        let walk = match key.code {
            KeyCode::Tab => Some(Walk::Field(1)),
            KeyCode::BackTab => Some(Walk::Field(-1)),
            KeyCode::Down => Some(Walk::Line(1)),
            KeyCode::Up => Some(Walk::Line(-1)),
            _ => None,
        };
        let roles = FormKeys {
            save,
            editor,
            cancel: key.code == KeyCode::Esc,
            confirm: key.code == KeyCode::Enter,
            walk,
        };
        self.key_bound(key, roles)
    }

    /// Handles a key whose roles the caller read from the keymap.
    pub fn key_bound(&mut self, key: &KeyEvent, roles: FormKeys) -> FormKey {
        let FormKeys {
            save,
            editor,
            cancel,
            confirm,
            walk,
        } = roles;
        if self.saving.is_some() {
            // Nothing changes under a save in flight; it answers within the statement timeout.
            return FormKey::Stay;
        }
        if cancel {
            if self.dirty && !self.confirm_close {
                self.confirm_close = true;
                return FormKey::Stay;
            }
            return FormKey::Close;
        }
        self.confirm_close = false;
        if save {
            return FormKey::Submit;
        }
        if editor {
            return match self.focused() {
                Some(f) if matches!(f.value, FieldValue::Text(_)) => FormKey::Editor,
                _ => FormKey::Stay,
            };
        }
        let last = self.focus + 1 >= self.fields.len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if let Some(Walk::Field(delta)) = walk {
            self.step(delta);
            return FormKey::Stay;
        }
        if key.code == KeyCode::Enter && (ctrl || key.modifiers.contains(KeyModifiers::ALT)) {
            return FormKey::Submit;
        }
        // Enter on a field moves on (and submits from the last one); the arrows move.
        let line = match walk {
            Some(Walk::Line(delta)) => Some(delta),
            _ => None,
        };
        let moved = |form: &mut Self| -> Option<FormKey> {
            if confirm && last {
                return Some(FormKey::Submit);
            }
            let delta = if confirm { Some(1) } else { line };
            delta.map(|d| {
                form.step(d);
                FormKey::Stay
            })
        };
        let Some(field) = self.fields.get_mut(self.focus) else {
            return FormKey::Stay;
        };
        let before = field.value.clone();
        let outcome = match &mut field.value {
            FieldValue::Text(input) => {
                if input.handle(key) {
                    FormKey::Stay
                } else {
                    return moved(self).unwrap_or(FormKey::Stay);
                }
            }
            FieldValue::Choice { options, selected } => {
                let n = options.len();
                match key.code {
                    KeyCode::Char(c) if !ctrl => {
                        let c_low = c.to_ascii_lowercase();
                        let hit = options
                            .iter()
                            .position(|o| o.key == c)
                            .or_else(|| options.iter().position(|o| o.key == c_low));
                        match hit {
                            Some(i) => {
                                *selected = i;
                                field.error = None;
                                self.dirty = true;
                                self.step(1);
                                return FormKey::Stay;
                            }
                            None if c == ' ' && n > 0 => {
                                *selected = (*selected + 1) % n;
                            }
                            None => {}
                        }
                        FormKey::Stay
                    }
                    KeyCode::Right if n > 0 => {
                        *selected = (*selected + 1) % n;
                        FormKey::Stay
                    }
                    KeyCode::Left if n > 0 => {
                        *selected = (*selected + n - 1) % n;
                        FormKey::Stay
                    }
                    _ if confirm || line.is_some() => {
                        return moved(self).unwrap_or(FormKey::Stay);
                    }
                    _ => FormKey::Stay,
                }
            }
            FieldValue::Date { input, picked } => {
                if picked.is_some() && matches!(key.code, KeyCode::Char(_) | KeyCode::Backspace) {
                    // Typing over a quick pick starts a new date.
                    input.set("");
                    *picked = None;
                    if key.code == KeyCode::Backspace {
                        field.error = None;
                        self.dirty = true;
                        return FormKey::Stay;
                    }
                }
                if input.handle(key) {
                    FormKey::Stay
                } else {
                    return moved(self).unwrap_or(FormKey::Stay);
                }
            }
        };
        if field.value != before {
            field.error = None;
            self.dirty = true;
        }
        outcome
    }
}

#[cfg(test)]
mod tests;
