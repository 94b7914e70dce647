//! `$VISUAL` / `$EDITOR` for long texts: the terminal is handed over and taken back.

use std::io::Write;
use std::path::PathBuf;

use ratatui::Terminal;
use ratatui::backend::Backend;

/// Edits `text` in `$VISUAL` / `$EDITOR` (else `vi`): leaves the alternate screen and raw mode,
/// waits for the editor, restores the terminal and forces a full redraw. The loop calls this
/// instead of polling input, so the editor gets every key.
/// Returns the edited text (or why not) and the terminal size after it.
pub async fn external_edit<B: Backend>(
    terminal: &mut Terminal<B>,
    text: &str,
) -> (Result<String, String>, Option<(u16, u16)>) {
    let result = edit_in_editor(text).await;
    resume_terminal();
    let _ = terminal.clear();
    let size = terminal.size().ok().map(|s| (s.width, s.height));
    (result, size)
}

fn resume_terminal() {
    super::resume();
}

/// The editor command: program and arguments (split on whitespace, e.g. `code --wait`).
fn editor_command() -> (String, Vec<String>) {
    let configured = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string());
    let mut words = configured.split_whitespace().map(str::to_string);
    let program = words.next().unwrap_or_else(|| "vi".to_string());
    (program, words.collect())
}

async fn edit_in_editor(text: &str) -> Result<String, String> {
    let path = temp_file(text).map_err(|e| format!("Could not write a temporary file: {e}"))?;
    let (program, args) = editor_command();
    super::restore();
    let status = tokio::process::Command::new(&program)
        .args(&args)
        .arg(&path)
        .status()
        .await;
    let result = match status {
        Ok(s) if s.success() => tokio::fs::read(&path)
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| format!("Could not read the edited text back: {e}")),
        Ok(s) => Err(format!("{program} exited with {s}: the text is unchanged")),
        Err(e) => Err(format!(
            "Could not start {program}: {e} (set $EDITOR): the text is unchanged"
        )),
    };
    let _ = tokio::fs::remove_file(&path).await;
    result
}

/// A new private file (0600, never an existing one) holding `text`.
fn temp_file(text: &str) -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir();
    for attempt in 0..16u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(
            "closer-note-{}-{nanos}-{attempt}.md",
            std::process::id()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(text.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary file name"))
}
