//! The bindable commands, where each applies (`Scope`) and how the help
//! popup describes it. Their default keys are data: `assets/keymap.toml`.

use std::fmt;

use serde::Deserialize;

/// Where a command applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// Everywhere (unless a text input has focus).
    Global,
    /// The pipeline board.
    Board,
    /// The lead detail screen.
    Lead,
    /// The task inbox.
    Inbox,
    /// The insights screen (issue 13).
    Insights,
    /// The pipeline editor popup (issue 13): its own keys, which come before
    /// the global ones while it is open, like the popup commands.
    Editor,
    /// An open popup (pickers, prompts, dialogs, forms). Its commands come
    /// before the global ones while a popup is open and may reuse their keys.
    Popup,
}

impl Scope {
    /// All scopes, in help-popup order.
    pub const ALL: [Scope; 7] = [
        Scope::Global,
        Scope::Board,
        Scope::Lead,
        Scope::Inbox,
        Scope::Insights,
        Scope::Editor,
        Scope::Popup,
    ];

    /// Title for the help popup.
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Global",
            Scope::Board => "Board",
            Scope::Lead => "Lead",
            Scope::Inbox => "Inbox",
            Scope::Insights => "Insights",
            Scope::Editor => "Pipeline editor",
            Scope::Popup => "Popup",
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Scope::Global => "everywhere",
            Scope::Board => "on the board",
            Scope::Lead => "on the lead screen",
            Scope::Inbox => "in the inbox",
            Scope::Insights => "on the insights screen",
            Scope::Editor => "in the pipeline editor",
            Scope::Popup => "in a popup",
        }
    }
}

const GLOBAL: &[Scope] = &[Scope::Global];
const BOARD: &[Scope] = &[Scope::Board];
const LEAD: &[Scope] = &[Scope::Lead];
const INBOX: &[Scope] = &[Scope::Inbox];
const POPUP: &[Scope] = &[Scope::Popup];
const EDITOR: &[Scope] = &[Scope::Editor];
/// List navigation works on every screen (insights: scrolling).
const LISTS: &[Scope] = &[Scope::Board, Scope::Lead, Scope::Inbox, Scope::Insights];
const INSIGHTS: &[Scope] = &[Scope::Insights];
const BOARD_INBOX: &[Scope] = &[Scope::Board, Scope::Inbox];
/// Task commands work in the inbox and on a lead's Tasks tab.
const INBOX_LEAD: &[Scope] = &[Scope::Inbox, Scope::Lead];
/// Lead lifecycle commands work on the card and on the lead screen.
const BOARD_LEAD: &[Scope] = &[Scope::Board, Scope::Lead];

macro_rules! commands {
    ($( $(#[$meta:meta])* $variant:ident = $name:literal, $scopes:expr, $desc:literal; )*) => {
        /// A bindable command. The config names (`[keys]` table keys) are
        /// the snake_case variant names, e.g. `move_next_stage`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Command {
            $( $(#[$meta])* #[doc = $desc] $variant, )*
        }

        impl Command {
            /// Every command, grouped by scope, in help-popup order.
            pub const ALL: &'static [Command] = &[$(Command::$variant,)*];

            /// The config name (`move_next_stage`).
            pub fn name(self) -> &'static str {
                match self { $(Command::$variant => $name,)* }
            }

            /// One-line description for the help popup.
            pub fn description(self) -> &'static str {
                match self { $(Command::$variant => $desc,)* }
            }

            /// Every scope the command applies in (navigation commands
            /// apply on several screens; `open_lead` on the board and in the
            /// inbox).
            pub fn scopes(self) -> &'static [Scope] {
                match self { $(Command::$variant => $scopes,)* }
            }

        }
    };
}

