//! `courier list`: the collections, requests and tags under PATHS, as text or JSON.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use courier_events::Exit;
use courier_report::contract::{ListCollection, ListReport, ListRequest};

use courier_core::plan::{Plan, PlanOptions, Purpose};

use super::common::paths_or_default;
use super::error::{CliError, CliResult};

/// List collections, their requests and tags.
///
/// Prints one line per collection (name, file, tags) and one per request (method, name,
/// tags). With `--json`, prints `{"version": 1, "collections": [...]}` for scripts.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  courier list\n  courier list collections/vendors-crud.yaml --json\n\nExit codes: 0 listed; 2 a path or collection could not be loaded (nothing is listed)."
)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) color: super::common::ColorArg,
    /// Collection files or folders (default: `collections`).
    pub(crate) paths: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) fn run(args: &ListArgs) -> CliResult {
    let paths = paths_or_default(&args.paths);
    let dotenv = HashMap::new();
    let collections =
        Plan::build(&PlanOptions::new(Purpose::List, &paths, None, &dotenv))?.collections;
    let report = ListReport {
        version: 1,
        collections: collections
            .iter()
            .map(|pc| &pc.collection)
            .map(|c| ListCollection {
                name: c.name.value.clone(),
                file: c.file.display().to_owned(),
                tags: c.tags.iter().map(|t| t.value.clone()).collect(),
                requests: c
                    .requests
                    .iter()
                    .map(|r| ListRequest {
                        name: r.name.value.clone(),
                        method: r.method.value.clone(),
                        tags: r.tags.iter().map(|t| t.value.clone()).collect(),
                    })
                    .collect(),
            })
            .collect(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // A list that cannot be written (a closed pipe, a full disk) is an error, not a success
    // with nothing shown (docs/cli.md#list).
    write_list(&mut out, &report, args.json)
        .and_then(|()| out.flush())
        .map_err(|e| CliError::invalid(format!("cannot write the list: {e}")))?;
    Ok(Exit::Success)
}

fn write_list(out: &mut impl Write, report: &ListReport, json: bool) -> std::io::Result<()> {
    if json {
        let text = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
        return writeln!(out, "{text}");
    }
    for c in &report.collections {
        let tags = tags_text(&c.tags);
        writeln!(out, "{} ({}){tags}", c.name, c.file)?;
        let width = c.requests.iter().map(|r| r.method.len()).max().unwrap_or(0);
        for r in &c.requests {
            writeln!(
                out,
                "  {:width$} {}{}",
                r.method,
                r.name,
                tags_text(&r.tags)
            )?;
        }
    }
    Ok(())
}

fn tags_text(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" [{}]", tags.join(", "))
    }
}
