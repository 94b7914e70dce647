//! config

use std::path::Path;

use closer::config::keymap::{KeySpec, Keymap, KeysSection, Scope};
use closer::config::theme::Theme;
use closer::config::{
    BoardSort, Command, Config, ConfigError, ConfigErrorKind, Location, SslMode, StartScreen,
};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::{Color, Modifier};

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_str(text, "config.toml")
}

fn parse_err(text: &str) -> ConfigError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn ch(c: char) -> KeyEvent {
    key(KeyCode::Char(c), KeyModifiers::NONE)
}

fn example_text() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    std::fs::read_to_string(path).expect("config.example.toml exists")
}

#[test]
fn example_file_is_valid() {
    let config = parse(&example_text()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.connection.host.as_deref(), Some("db.example.com"));
    assert_eq!(config.connection.port, Some(5432));
    assert_eq!(config.connection.sslmode, Some(SslMode::VerifyFull));
    assert_eq!(config.connection.statement_timeout_ms, 15000);
    assert_eq!(config.ui.stale_after_days, 14);
    assert_eq!(config.ui.start_screen, StartScreen::Board);
    assert_eq!(config.ui.board_sort, BoardSort::Score);
    assert_eq!(config.theme, Theme::default());
    // The example only restates defaults.
    assert_eq!(config.keymap, Keymap::default());
}

#[test]
fn example_file_documents_every_command_with_its_defaults() {
    let text = example_text();
    let keys_section = text
        .split_once("[keys]")
        .map(|(_, rest)| rest)
        .expect("has a [keys] section");
    for &command in Command::ALL {
        let prefix = format!("{} = ", command.name());
        let line = keys_section
            .lines()
            .map(|l| l.trim_start_matches('#').trim_start())
            .find(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("`{}` is not documented", command.name()));
        let value = line.split('#').next().unwrap_or(line);
        let table: toml::Table = toml::from_str(value).expect("documented line is valid TOML");
        let keys: Vec<&str> = table[command.name()]
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a string"))
            .collect();
        assert_eq!(keys, command.default_keys(), "{}", command.name());
    }
}

#[test]
fn example_file_has_no_password() {
    assert!(!example_text().contains("password ="));
}

#[test]
fn missing_file_gives_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config::load(Some(&dir.path().join("nope.toml"))).expect("defaults");
    assert_eq!(config, Config::default());
    assert_eq!(config.source, None);
}

#[test]
fn load_reads_the_file_and_labels_errors_with_its_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[ui]\nstart_screen = \"inbox\"\n").expect("write");
    let config = Config::load(Some(&path)).expect("valid");
    assert_eq!(config.ui.start_screen, StartScreen::Inbox);
    assert_eq!(config.source.as_deref(), Some(path.as_path()));

    std::fs::write(&path, "[ui]\nstart_screen = \"desk\"\n").expect("write");
    let err = Config::load(Some(&path)).expect_err("bad variant");
    let rendered = err.to_string();
    assert!(
        rendered.starts_with(&format!("{}:2:16: ", path.display())),
        "{rendered}"
    );
}

#[test]
fn malformed_toml_reports_file_line_column() {
    let err = parse_err("[ui]\nstale_after_days = 14\nboard_sort = \n");
    assert_eq!(err.kind, ConfigErrorKind::Toml);
    let location = err.location.expect("has a location");
    assert_eq!(location.line, 3);
    let rendered = err.to_string();
    assert!(rendered.starts_with("config.toml:3:"), "{rendered}");
}

#[test]
fn unknown_top_level_key_is_an_error() {
    let err = parse_err("[ui]\nstale_after_days = 3\n\n[colours]\naccent = \"red\"\n");
    assert_eq!(err.kind, ConfigErrorKind::Toml);
    assert_eq!(err.location.map(|l| l.line), Some(4));
    assert!(err.message.contains("colours"), "{err}");
}

#[test]
fn unknown_nested_key_is_an_error() {
    let err = parse_err("[ui]\nstale_afer_days = 3\n");
    assert_eq!(err.location, Some(Location { line: 2, column: 1 }));
    assert!(err.message.contains("stale_afer_days"), "{err}");
}

#[test]
fn bad_value_is_an_error() {
    let err = parse_err("[connection]\nsslmode = \"sometimes\"\n");
    assert_eq!(
        err.location,
        Some(Location {
            line: 2,
            column: 11
        })
    );
    assert!(err.message.contains("verify-full"), "{err}");

    let err = parse_err("[connection]\nport = 70000\n");
    assert_eq!(err.location.map(|l| l.line), Some(2));

    let err = parse_err("[ui]\nstale_after_days = 0\n");
    assert_eq!(
        err.to_string(),
        "config.toml:2:20: stale_after_days must be at least 1"
    );
}