commands! {
    // Global
    Quit = "quit", GLOBAL, "Quit closer";
    Help = "help", GLOBAL, "Show the key bindings";
    Search = "search", GLOBAL, "Search leads, contacts and organizations";
    CommandPalette = "command_palette", GLOBAL, "Open the command palette";
    Refresh = "refresh", GLOBAL, "Reload data from the database";
    OpenInbox = "open_inbox", GLOBAL, "Go to the task inbox";
    OpenBoard = "open_board", GLOBAL, "Go to the pipeline board";
    NewLead = "new_lead", GLOBAL, "Create a new lead";
    Back = "back", GLOBAL, "Go back / close the popup";
    SaveForm = "save_form", GLOBAL, "Save the open form";
    ExternalEditor = "external_editor", GLOBAL, "Edit the focused form text in $EDITOR";
    // Board (navigation also in lists elsewhere)
    Left = "left", BOARD, "Previous stage column";
    Right = "right", BOARD, "Next stage column";
    Up = "up", LISTS, "Move up";
    Down = "down", LISTS, "Move down";
    Top = "top", LISTS, "Go to the top";
    Bottom = "bottom", LISTS, "Go to the bottom";
    PageUp = "page_up", LISTS, "Page up";
    PageDown = "page_down", LISTS, "Page down";
    MovePrevStage = "move_prev_stage", BOARD, "Move the lead to the previous stage";
    MoveNextStage = "move_next_stage", BOARD, "Move the lead to the next stage";
    MoveToStage = "move_to_stage", BOARD, "Move the lead to a stage…";
    UndoMove = "undo_move", BOARD, "Undo the last move, close or owner change";
    OpenLead = "open_lead", BOARD_INBOX, "Open the lead";
    SwitchPipeline = "switch_pipeline", BOARD, "Switch pipeline";
    CycleSort = "cycle_sort", BOARD, "Cycle the card sort order";
    JumpToLead = "jump_to_lead", BOARD, "Jump to a lead by name";
    // Board: find and focus (issue 12)
    FilterLeads = "filter_leads", BOARD, "Filter the board (owner:me tag:vip score:>70 rotting…)";
    OpenViews = "open_views", BOARD, "Saved views: pick one (Ctrl-S in the filter bar saves)";
    // Board: closing (issue 10)
    CyclePeriod = "cycle_period", BOARD, "Won/lost headers: this month, quarter, year, all time";
    // Board and lead: owner and lifecycle (issue 12)
    ChangeOwner = "change_owner", BOARD, "Change the lead's owner…";
    DeleteLead = "delete_lead", BOARD_LEAD, "Delete the lead (managers and admins)";
    CopyEmail = "copy_email", BOARD_LEAD, "Copy the lead's e-mail to the clipboard";
    CopyPhone = "copy_phone", BOARD_LEAD, "Copy the lead's phone to the clipboard";
    FlipSort = "flip_sort", BOARD, "Sort ascending / descending";
    // Board: many cards at once (issue 12); m, o, T, D and u act on the marked cards
    MarkRange = "mark_range", BOARD, "Mark a range of cards in the column";
    // Lead
    NextTab = "next_tab", LEAD, "Next tab";
    PrevTab = "prev_tab", LEAD, "Previous tab";
    TabOverview = "tab_overview", LEAD, "Overview tab";
    TabTimeline = "tab_timeline", LEAD, "Timeline tab";
    TabTasks = "tab_tasks", LEAD, "Tasks tab";
    TabDeals = "tab_deals", LEAD, "Deals tab";
    TabDocuments = "tab_documents", LEAD, "Documents tab";
    PrevLead = "prev_lead", LEAD, "Previous lead";
    NextLead = "next_lead", LEAD, "Next lead";
    LogInteraction = "log_interaction", LEAD, "Log a call, email or meeting";
    AddTask = "add_task", LEAD, "Add a task";
    EditLead = "edit_lead", LEAD, "Edit the lead";
    AddTag = "add_tag", BOARD_LEAD, "Tags (board: tag the marked cards)";
    ExpandEntry = "expand_entry", LEAD, "Expand the timeline entry / edit the deal";
    FilterTimeline = "filter_timeline", LEAD, "Filter the timeline";
    OpenDocument = "open_document", LEAD, "Open the document";
    AddDeal = "add_deal", LEAD, "Add a deal";
    AddDocument = "add_document", LEAD, "Attach a document";
    // Lead: owner (issue 12; `o` opens documents here)
    ChangeLeadOwner = "change_lead_owner", LEAD, "Change the lead's owner…";
    // Lead: the undo history (issue 11)
    Undo = "undo", LEAD, "Undo this lead's last edit, tag or owner";
    // Inbox
    CompleteTask = "complete_task", INBOX_LEAD, "Complete the task";
    UndoComplete = "undo_complete", INBOX, "Undo the last completion, snooze or edit";
    Snooze = "snooze", INBOX, "Snooze the task";
    Reschedule = "reschedule", INBOX_LEAD, "Reschedule the task";
    ChangePriority = "change_priority", INBOX, "Change the priority";
    Reassign = "reassign", INBOX, "Reassign the task";
    EditTask = "edit_task", INBOX, "Edit the task";
    ToggleMark = "toggle_mark", BOARD_INBOX, "Mark / unmark the card or task";
    MarkGroup = "mark_group", INBOX, "Mark the whole group";
    TriageMode = "triage_mode", INBOX, "Triage mode: one task at a time";
    ToggleTeam = "toggle_team", INBOX, "Show my tasks / the team's";
    ToggleCompleted = "toggle_completed", INBOX, "Show / hide completed tasks";
    LogCall = "log_call", INBOX, "Log a call for the task's lead";
    SkipTask = "skip_task", INBOX, "Triage: skip to the next task";
    NewTask = "new_task", INBOX, "Add a task for a lead";
    // Insights (issue 13); `open_insights` is global
    OpenInsights = "open_insights", GLOBAL, "Show insights: forecast, funnel, team";
    PrevPeriod = "prev_period", INSIGHTS, "Insights: previous period";
    NextPeriod = "next_period", INSIGHTS, "Insights: next period";
    CyclePeriodKind = "cycle_period_kind", INSIGHTS, "Insights: quarter / month / year";
    CyclePerson = "cycle_person", INSIGHTS, "Insights: whole team / each person";
    PipelineEditor = "pipeline_editor", BOARD, "Pipeline editor: pipelines and stages";
    // Pipeline editor (issue 13), managers and admins
    MoveStageDown = "move_stage_down", EDITOR, "Editor: move the stage down (one call)";
    MoveStageUp = "move_stage_up", EDITOR, "Editor: move the stage up (one call)";
    RenameStage = "rename_stage", EDITOR, "Editor: rename the stage";
    RecolorStage = "recolor_stage", EDITOR, "Editor: the stage's colour (#rrggbb)";
    SetStageProbability = "set_stage_probability", EDITOR, "Editor: the stage's default deal probability";
    SetRottingDays = "set_rotting_days", EDITOR, "Editor: days without contact before a lead rots";
    ToggleWonStage = "toggle_won_stage", EDITOR, "Editor: mark the stage won / open";
    ToggleLostStage = "toggle_lost_stage", EDITOR, "Editor: mark the stage lost / open";
    AddStage = "add_stage", EDITOR, "Editor: add a stage at the end";
    DeleteStage = "delete_stage", EDITOR, "Editor: delete the stage, choosing where its leads go";
    NewPipeline = "new_pipeline", EDITOR, "Editor: create a pipeline";
    RenamePipeline = "rename_pipeline", EDITOR, "Editor: rename the pipeline";
    ArchivePipeline = "archive_pipeline", EDITOR, "Editor: archive the pipeline (asks first)";
    // Inbox: closing (issue 10)
    ToggleClosedLeads = "toggle_closed_leads", INBOX, "Show / hide tasks of won and lost leads";
    // Inbox: find and focus (issue 12)
    FilterTasks = "filter_tasks", INBOX, "Filter the tasks (owner:me tag:vip overdue text…)";
    // Popup
    Confirm = "confirm", POPUP, "Pick / submit in a popup";
    Cancel = "cancel", POPUP, "Close the popup without acting";
    PopupUp = "popup_up", POPUP, "Previous item or field in a popup";
    PopupDown = "popup_down", POPUP, "Next item or field in a popup";
    NextField = "next_field", POPUP, "Next field (in a list: next item)";
    PrevField = "prev_field", POPUP, "Previous field (in a list: previous item)";
    Toggle = "toggle", POPUP, "Flip the focused choice (closing, edit conflict)";
    TakeMine = "take_mine", POPUP, "Edit conflict: keep my value for this field";
    TakeTheirs = "take_theirs", POPUP, "Edit conflict: keep their value for this field";
    TakeAllMine = "take_all_mine", POPUP, "Edit conflict: keep all my values";
    TakeAllTheirs = "take_all_theirs", POPUP, "Edit conflict: keep all their values";
    // The saved views picker (issue 12); only that popup acts on them
    RenameView = "rename_view", POPUP, "Views: rename your view";
    DeleteView = "delete_view", POPUP, "Views: delete your view";
    ShareView = "share_view", POPUP, "Views: share with the organization / take back (managers)";
    DefaultView = "default_view", POPUP, "Views: make it your start view (again: none)";
}

