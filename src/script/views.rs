//! `closer views` (issue 14): the person's saved views and the organization's shared ones, as
//! the board's view picker lists them (own first, then by name). `--view NAME` on `leads list`
//! and `export leads` uses a view's filter (see `select.rs`).

use serde_json::json;

use super::args::OutputArgs;
use super::{EXIT_NOT_FOUND, Fail, Result, io_error, output};
use crate::data::PgStore;
use crate::data::views::SavedView;

pub async fn list(store: &PgStore, args: OutputArgs) -> Result<()> {
    let format = output::resolve(args.format);
    let fields = [
        "view_id",
        "name",
        "filter",
        "sort",
        "descending",
        "shared",
        "is_default",
        "owner",
    ];
    let rows: Vec<Vec<serde_json::Value>> = store
        .saved_views()
        .await?
        .into_iter()
        .map(|v| {
            vec![
                json!(v.id),
                json!(v.name),
                json!(v.filter),
                json!(v.sort.key_name()),
                json!(v.descending),
                json!(v.shared),
                json!(v.is_default && v.mine),
                json!(if v.mine { "me" } else { "team" }),
            ]
        })
        .collect();
    let table = ["name", "filter", "sort", "shared", "is_default", "owner"];
    let mut out = std::io::stdout().lock();
    output::write_rows(&mut out, format, &fields, &table, &rows).map_err(io_error)
}

/// The view called `name` (case-insensitive; the person's own before a shared one).
pub async fn named(store: &PgStore, name: &str) -> Result<SavedView> {
    let wanted = name.trim().to_lowercase();
    store
        .saved_views()
        .await?
        .into_iter()
        .find(|v| v.name.to_lowercase() == wanted)
        .ok_or_else(|| Fail {
            code: EXIT_NOT_FOUND,
            message: format!(
                "No saved view is called \"{}\"; `closer views` lists them",
                crate::text::clean_line(name)
            ),
        })
}