#[test]
fn bad_colour_is_an_error() {
    let err = parse_err("[theme]\naccent = \"purplish\"\n");
    assert_eq!(err.kind, ConfigErrorKind::InvalidValue);
    assert_eq!(
        err.location,
        Some(Location {
            line: 2,
            column: 10
        })
    );
    assert!(err.message.contains("theme.accent"), "{err}");
}

#[test]
fn theme_colours_are_parsed() {
    let config = parse("[theme]\naccent = \"lightblue\"\noverdue = \"#ff0000\"\n").expect("valid");
    assert_eq!(config.theme.accent, Color::LightBlue);
    assert_eq!(config.theme.overdue, Color::Rgb(255, 0, 0));
    assert_eq!(config.theme.ok, Theme::default().ok);
}

#[test]
fn password_is_rejected_with_a_clear_message() {
    let err = parse_err("[connection]\nuser = \"jdoe\"\npassword = \"hunter2\"\n");
    assert_eq!(err.kind, ConfigErrorKind::Password);
    assert_eq!(err.location, Some(Location { line: 3, column: 1 }));
    for needle in ["PGPASSWORD", "~/.pgpass", "prompt"] {
        assert!(err.message.contains(needle), "{err}");
    }
    assert!(!err.to_string().contains("hunter2"), "{err}");

    // Also at the top level and as an inline table value.
    let err = parse_err("password = \"hunter2\"\n");
    assert_eq!(err.kind, ConfigErrorKind::Password);
    assert_eq!(err.location, Some(Location { line: 1, column: 1 }));
    let err = parse_err("connection = { host = \"h\", password = \"x\" }\n");
    assert_eq!(err.kind, ConfigErrorKind::Password);
    assert_eq!(
        err.location,
        Some(Location {
            line: 1,
            column: 28
        })
    );
}

#[test]
fn unknown_command_is_an_error() {
    let err = parse_err("[keys]\nquit = [\"q\"]\nmve_next_stage = [\"L\"]\n");
    assert_eq!(err.kind, ConfigErrorKind::UnknownCommand);
    assert_eq!(err.location, Some(Location { line: 3, column: 1 }));
    assert!(err.message.contains("mve_next_stage"), "{err}");
    assert!(err.message.contains("move_next_stage"), "{err}");
}

#[test]
fn unknown_key_spec_points_at_the_string() {
    let err = parse_err("[ui]\nboard_sort = \"newest\"\n\n[keys]\nquit = [\"q\", \"ctrl-cc\"]\n");
    assert_eq!(err.kind, ConfigErrorKind::InvalidKey);
    assert_eq!(
        err.location,
        Some(Location {
            line: 5,
            column: 14
        })
    );
    assert!(
        err.to_string()
            .starts_with("config.toml:5:14: unknown key `ctrl-cc`"),
        "{err}"
    );
}

#[test]
fn single_key_string_is_accepted() {
    let config = parse("[keys]\nhelp = \"f1\"\n").expect("valid");
    assert_eq!(config.keymap.keys_label(Command::Help), "f1");

    let err = parse_err("[keys]\nhelp = \"f99\"\n");
    assert_eq!(err.location, Some(Location { line: 2, column: 8 }));
}

#[test]
fn duplicate_binding_across_commands_is_an_error() {
    // Both user bindings, same scope.
    let err = parse_err("[keys]\nsnooze = [\"z\"]\nreschedule = [\"Z\", \"z\"]\n");
    assert_eq!(err.kind, ConfigErrorKind::DuplicateBinding);
    assert_eq!(
        err.location,
        Some(Location {
            line: 3,
            column: 20
        })
    );
    assert!(err.message.contains("`snooze`"), "{err}");
    assert!(err.message.contains("`reschedule`"), "{err}");

    // A global user binding against a screen default (`x` = complete_task).
    let err = parse_err("[keys]\nquit = [\"x\"]\n");
    assert_eq!(err.kind, ConfigErrorKind::DuplicateBinding);
    assert_eq!(err.location, Some(Location { line: 2, column: 9 }));
    assert!(err.message.contains("`complete_task`"), "{err}");
    assert!(err.message.contains("`quit`"), "{err}");

    // `J` and `shift-j` are the same key.
    let err = parse_err("[keys]\nadd_task = [\"J\"]\nadd_tag = [\"shift-j\"]\n");
    assert_eq!(err.kind, ConfigErrorKind::DuplicateBinding);
}

