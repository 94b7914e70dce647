//! README pictures: frames drawn by the real widgets from the tests' seeded states, written as
//! SVG to `assets/`. A picture that no longer matches the frame fails the test, so they never go
//! stale: run `UPDATE_PICTURES=1 cargo test --test ui` and commit the files.

use std::fmt::Write;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};

const CELL_W: f32 = 8.4;
const CELL_H: f32 = 18.0;
const BG: &str = "#1e1e2e";
const FG: &str = "#cdd6f4";

/// Compares (or, with `UPDATE_PICTURES` set or the file missing, writes) `assets/{name}.svg`.
pub fn check(name: &str, terminal: &Terminal<TestBackend>) {
    let svg = to_svg(terminal.backend().buffer());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(format!("{name}.svg"));
    let existing = std::fs::read_to_string(&path).ok();
    if std::env::var_os("UPDATE_PICTURES").is_some() || existing.is_none() {
        std::fs::create_dir_all(path.parent().expect("assets dir")).expect("create assets/");
        std::fs::write(&path, &svg).expect("write the picture");
        return;
    }
    assert!(
        existing.as_deref() == Some(svg.as_str()),
        "{} is stale: run UPDATE_PICTURES=1 cargo test --test ui and commit it",
        path.display()
    );
}

fn hex(color: Color) -> Option<String> {
    let named = match color {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => return Some(format!("#{r:02x}{g:02x}{b:02x}")),
        Color::Black => "#45475a",
        Color::Red => "#f38ba8",
        Color::Green => "#a6e3a1",
        Color::Yellow => "#f9e2af",
        Color::Blue => "#89b4fa",
        Color::Magenta => "#cba6f7",
        Color::Cyan => "#94e2d5",
        Color::Gray => "#bac2de",
        Color::DarkGray => "#6c7086",
        Color::LightRed => "#f38ba8",
        Color::LightGreen => "#a6e3a1",
        Color::LightYellow => "#f9e2af",
        Color::LightBlue => "#89b4fa",
        Color::LightMagenta => "#f5c2e7",
        Color::LightCyan => "#89dceb",
        Color::White => "#ffffff",
        Color::Indexed(_) => "#9399b2",
    };
    Some(named.to_string())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One `<rect>` per coloured cell background and one `<text>` per run of equally styled cells.
fn to_svg(buf: &Buffer) -> String {
    let (w, h) = (buf.area.width, buf.area.height);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{:.0}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">"#,
        f32::from(w) * CELL_W + 16.0,
        f32::from(h) * CELL_H + 16.0
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" rx="8" fill="{BG}"/>"#
    );
    let _ = writeln!(out, r#"<g transform="translate(8 8)">"#);
    for y in 0..h {
        let mut x = 0;
        while x < w {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (fg, bg) = if reversed {
                (
                    hex(cell.bg).unwrap_or(BG.into()),
                    hex(cell.fg).or(Some(FG.into())),
                )
            } else {
                (hex(cell.fg).unwrap_or(FG.into()), hex(cell.bg))
            };
            let bold = cell.modifier.contains(Modifier::BOLD);
            let start = x;
            let mut text = String::new();
            while x < w {
                let c = &buf[(x, y)];
                let same = c.fg == cell.fg && c.bg == cell.bg && c.modifier == cell.modifier;
                if !same {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (px, py) = (f32::from(start) * CELL_W, f32::from(y) * CELL_H);
            if let Some(bg) = bg {
                let _ = writeln!(
                    out,
                    r#"<rect x="{px:.1}" y="{py:.1}" width="{:.1}" height="{CELL_H}" fill="{bg}"/>"#,
                    f32::from(x - start) * CELL_W
                );
            }
            if !text.trim().is_empty() {
                let weight = if bold { r#" font-weight="bold""# } else { "" };
                let _ = writeln!(
                    out,
                    r#"<text x="{px:.1}" y="{:.1}" fill="{fg}"{weight} xml:space="preserve" textLength="{:.1}" lengthAdjust="spacingAndGlyphs">{}</text>"#,
                    py + CELL_H * 0.75,
                    f32::from(x - start) * CELL_W,
                    escape(&text)
                );
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}
