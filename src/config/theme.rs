//! Colours of the UI, configurable in `[theme]`, and the NO_COLOR fallback.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// The colour names accepted in `[theme]` (besides `"#rrggbb"`).
pub const COLOR_NAMES: &[&str] = &[
    "reset",
    "black",
    "red",
    "green",
    "yellow",
    "blue",
    "magenta",
    "cyan",
    "gray",
    "darkgray",
    "lightred",
    "lightgreen",
    "lightyellow",
    "lightblue",
    "lightmagenta",
    "lightcyan",
    "white",
];

/// The keys of the `[theme]` table.
pub const THEME_KEYS: &[&str] = &[
    "accent",
    "selected_bg",
    "selected_fg",
    "overdue",
    "stale",
    "muted",
    "error",
    "ok",
    "border",
];

/// UI colours. Build the one to draw with via [`Theme::resolve`], which
/// honours NO_COLOR; then use the `*_style()` helpers so that the selection
/// and emphasis stay visible without colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Titles, focused borders, key hints.
    pub accent: Color,
    /// Background of the selected row / card.
    pub selected_bg: Color,
    /// Foreground of the selected row / card.
    pub selected_fg: Color,
    /// Overdue tasks and follow-ups.
    pub overdue: Color,
    /// Leads without contact for `ui.stale_after_days`.
    pub stale: Color,
    /// Secondary text (timestamps, hints).
    pub muted: Color,
    /// Error messages.
    pub error: Color,
    /// Success messages.
    pub ok: Color,
    /// Unfocused borders.
    pub border: Color,
    /// True when colours are disabled (NO_COLOR): every colour is
    /// `Color::Reset` and the styles use modifiers only.
    pub no_color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            accent: Color::Cyan,
            selected_bg: Color::Blue,
            selected_fg: Color::White,
            overdue: Color::Red,
            stale: Color::Yellow,
            muted: Color::DarkGray,
            error: Color::LightRed,
            ok: Color::Green,
            border: Color::Gray,
            no_color: false,
        }
    }
}

impl Theme {
    /// A theme without any colour: every colour is `Color::Reset`.
    pub fn plain() -> Theme {
        Theme {
            accent: Color::Reset,
            selected_bg: Color::Reset,
            selected_fg: Color::Reset,
            overdue: Color::Reset,
            stale: Color::Reset,
            muted: Color::Reset,
            error: Color::Reset,
            ok: Color::Reset,
            border: Color::Reset,
            no_color: true,
        }
    }

    /// The theme to draw with: `self` unchanged, or [`Theme::plain`] when
    /// `no_color` is true (see [`no_color_requested`]).
    pub fn resolve(&self, no_color: bool) -> Theme {
        if no_color { Theme::plain() } else { *self }
    }

    /// Sets the colour named `key` (one of [`THEME_KEYS`]). Returns false
    /// for an unknown key.
    pub fn set(&mut self, key: &str, color: Color) -> bool {
        let slot = match key {
            "accent" => &mut self.accent,
            "selected_bg" => &mut self.selected_bg,
            "selected_fg" => &mut self.selected_fg,
            "overdue" => &mut self.overdue,
            "stale" => &mut self.stale,
            "muted" => &mut self.muted,
            "error" => &mut self.error,
            "ok" => &mut self.ok,
            "border" => &mut self.border,
            _ => return false,
        };
        *slot = color;
        true
    }

    fn fg(&self, color: Color, fallback: Modifier) -> Style {
        if self.no_color {
            Style::default().add_modifier(fallback)
        } else {
            Style::default().fg(color)
        }
    }

    /// The selected row or card: colours plus bold, or reversed + bold
    /// without colours.
    pub fn selected_style(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        } else {
            Style::default()
                .fg(self.selected_fg)
                .bg(self.selected_bg)
                .add_modifier(Modifier::BOLD)
        }
    }

    /// Titles, focused borders, key hints (bold without colours).
    pub fn accent_style(&self) -> Style {
        self.fg(self.accent, Modifier::BOLD)
    }

    /// Overdue items (bold without colours).
    pub fn overdue_style(&self) -> Style {
        self.fg(self.overdue, Modifier::BOLD)
    }

    /// Stale leads (italic without colours).
    pub fn stale_style(&self) -> Style {
        self.fg(self.stale, Modifier::ITALIC)
    }

    /// Secondary text (dim without colours).
    pub fn muted_style(&self) -> Style {
        self.fg(self.muted, Modifier::DIM)
    }

    /// Error messages (bold without colours).
    pub fn error_style(&self) -> Style {
        self.fg(self.error, Modifier::BOLD)
    }

    /// Success messages (plain without colours).
    pub fn ok_style(&self) -> Style {
        self.fg(self.ok, Modifier::empty())
    }

    /// Unfocused borders (plain without colours).
    pub fn border_style(&self) -> Style {
        self.fg(self.border, Modifier::empty())
    }
}

/// Whether the NO_COLOR convention (<https://no-color.org>) asks for no
/// colours: the variable is set and not empty.
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Parses a colour name (`"red"`, `"lightblue"`, `"darkgray"`, ...) or
/// `"#rrggbb"`. The error is a message suitable for the config error.
pub fn parse_color(text: &str) -> Result<Color, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('#') && trimmed.len() != 7 {
        return Err(format!(
            "invalid colour `{text}`: hex colours are written \"#rrggbb\""
        ));
    }
    Color::from_str(trimmed).map_err(|_| {
        format!(
            "invalid colour `{text}`: use \"#rrggbb\" or one of {}",
            COLOR_NAMES.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_hex() {
        assert_eq!(parse_color("red"), Ok(Color::Red));
        assert_eq!(parse_color("lightblue"), Ok(Color::LightBlue));
        assert_eq!(parse_color("#ff8000"), Ok(Color::Rgb(255, 128, 0)));
        assert!(parse_color("#ff80").is_err());
        assert!(parse_color("purplish").is_err());
    }

    #[test]
    fn every_theme_key_is_settable() {
        let mut theme = Theme::default();
        for key in THEME_KEYS {
            assert!(theme.set(key, Color::Black), "{key}");
        }
        assert!(!theme.set("nope", Color::Black));
    }
}