#[test]
fn same_key_on_different_screens_is_fine() {
    // `t` is add_task on the lead screen and triage_mode in the inbox.
    let config = parse("[keys]\nadd_task = [\"t\"]\ntriage_mode = [\"t\"]\n").expect("valid");
    assert_eq!(
        config.keymap.command_for(Scope::Lead, &ch('t')),
        Some(Command::AddTask)
    );
    assert_eq!(
        config.keymap.command_for(Scope::Inbox, &ch('t')),
        Some(Command::TriageMode)
    );
}

#[test]
fn unbinding_frees_the_key() {
    let config = parse("[keys]\ncomplete_task = []\nquit = [\"x\"]\n").expect("valid");
    assert_eq!(
        config.keymap.command_for(Scope::Inbox, &ch('x')),
        Some(Command::Quit)
    );
    assert_eq!(
        config.keymap.command_for(Scope::Inbox, &ch('q')),
        None,
        "q no longer quits"
    );
}

#[test]
fn no_color_theme() {
    let theme = Theme::default().resolve(true);
    assert!(theme.no_color);
    for color in [
        theme.accent,
        theme.selected_bg,
        theme.selected_fg,
        theme.overdue,
        theme.stale,
        theme.muted,
        theme.error,
        theme.ok,
        theme.border,
    ] {
        assert_eq!(color, Color::Reset);
    }
    let selected = theme.selected_style();
    assert!(selected.add_modifier.contains(Modifier::REVERSED));
    assert!(selected.add_modifier.contains(Modifier::BOLD));
    for style in [
        theme.selected_style(),
        theme.accent_style(),
        theme.overdue_style(),
        theme.muted_style(),
        theme.border_style(),
    ] {
        assert_eq!(style.fg, None);
        assert_eq!(style.bg, None);
    }

    let coloured = Theme::default().resolve(false);
    assert_eq!(coloured, Theme::default());
    assert_eq!(coloured.selected_style().bg, Some(coloured.selected_bg));
}

