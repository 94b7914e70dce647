//! `closer` (and `closer inbox`): connect as the rep, choose the organization, open the TUI.

use std::io::{IsTerminal, Write};

use color_eyre::eyre::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::config::{Config, StartScreen, paths};
use crate::data::DataError;
use crate::data::connect;
use crate::data::models::Membership;
use crate::data::store::Session;
use crate::text::clean_line;

pub async fn run(
    database_url: Option<&str>,
    org: Option<&str>,
    config: Config,
    start_inbox: bool,
) -> Result<()> {
    let session = connect_session(database_url, &config).await?;
    open_session(session, org, config, start_inbox).await
}

/// Connects as the rep (asking for the password on a terminal when none is known). The TUI and
/// the scripting commands (`closer leads` …) share it.
pub async fn connect_session(database_url: Option<&str>, config: &Config) -> Result<Session> {
    let env = |key: &str| std::env::var(key).ok();
    let resolved = connect::resolve(database_url, &config.connection, &env)
        .map_err(|e| color_eyre::eyre::eyre!(e))?;
    let timeout = config.connection.statement_timeout_ms;
    let route = resolved.route(&config.connection);
    match Session::connect_via(resolved.options.clone(), timeout, route.clone()).await {
        Ok(session) => Ok(session),
        Err(DataError::Authentication)
            if !resolved.has_password && std::io::stdin().is_terminal() =>
        {
            let password = prompt_password(resolved.options.get_username())?;
            let route = match route {
                connect::Route::Pooled { listen } => connect::Route::Pooled {
                    listen: Box::new(listen.password(&password)),
                },
                direct => direct,
            };
            Ok(Session::connect_via(resolved.options.password(&password), timeout, route).await?)
        }
        Err(err) => Err(err.into()),
    }
}

/// Picks the organization (flag, then last used, then the only one, then ask) and runs the TUI.
pub async fn open_session(
    session: Session,
    org: Option<&str>,
    config: Config,
    start_inbox: bool,
) -> Result<()> {
    let chosen = choose_organization(&session, org)?;
    let store = session.open(chosen.organization_id)?;
    RememberedState {
        organization: Some(chosen.organization_name.clone()),
    }
    .save();
    let start = if start_inbox {
        StartScreen::Inbox
    } else {
        config.ui.start_screen
    };
    launch_tui(store, config, start).await
}

/// The organization to work in: `--org`, then the last one used, then the only one, then ask
/// (on a terminal). Shared by the TUI and the scripting commands.
pub fn choose_organization<'a>(session: &'a Session, org: Option<&str>) -> Result<&'a Membership> {
    let memberships = session.memberships();
    let remembered = RememberedState::load();
    Ok(match org {
        Some(name) => memberships
            .iter()
            .find(|m| m.organization_name == name)
            .ok_or_else(|| {
                color_eyre::eyre::eyre!(
                    "you are not a member of an organization named {:?}",
                    clean_line(name)
                )
            })?,
        None => match remembered
            .organization
            .as_deref()
            .and_then(|r| memberships.iter().find(|m| m.organization_name == r))
        {
            Some(m) => m,
            None if memberships.len() == 1 => &memberships[0],
            None => {
                let names: Vec<String> = memberships
                    .iter()
                    .map(|m| m.organization_name.clone())
                    .collect();
                &memberships[choose(&names)?]
            }
        },
    })
}

/// Runs the TUI on the start screen (`closer inbox` or `ui.start_screen`).
async fn launch_tui(store: crate::data::PgStore, config: Config, start: StartScreen) -> Result<()> {
    let theme = config
        .theme
        .resolve(crate::config::theme::no_color_requested());
    let keymap = config.keymap.clone();
    crate::app::run_tui(store, &config, keymap, theme, start).await
}

fn choose(names: &[String]) -> Result<usize> {
    if !std::io::stdin().is_terminal() {
        bail!("you belong to several organizations: pick one with --org NAME");
    }
    let mut out = std::io::stderr();
    writeln!(out, "You belong to several organizations:")?;
    for (i, name) in names.iter().enumerate() {
        writeln!(out, "  {}) {}", i + 1, clean_line(name))?;
    }
    loop {
        write!(out, "Open which one? [1-{}] ", names.len())?;
        out.flush()?;
        let mut line = String::new();
        if std::io::stdin().read_line(&mut line)? == 0 {
            bail!("no organization chosen");
        }
        if let Ok(n) = line.trim().parse::<usize>()
            && (1..=names.len()).contains(&n)
        {
            return Ok(n - 1);
        }
    }
}

/// Reads a password without echoing it.
fn prompt_password(user: &str) -> Result<String> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    let mut err = std::io::stderr();
    write!(err, "Password for {}: ", clean_line(user))?;
    err.flush()?;
    crossterm::terminal::enable_raw_mode()?;
    let mut password = String::new();
    let outcome = loop {
        match read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => match key.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err("cancelled");
                }
                KeyCode::Esc => break Err("cancelled"),
                KeyCode::Backspace => {
                    password.pop();
                }
                KeyCode::Char(c) => password.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(_) => break Err("could not read the terminal"),
        }
    };
    crossterm::terminal::disable_raw_mode()?;
    writeln!(err)?;
    match outcome {
        Ok(()) => Ok(password),
        Err(why) => bail!("password prompt {why}"),
    }
}

/// What Closer remembers between runs (the last organization); never credentials.
#[derive(Default, Serialize, Deserialize)]
struct RememberedState {
    organization: Option<String>,
}

impl RememberedState {
    fn load() -> Self {
        std::fs::read_to_string(paths::state_file())
            .ok()
            .and_then(|text| toml::from_str(&text).ok())
            .unwrap_or_default()
    }

    fn save(&self) {
        let path = paths::state_file();
        if let (Some(dir), Ok(text)) = (path.parent(), toml::to_string(self)) {
            // Best effort: failing to remember is not worth stopping the rep.
            let _ = std::fs::create_dir_all(dir).and_then(|_| std::fs::write(&path, text));
        }
    }
}