impl Command {
    /// The primary scope (the first of [`Command::scopes`]).
    pub fn scope(self) -> Scope {
        self.scopes().first().copied().unwrap_or(Scope::Global)
    }

    /// Whether the command is active in `scope` (global commands are active
    /// everywhere).
    pub fn applies_in(self, scope: Scope) -> bool {
        let scopes = self.scopes();
        scopes.contains(&scope) || scopes.contains(&Scope::Global)
    }

    /// The default key specs, as written in `assets/keymap.toml` (empty
    /// when the asset names none).
    pub fn default_keys(self) -> &'static [String] {
        super::defaults::keys(self)
    }

    /// The command with config name `name`.
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.name() == name)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first scope in which two commands are both active, if any (global
/// commands overlap with everything).
/// Popup commands only meet other popup commands: while a popup is open they
/// win over the global ones, and screens never see them.
pub(crate) fn overlap(a: Command, b: Command) -> Option<Scope> {
    // The editor's keys are read while its popup is open, so they meet the popup commands
    // (confirm/cancel) and each other, never a screen's or the global ones.
    let popup = |c: Command| {
        c.scopes()
            .iter()
            .any(|s| matches!(s, Scope::Popup | Scope::Editor))
    };
    if popup(a) != popup(b) {
        return None;
    }
    if popup(a) {
        // The editor reads the popup commands every popup shares (confirm, cancel, moves), not
        // another popup's own (the conflict's take_*, the view picker's).
        let shared = |c: Command| {
            matches!(
                c,
                Command::Confirm
                    | Command::Cancel
                    | Command::PopupUp
                    | Command::PopupDown
                    | Command::NextField
                    | Command::PrevField
            )
        };
        let (sa, sb) = (a.scope(), b.scope());
        let meet =
            sa == sb || (sa == Scope::Popup && shared(a)) || (sb == Scope::Popup && shared(b));
        return meet.then_some(sa);
    }
    for &sa in a.scopes() {
        for &sb in b.scopes() {
            if sa == sb || sb == Scope::Global {
                return Some(sa);
            }
            if sa == Scope::Global {
                return Some(sb);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    #[test]
    fn names_match_serde() {
        for &c in Command::ALL {
            let de: StrDeserializer<'_, ValueError> = c.name().into_deserializer();
            assert_eq!(Command::deserialize(de), Ok(c));
        }
    }
}