#[test]
fn shift_arrows_and_uppercase_letters_match() {
    let shift_right: KeySpec = "shift-right".parse().expect("valid");
    assert!(shift_right.matches(&key(KeyCode::Right, KeyModifiers::SHIFT)));
    assert!(!shift_right.matches(&key(KeyCode::Right, KeyModifiers::NONE)));
    assert_eq!(shift_right.to_string(), "shift-right");

    let upper_l: KeySpec = "L".parse().expect("valid");
    assert!(upper_l.matches(&ch('L')));
    assert!(upper_l.matches(&key(KeyCode::Char('L'), KeyModifiers::SHIFT)));
    assert!(upper_l.matches(&key(KeyCode::Char('l'), KeyModifiers::SHIFT)));
    assert!(!upper_l.matches(&ch('l')));

    let lower_l: KeySpec = "l".parse().expect("valid");
    assert!(lower_l.matches(&ch('l')));
    assert!(!lower_l.matches(&ch('L')));

    let question: KeySpec = "?".parse().expect("valid");
    assert!(question.matches(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)));

    let backtab: KeySpec = "backtab".parse().expect("valid");
    assert!(backtab.matches(&key(KeyCode::BackTab, KeyModifiers::SHIFT)));

    let ctrl_c: KeySpec = "ctrl-c".parse().expect("valid");
    assert!(ctrl_c.matches(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(!ctrl_c.matches(&ch('c')));

    let release = KeyEvent::new_with_kind(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
        KeyEventKind::Release,
    );
    assert!(!ctrl_c.matches(&release));
    assert_eq!(KeySpec::from_event(&release), None);
}

#[test]
fn default_lookup_by_scope() {
    let keymap = Keymap::default();
    let shift = |code| key(code, KeyModifiers::SHIFT);
    assert_eq!(
        keymap.command_for(Scope::Board, &shift(KeyCode::Right)),
        Some(Command::MoveNextStage)
    );
    assert_eq!(
        keymap.command_for(Scope::Board, &shift(KeyCode::Char('H'))),
        Some(Command::MovePrevStage)
    );
    assert_eq!(
        keymap.command_for(Scope::Board, &ch('u')),
        Some(Command::UndoMove)
    );
    assert_eq!(
        keymap.command_for(Scope::Inbox, &ch('u')),
        Some(Command::UndoComplete)
    );
    assert_eq!(
        keymap.command_for(Scope::Inbox, &ch('j')),
        Some(Command::Down)
    );
    assert_eq!(
        keymap.command_for(Scope::Inbox, &key(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Command::OpenLead)
    );
    assert_eq!(
        keymap.command_for(Scope::Lead, &key(KeyCode::Enter, KeyModifiers::NONE)),
        Some(Command::ExpandEntry)
    );
    // Global commands work on every screen.
    assert_eq!(
        keymap.command_for(Scope::Lead, &ch('q')),
        Some(Command::Quit)
    );
    assert_eq!(
        keymap.command_for(
            Scope::Board,
            &key(KeyCode::Char('c'), KeyModifiers::CONTROL)
        ),
        Some(Command::Quit)
    );
    assert_eq!(keymap.command_for(Scope::Board, &ch('Q')), None);
    assert_eq!(keymap.keys_label(Command::MovePrevStage), "H/shift-left");
    assert_eq!(keymap.keys_label(Command::Quit), "q/ctrl-c");
}

#[test]
fn user_binding_replaces_default() {
    let config = parse("[keys]\nmove_next_stage = [\"ctrl-l\", \"alt-right\"]\n").expect("valid");
    let keymap = &config.keymap;
    assert_eq!(
        keymap.command_for(
            Scope::Board,
            &key(KeyCode::Char('l'), KeyModifiers::CONTROL)
        ),
        Some(Command::MoveNextStage)
    );
    assert_eq!(
        keymap.command_for(Scope::Board, &key(KeyCode::Right, KeyModifiers::ALT)),
        Some(Command::MoveNextStage)
    );
    // The defaults L / shift-right are gone.
    assert_eq!(keymap.command_for(Scope::Board, &ch('L')), None);
    assert_eq!(
        keymap.command_for(Scope::Board, &key(KeyCode::Right, KeyModifiers::SHIFT)),
        None
    );
    assert_eq!(
        keymap.keys_label(Command::MoveNextStage),
        "ctrl-l/alt-right"
    );
    // Other commands keep their defaults.
    assert_eq!(keymap.keys_label(Command::MovePrevStage), "H/shift-left");
}

#[test]
fn bindings_reflect_user_overrides() {
    let user = KeysSection::new("test")
        .bind("cycle_sort", &["f3", "f2"])
        .bind("undo_move", &[]);
    let keymap = Keymap::from_config(&user).expect("valid");
    let board = keymap.bindings(Scope::Board);
    let find = |cmd| {
        board
            .iter()
            .find(|(c, _)| *c == cmd)
            .map(|(_, keys)| keys.iter().map(ToString::to_string).collect::<Vec<_>>())
            .expect("command listed")
    };
    assert_eq!(find(Command::CycleSort), ["f3", "f2"]);
    assert!(find(Command::UndoMove).is_empty());
    assert_eq!(find(Command::MoveToStage), ["m"]);
    assert!(
        board
            .iter()
            .all(|(c, _)| c.scopes().contains(&Scope::Board))
    );
    assert!(!board.iter().any(|(c, _)| *c == Command::Quit));

    let global = keymap.bindings(Scope::Global);
    assert!(global.iter().any(|(c, _)| *c == Command::Quit));
    assert!(global.iter().all(|(c, _)| c.scope() == Scope::Global));
}

#[test]
fn error_without_position_renders_file_only() {
    let err = Keymap::from_config(&KeysSection::new("cli").bind("bogus", &["x"]))
        .expect_err("unknown command");
    assert_eq!(err.location, None);
    assert!(
        err.to_string().starts_with("cli: unknown command `bogus`"),
        "{err}"
    );
}

/// The `[table]` of a TOML text whose `key = value` lines may be commented
/// out (`# key = value  # note`), as config.example.toml documents defaults.
fn documented_table(text: &str, table: &str) -> toml::Table {
    let header = format!("[{table}]");
    let section = text
        .split_once(header.as_str())
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("has a {header} section"));
    let section = section.split("\n[").next().unwrap_or(section);
    let mut out = toml::Table::new();
    for line in section.lines() {
        let line = line.trim_start_matches('#').trim_start();
        let value = line.split(" #").next().unwrap_or(line).trim();
        if value.is_empty() || !value.contains(" = ") {
            continue;
        }
        if let Ok(entry) = toml::from_str::<toml::Table>(value) {
            out.extend(entry);
        }
    }
    out
}

#[test]
fn example_file_documents_the_assets() {
    let example = example_text();
    let keymap_asset: toml::Table =
        toml::from_str(closer::config::keymap::defaults::KEYMAP_TOML).expect("keymap asset");
    assert_eq!(
        documented_table(&example, "keys"),
        keymap_asset["keys"].as_table().expect("[keys]").clone(),
        "config.example.toml [keys] and assets/keymap.toml differ"
    );
    let theme_asset: toml::Table =
        toml::from_str(closer::config::theme::DEFAULT_TOML).expect("theme asset");
    assert_eq!(
        documented_table(&example, "theme"),
        theme_asset["theme"].as_table().expect("[theme]").clone(),
        "config.example.toml [theme] and assets/themes/default.toml differ"
    );
}
