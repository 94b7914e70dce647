//! Colours of the UI, configurable in `[theme]`, and the NO_COLOR fallback.

use std::str::FromStr;
use std::sync::OnceLock;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, ConfigErrorKind, Source};

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

/// Every colour `Color::Reset`: the base the theme assets are read onto.
const UNSET: Theme = Theme {
    accent: Color::Reset,
    selected_bg: Color::Reset,
    selected_fg: Color::Reset,
    overdue: Color::Reset,
    stale: Color::Reset,
    muted: Color::Reset,
    error: Color::Reset,
    ok: Color::Reset,
    border: Color::Reset,
    no_color: false,
};

/// `assets/themes/default.toml` as compiled in.
pub const DEFAULT_TOML: &str = include_str!("../../assets/themes/default.toml");
/// `assets/themes/plain.toml` (NO_COLOR) as compiled in.
pub const PLAIN_TOML: &str = include_str!("../../assets/themes/plain.toml");

/// A theme asset holds only a `[theme]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    theme: RawTheme,
}

/// Reads a theme asset with the same loader as a user's `[theme]`.
pub fn from_asset(text: &str, file: &str) -> Result<Theme, ConfigError> {
    let src = Source { text, file };
    let parsed: ThemeFile = toml::from_str(text).map_err(|e| src.toml_error(&e))?;
    parsed.theme.apply(UNSET, &src)
}

/// A parsed asset, cached; the unit tests keep the assets valid, and an
/// invalid one would draw with the terminal's colours instead of panicking.
fn cached(cell: &'static OnceLock<Theme>, text: &str, file: &str) -> Theme {
    *cell.get_or_init(|| from_asset(text, file).unwrap_or(UNSET))
}

impl Default for Theme {
    /// `assets/themes/default.toml`.
    fn default() -> Self {
        static DEFAULT: OnceLock<Theme> = OnceLock::new();
        cached(&DEFAULT, DEFAULT_TOML, "assets/themes/default.toml")
    }
}

impl Theme {
    /// A theme without any colour: every colour is `Color::Reset`.
    pub fn plain() -> Theme {
        static PLAIN: OnceLock<Theme> = OnceLock::new();
        Theme {
            no_color: true,
            ..cached(&PLAIN, PLAIN_TOML, "assets/themes/plain.toml")
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

/// `[theme]` as written, in a user's config or a theme asset.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawTheme {
    accent: Option<Spanned<String>>,
    selected_bg: Option<Spanned<String>>,
    selected_fg: Option<Spanned<String>>,
    overdue: Option<Spanned<String>>,
    stale: Option<Spanned<String>>,
    muted: Option<Spanned<String>>,
    error: Option<Spanned<String>>,
    ok: Option<Spanned<String>>,
    border: Option<Spanned<String>>,
}

impl RawTheme {
    /// The user's `[theme]`: the default theme with the colours it sets.
    pub(crate) fn validate(self, src: &Source<'_>) -> Result<Theme, ConfigError> {
        self.apply(Theme::default(), src)
    }

    /// `base` with the colours this table sets.
    fn apply(self, base: Theme, src: &Source<'_>) -> Result<Theme, ConfigError> {
        let mut theme = base;
        let entries = [
            ("accent", self.accent),
            ("selected_bg", self.selected_bg),
            ("selected_fg", self.selected_fg),
            ("overdue", self.overdue),
            ("stale", self.stale),
            ("muted", self.muted),
            ("error", self.error),
            ("ok", self.ok),
            ("border", self.border),
        ];
        for (key, value) in entries {
            let Some(value) = value else { continue };
            let color = parse_color(value.get_ref()).map_err(|message| {
                src.error(
                    ConfigErrorKind::InvalidValue,
                    Some(value.span()),
                    format!("theme.{key}: {message}"),
                )
            })?;
            theme.set(key, color);
        }
        Ok(theme)
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

    #[test]
    fn assets_set_every_colour() {
        for (text, file) in [(DEFAULT_TOML, "default"), (PLAIN_TOML, "plain")] {
            from_asset(text, file).unwrap_or_else(|e| panic!("{e}"));
            let table: toml::Table = toml::from_str(text).expect("valid TOML");
            let theme = table["theme"].as_table().expect("a [theme] table");
            let mut keys: Vec<&str> = theme.keys().map(String::as_str).collect();
            let mut expected = THEME_KEYS.to_vec();
            keys.sort_unstable();
            expected.sort_unstable();
            assert_eq!(keys, expected, "{file}");
        }
        assert_eq!(Theme::default().accent, Color::Cyan);
        assert_eq!(Theme::plain().accent, Color::Reset);
    }
}
