//! What several subcommands share: `--var k=v` parsing, finding and loading collections, and
//! printing diagnostics.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use courier_core::diag::Diagnostic;
use courier_core::load;
use courier_core::model::Collection;
use courier_report::contract::Exit;

/// `--var k=v`.
pub(crate) fn parse_var(s: &str) -> Result<(String, String), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not `name=value`"))?;
    let k = k.trim();
    let valid = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{k}` is not a valid variable name (letters, digits and `_`)"
        ));
    }
    Ok((k.to_owned(), v.to_owned()))
}

/// `--report-values failed|all` (clap has checked it is one of the two).
pub(crate) fn report_values(s: &str) -> courier_report::json::ReportValues {
    if s == "all" {
        courier_report::json::ReportValues::All
    } else {
        courier_report::json::ReportValues::Failed
    }
}

/// The collection paths, `collections` when none are given.
pub(crate) fn paths_or_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from("collections")]
    } else {
        paths.to_vec()
    }
}

/// Finds the collection files under `paths`; no files at all is an error (SPEC §8, exit 2).
pub(crate) fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Vec<Diagnostic>> {
    let files = load::discover(paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(vec![Diagnostic::new(format!("no collection files found under {}", shown.join(", ")))
            .with_help("collections are `*.yaml` or `*.yml` files; name a file or a folder that holds some")]);
    }
    Ok(files)
}

/// Loads every collection; all-or-nothing for commands that need every one.
pub(crate) fn load_collections(files: &[PathBuf]) -> Result<Vec<Arc<Collection>>, Vec<Diagnostic>> {
    let (collections, diags) = load::load_all(files);
    if diags.is_empty() {
        Ok(collections)
    } else {
        Err(diags)
    }
}

/// Prints diagnostics on standard error, each in the rustc style.
pub(crate) fn print_diagnostics(diags: &[Diagnostic]) {
    let stderr = std::io::stderr();
    let mut out = stderr.lock();
    for d in diags {
        let _ = writeln!(out, "{}", d.render());
    }
}

/// `--color auto|always|never` (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Colour is on with `always`, or `auto` when the output is a terminal and neither
    /// `NO_COLOR` nor `CI` is set (SPEC §5's rule for `CI`).
    pub(crate) fn enabled(self, is_terminal: bool) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => {
                is_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && !ci_is_set()
            }
        }
    }
}

/// `CI` counts as set unless it is empty, `0` or `false` (SPEC §5).
pub(crate) fn ci_is_set() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// `--read-only` and `--allow-production-writes` together are a usage error (SPEC §6).
pub(crate) fn one_guard_flag(read_only: bool, allow_production_writes: bool) -> Result<(), Exit> {
    if read_only && allow_production_writes {
        eprintln!(
            "error: `--read-only` and `--allow-production-writes` contradict each other: give one"
        );
        return Err(Exit::Invalid);
    }
    Ok(())
}
