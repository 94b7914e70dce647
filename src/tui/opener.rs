//! The system opener (`xdg-open` / `open`), started detached.

use std::path::PathBuf;
use std::process::Stdio;

/// Starts `xdg-open` (Linux) or `open` (macOS) on a file or URL (checked by the caller), detached: its output
/// never reaches the TUI and the loop never waits for the application it starts.
pub async fn open_detached(target: &str) -> Result<String, String> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let path = target
        .strip_prefix("~/")
        .and_then(|rest| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(rest)));
    let arg = path.map_or_else(|| target.into(), |p| p.into_os_string());
    let child = tokio::process::Command::new(opener)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(false)
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => {
            return Err(format!(
                "Could not start {opener}: {e} (install it, or open the link yourself)"
            ));
        }
    };
    // xdg-open hands over to the application and exits; a quick failure is worth reporting.
    match tokio::time::timeout(std::time::Duration::from_secs(5), child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(crate::text::clean_line(target).into_owned()),
        Ok(Ok(status)) => Err(format!(
            "{opener} could not open {} ({status})",
            crate::text::clean_line(target)
        )),
        Ok(Err(e)) => Err(format!("{opener} failed: {e}")),
        // Still running: it opened something that keeps it alive; leave it be.
        Err(_) => Ok(crate::text::clean_line(target).into_owned()),
    }
}
